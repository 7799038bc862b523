"""Strict readers for the plain dicts the edge loads from `config/complaints.toml`.

Administrators edit that file, so a wrong value must stop start-up with a message that starts
with the path of the value (`sop.bill.urban_hours: ...`). Every reader raises `ComplaintError`;
none coerces (the string "4" is not the number 4, `true` is not 1).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import time

from complaints.errors import ComplaintError

_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def table(value: object, path: str) -> Mapping[str, object]:
    """`value` as a table with string keys."""
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise ComplaintError(f"{path}: must be a table, got {value!r}")
    return value


def reject_unknown(values: Mapping[str, object], allowed: frozenset[str], path: str) -> None:
    """Fail on the first key not in `allowed` (in sorted order, so the message is stable)."""
    for key in sorted(set(values) - allowed):
        raise ComplaintError(f"{path}.{key}: unknown setting; expected one of {sorted(allowed)}")


def required(values: Mapping[str, object], key: str, path: str) -> object:
    """The value at `key`, or an error naming it as missing."""
    if key not in values:
        raise ComplaintError(f"{path}.{key}: missing")
    return values[key]


def positive_number(value: object, path: str) -> float:
    """A finite int or float > 0."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ComplaintError(f"{path}: must be a number, got {value!r}")
    if value <= 0:
        raise ComplaintError(f"{path}: must be > 0, got {value!r}")
    return float(value)


def positive_int(value: object, path: str) -> int:
    """A whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ComplaintError(f"{path}: must be a whole number >= 1, got {value!r}")
    return value


def clock_time(value: object, path: str) -> time:
    """A 24-hour "HH:MM" string."""
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ComplaintError(f'{path}: must be a time "HH:MM", got {value!r}')
    return time(int(match[1]), int(match[2]))
