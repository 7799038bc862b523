"""What a storm simulation reports: per 15-minute interval, totals and the peak hour.

The simulator counts raw figures per interval under the same names as the live counters
(``routing.metrics.Counter``) and this module turns them into the figures a supervisor reads,
through the same :class:`routing.metrics.IntervalStats` the wallboard uses: service level is
answered within the threshold out of answered plus abandoned (a caller who gave up was not
served), ASA over answered calls. Abandonment rate is abandoned out of offered to the queues;
P(wait) the share of offered callers not answered at once. Calls turned into callbacks count as
offered but neither answered nor abandoned. Pure: values in, values out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from routing.metrics import INTERVAL_S, Counter, IntervalStats, combine
from routing.wait_accuracy import EstimateAccuracy, ToldWait, summarise

# Raw names beyond routing.metrics.Counter, counted per interval by the simulator.
CALLS = "calls"  # calls reaching the IVR (fresh and redials)
FRESH = "fresh"
REDIALS = "redials"
DEFLECTED = "deflected"  # finished in the outage IVR
NOT_CALLED = "not_called"  # would have called, but the outage SMS told them first
BLOCKED = "blocked"  # found the queue full
IMMEDIATE = "answered_at_once"
CALLBACKS_REQUESTED = "callbacks_requested"
CALLBACKS_DONE = "callbacks_done"
CALLBACKS_FAILED = "callbacks_failed"
STAFFED_SUM, STAFFED_MAX = "staffed_sum", "staffed_max"
WAITING_SUM, WAITING_MAX = "waiting_sum", "waiting_max"
SAMPLES = "samples"


@dataclass(frozen=True, slots=True)
class IntervalReport:
    start: datetime
    calls: int
    redials: int
    deflected: int
    offered: int
    answered: int
    abandoned: int
    service_level: float | None
    asa_s: float | None
    operators: float  # mean staffed (logged in, taking calls)
    operators_max: int
    waiting: float  # mean callers waiting
    waiting_max: int
    callbacks_requested: int
    not_called: int = 0  # told of their fault by SMS before they would have called


@dataclass(frozen=True, slots=True)
class Totals:
    calls: int
    fresh: int
    redials: int
    deflected: int
    offered: int
    blocked: int
    answered: int
    abandoned: int
    abandon_rate: float | None
    service_level: float | None
    p_wait: float | None
    asa_s: float | None
    callbacks_requested: int
    callbacks_done: int
    callbacks_failed: int
    callbacks_cancelled: int
    operators_max: int
    not_called: int = 0


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    at: datetime
    action: str
    target: int
    staffed: int
    reason: str


@dataclass(frozen=True, slots=True)
class SimulationReport:
    scenario: str
    seed: int
    outage_ivr: bool
    scaling: bool
    hours: float
    events: int
    warning: str | None  # the storm warning entered before the run, if any
    outage_sms: bool  # consumers cut off were told by SMS
    intervals: tuple[IntervalReport, ...]
    totals: Totals
    peak_hour: Totals
    peak_hour_start: datetime | None
    decisions: tuple[DecisionRecord, ...]
    # What callers were told of their wait against what they waited (whole run, peak hour).
    wait_estimates: EstimateAccuracy = EstimateAccuracy()
    peak_hour_wait_estimates: EstimateAccuracy = EstimateAccuracy()

    def as_dict(self) -> dict[str, object]:
        """JSON-ready (times as ISO 8601 text)."""
        return _jsonable(asdict(self))  # type: ignore[return-value]


def _jsonable(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _stats(counters: Mapping[str, float], start: int) -> IntervalStats:
    return IntervalStats.from_counters("all", start, counters)


def interval_report(start: datetime, counters: Mapping[str, float]) -> IntervalReport:
    """One interval's figures from its raw counters."""
    stats = _stats(counters, 0)
    samples = counters.get(SAMPLES, 0.0)
    return IntervalReport(
        start=start,
        calls=int(counters.get(CALLS, 0)),
        redials=int(counters.get(REDIALS, 0)),
        deflected=int(counters.get(DEFLECTED, 0)),
        offered=stats.offered,
        answered=stats.answered,
        abandoned=stats.abandoned,
        service_level=stats.service_level,
        asa_s=stats.asa_s,
        operators=counters.get(STAFFED_SUM, 0.0) / samples if samples else 0.0,
        operators_max=int(counters.get(STAFFED_MAX, 0)),
        waiting=counters.get(WAITING_SUM, 0.0) / samples if samples else 0.0,
        waiting_max=int(counters.get(WAITING_MAX, 0)),
        callbacks_requested=int(counters.get(CALLBACKS_REQUESTED, 0)),
        not_called=int(counters.get(NOT_CALLED, 0)),
    )


def totals(intervals: Sequence[Mapping[str, float]]) -> Totals:
    """Sums over ``intervals``; the ratios are recomputed from the sums, never averaged."""

    def total(name: str) -> int:
        return int(sum(counters.get(name, 0) for counters in intervals))

    stats = combine((_stats(c, 0) for c in intervals), queue="all", start=0)
    offered = stats.offered
    return Totals(
        calls=total(CALLS), fresh=total(FRESH), redials=total(REDIALS),
        deflected=total(DEFLECTED), offered=offered, blocked=total(BLOCKED),
        answered=stats.answered, abandoned=stats.abandoned,
        abandon_rate=_ratio(stats.abandoned, offered), service_level=stats.service_level,
        p_wait=_ratio(offered - total(IMMEDIATE), offered), asa_s=stats.asa_s,
        callbacks_requested=total(CALLBACKS_REQUESTED), callbacks_done=total(CALLBACKS_DONE),
        callbacks_failed=total(CALLBACKS_FAILED),
        callbacks_cancelled=total(Counter.CALLBACKS_CANCELLED),
        operators_max=max((int(c.get(STAFFED_MAX, 0)) for c in intervals), default=0),
        not_called=total(NOT_CALLED),
    )  # fmt: skip


def build_report(
    *,
    start: datetime,
    intervals: Sequence[Mapping[str, float]],
    header: Mapping[str, object],
    events: int,
    decisions: Sequence[DecisionRecord],
    told: Sequence[ToldWait] = (),
    hung_up_after_estimate: Sequence[float] = (),
) -> SimulationReport:
    """The whole report; the peak hour is the clock hour with the most fresh calls, counting
    those the outage SMS kept from calling (the same hour whatever the variant: redials depend
    on how well the callers were served). ``told``: the estimates callers answered on the line
    heard; ``hung_up_after_estimate``: when those who heard one and hung up joined. Estimates
    belong to the hour their caller joined in."""
    per_hour = 3600 // INTERVAL_S
    hours = [intervals[i : i + per_hour] for i in range(0, len(intervals), per_hour)]

    def would_call(hour: Sequence[Mapping[str, float]]) -> float:
        return sum(c.get(FRESH, 0) + c.get(NOT_CALLED, 0) for c in hour)

    busiest = max(range(len(hours)), key=lambda h: would_call(hours[h]))

    def in_peak(at_s: float) -> bool:
        return busiest * 3600 <= at_s < (busiest + 1) * 3600

    return SimulationReport(
        scenario=str(header["scenario"]),
        seed=int(header["seed"]),  # type: ignore[call-overload]
        outage_ivr=bool(header["outage_ivr"]),
        scaling=bool(header["scaling"]),
        hours=float(header["hours"]),  # type: ignore[arg-type]
        events=events,
        warning=None if header.get("warning") is None else str(header["warning"]),
        outage_sms=bool(header.get("outage_sms", False)),
        intervals=tuple(
            interval_report(start + timedelta(seconds=i * INTERVAL_S), c)
            for i, c in enumerate(intervals)
        ),
        totals=totals(intervals),
        peak_hour=totals(hours[busiest]) if hours else totals([]),
        peak_hour_start=start + timedelta(hours=busiest) if hours else None,
        decisions=tuple(decisions),
        wait_estimates=summarise(told, hung_up=len(hung_up_after_estimate)),
        peak_hour_wait_estimates=summarise(
            [w for w in told if in_peak(w.at_s)],
            hung_up=sum(map(in_peak, hung_up_after_estimate)),
        ),
    )
