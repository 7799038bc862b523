"""Staffing: the fewest operators that meet a service goal, and the table the CLI prints.

Calls per hour and the average handle time (AHT) make the offered load in Erlangs
(``SECONDS_PER_HOUR`` converts); :func:`required_agents` finds the fewest operators answering
a share of calls within a time, by Erlang C (``routing.erlang``) when callers are patient and
by Erlang A (``routing.erlang_a``) when a mean patience is given, optionally under an
occupancy cap. :func:`staffing_table` and :func:`format_staffing_table` show the levels around
that answer; :func:`parse_target` reads a goal written "80/20". Rules: the search never
computes a level twice where one step extends the last (Erlang C walks up the Erlang B
recursion; Erlang A gallops, then bisects, since the level improves with every operator
added). Out-of-range inputs raise :class:`routing.staffing_inputs.StaffingError` naming the
input. Pure: stdlib only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from routing.erlang import erlang_b, service_level_from_blocking
from routing.erlang_a import erlang_a
from routing.staffing_inputs import (
    StaffingError,
    require_count,
    require_fraction,
    require_non_negative,
    require_positive,
)

SECONDS_PER_HOUR = 3600.0


# --- searching for the fewest operators -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Goal:
    service_level: float
    within_s: float
    max_occupancy: float | None


def _fewest_for_occupancy(a: float, cap: float) -> int:
    n = max(1, math.ceil(a / cap))
    while n > 1 and a / (n - 1) <= cap:  # float rounding in a / cap may overshoot by one
        n -= 1
    while a / n > cap:
        n += 1
    return n


def _erlang_c_agents(a: float, aht: float, goal: _Goal) -> int:
    """Walk up from just above the load; each step extends the Erlang B recursion in O(1)."""
    n = math.floor(a) + 1
    if goal.max_occupancy is not None:
        n = max(n, _fewest_for_occupancy(a, goal.max_occupancy))
    blocking = erlang_b(a, n)
    while service_level_from_blocking(a, n, blocking, goal.within_s / aht) < goal.service_level:
        n += 1
        blocking = a * blocking / (n + a * blocking)
    return n


def _erlang_a_agents(a: float, aht: float, patience: float, goal: _Goal) -> int:
    """Gallop up from the load, then bisect (the level improves with every operator added)."""

    def meets(n: int) -> bool:
        r = erlang_a(a, n, aht, patience, target_s=goal.within_s)
        cap = goal.max_occupancy
        return r.service_level >= goal.service_level and (cap is None or r.occupancy <= cap)

    # Answered calls never exceed N/A of those offered, so fewer than SL·A operators must fail.
    failing = math.ceil(goal.service_level * a) - 1
    passing, step = max(failing + 1, math.ceil(a)), max(1, math.isqrt(math.ceil(a)))
    while not meets(passing):
        failing, passing, step = passing, passing + step, step * 2
    while passing - failing > 1:
        middle = (failing + passing) // 2
        failing, passing = (failing, middle) if meets(middle) else (middle, passing)
    return passing


def required_agents(
    calls_per_hour: float,
    aht_s: float,
    *,
    target_sl: float = 0.8,
    target_s: float = 20.0,
    patience_s: float | None = None,
    max_occupancy: float | None = None,
) -> int:
    """Fewest operators answering `target_sl` of calls within `target_s` seconds.

    Erlang C when `patience_s` is None, Erlang A otherwise; `max_occupancy` adds a cap.

    >>> required_agents(200, 180, target_sl=0.8, target_s=20)
    14
    """
    rate = require_non_negative("calls_per_hour", calls_per_hour)
    aht = require_positive("aht_s", aht_s)
    cap = None
    if max_occupancy is not None:
        cap = require_fraction("max_occupancy", max_occupancy, one_allowed=True)
    share = require_fraction("target_sl", target_sl)
    goal = _Goal(share, require_non_negative("target_s", target_s), cap)
    patience = None if patience_s is None else require_positive("patience_s", patience_s)
    load = rate * aht / SECONDS_PER_HOUR
    if load == 0:
        return 0
    if patience is None:
        return _erlang_c_agents(load, aht, goal)
    return _erlang_a_agents(load, aht, patience, goal)


# --- the staffing table the CLI prints --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StaffingRow:
    """One staffing level of the table; shares of offered calls, times in seconds."""

    agents: int
    service_level: float
    asa_s: float
    p_wait: float
    p_abandon: float
    occupancy: float
    meets_target: bool


def _required_and_rows(
    rate: float, aht: float, goal: _Goal, patience: float | None, around: int
) -> tuple[int, list[StaffingRow]]:
    required = required_agents(
        rate, aht, target_sl=goal.service_level, target_s=goal.within_s, patience_s=patience
    )
    load = rate * aht / SECONDS_PER_HOUR
    first = max(min(required, 1), required - require_count("around", around))
    rows = []
    for n in range(first, required + around + 1):
        r = erlang_a(load, n, aht, patience, target_s=goal.within_s)
        rows.append(
            StaffingRow(n, r.service_level, r.asa_s, r.p_wait, r.p_abandon, r.occupancy,
                        r.service_level >= goal.service_level)
        )  # fmt: skip
    return required, rows


def staffing_table(
    calls_per_hour: float,
    aht_s: float,
    *,
    target_sl: float,
    target_s: float,
    patience_s: float | None = None,
    around: int = 3,
) -> list[StaffingRow]:
    """Rows for the required operators ± `around` (Erlang A with patience, else Erlang C).

    >>> [row.agents for row in staffing_table(200, 180, target_sl=0.8, target_s=20, around=1)]
    [13, 14, 15]
    """
    goal = _Goal(target_sl, target_s, None)
    return _required_and_rows(calls_per_hour, aht_s, goal, patience_s, around)[1]


def _g(value: float) -> str:
    return f"{value:g}"


def _percent(share: float) -> str:
    return f"{100 * share:.1f}%"


def format_staffing_table(
    calls_per_hour: float,
    aht_s: float,
    *,
    target_sl: float,
    target_s: float,
    patience_s: float | None = None,
    around: int = 3,
) -> str:
    """The text `run_ivr.py staffing` prints: a headline, then an aligned table.

    >>> print(format_staffing_table(200, 180, target_sl=0.8, target_s=20).splitlines()[0])
    required operators: 14 (80% in 20 s; 200 calls/h, AHT 180 s, load 10.00 Erl)
    """
    goal = _Goal(target_sl, target_s, None)
    required, rows = _required_and_rows(calls_per_hour, aht_s, goal, patience_s, around)
    header = ["operators", f"in {_g(target_s)} s", "ASA (s)", "P(wait)", "abandoned", "occupancy"]
    marks = ["  <- required" if row.agents == required else "" for row in rows]
    table = _aligned(header, [_cells(row) for row in rows], marks)
    return "\n".join([_headline(required, calls_per_hour, aht_s, goal, patience_s), *table])


def _headline(
    required: int, calls_per_hour: float, aht_s: float, goal: _Goal, patience_s: float | None
) -> str:
    """The answer, then the goal and the load it was computed for."""
    patience = "" if patience_s is None else f", patience {_g(patience_s)} s"
    load = calls_per_hour * aht_s / SECONDS_PER_HOUR
    return (
        f"required operators: {required} ({_g(100 * goal.service_level)}% in "
        f"{_g(goal.within_s)} s; {_g(calls_per_hour)} calls/h, AHT {_g(aht_s)} s{patience}, "
        f"load {load:.2f} Erl)"
    )


def _cells(row: StaffingRow) -> list[str]:
    return [str(row.agents), _percent(row.service_level), f"{row.asa_s:.1f}",
            _percent(row.p_wait), _percent(row.p_abandon), _percent(row.occupancy)]  # fmt: skip


def _aligned(header: list[str], cells: list[list[str]], marks: list[str]) -> list[str]:
    """The header and each row of cells right-aligned in columns, each row followed by its mark."""
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    for line, mark in zip(cells, marks, strict=True):
        lines.append("  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)) + mark)
    return lines


_TARGET = re.compile(r"\s*(\d+(?:\.\d*)?)\s*%?\s*/\s*(\d+(?:\.\d*)?)\s*s?\s*")


def parse_target(text: str) -> tuple[float, float]:
    """'80/20' (80 % of calls answered within 20 s) → (0.8, 20.0).

    >>> parse_target("80/20")
    (0.8, 20.0)
    """
    match = _TARGET.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise StaffingError(f"target must look like 80/20 (percent / seconds), got {text!r}")
    percent, seconds = float(match[1]), float(match[2])
    if not 0 < percent < 100:
        raise StaffingError(f"target percent must lie between 0 and 100, got {text!r}")
    return percent / 100, seconds
