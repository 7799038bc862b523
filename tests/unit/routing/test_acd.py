"""The pure ACD decision: service order, skills, strategies, penalties, overflow, callbacks."""

from __future__ import annotations

import random

from routing.acd import (
    CallerKind,
    ConnectCaller,
    OperatorView,
    PlaceCallback,
    WaitingCaller,
    decide,
    match,
    plan,
)
from routing.operators import Operator, OperatorState, OperatorStatus, Tier
from routing.queues import Company, Language, load_queue_definitions

QUEUES = load_queue_definitions(
    {
        "queues": {
            "CZ-hi": {
                "company": "CZ",
                "language": "hi",
                "overflow_target": "WZ-hi",
                "overflow_after_s": 60,
            },
            "CZ-en": {"company": "CZ", "language": "en", "strategy": "fewestcalls"},
            "WZ-hi": {"company": "WZ", "language": "hi", "strategy": "linear"},
            "CZ-hazard": {"company": "CZ", "hazard": True, "weight": 10, "caller_priority": 9},
        }
    }
)


def view(
    op_id: str,
    *,
    langs: str = "hi",
    company: str = "CZ",
    state: OperatorState = OperatorState.READY,
    position: int = 0,
    calls: int = 0,
    tier: Tier = Tier.PRIMARY,
) -> OperatorView:
    op = Operator(
        op_id,
        op_id,
        "",
        "",
        frozenset(Language(x) for x in langs.split(",")),
        frozenset({Company(company)}),
        tier,
    )
    return OperatorView(op, OperatorStatus(state, 0.0, calls_taken=calls), position)


def caller(ident: str, queue: str = "CZ-hi", priority: int = 0, joined: float = 0.0):
    return WaitingCaller(ident, CallerKind.CALL, queue, priority, joined)


def run(waiting, operators, now: float = 10.0):
    actions = decide(QUEUES, waiting, operators, now, rr_positions={}, rng=random.Random(1))
    return [(a.caller.id, a.operator_id) for a in actions]


def test_no_operator_free_means_no_action() -> None:
    busy = [view("a", state=OperatorState.ON_CALL), view("b", state=OperatorState.PAUSED)]
    assert run([caller("c1")], busy) == []


def test_priority_then_join_time_within_a_queue() -> None:
    waiting = [caller("old", joined=1.0), caller("vip", priority=5, joined=9.0), caller("new")]
    assert run(waiting, [view("a")]) == [("vip", "a")]
    assert run(waiting[::2], [view("a")]) == [("new", "a")]  # joined 0.0 beats 1.0


def test_heavier_queue_first_for_shared_operators() -> None:
    waiting = [caller("normal", joined=0.0), caller("hazard", "CZ-hazard", 9, joined=5.0)]
    assert run(waiting, [view("a")]) == [("hazard", "a")]


def test_skills_match_language_and_company() -> None:
    operators = [view("en", langs="en"), view("west", company="WZ"), view("hi", position=3)]
    assert run([caller("c1"), caller("c2", "CZ-en", joined=1.0)], operators) == [
        ("c1", "hi"),
        ("c2", "en"),
    ]


def test_strategy_and_penalty_order_the_operators() -> None:
    operators = [view("busy-one", langs="en", calls=9), view("fresh", langs="en", calls=1)]
    assert run([caller("c1", "CZ-en")], operators) == [("c1", "fresh")]
    tiers = [view("standby", tier=Tier.STANDBY_1), view("primary", position=1)]
    assert run([caller("c1")], tiers) == [("c1", "primary")]


def test_each_operator_gets_one_caller_and_each_caller_one_operator() -> None:
    waiting = [caller(f"c{i}", joined=float(i)) for i in range(5)]
    operators = [view(f"op{i}", position=i) for i in range(3)]
    pairs = run(waiting, operators)
    assert [c for c, _ in pairs] == ["c0", "c1", "c2"]
    assert len({o for _, o in pairs}) == 3


def test_overflow_opens_the_target_queue_after_the_delay() -> None:
    west = [view("west", company="WZ")]
    assert run([caller("c1", joined=0.0)], west, now=59.0) == []
    assert run([caller("c1", joined=0.0)], west, now=60.0) == [("c1", "west")]


def test_own_queue_operators_are_preferred_to_overflow_ones() -> None:
    operators = [view("west", company="WZ", position=0), view("own", position=1)]
    built = plan(QUEUES, [caller("c1")], operators, 100.0, rr_positions={}, rng=random.Random(1))
    assert built.routes[0].queues == ("CZ-hi", "WZ-hi")
    assert [(a.caller.id, a.operator_id) for a in match(built)] == [("c1", "own")]


def test_a_callback_turn_yields_place_callback() -> None:
    waiting = [
        WaitingCaller("1234567890", CallerKind.CALLBACK, "CZ-hi", 0, 0.0),
        caller("c1", joined=5.0),
    ]
    actions = decide(
        QUEUES,
        waiting,
        [view("a"), view("b", position=1)],
        10.0,
        rr_positions={},
        rng=random.Random(1),
    )
    assert isinstance(actions[0], PlaceCallback) and actions[0].caller.id == "1234567890"
    assert isinstance(actions[1], ConnectCaller)


def test_expired_wrap_up_counts_as_free() -> None:
    wrapping = OperatorView(
        view("a").operator,
        OperatorStatus(OperatorState.WRAP_UP, 0.0, wrapup_until=10.0),
        0,
    )
    assert run([caller("c1")], [wrapping], now=9.0) == []
    assert run([caller("c1")], [wrapping], now=10.0) == [("c1", "a")]
