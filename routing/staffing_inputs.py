"""Checks of the inputs of the staffing mathematics, and the error they raise.

Every public function of ``routing.erlang``, ``routing.erlang_a`` and ``routing.staffing``
passes its arguments through these checks first, so that the formulas behind them may assume
finite, in-range numbers. Rules: a load, a time or a rate must be a finite number (never a
bool), not negative, and where it divides, above 0; a share lies in (0, 1) or, where all calls
is a sensible goal, (0, 1]; a count of operators or lines is a whole number >= 0. A value out
of range raises :class:`StaffingError` whose message names the input and repeats the value.
Pure: stdlib only.
"""

from __future__ import annotations

import math

from routing.errors import RoutingError


class StaffingError(RoutingError):
    """A staffing input is out of range or malformed; the message names the input."""


def require_non_negative(name: str, value: float) -> float:
    """`value` as a float if it is a finite number >= 0.

    >>> require_non_negative("load", 2)
    2.0
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise StaffingError(f"{name} must be a finite number, got {value!r}")
    if value < 0:
        raise StaffingError(f"{name} must not be negative, got {value!r}")
    return float(value)


def require_positive(name: str, value: float) -> float:
    """`value` as a float if it is a finite number > 0."""
    if require_non_negative(name, value) == 0:
        raise StaffingError(f"{name} must be greater than 0, got {value!r}")
    return float(value)


def require_fraction(name: str, value: float, *, one_allowed: bool = False) -> float:
    """`value` if it lies in (0, 1), or in (0, 1] with `one_allowed`."""
    share = require_non_negative(name, value)
    if share == 0 or share > 1 or (share == 1 and not one_allowed):
        bounds = "(0, 1]" if one_allowed else "(0, 1)"
        raise StaffingError(f"{name} must lie in {bounds}, got {value!r}")
    return share


def require_count(name: str, value: int) -> int:
    """`value` if it is a whole number >= 0 (a bool is refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StaffingError(f"{name} must be a whole number >= 0, got {value!r}")
    return value
