"""What the routing live state shows: the operator list, the wallboard, wait estimates and the
15-minute interval counters.

Read-only. The operator list and the wallboard come from one full snapshot
(:meth:`store.live_assignment.LiveAssignment.snapshot`, every operator and every queue's
summary, no waiting entries). A wait estimate (:func:`routing.wait.estimate_wait`) weighs the
operators serving the queue (settled against ``now``, so a finished wrap-up counts as ready),
the recent handle times kept per queue and the answers and abandons of the current and previous
interval (read in one round trip); given the caller's score, the same snapshot counts in every
queue the callers placed before it, so those of other queues that share the operators and come
first in the service order count as ahead too. Interval counters are the hashes the call events bump
(:mod:`store.live_effects`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from routing.acd import OperatorView
from routing.metrics import IntervalStats, interval_start, live_view
from routing.operators import Operator, OperatorState, settle
from routing.wait import (
    QueueLoad,
    WaitEstimate,
    WaitPolicy,
    estimate_wait,
    served_first,
    shared_ahead,
)
from store.live_assignment import LiveAssignment, Snapshot
from store.live_codec import text
from store.live_keys import HANDLE_SAMPLES, LiveKeys, reachable

_BUSY = (OperatorState.RINGING, OperatorState.ON_CALL, OperatorState.WRAP_UP)
_TAKING = (OperatorState.READY, *_BUSY)  # what the estimate counts as serving a queue


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
        self,
        queue: str,
        position: int | None,
        now: float,
        policy: WaitPolicy | None = None,
        *,
        score: float | None = None,
    ) -> WaitEstimate:
        """Estimated wait at ``position`` in ``queue`` from the operators and recent calls;
        with the caller's ``score``, also from the callers of other queues sharing those
        operators whom the service order puts first (:func:`routing.wait.shared_ahead`). With
        no ``position`` (a caller about to join), the place ``score`` would have."""
        snap = self._assignment.snapshot(now, 0, score=score)
        if position is None:
            position = (snap.placed_before or {}).get(queue, 0) + 1
        taking = [
            (view.operator, state)
            for view in snap.operators
            if (state := settle(view.status, now).state) in _TAKING
        ]
        definition = self._keys.queues[queue]
        states = [state for operator, state in taking if operator.serves(definition)]
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
        also_ahead = self._also_ahead(queue, snap, [operator for operator, _ in taking])
        return estimate_wait(position, load, policy, also_ahead=also_ahead)

    def _also_ahead(self, queue: str, snap: Snapshot, taking: list[Operator]) -> float:
        """Callers of other queues that ``queue``'s operators are expected to serve first
        (none known without a caller's score to place them against)."""
        if snap.placed_before is None:
            return 0.0
        queue_set = self._keys.queues
        waiting = {now.queue.name: now.waiting for now in snap.queues}
        first = {
            name: waiting.get(name, 0) if whole else snap.placed_before.get(name, 0)
            for name, whole in served_first(queue_set, queue)
        }
        serving = {q.name: {op.id for op in taking if op.serves(q)} for q in queue_set}
        return shared_ahead(queue, first, serving)

    def interval_stats(self, queue: str, start: int) -> IntervalStats:
        """The counters of one queue's 15-minute interval starting at ``start``."""
        with reachable():
            raw = self._keys.client.hgetall(self._keys.key("m", queue, str(start)))
        return _stats(queue, start, raw)


def _stats(queue: str, start: int, raw: dict[Any, Any]) -> IntervalStats:
    """One interval's counters from its hash as Redis returned it."""
    return IntervalStats.from_counters(queue, start, {text(k): float(v) for k, v in raw.items()})
