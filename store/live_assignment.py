"""Assignment rounds over the routing live state: one snapshot, the pure ACD, one atomic claim.

A round reads everything the ACD needs in one round trip (``lua/snapshot.lua``: operators with
their status and registration place, the head of every queue, round-robin positions, and the
earliest due time of a parked callback). Operator profiles change rarely, so they are cached
and reloaded only when ``ops:rev`` moved. Parked callbacks that are due go back to their place
first, so they compete with the callers who joined after them. The pure ACD
(:func:`routing.acd.plan`) ranks, and ``lua/claim.lua`` re-checks every caller/operator pair
as it reserves it, so concurrent rounds in several processes never double-assign. The same
snapshot, taken for every operator rather than only free ones, feeds the live views.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from routing import acd
from routing.acd import Action, OperatorView, PlaceCallback, WaitingCaller
from routing.metrics import QueueNow
from routing.operators import Operator
from store.live_callback_routing import CallbackRouting
from store.live_codec import (
    caller_of,
    lines,
    member_of,
    optional_float,
    profile_of,
    status_of,
    text,
)
from store.live_keys import LiveKeys

ENTRY_CAP = 200  # waiting entries per queue read in one assignment round


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The routing live state at one moment, as the snapshot script read it."""

    operators: tuple[OperatorView, ...]
    waiting: tuple[WaitingCaller, ...]
    queues: tuple[QueueNow, ...]
    rr_positions: dict[str, int]
    next_retry: float | None  # the earliest due time of a parked callback
    operators_known: bool  # False when no operator is registered (Redis lost its data)


class LiveAssignment:
    """Snapshots of the live state, and the assignment rounds made from them."""

    def __init__(self, keys: LiveKeys, callbacks: CallbackRouting, rng: random.Random) -> None:
        self._keys = keys
        self._callbacks = callbacks
        self._rng = rng
        self._profiles: tuple[str, dict[str, Operator]] = ("", {})

    def assign(self, now: float, resync: Callable[[], None] | None = None) -> list[Action]:
        """Give waiting callers to free operators; what to do for each (connect or dial back).

        ``resync`` is called when the snapshot finds no operator registered at all (Redis lost
        its data), to register them again before the round goes on; the same round trip tells,
        so a round costs nothing extra to find out.
        """
        snap = self.snapshot(now, ENTRY_CAP, only_free=True)
        if not snap.operators_known and resync is not None:
            resync()
            snap = self.snapshot(now, ENTRY_CAP, only_free=True)
        if snap.next_retry is not None and snap.next_retry <= now:
            self._callbacks.release_due(now)
            snap = self.snapshot(now, ENTRY_CAP, only_free=True)
        the_plan = acd.plan(
            self._keys.queues,
            snap.waiting,
            snap.operators,
            now,
            rr_positions=snap.rr_positions,
            rng=self._rng,
        )
        if not acd.match(the_plan):
            return []
        flat = self._keys.run("claim", [repr(now), *plan_args(the_plan)])
        actions = []
        for i in range(0, len(flat), 4):
            member, queue, operator_id = (text(v) for v in flat[i : i + 3])
            caller = caller_of(member, queue, float(flat[i + 3]))
            action = acd.to_action(caller, operator_id)
            if isinstance(action, PlaceCallback):
                action = PlaceCallback(caller, operator_id, self._callbacks.pending(caller.id))
            actions.append(action)
        return actions

    def snapshot(self, now: float, cap: int, *, only_free: bool = False) -> Snapshot:
        """The live state, with up to ``cap`` waiting entries per queue; ``only_free`` leaves
        out busy operators and the queue summaries (what an assignment round needs)."""
        queue_set = self._keys.queues
        cached_rev, cache = self._profiles
        scope = "free" if only_free else "all"
        rev, profiles, rows, rr, queues, next_retry, known = self._keys.run(
            "snapshot", [repr(now), cached_rev, cap, scope, "\t".join(queue_set.names)]
        )
        if text(rev) != cached_rev:
            cache = {op.id: op for op in map(profile_of, profiles)}
            self._profiles = (text(rev), cache)
        waiting: list[WaitingCaller] = []
        queue_now: list[QueueNow] = []
        # No lines at all when the round found nobody free (then the script reads no queue).
        queue_lines = lines(queues)
        for definition, line in zip(queue_set, queue_lines, strict=bool(queue_lines)):
            count, oldest, *entries = line.split("\t")
            if not only_free:
                queue_now.append(QueueNow(definition, int(count), optional_float(oldest)))
            waiting.extend(
                caller_of(entries[i], definition.name, float(entries[i + 1]))
                for i in range(0, len(entries), 2)
            )
        return Snapshot(
            _operator_views(rows, cache),
            tuple(waiting),
            tuple(queue_now),
            _rr_positions(rr),
            optional_float(text(next_retry)),
            bool(int(known)),
        )


def _operator_views(rows: object, profiles: dict[str, Operator]) -> tuple[OperatorView, ...]:
    """The snapshot's operator rows (id, registration place, status fields) with profiles."""
    views = []
    for row in lines(rows):
        op_id, position, *fields = row.split("\t")
        if op_id in profiles:
            views.append(OperatorView(profiles[op_id], status_of(fields), int(float(position))))
    return tuple(views)


def _rr_positions(packed: object) -> dict[str, int]:
    """Round-robin positions per queue from the snapshot's ``queue<TAB>position…`` text."""
    pairs = text(packed).split("\t") if packed else []
    return {pairs[i]: int(float(pairs[i + 1])) for i in range(0, len(pairs) - 1, 2)}


def plan_args(the_plan: acd.Plan) -> list[str | int]:
    """Flatten a plan into the claim script's ARGV layout (see lua/claim.lua)."""
    args: list[str | int] = [len(the_plan.rankings)]
    for name, ranking in the_plan.rankings.items():
        args += [name, len(ranking), *ranking]
    for route in the_plan.routes:
        caller = route.caller
        args += [member_of(caller.kind, caller.id), caller.queue, len(route.queues), *route.queues]
    return args
