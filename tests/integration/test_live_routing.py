"""RedisLiveState against a real Redis: queue order, skills, wrap-up, ring-no-answer, overflow,
callbacks (tried again at their place, cancelled), metrics, unreachable Redis, and many
processes assigning at once."""

from __future__ import annotations

import json
import multiprocessing
import random
import tomllib
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from routing.acd import ConnectCaller, PlaceCallback
from routing.callbacks import CallbackOutcome, RetryPolicy
from routing.operators import (
    LoggedIn,
    MadeReady,
    Operator,
    OperatorState,
    Paused,
    Rejected,
    Tier,
)
from routing.queues import Company, Language, QueueSet, load_queue_definitions, waiting_score
from routing.wait import WaitPolicy
from store.live import LiveStateUnavailable
from store.live_callbacks import MissedCallback
from store.live_callers import KEPT_PLACE_TTL_S, EnqueueOutcome, KeptPlace, LeftOutcome
from store.live_routing import RedisLiveState

QUEUES_FILE = Path(__file__).parents[2] / "config" / "queues.toml"
T0 = 1_699_999_200.0  # starts a 15-minute interval


def queue_set() -> QueueSet:
    return load_queue_definitions(tomllib.loads(QUEUES_FILE.read_text(encoding="utf-8")))


def operator(op_id: str, langs: str = "hi", companies: str = "CZ", tier: Tier = Tier.PRIMARY):
    return Operator(
        op_id,
        f"Operator {op_id}",
        "+910000000000",
        f"PJSIP/{op_id}",
        frozenset(Language(x) for x in langs.split(",")),
        frozenset(Company(x) for x in companies.split(",")),
        tier,
    )


@pytest.fixture
def live(redis_client: redis.Redis) -> RedisLiveState:
    return RedisLiveState(redis_client, queue_set(), rng=random.Random(7))


def ready(live: RedisLiveState, *ops: Operator, now: float = T0) -> None:
    for op in ops:
        live.register_operator(op, now)
        assert live.apply(op.id, LoggedIn(), now).state is OperatorState.READY  # type: ignore[union-attr]


def pairs(actions) -> list[tuple[str, str]]:
    return [(a.caller.id, a.operator_id) for a in actions]


def test_priority_then_original_join_time(live: RedisLiveState) -> None:
    live.enqueue("early", "CZ-hi", 0, T0 + 1)
    live.enqueue("urgent", "CZ-hi", 5, T0 + 2)
    live.enqueue("late", "CZ-hi", 0, T0 + 3)
    live.enqueue("returning", "CZ-hi", 0, T0 + 4, joined=T0)  # keeps its first join time
    assert live.position("urgent") == ("CZ-hi", 1)
    assert live.position("returning") == ("CZ-hi", 2)
    ready(live, operator("a"), now=T0 + 5)
    assert pairs(live.assign(T0 + 5)) == [("urgent", "a")]
    assert live.operator_status("a", T0 + 5).state is OperatorState.RINGING
    assert live.position("urgent") is None
    assert live.position("returning") == ("CZ-hi", 1)


def test_hazard_queue_is_served_first_by_shared_operators(live: RedisLiveState) -> None:
    live.enqueue("normal", "CZ-hi", 0, T0)
    live.enqueue("wire-down", "CZ-hazard", 100, T0 + 30)
    ready(live, operator("a"), now=T0 + 31)
    assert pairs(live.assign(T0 + 31)) == [("wire-down", "a")]


def test_skills_decide_who_may_answer(live: RedisLiveState) -> None:
    ready(live, operator("en-only", "en"), operator("wz", "hi", "WZ"))
    live.enqueue("c1", "CZ-hi", 0, T0)
    assert live.assign(T0 + 1) == []
    ready(live, operator("hi", "hi,en"), now=T0 + 2)
    assert pairs(live.assign(T0 + 2)) == [("c1", "hi")]


def test_duplicate_and_full_queue(live: RedisLiveState, redis_client: redis.Redis) -> None:
    small = load_queue_definitions(
        {"queues": {"q": {"company": "CZ", "language": "hi", "max_length": 1}}}
    )
    state = RedisLiveState(redis_client, small, prefix="small:")
    assert state.enqueue("c1", "q", 0, T0) is EnqueueOutcome.QUEUED
    assert state.enqueue("c1", "q", 0, T0) is EnqueueOutcome.DUPLICATE
    assert state.enqueue("c2", "q", 0, T0) is EnqueueOutcome.FULL


def test_wrap_up_ends_by_itself_after_the_queue_wrap_up(live: RedisLiveState) -> None:
    ready(live, operator("a"))
    live.enqueue("c1", "CZ-hi", 0, T0)
    live.enqueue("c2", "CZ-hi", 0, T0 + 1)
    live.assign(T0 + 2)
    live.answered("a", T0 + 5)
    live.call_ended("a", T0 + 100)  # CZ-hi wraps up for 10 s
    assert live.assign(T0 + 109.9) == []
    assert live.operator_status("a", T0 + 109.9).state is OperatorState.WRAP_UP
    assert pairs(live.assign(T0 + 110)) == [("c2", "a")]


def test_ring_no_answer_requeues_in_place_and_pauses(live: RedisLiveState) -> None:
    ready(live, operator("a"), operator("b"))
    live.apply("b", Paused("tea"), T0)
    live.enqueue("first", "CZ-hi", 0, T0)
    live.enqueue("second", "CZ-hi", 0, T0 + 1)
    assert pairs(live.assign(T0 + 2)) == [("first", "a")]
    live.enqueue("third", "CZ-hi", 0, T0 + 3)
    status = live.no_answer("a", T0 + 17)
    assert not isinstance(status, Rejected) and status.state is OperatorState.PAUSED
    assert live.operator_status("a", T0 + 17).reason == "no answer"
    assert live.position("first") == ("CZ-hi", 1)
    assert live.assign(T0 + 18) == []  # nobody ready: the paused operator is not offered again
    live.apply("b", MadeReady(), T0 + 19)
    assert pairs(live.assign(T0 + 19)) == [("first", "b")]


def test_rejected_transition_leaves_state_unchanged(live: RedisLiveState) -> None:
    ready(live, operator("a"))
    live.enqueue("c1", "CZ-hi", 0, T0)
    live.assign(T0 + 1)
    before = live.operator_status("a", T0 + 2)
    result = live.apply("a", Paused("lunch"), T0 + 2)
    assert isinstance(result, Rejected) and "ringing" in result.message
    assert live.operator_status("a", T0 + 2) == before
    assert isinstance(live.call_ended("a", T0 + 2), Rejected)


def test_overflow_after_the_queue_delay(live: RedisLiveState) -> None:
    ready(live, operator("west", "hi", "WZ"))
    live.enqueue("c1", "CZ-hi", 0, T0)  # CZ-hi overflows to WZ-hi after 120 s
    assert live.assign(T0 + 119) == []
    assert pairs(live.assign(T0 + 120)) == [("c1", "west")]


def test_caller_hanging_up_while_waiting_or_ringing(live: RedisLiveState) -> None:
    ready(live, operator("a"))
    live.enqueue("gone", "CZ-hi", 0, T0)
    live.enqueue("rung", "CZ-hi", 0, T0 + 1)
    assert live.caller_left("gone", T0 + 2) is LeftOutcome.ABANDONED_WAITING
    live.assign(T0 + 3)
    assert live.caller_left("rung", T0 + 4) is LeftOutcome.ABANDONED_RINGING
    assert live.operator_status("a", T0 + 4).state is OperatorState.READY
    assert live.caller_left("rung", T0 + 5) is LeftOutcome.UNKNOWN
    start = int(T0 // 900 * 900)
    stats = live.interval_stats("CZ-hi", start)
    assert (stats.offered, stats.abandoned, stats.answered) == (2, 2, 0)


def test_callback_keeps_place_and_is_placed_in_turn(live: RedisLiveState) -> None:
    live.enqueue("first", "CZ-hi", 0, T0)
    live.enqueue("second", "CZ-hi", 0, T0 + 1)
    outcome = live.request_callback(
        "first", consumer_id="1234567890", phone="+919800000000", now=T0 + 60, fault_id="F1"
    )
    assert outcome is CallbackOutcome.REQUESTED
    assert live.position("first") is None
    again = live.request_callback("second", consumer_id="1234567890", phone="+91", now=T0 + 61)
    assert again is CallbackOutcome.ALREADY_PENDING
    live.enqueue("third", "CZ-hi", 5, T0 + 62, joined=T0 + 2)
    ready(live, operator("a"), now=T0 + 70)
    ready(live, operator("b"), now=T0 + 70)
    actions = live.assign(T0 + 70)
    assert pairs(actions) == [("third", "a"), ("1234567890", "b")]
    placed = actions[1]
    assert isinstance(placed, PlaceCallback) and isinstance(actions[0], ConnectCaller)
    assert placed.callback is not None and placed.callback.phone == "+919800000000"
    assert placed.caller.joined == T0 and placed.callback.joined == T0


def test_restoration_cancels_waiting_callbacks(live: RedisLiveState) -> None:
    for i, consumer in enumerate(["111", "222", "333"]):
        live.enqueue(f"c{i}", "CZ-hi", 0, T0 + i)
        fault = "F9" if consumer != "333" else "F1"
        live.request_callback(
            f"c{i}", consumer_id=consumer, phone="+91", now=T0 + 9, fault_id=fault
        )
    cancelled = live.cancel_callbacks(T0 + 100, fault_id="F9")
    assert sorted(cb.consumer_id for cb in cancelled) == ["111", "222"]
    assert live.pending_callback("111") is None and live.pending_callback("333") is not None
    assert live.live(T0 + 100)["queues"]["CZ-hi"]["waiting"] == 1  # type: ignore[index]
    assert live.cancel_callbacks(T0 + 101, fault_id="F9") == []


RETRY = RetryPolicy(attempts=3, retry_after_s=600)


def placed_callback(live: RedisLiveState, consumer: str, op: str, now: float) -> PlaceCallback:
    """The callback's turn: the round reserves ``op`` and yields the dial-back action."""
    [action] = live.assign(now)
    assert isinstance(action, PlaceCallback) and (action.caller.id, action.operator_id) == (
        consumer,
        op,
    )
    return action


def test_unanswered_callback_is_parked_then_returns_to_its_place(live: RedisLiveState) -> None:
    live.enqueue("first", "CZ-hi", 0, T0)
    live.request_callback("first", consumer_id="111", phone="+91", now=T0 + 1)
    ready(live, operator("a"), now=T0 + 2)
    placed_callback(live, "111", "a", T0 + 2)
    missed = live.callback_unanswered("a", T0 + 30, policy=RETRY)
    assert isinstance(missed, MissedCallback)
    assert (missed.callback.attempts, missed.retry_at) == (1, T0 + 630)
    assert live.operator_status("a", T0 + 30).state is OperatorState.READY
    pending = live.pending_callback("111")
    assert pending is not None and (pending.attempts, pending.joined) == (1, T0)
    assert live.parked_until("111") == T0 + 630
    assert live.live(T0 + 30)["queues"]["CZ-hi"]["waiting"] == 0  # type: ignore[index]
    assert live.assign(T0 + 629) == []  # a free operator, but not before it is due
    live.apply("a", Paused("tea"), T0 + 629)
    live.enqueue("later", "CZ-hi", 0, T0 + 629.5)  # joined long after the consumer
    assert live.release_due_callbacks(T0 + 629) == []
    assert live.release_due_callbacks(T0 + 630) == ["111"]
    assert live.parked_until("111") is None
    assert live.live(T0 + 630)["queues"]["CZ-hi"]["longest_wait_s"] == 630  # type: ignore[index]
    live.apply("a", MadeReady(), T0 + 631)
    again = placed_callback(live, "111", "a", T0 + 631)  # ahead of the later caller
    assert again.caller.joined == T0 and again.callback is not None
    assert again.callback.attempts == 1
    assert live.position("later") == ("CZ-hi", 1)


def test_the_round_releases_due_callbacks_and_the_last_try_drops(live: RedisLiveState) -> None:
    live.enqueue("first", "CZ-hi", 0, T0)
    live.request_callback("first", consumer_id="111", phone="+91", now=T0)
    ready(live, operator("a"))
    now = T0
    for tries in (1, 2):
        placed_callback(live, "111", "a", now)
        missed = live.callback_unanswered("a", now + 20, policy=RETRY)
        assert isinstance(missed, MissedCallback) and missed.callback.attempts == tries
        assert missed.retry_at == now + 620
        now = missed.retry_at  # assign alone puts it back when due
    placed_callback(live, "111", "a", now)
    last = live.callback_unanswered("a", now + 20, policy=RETRY)
    assert isinstance(last, MissedCallback)
    assert (last.callback.attempts, last.retry_at) == (3, None)
    assert live.pending_callback("111") is None and live.parked_until("111") is None
    assert live.operator_status("a", now + 20).state is OperatorState.READY
    assert isinstance(live.callback_unanswered("a", now + 21, policy=RETRY), Rejected)
    live.enqueue("new", "CZ-hi", 0, now + 30)
    outcome = live.request_callback("new", consumer_id="111", phone="+91", now=now + 30)
    assert outcome is CallbackOutcome.REQUESTED  # may ask again


def test_without_a_policy_an_unanswered_callback_is_dropped(live: RedisLiveState) -> None:
    live.enqueue("first", "CZ-hi", 0, T0)
    live.request_callback("first", consumer_id="111", phone="+91", now=T0)
    ready(live, operator("a"))
    placed_callback(live, "111", "a", T0)
    missed = live.callback_unanswered("a", T0 + 5)
    assert isinstance(missed, MissedCallback) and missed.retry_at is None
    assert missed.callback.attempts == 1 and live.pending_callback("111") is None


def test_parked_callback_is_pending_and_cancelled_by_restoration(live: RedisLiveState) -> None:
    live.enqueue("c1", "CZ-hi", 0, T0)
    live.request_callback("c1", consumer_id="111", phone="+91", now=T0, fault_id="F9")
    ready(live, operator("a"))
    placed_callback(live, "111", "a", T0)
    live.callback_unanswered("a", T0 + 10, policy=RETRY)
    live.enqueue("c2", "CZ-hi", 0, T0 + 20)
    second = live.request_callback("c2", consumer_id="111", phone="+91", now=T0 + 20)
    assert second is CallbackOutcome.ALREADY_PENDING
    assert live.position("c2") == ("CZ-hi", 1)  # the call itself is untouched
    [cancelled] = live.cancel_callbacks(T0 + 30, fault_id="F9")
    assert (cancelled.consumer_id, cancelled.attempts) == ("111", 1)
    assert live.pending_callback("111") is None and live.parked_until("111") is None
    assert live.release_due_callbacks(T0 + 700) == []
    stats = live.interval_stats("CZ-hi", int(T0 // 900 * 900))
    assert stats.callbacks_cancelled == 1


def test_a_due_callback_is_released_once_by_concurrent_rounds(
    live: RedisLiveState, redis_client: redis.Redis
) -> None:
    other = RedisLiveState(redis_client, queue_set())
    live.enqueue("c1", "CZ-hi", 0, T0)
    live.request_callback("c1", consumer_id="111", phone="+91", now=T0)
    ready(live, operator("a"))
    placed_callback(live, "111", "a", T0)
    live.callback_unanswered("a", T0 + 10, policy=RETRY)
    assert live.release_due_callbacks(T0 + 610) == ["111"]
    assert other.release_due_callbacks(T0 + 610) == []
    assert redis_client.zcard("h1912:q:CZ-hi") == 1  # the callback, back once


def test_asterisk_mode_reads_and_removes_waiting_calls(
    live: RedisLiveState, redis_client: redis.Redis
) -> None:
    live.enqueue("c1", "CZ-hi", 0, T0)
    live.enqueue("c2", "CZ-hi", 0, T0 + 1)
    live.enqueue("c3", "CZ-hi", 0, T0 + 2)
    live.request_callback("c2", consumer_id="222", phone="+91", now=T0 + 3)
    assert live.waiting_calls("CZ-hi") == ["c1", "c3"]  # the callback is not a call
    assert live.score("c3", "CZ-hi") == waiting_score(0, T0 + 2)
    assert live.score("c3", "CZ-en") is None
    assert live.remove_waiting("c1", T0 + 5, "dequeued") == "CZ-hi"
    assert live.remove_waiting("c1", T0 + 5, "dequeued") is None
    assert live.waiting_calls("CZ-hi") == ["c3"] and live.position("c1") is None
    # A kept place waits a few minutes for its call's join, then is gone.
    live.keep_place("leg.7", T0 - 600)
    assert 0 < redis_client.ttl("h1912:kept:call:leg.7") <= KEPT_PLACE_TTL_S
    assert live.take_kept_place("leg.7") == KeptPlace(T0 - 600, counted=False)
    assert live.take_kept_place("leg.7") is None
    live.keep_place("leg.8", T0 - 0.25, counted=True)
    assert live.take_kept_place("leg.8") == KeptPlace(T0 - 0.25, counted=True)


def test_metrics_and_live_view(live: RedisLiveState) -> None:
    ready(live, operator("a"), operator("b"))
    live.enqueue("fast", "CZ-hi", 0, T0)
    live.enqueue("slow", "CZ-hi", 0, T0)
    live.assign(T0 + 1)
    live.answered("a", T0 + 10)
    live.answered("b", T0 + 45)  # beyond the 20 s service-level threshold
    live.call_ended("a", T0 + 100)
    view = live.live(T0 + 101)
    json.dumps(view)
    assert view["operators"]["a"]["state"] == "wrap-up"  # type: ignore[index]
    assert view["queues"]["CZ-hi"]["operators"]["on-call"] == 1  # type: ignore[index]
    stats = live.interval_stats("CZ-hi", int(T0 // 900 * 900))
    assert stats.service_level == 0.5 and stats.asa_s == pytest.approx(27.5)
    assert stats.aht_s == pytest.approx(90 + 10)


def test_estimate_uses_operators_and_recent_handle_times(live: RedisLiveState) -> None:
    assert live.estimate("CZ-hi", 1, T0).confident is False  # nobody logged in
    ready(live, operator("a"), operator("b"))
    for i in range(6):
        live.enqueue(f"c{i}", "CZ-hi", 0, T0 + i)
        live.assign(T0 + i)
        op = next(v.operator.id for v in live.operators(T0 + i) if v.status.caller)
        live.answered(op, T0 + i)
        live.call_ended(op, T0 + i + 110)  # handle 120 s with the 10 s wrap-up
        live.apply(op, MadeReady(), T0 + i + 110)
    estimate = live.estimate("CZ-hi", 5, T0 + 200)
    assert estimate.confident and estimate.seconds == pytest.approx(3 * 120 / 2, abs=1)


def test_estimate_counts_callers_of_queues_sharing_the_operators(live: RedisLiveState) -> None:
    # Two operators serve Hindi and English; a Hindi caller waits behind the English callers
    # who joined before them (the ACD serves both queues in join order), not those after.
    a, b = operator("a", "hi,en"), operator("b", "hi,en")
    ready(live, a, b)
    live.enqueue("busy1", "CZ-hi", 0, T0)
    live.enqueue("busy2", "CZ-hi", 0, T0)
    live.assign(T0)  # both operators ringing now
    for i in range(3):
        live.enqueue(f"en{i}", "CZ-en", 0, T0 + 10 + i)
    live.enqueue("me", "CZ-hi", 0, T0 + 20)
    live.enqueue("en-later", "CZ-en", 0, T0 + 30)
    place = live.place("me")
    assert place is not None and (place.queue, place.position) == ("CZ-hi", 1)
    alone = live.estimate("CZ-hi", place.position, T0 + 40)
    pooled = live.estimate("CZ-hi", place.position, T0 + 40, score=place.score)
    handle = WaitPolicy().default_handle_s  # no handle times recorded yet
    assert alone.seconds == pytest.approx(1 * handle / 2, abs=1)
    assert pooled.seconds == pytest.approx((1 + 3) * handle / 2, abs=1)  # three English first


def test_unreachable_redis_raises_live_state_unavailable(tmp_path: Path) -> None:
    # No retries: the default backoff would only make the test slow.
    no_retry = Retry(NoBackoff(), 0)
    client = redis.Redis(unix_socket_path=str(tmp_path / "nothing.sock"), retry=no_retry)
    with pytest.raises(LiveStateUnavailable):
        RedisLiveState(client, queue_set()).assign(T0)


# --------------------------------------------------------------------------- concurrency

WORKERS = 4
CALLERS = 10_400
OPERATORS = 12
FAST_QUEUES = {
    "defaults": {"wrapup_s": 0, "max_length": CALLERS},
    "queues": {
        "CZ-hi": {"company": "CZ", "language": "hi", "strategy": "rrmemory"},
        "CZ-hazard": {"company": "CZ", "hazard": True, "weight": 10},
    },
}


def _worker(url: str, seed: int, results: Any, start: Any) -> None:
    """Assign, then answer and end each call at once, until the queues stay empty."""
    client = redis.Redis.from_url(url)
    live = RedisLiveState(client, load_queue_definitions(FAST_QUEUES), rng=random.Random(seed))
    made = doubles = idle = 0
    start.wait(60)  # all processes begin together, however slowly the machine forks them
    clock = T0 + 1000.0
    while idle < 20:
        clock += 0.001
        actions = live.assign(clock)
        # Stop only once nobody waits: a process that finds every operator busy for a while
        # (the others hold them) must keep trying rather than leave with nothing done.
        waiting = sum(client.zcard(f"h1912:q:{q}") for q in ("CZ-hi", "CZ-hazard"))
        idle = 0 if actions or waiting else idle + 1
        for action in actions:
            made += 1
            # Independent witnesses: an operator held twice at once, or a caller given twice.
            hold = f"test:hold:{action.operator_id}"
            doubles += not client.set(hold, action.caller.id, nx=True)
            doubles += not client.sadd("test:callers", action.caller.id)
            client.delete(hold)
            assert not isinstance(live.answered(action.operator_id, clock), Rejected)
            assert not isinstance(live.call_ended(action.operator_id, clock), Rejected)
    results.put((made, doubles))
    client.close()


@pytest.mark.slow
def test_no_double_assignment_across_processes(redis_url: str, redis_client: redis.Redis) -> None:
    setup = RedisLiveState(redis_client, load_queue_definitions(FAST_QUEUES))
    for i in range(OPERATORS):
        setup.register_operator(operator(f"op{i}"), T0)
        setup.apply(f"op{i}", LoggedIn(), T0)
    for i in range(CALLERS):
        queue, priority = ("CZ-hazard", 100) if i % 10 == 0 else ("CZ-hi", 0)
        assert setup.enqueue(f"c{i}", queue, priority, T0 + i / 1000) is EnqueueOutcome.QUEUED
    # fork: the workers need no import of this module; each opens its own connection.
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    start = context.Event()
    workers = [
        context.Process(target=_worker, args=(redis_url, seed, results, start))
        for seed in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    start.set()
    outcomes = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
    assert sum(made for made, _ in outcomes) == CALLERS
    assert sum(doubles for _, doubles in outcomes) == 0
    assert all(made > 0 for made, _ in outcomes)  # every process really took part
    assert redis_client.scard("test:callers") == CALLERS
    assert setup.live(T0 + 2000)["queues"]["CZ-hi"]["waiting"] == 0  # type: ignore[index]
