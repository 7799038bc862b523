"""Assignment rounds over the routing live state: one snapshot, the pure ACD, one atomic claim.

A round reads everything the ACD needs in one round trip (``lua/snapshot.lua``: operators with
their status and registration place, the head of every queue, round-robin positions, and the
earliest due time of a parked callback). Operator profiles change rarely, so they are cached
and reloaded only when ``ops:rev`` moved. Parked callbacks that are due go back to their place
first, so they compete with the callers who joined after them. The pure ACD
(:func:`routing.acd.plan`) ranks, and ``lua/claim.lua`` re-checks every caller/operator pair
as it reserves it, so concurrent rounds in several processes never double-assign. The same
snapshot, taken for every operator rather than only free ones, feeds the live views.

When exactly one operator is free (the usual round under load: callers wait, operators come
free one at a time), no strategy can matter, only which caller comes first; the snapshot
script then applies the ACD's service order itself and claims in the same round trip, given
the queues' weights, skills and overflow rules (:func:`queue_spec`). Its choice is held to
:func:`routing.acd.decide`'s by a test over random states.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from routing import acd
from routing.acd import Action, OperatorView, PlaceCallback, WaitingCaller
from routing.metrics import QueueNow
from routing.operators import Operator
from routing.queues import QueueSet
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
    # The claim of a round the script decided itself (one free operator), as claim.lua
    # answers it; None when the round is left to the ACD here.
    claimed: list[Any] | None = None
    # Per queue, the callers placed before the score the snapshot was asked about.
    placed_before: dict[str, int] | None = None


class LiveAssignment:
    """Snapshots of the live state, and the assignment rounds made from them."""

    def __init__(self, keys: LiveKeys, callbacks: CallbackRouting, rng: random.Random) -> None:
        self._keys = keys
        self._callbacks = callbacks
        self._rng = rng
        self._profiles: tuple[str, dict[str, Operator]] = ("", {})
        self._spec: tuple[QueueSet | None, str] = (None, "")

    def assign(self, now: float, resync: Callable[[], None] | None = None) -> list[Action]:
        """Give waiting callers to free operators; what to do for each (connect or dial back).

        ``resync`` is called when the snapshot finds no operator registered at all (Redis lost
        its data), to register them again before the round goes on; the same round trip tells,
        so a round costs nothing extra to find out.
        """
        snap = self._round(now)
        if not snap.operators_known and resync is not None:
            resync()
            snap = self._round(now)
        if snap.next_retry is not None and snap.next_retry <= now:
            self._callbacks.release_due(now)
            snap = self._round(now)
        if snap.claimed is not None:  # one free operator: the script decided and claimed
            return self._actions(snap.claimed)
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
        return self._actions(self._keys.run("claim", [repr(now), *plan_args(the_plan)]))

    def _round(self, now: float) -> Snapshot:
        """The free operators' snapshot, which decides the round itself if only one is free."""
        queue_set, spec = self._spec
        if queue_set is not self._keys.queues:  # first round, or an administrator's edit
            queue_set = self._keys.queues
            spec = queue_spec(queue_set)
            self._spec = (queue_set, spec)
        return self.snapshot(now, ENTRY_CAP, only_free=True, decide_one=spec)

    def _actions(self, flat: list[Any]) -> list[Action]:
        """The actions for a claim script's answer (member, queue, operator, score each)."""
        actions = []
        for i in range(0, len(flat), 4):
            member, queue, operator_id = (text(v) for v in flat[i : i + 3])
            caller = caller_of(member, queue, float(flat[i + 3]))
            action = acd.to_action(caller, operator_id)
            if isinstance(action, PlaceCallback):
                action = PlaceCallback(caller, operator_id, self._callbacks.pending(caller.id))
            actions.append(action)
        return actions

    def snapshot(
        self,
        now: float,
        cap: int,
        *,
        only_free: bool = False,
        decide_one: str = "",
        score: float | None = None,
    ) -> Snapshot:
        """The live state, with up to ``cap`` waiting entries per queue; ``only_free`` leaves
        out busy operators and the queue summaries (what an assignment round needs).
        ``decide_one`` (a :func:`queue_spec`, with ``only_free``) lets the script decide and
        claim a round with one free operator (then ``claimed`` holds what it did). With a
        caller's ``score`` (not with ``only_free``), ``placed_before`` counts per queue the
        callers scored below it."""
        queue_set = self._keys.queues
        cached_rev, cache = self._profiles
        scope = "free" if only_free else "all"
        rev, profiles, rows, rr, queues, next_retry, known, *claimed = self._keys.run(
            "snapshot",
            [
                repr(now),
                cached_rev,
                cap,
                scope,
                "\t".join(queue_set.names),
                decide_one,
                "" if score is None else repr(score),
            ],
        )
        if text(rev) != cached_rev:
            cache = {op.id: op for op in map(profile_of, profiles)}
            self._profiles = (text(rev), cache)
        waiting: list[WaitingCaller] = []
        queue_now: list[QueueNow] = []
        before: dict[str, int] = {}
        # No lines at all when the round found nobody free (then the script reads no queue).
        queue_lines = lines(queues)
        for definition, line in zip(queue_set, queue_lines, strict=bool(queue_lines)):
            count, oldest, placed, *entries = line.split("\t")
            if not only_free:
                queue_now.append(QueueNow(definition, int(count), optional_float(oldest)))
            if placed:
                before[definition.name] = int(placed)
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
            claimed[0] if claimed else None,
            before if score is not None else None,
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


def queue_spec(queue_set: QueueSet) -> str:
    """What the snapshot script needs to decide a one-operator round: per queue a line
    "name weight company language overflow-target overflow-after" ('' for none)."""
    rows = []
    for queue in queue_set:
        after = queue.overflow_after_s
        fields = (
            queue.name,
            str(queue.weight),
            queue.company.value,
            "" if queue.language is None else queue.language.value,
            queue.overflow_target or "",
            "" if after is None else repr(float(after)),
        )
        rows.append("\t".join(fields))
    return "\n".join(rows)


def plan_args(the_plan: acd.Plan) -> list[str | int]:
    """Flatten a plan into the claim script's ARGV layout (see lua/claim.lua)."""
    args: list[str | int] = [len(the_plan.rankings)]
    for name, ranking in the_plan.rankings.items():
        args += [name, len(ranking), *ranking]
    for route in the_plan.routes:
        caller = route.caller
        args += [member_of(caller.kind, caller.id), caller.queue, len(route.queues), *route.queues]
    return args
