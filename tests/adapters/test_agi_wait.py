"""Before app_queue (FastAGI, real TCP, real Redis and SQL): the caller hears the estimated wait
from the routing live state and, when it is long, may take a call back instead of the queue."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from dialplans import agi_peer
from dialplans.agi import FastAgiServer
from dialplans.agi_wait import WaitBeforeQueue
from dialplans.frontends import ivr_over_agi
from dialplans.prompts_audio import AudioNames
from dialplans.records import SqlCallbackRequests
from ivr.commands import Param, ParamKind, Say
from ivr.prompts import render
from routing.operators import LoggedIn, LoggedOut
from services.call_log import BatchedCallLog
from store import schema as t

pytestmark = pytest.mark.asyncio

QUEUE = "WZ-en"  # where 9000000002 (West, rural) goes in English for an operator
TO_OPERATOR = ["2", "1", "0"]  # English, "yes, that is my connection", 0 for an operator
# One operator, ringing, and three callers ahead: 4 calls of 180 s (the default handle time,
# too few calls yet to know better: "more than" so many minutes).
WAIT = Say("queue_wait_long", "en", (Param("minutes", ParamKind.NUMBER, "12"),))
OFFER = Say("callback_offer", "en")


@pytest_asyncio.fixture
async def agi(services: Any) -> AsyncIterator[tuple[str, int]]:
    callbacks = SqlCallbackRequests(services.engine)
    waits = WaitBeforeQueue(
        live=services.extras["live_queue"],
        callbacks=callbacks,
        queues=services.queues,
        clock=services.clock,
        storm=lambda queue: queue,
    )
    calls = ivr_over_agi(
        services,
        callbacks=callbacks,
        call_log=BatchedCallLog(services.records.call_log),
        waits=waits,
    )
    server = FastAgiServer(calls)
    address = await server.start("127.0.0.1", 0)
    yield address
    await server.close()


def one_operator_for(services: Any, queue: str, *, busy_with: int) -> None:
    """Only one operator serving ``queue`` is logged in; ``busy_with`` callers are waiting
    beyond the one they are ringing for (none: the operator is free)."""
    routing, live = services.extras["routing"], services.extras["live_queue"]
    routing.sync_operators()
    now = services.clock().timestamp()
    serving = [v.operator.id for v in live.operators(now) if v.operator.serves(live.queues[queue])]
    for op_id in serving[1:]:
        live.apply(op_id, LoggedOut(), now)
    live.apply(serving[0], LoggedIn(), now)
    if busy_with:
        live.enqueue("ahead.0", queue, 0, now - 60)
        assert live.assign(now)  # the operator rings for it
        for n in range(busy_with):
            live.enqueue(f"ahead.{n + 1}", queue, 0, now - 50 + n)


async def place(address: tuple[str, int], answers: list[str], uniqueid: str) -> Any:
    placing = agi_peer.call(*address, uniqueid=uniqueid, caller="9000000002", answers=answers)
    return await asyncio.wait_for(placing, 60)


def played(services: Any, log: Any, say: Say) -> bool:
    """Whether the call heard the first audio file of ``say`` (the text before any number)."""
    catalogue = services.catalogue
    plan = AudioNames(catalogue).plan(render(catalogue, say, services.local_now()), say.language)
    return plan.files[0] in log.played


async def test_a_long_wait_is_said_and_a_call_back_taken_instead(
    services: Any, agi: tuple[str, int]
) -> None:
    one_operator_for(services, QUEUE, busy_with=3)
    log = await place(agi, [*TO_OPERATOR, "1"], "1800000701.1")
    assert played(services, log, WAIT) and played(services, log, OFFER)
    assert log.variables["HELPLINE_ACTION"] == "hangup"  # no Queue(): a call back instead
    with services.engine.connect() as conn:
        booked = conn.execute(select(t.callbacks)).one()
        call = conn.execute(select(t.calls).where(t.calls.c.call_id == "1800000701.1")).one()
    assert (booked.queue, booked.status, booked.offer_counted) == (QUEUE, "pending", False)
    assert booked.number.endswith("9000000002")
    assert (call.outcome, call.queue_result) == ("callback", "callback")


async def test_a_caller_who_declines_the_call_back_goes_to_the_queue(
    services: Any, agi: tuple[str, int]
) -> None:
    one_operator_for(services, QUEUE, busy_with=3)
    log = await place(agi, [*TO_OPERATOR, ""], "1800000702.1")
    assert played(services, log, OFFER)
    assert (log.variables["HELPLINE_ACTION"], log.variables["HELPLINE_QUEUE"]) == ("queue", QUEUE)
    with services.engine.connect() as conn:
        assert conn.execute(select(t.callbacks)).first() is None


async def test_a_short_wait_goes_straight_to_the_queue(services: Any, agi: tuple[str, int]) -> None:
    one_operator_for(services, QUEUE, busy_with=0)
    log = await place(agi, TO_OPERATOR, "1800000703.1")
    assert not played(services, log, WAIT) and not played(services, log, OFFER)
    assert (log.variables["HELPLINE_ACTION"], log.variables["HELPLINE_QUEUE"]) == ("queue", QUEUE)


async def test_with_nobody_known_to_serve_the_queue_nothing_is_said(
    services: Any, agi: tuple[str, int]
) -> None:
    # The mirror has not caught up (or nobody is in): app_queue decides, and turns the caller
    # away itself if it must, with its own call back offer.
    log = await place(agi, [*TO_OPERATOR, "1"], "1800000704.1")
    assert not played(services, log, OFFER)
    assert log.variables["HELPLINE_ACTION"] == "queue"
