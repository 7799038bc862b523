"""A round with one free operator is decided inside the snapshot script (one round trip).

The script applies the ACD's service order itself, so its choice is held here to the pure
ACD's (:func:`routing.acd.decide`) over random states: queues of random weights, skills and
overflow rules, callers and call backs of random priorities and join times (ties included),
operators of random skills of whom exactly one is free, or in wrap-up that has run out.
"""

from __future__ import annotations

import random

import pytest
import redis

from routing import acd
from routing.acd import CallerKind, WaitingCaller
from routing.operators import LoggedIn, Operator, OperatorState, Paused, Tier
from routing.queues import Company, Language, QueueSet, decode_score, load_queue_definitions
from store.live_routing import RedisLiveState

T0 = 1_700_000_100.0
CASES = 150


def random_queues(rng: random.Random) -> QueueSet:
    names = [f"q{i}" for i in range(rng.randint(2, 6))]
    queues: dict[str, object] = {}
    for name in names:
        spec: dict[str, object] = {
            "company": rng.choice(list(Company)).value,
            "weight": rng.choice([0, 0, 1, 5]),
            "wrapup_s": rng.choice([0, 10]),
        }
        if rng.random() < 0.7:
            spec["language"] = rng.choice(list(Language)).value
        else:
            spec["hazard"] = True
        if rng.random() < 0.5:
            spec["overflow_target"] = rng.choice([n for n in names if n != name])
            spec["overflow_after_s"] = rng.choice([0, 30, 90, 150])
        queues[name] = spec
    return load_queue_definitions({"queues": queues})


def random_operator(rng: random.Random, op_id: str) -> Operator:
    languages = frozenset(rng.sample(list(Language), rng.randint(1, len(Language))))
    companies = frozenset(rng.sample(list(Company), rng.randint(1, 2)))
    return Operator(op_id, op_id, "+91", f"PJSIP/{op_id}", languages, companies, Tier.PRIMARY)


def build_state(live: RedisLiveState, rng: random.Random, now: float) -> None:
    """Operators (one free: ready, or a wrap-up that has run out) and waiting callers."""
    count = rng.randint(1, 5)
    free = rng.randrange(count)
    for index in range(count):
        op = random_operator(rng, f"op{index}")
        live.register_operator(op, T0)
        live.apply(op.id, LoggedIn(), T0)
        if index != free:
            live.apply(op.id, Paused("tea"), T0)
    names = live.queues.names
    for index in range(rng.randint(0, 12)):
        queue = rng.choice(names)
        joined = T0 + rng.choice([0, 0, 5, 40, 100, 130])  # whole seconds: ties across queues
        call_id = f"c{rng.randint(0, 99):02d}{index}"
        live.enqueue(call_id, queue, rng.choice([0, 0, 1, 3]), joined)
        if rng.random() < 0.25:  # a consumer asks to be called back, keeping the place
            live.request_callback(call_id, consumer_id=f"k{index}", phone="+91", now=joined)


def heads(live: RedisLiveState, client: redis.Redis) -> list[WaitingCaller]:
    """The first caller of every queue (all a one-operator round looks at)."""
    out = []
    for name in live.queues.names:
        for member, score in client.zrange(f"h1912:q:{name}", 0, 0, withscores=True):
            kind, _, ident = member.decode().partition(":")
            priority, joined = decode_score(score)
            out.append(WaitingCaller(ident, CallerKind(kind), name, priority, joined))
    return out


@pytest.mark.parametrize("seed", range(CASES))
def test_script_round_matches_the_pure_acd(redis_client: redis.Redis, seed: int) -> None:
    redis_client.flushdb()
    rng = random.Random(seed)
    live = RedisLiveState(redis_client, random_queues(rng), rng=random.Random(seed))
    now = T0 + 160
    build_state(live, rng, now)
    operators = live.operators(now)
    free = [view for view in operators if view.status.state is OperatorState.READY]
    assert len(free) == 1
    expected = acd.decide(
        live.queues, heads(live, redis_client), operators, now, rr_positions={}, rng=rng
    )

    redis_client.config_resetstat()
    actions = live.assign(now)

    assert [(a.caller.id, a.caller.kind, a.operator_id) for a in actions] == [
        (a.caller.id, a.caller.kind, a.operator_id) for a in expected
    ]
    if actions:  # one round trip: the snapshot script decided and claimed
        assert redis_client.info("commandstats")["cmdstat_evalsha"]["calls"] == 1
        (action,) = actions
        assert live.operator_status(action.operator_id, now).state is OperatorState.RINGING
        assert live.position(action.caller.id) is None
        assert action.caller.joined == expected[0].caller.joined
        route = acd.routes_for(live.queues[action.caller.queue], action.caller, now)
        served = next(q for q in route if free[0].operator.serves(live.queues[q]))
        rr = redis_client.hgetall("h1912:rr")
        assert float(rr[served.encode()]) == float(free[0].position)


def test_a_wrap_up_that_ran_out_counts_as_the_free_operator(redis_client: redis.Redis) -> None:
    redis_client.flushdb()
    queues = load_queue_definitions(
        {"queues": {"CZ-hi": {"company": "CZ", "language": "hi", "wrapup_s": 30}}}
    )
    live = RedisLiveState(redis_client, queues, rng=random.Random(1))
    op = Operator("a", "a", "+91", "PJSIP/a", frozenset({Language.HI}), frozenset({Company.CZ}))
    live.register_operator(op, T0)
    live.apply("a", LoggedIn(), T0)
    live.enqueue("first", "CZ-hi", 0, T0)
    live.enqueue("second", "CZ-hi", 0, T0 + 1)
    assert [a.caller.id for a in live.assign(T0 + 2)] == ["first"]
    live.answered("a", T0 + 5)
    live.call_ended("a", T0 + 65)  # wrap-up until T0 + 95
    assert live.assign(T0 + 90) == []
    (action,) = live.assign(T0 + 95)
    assert (action.caller.id, action.operator_id) == ("second", "a")


def test_nobody_fitting_leaves_everything_in_place(redis_client: redis.Redis) -> None:
    redis_client.flushdb()
    queues = load_queue_definitions(
        {
            "queues": {
                "CZ-hi": {"company": "CZ", "language": "hi"},
                "WZ-hi": {
                    "company": "WZ",
                    "language": "hi",
                    "overflow_target": "CZ-hi",
                    "overflow_after_s": 60,
                },
            }
        }
    )
    live = RedisLiveState(redis_client, queues, rng=random.Random(1))
    op = Operator("a", "a", "+91", "PJSIP/a", frozenset({Language.HI}), frozenset({Company.CZ}))
    live.register_operator(op, T0)
    live.apply("a", LoggedIn(), T0)
    live.enqueue("west", "WZ-hi", 0, T0)
    assert live.assign(T0 + 59) == []  # not yet overflowing to CZ-hi's operators
    assert live.position("west") == ("WZ-hi", 1)
    assert live.operator_status("a", T0 + 59).state is OperatorState.READY
    (action,) = live.assign(T0 + 60)
    assert (action.caller.id, action.operator_id) == ("west", "a")
    assert isinstance(action, acd.ConnectCaller)


def test_an_administrators_edit_applies_to_the_next_round(redis_client: redis.Redis) -> None:
    redis_client.flushdb()

    def queues(hi_weight: int) -> QueueSet:
        return load_queue_definitions(
            {
                "queues": {
                    "CZ-hi": {"company": "CZ", "language": "hi", "weight": hi_weight},
                    "CZ-en": {"company": "CZ", "language": "en", "weight": 1},
                }
            }
        )

    live = RedisLiveState(redis_client, queues(0), rng=random.Random(1))
    op = Operator(
        "a", "a", "+91", "PJSIP/a", frozenset({Language.HI, Language.EN}), frozenset({Company.CZ})
    )
    live.register_operator(op, T0)
    for call_id, queue in (("h1", "CZ-hi"), ("e1", "CZ-en"), ("h2", "CZ-hi"), ("e2", "CZ-en")):
        live.enqueue(call_id, queue, 0, T0)
    live.apply("a", LoggedIn(), T0)
    assert [a.caller.id for a in live.assign(T0 + 1)] == ["e1"]  # the heavier queue first
    live.queues = queues(5)  # an administrator makes the Hindi queue the heavier
    live.answered("a", T0 + 2)
    live.call_ended("a", T0 + 3)
    assert [a.caller.id for a in live.assign(T0 + 30)] == ["h1"]  # after the wrap-up
