"""The ACD decision: which waiting caller goes to which free operator.

:func:`plan` turns a snapshot (waiting callers, operators, queue definitions, ``now``) into a
:class:`Plan`: callers in service order (heavier queue first, then higher priority, then
earlier original join time), each with the queues whose operators may take them (its own, plus
the overflow target once it has waited ``overflow_after_s``), and per queue its free, skilled
operators ranked by the queue's strategy and penalty tier. :func:`match` walks the plan
greedily. The live-state adapter hands the same plan to an atomic script that re-checks every
pair against the live state, so a stale plan can cost an assignment but never double one.
Pure: stdlib only; ``now`` and the random generator are passed in.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from routing.callbacks import Callback
from routing.operators import Operator, OperatorStatus, is_available
from routing.queues import QueueDefinition, QueueSet
from routing.strategies import Candidate, rank


class CallerKind(StrEnum):
    CALL = "call"  # a caller on the line, waiting
    CALLBACK = "callback"  # a consumer who asked to be called back; keeps the caller's place


@dataclass(frozen=True, slots=True)
class WaitingCaller:
    """One entry of a queue: a call id, or a consumer id for a callback."""

    id: str
    kind: CallerKind
    queue: str
    priority: int
    joined: float  # the ORIGINAL join time, kept across a callback or a ring-no-answer


@dataclass(frozen=True, slots=True)
class OperatorView:
    """An operator as the ACD sees them: profile, live status and listed position."""

    operator: Operator
    status: OperatorStatus
    position: int


@dataclass(frozen=True, slots=True)
class Route:
    """A caller and, in order of preference, the queues whose operators may take them."""

    caller: WaitingCaller
    queues: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """Callers in service order and, per queue, free operators in offer order."""

    routes: tuple[Route, ...]
    rankings: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class ConnectCaller:
    """Bridge the waiting caller to the operator (who is now ringing)."""

    caller: WaitingCaller
    operator_id: str


@dataclass(frozen=True, slots=True)
class PlaceCallback:
    """Dial the consumer back for the operator (who is now reserved, ringing)."""

    caller: WaitingCaller
    operator_id: str
    callback: Callback | None = None  # the stored request, filled in by the live-state adapter


Action = ConnectCaller | PlaceCallback


def service_key(queue_set: QueueSet, caller: WaitingCaller) -> tuple[int, int, float, str]:
    """Sort key of the global service order (smaller first)."""
    return (-queue_set[caller.queue].weight, -caller.priority, caller.joined, caller.id)


def routes_for(queue: QueueDefinition, caller: WaitingCaller, now: float) -> tuple[str, ...]:
    """Own queue, then the overflow target once the caller has waited long enough.

    >>> from routing.queues import load_queue_definitions
    >>> qs = load_queue_definitions({"queues": {
    ...     "a": {"company": "CZ", "language": "hi", "overflow_target": "b",
    ...           "overflow_after_s": 60},
    ...     "b": {"company": "WZ", "language": "hi"}}})
    >>> c = WaitingCaller("c1", CallerKind.CALL, "a", 0, joined=100.0)
    >>> routes_for(qs["a"], c, now=159.0), routes_for(qs["a"], c, now=160.0)
    (('a',), ('a', 'b'))
    """
    after, target = queue.overflow_after_s, queue.overflow_target
    if target is not None and after is not None and now - caller.joined >= after:
        return (queue.name, target)
    return (queue.name,)


def plan(
    queue_set: QueueSet,
    waiting: Sequence[WaitingCaller],
    operators: Sequence[OperatorView],
    now: float,
    *,
    rr_positions: Mapping[str, int],
    rng: random.Random,
) -> Plan:
    """Build the plan; ``rr_positions`` holds, per queue, the listed position last given a call."""
    callers = sorted(waiting, key=lambda caller: service_key(queue_set, caller))
    routes = tuple(Route(c, routes_for(queue_set[c.queue], c, now)) for c in callers)
    needed = {name for route in routes for name in route.queues}
    free = [view for view in operators if is_available(view.status, now)]
    rankings = {
        name: tuple(_ranking(queue_set[name], free, rr_positions.get(name), rng))
        for name in sorted(needed)
    }
    return Plan(routes, rankings)


def _ranking(
    queue: QueueDefinition, free: Sequence[OperatorView], last: int | None, rng: random.Random
) -> list[str]:
    candidates = [
        Candidate(view.operator, view.status, view.position)
        for view in free
        if view.operator.serves(queue)
    ]
    return rank(queue.strategy, candidates, last_position=last, rng=rng)


def match(the_plan: Plan) -> list[Action]:
    """Greedy assignment: each caller in order takes the first operator not yet taken."""
    taken: set[str] = set()
    actions: list[Action] = []
    for route in the_plan.routes:
        operator_id = _first_free(route, the_plan.rankings, taken)
        if operator_id is not None:
            taken.add(operator_id)
            actions.append(to_action(route.caller, operator_id))
    return actions


def _first_free(
    route: Route, rankings: Mapping[str, tuple[str, ...]], taken: set[str]
) -> str | None:
    for name in route.queues:
        for operator_id in rankings.get(name, ()):
            if operator_id not in taken:
                return operator_id
    return None


def to_action(caller: WaitingCaller, operator_id: str) -> Action:
    if caller.kind is CallerKind.CALLBACK:
        return PlaceCallback(caller, operator_id)
    return ConnectCaller(caller, operator_id)


def decide(
    queue_set: QueueSet,
    waiting: Sequence[WaitingCaller],
    operators: Sequence[OperatorView],
    now: float,
    *,
    rr_positions: Mapping[str, int],
    rng: random.Random,
) -> list[Action]:
    """The assignments to make now (``plan`` then ``match``)."""
    built = plan(queue_set, waiting, operators, now, rr_positions=rr_positions, rng=rng)
    return match(built)
