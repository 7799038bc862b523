"""What the routing live state shows: the operator list, the wallboard, wait estimates and the
15-minute interval counters.

Read-only. The operator list and the wallboard come from one full snapshot
(:meth:`store.live_assignment.LiveAssignment.snapshot`, every operator and every queue's
summary, no waiting entries). A wait estimate (:func:`routing.wait.estimate_wait`) weighs the
operators serving the queue (settled against ``now``, so a finished wrap-up counts as ready),
the recent handle times kept per queue and the answers and abandons of the current and previous
interval (read in one round trip). Interval counters are the hashes the call events bump
(:mod:`store.live_effects`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from routing.acd import OperatorView
from routing.metrics import IntervalStats, interval_start, live_view
from routing.operators import OperatorState, settle
from routing.wait import QueueLoad, WaitEstimate, WaitPolicy, estimate_wait
from store.live_assignment import LiveAssignment
from store.live_codec import text
from store.live_keys import HANDLE_SAMPLES, LiveKeys, reachable

_BUSY = (OperatorState.RINGING, OperatorState.ON_CALL, OperatorState.WRAP_UP)


class LiveViews:
    """Read views of the routing live state."""

    def __init__(self, keys: LiveKeys, assignment: LiveAssignment) -> None:
        self._keys = keys
        self._assignment = assignment

    def operators(self, now: float) -> list[OperatorView]:
        """Every registered operator with their status as stored (settle against ``now``)."""
        return list(self._assignment.snapshot(now, 0).operators)

    def live(self, now: float, resync: Callable[[], None] | None = None) -> dict[str, object]:
        """The wallboard view (``GET /api/live``): JSON-ready. ``resync`` runs first when the
        snapshot finds no operator registered (Redis lost its data), as for a round."""
        snap = self._assignment.snapshot(now, 0)
        if not snap.operators_known and resync is not None:
            resync()
            snap = self._assignment.snapshot(now, 0)
        return live_view(now, snap.queues, snap.operators)

    def estimate(
        self, queue: str, position: int, now: float, policy: WaitPolicy | None = None
    ) -> WaitEstimate:
        """Estimated wait at ``position`` in ``queue`` from the operators and recent calls."""
        definition = self._keys.queues[queue]
        serving = [v for v in self.operators(now) if v.operator.serves(definition)]
        states = [settle(view.status, now).state for view in serving]
        # The last two intervals' counters and the recent handle times in one round trip.
        starts = [interval_start(now) - 900, interval_start(now)]
        with reachable():
            pipe = self._keys.client.pipeline(transaction=False)
            for start in starts:
                pipe.hgetall(self._keys.key("m", queue, str(start)))
            pipe.lrange(self._keys.key("ht", queue), 0, HANDLE_SAMPLES - 1)
            *counters, samples = pipe.execute()
        recent = [_stats(queue, start, raw) for start, raw in zip(starts, counters, strict=True)]
        load = QueueLoad(
            ready=sum(state is OperatorState.READY for state in states),
            busy=sum(state in _BUSY for state in states),
            handle_times=[float(sample) for sample in samples],
            answered=sum(stats.answered for stats in recent),
            abandoned=sum(stats.abandoned for stats in recent),
        )
        return estimate_wait(position, load, policy)

    def interval_stats(self, queue: str, start: int) -> IntervalStats:
        """The counters of one queue's 15-minute interval starting at ``start``."""
        with reachable():
            raw = self._keys.client.hgetall(self._keys.key("m", queue, str(start)))
        return _stats(queue, start, raw)


def _stats(queue: str, start: int, raw: dict[Any, Any]) -> IntervalStats:
    """One interval's counters from its hash as Redis returned it."""
    return IntervalStats.from_counters(queue, start, {text(k): float(v) for k, v in raw.items()})
