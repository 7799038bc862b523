"""Queue metrics: 15-minute interval statistics and the live view, as plain values.

The live-state adapter keeps raw counters per queue and interval (see :class:`Counter`); this
module turns them into the figures a supervisor reads: service level (answered within the
queue's threshold, out of answered plus abandoned: a caller who gave up was not served), ASA
and handle time. :func:`live_view` builds the wallboard's dict, ready for JSON. Pure: stdlib
only; ``now`` is passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from routing.acd import OperatorView
from routing.operators import OperatorState, settle
from routing.queues import QueueDefinition

INTERVAL_S = 900


class Counter:
    """Names of the raw counters kept per queue and interval."""

    OFFERED = "offered"
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    WITHIN_SL = "answered_within_sl"
    WAIT_SUM = "wait_sum_s"  # of answered calls
    HANDLE_SUM = "handle_sum_s"  # talk + wrap-up
    HANDLED = "handled"
    CALLBACKS_CANCELLED = "callbacks_cancelled"


def interval_start(now: float) -> int:
    """Start (epoch seconds) of the 15-minute interval holding ``now``.

    >>> interval_start(1_700_000_899.9) - interval_start(1_700_000_000.0), 1_700_000_100 % 900
    (900, 0)
    """
    return int(now // INTERVAL_S) * INTERVAL_S


@dataclass(frozen=True, slots=True)
class IntervalStats:
    """One queue over one or more whole intervals."""

    queue: str
    start: int
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    answered_within_sl: int = 0
    wait_sum_s: float = 0.0
    handle_sum_s: float = 0.0
    handled: int = 0
    callbacks_cancelled: int = 0

    @classmethod
    def from_counters(cls, queue: str, start: int, counters: Mapping[str, float]) -> IntervalStats:
        def whole(name: str) -> int:
            return int(counters.get(name, 0))

        return cls(
            queue,
            start,
            offered=whole(Counter.OFFERED),
            answered=whole(Counter.ANSWERED),
            abandoned=whole(Counter.ABANDONED),
            answered_within_sl=whole(Counter.WITHIN_SL),
            wait_sum_s=float(counters.get(Counter.WAIT_SUM, 0.0)),
            handle_sum_s=float(counters.get(Counter.HANDLE_SUM, 0.0)),
            handled=whole(Counter.HANDLED),
            callbacks_cancelled=whole(Counter.CALLBACKS_CANCELLED),
        )

    @property
    def service_level(self) -> float | None:
        """Share answered within the threshold, of those answered or abandoned.

        >>> IntervalStats("q", 0, answered=8, abandoned=2, answered_within_sl=6).service_level
        0.6
        """
        served_or_lost = self.answered + self.abandoned
        return self.answered_within_sl / served_or_lost if served_or_lost else None

    @property
    def asa_s(self) -> float | None:
        """Average speed of answer, seconds."""
        return self.wait_sum_s / self.answered if self.answered else None

    @property
    def aht_s(self) -> float | None:
        """Average handle time, seconds."""
        return self.handle_sum_s / self.handled if self.handled else None

    def as_dict(self) -> dict[str, object]:
        return {
            "queue": self.queue,
            "start": self.start,
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "answered_within_sl": self.answered_within_sl,
            "service_level": self.service_level,
            "asa_s": self.asa_s,
            "aht_s": self.aht_s,
            "callbacks_cancelled": self.callbacks_cancelled,
        }


def combine(stats: Iterable[IntervalStats], *, queue: str, start: int) -> IntervalStats:
    """Sum several intervals (or queues) into one; the ratios are recomputed, not averaged."""
    total = IntervalStats(queue, start)
    for part in stats:
        total = IntervalStats(
            queue,
            start,
            offered=total.offered + part.offered,
            answered=total.answered + part.answered,
            abandoned=total.abandoned + part.abandoned,
            answered_within_sl=total.answered_within_sl + part.answered_within_sl,
            wait_sum_s=total.wait_sum_s + part.wait_sum_s,
            handle_sum_s=total.handle_sum_s + part.handle_sum_s,
            handled=total.handled + part.handled,
            callbacks_cancelled=total.callbacks_cancelled + part.callbacks_cancelled,
        )
    return total


@dataclass(frozen=True, slots=True)
class QueueNow:
    """What is waiting in one queue right now."""

    queue: QueueDefinition
    waiting: int
    oldest_joined: float | None  # original join time of the longest-waiting entry


def live_view(
    now: float, queues: Sequence[QueueNow], operators: Sequence[OperatorView]
) -> dict[str, object]:
    """The wallboard's live state as a JSON-ready dict (wrap-up settled against ``now``)."""
    settled = [(view, settle(view.status, now)) for view in operators]
    queue_part: dict[str, object] = {}
    for entry in queues:
        by_state = {state.value: 0 for state in OperatorState}
        for view, status in settled:
            if view.operator.serves(entry.queue):
                by_state[status.state.value] += 1
        oldest = entry.oldest_joined
        queue_part[entry.queue.name] = {
            "waiting": entry.waiting,
            "longest_wait_s": 0.0 if oldest is None else round(max(0.0, now - oldest), 1),
            "operators": by_state,
        }
    operator_part = {
        view.operator.id: {
            "name": view.operator.name,
            "state": status.state.value,
            "since": status.since,
            "reason": status.reason,
            "calls_taken": status.calls_taken,
        }
        for view, status in settled
    }
    return {"at": now, "queues": queue_part, "operators": operator_part}
