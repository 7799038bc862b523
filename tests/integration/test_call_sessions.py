"""One call turn against real Redis: lock, session and stored answer in two round trips."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from ivr.engine import new_session
from store.call_sessions import RedisCallSessions
from store.live import LiveStateUnavailable


@pytest.fixture
def sessions(redis_client: redis.Redis) -> RedisCallSessions:
    redis_client.flushdb()
    return RedisCallSessions(redis_client, ttl_s=60, prefix="t:")


def test_a_turn_reads_and_stores_the_session_and_its_answer(sessions: RedisCallSessions) -> None:
    with sessions.turn("CA1", request="g0:") as first:
        assert first.session is None and first.reply is None  # an unknown call
        first.save(new_session("CA1", caller="+919000000002", channel="twilio", language="hi"))
        first.keep_reply("<Response/>")
    with sessions.turn("CA1", request="g1:2") as second:
        assert second.session is not None and second.session.caller == "+919000000002"
        assert second.reply is None
    assert sessions.load("CA1") == second.session


def test_a_repeated_request_gets_the_stored_answer_even_mid_turn(
    sessions: RedisCallSessions,
) -> None:
    with sessions.turn("CA2", request="g3:1") as turn:
        turn.save(new_session("CA2", caller="+919000000002", channel="twilio", language="en"))
        turn.keep_reply("<Response><Say>WZ2611280000231</Say></Response>")
    with sessions.turn("CA2", request="g4:1") as later:  # the call has moved on
        with sessions.turn("CA2", request="g3:1", timeout_s=0.2) as retry:
            assert retry.reply == "<Response><Say>WZ2611280000231</Say></Response>"
            assert retry.session is None
        assert later.session is not None


def test_turns_of_one_call_never_interleave(sessions: RedisCallSessions) -> None:
    order: list[str] = []
    inside = threading.Event()

    def slow() -> None:
        with sessions.turn("CA3"):
            order.append("first in")
            inside.set()
            time.sleep(0.2)
            order.append("first out")

    worker = threading.Thread(target=slow)
    worker.start()
    assert inside.wait(5)
    with sessions.turn("CA3"):
        order.append("second in")
    worker.join()
    assert order == ["first in", "first out", "second in"]
    with (
        pytest.raises(LiveStateUnavailable, match="busy"),
        sessions.turn("CA3"),
        sessions.turn("CA3", timeout_s=0.05),
    ):
        pass


def test_a_failed_turn_stores_nothing_and_frees_the_call(sessions: RedisCallSessions) -> None:
    session = new_session("CA4", caller="+919000000002", channel="twilio", language="hi")
    with pytest.raises(RuntimeError), sessions.turn("CA4", request="g0:") as turn:
        turn.save(session)
        turn.keep_reply("<Response/>")
        raise RuntimeError("engine failed")
    with sessions.turn("CA4", request="g0:", timeout_s=0.2) as again:
        assert again.session is None and again.reply is None


def test_an_expired_lock_taken_by_a_later_turn_is_not_released(
    sessions: RedisCallSessions, redis_client: redis.Redis
) -> None:
    with sessions.turn("CA5", timeout_s=0.05):
        time.sleep(0.1)  # our lock ran out; a later turn takes the call
        redis_client.set("t:lock:call:CA5", "someone-else", px=5000)
    assert redis_client.get("t:lock:call:CA5") == b"someone-else"
