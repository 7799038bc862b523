"""An answered call back: the generated `callback` extension, the FastAGI `callback` route that
greets the consumer and queues them ahead of later callers (a scripted Asterisk over real TCP,
real SQL), and a call back app_queue turns away again."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from dialplans import agi_peer
from dialplans.agi import FastAgiServer
from dialplans.agi_callback import AnsweredCallbacks
from dialplans.cli import answered_callbacks, callback_records
from dialplans.frontends import ivr_over_agi
from dialplans.generate import DialplanOptions, render_context, render_extensions
from dialplans.prompts_audio import AudioNames
from dialplans.records import SqlCallbackRequests
from ivr.commands import Say
from ivr.prompts import render
from store import schema as t
from store.live_callers import KeptPlace
from store.timeutil import as_utc

NUMBER = "9000000002"


def book(
    services: Any, clock: Any, call_id: str, *, queue: str, priority: int, waited: bool = False
) -> int:
    """A Hindi caller who joined ten minutes ago, was turned away and asked for a call back;
    the placer has dialled it (one try)."""
    joined = clock() - timedelta(minutes=10)
    with services.engine.begin() as conn:
        conn.execute(
            t.calls.insert().values(
                call_id=call_id,
                channel="asterisk",
                caller=NUMBER,
                language="hi",
                started_at=joined,
                queued_at=joined,
                queue=queue,
            )
        )
    SqlCallbackRequests(services.engine).request(
        call_id=call_id, number=NUMBER, queue=queue, priority=priority, now=clock(), waited=waited
    )
    records = callback_records(services)
    [due] = records.due(clock(), services.queues.names)
    assert records.claim(due.id, clock())
    return due.id


def callback_row(services: Any, callback_id: int) -> Any:
    with services.engine.connect() as conn:
        return conn.execute(select(t.callbacks).where(t.callbacks.c.id == callback_id)).one()


def call_row(services: Any, call_id: str) -> Any:
    with services.engine.connect() as conn:
        return conn.execute(select(t.calls).where(t.calls.c.call_id == call_id)).first()


@pytest_asyncio.fixture
async def agi(services: Any) -> AsyncIterator[tuple[str, int]]:
    calls = ivr_over_agi(
        services,
        callbacks=SqlCallbackRequests(services.engine),
        threads=2,
    )
    server = FastAgiServer(calls, answered_callbacks(services))
    address = await server.start("127.0.0.1", 0)
    yield address
    await server.close()


async def answer(address: tuple[str, int], call_id: str, **kw: Any) -> agi_peer.PeerLog:
    placing = agi_peer.call(*address, uniqueid=call_id, caller="1912", answers=[], **kw)
    return await asyncio.wait_for(placing, 30)


@pytest.mark.asyncio
async def test_answered_callback_is_greeted_and_queued_ahead_of_later_callers(
    services: Any, clock: Any, agi: tuple[str, int]
) -> None:
    callback_id = book(services, clock, "1800000400.1", queue="CZ-hi", priority=0)
    # As the generated dialplan runs it: AGI(agi://…/callback,${CALLBACK_ID},${HELPLINE_NUMBER})
    log = await answer(agi, "1800000400.7", script="callback", args=[str(callback_id), NUMBER])
    assert log.variables == {
        "HELPLINE_ACTION": "queue",
        "HELPLINE_QUEUE": "CZ-hi",
        "HELPLINE_PRIORITY": "1",  # one above the callers of its own priority
    }
    greeting = Say("callback_connecting", "hi")  # the language of the call that asked
    rendered = render(services.catalogue, greeting, services.local_now())
    expected = AudioNames(services.catalogue).plan(rendered, "hi").files
    assert expected and log.played == list(expected)
    row = callback_row(services, callback_id)
    assert (row.status, row.reason) == ("done", "answered") and row.closed_at is not None
    # The answered leg has its call record, at the consumer's original place in the queue.
    leg = call_row(services, "1800000400.7")
    assert (leg.outcome, leg.queue, leg.priority, leg.caller) == ("callback", "CZ-hi", 1, NUMBER)
    assert as_utc(leg.queued_at) == as_utc(row.joined_at)


@pytest.mark.asyncio
async def test_callback_id_is_read_from_the_channel_when_not_an_argument(
    services: Any, clock: Any, agi: tuple[str, int]
) -> None:
    callback_id = book(services, clock, "1800000401.1", queue="CZ-hazard", priority=100)
    carried = {"CALLBACK_ID": str(callback_id), "HELPLINE_NUMBER": NUMBER}
    log = await answer(agi, "1800000401.7", script="callback", channel_variables=carried)
    assert "GET VARIABLE CALLBACK_ID" in log.commands
    assert (log.variables["HELPLINE_QUEUE"], log.variables["HELPLINE_PRIORITY"]) == (
        "CZ-hazard",
        "101",
    )
    assert callback_row(services, callback_id).status == "done"


@pytest.mark.asyncio
async def test_unknown_callback_leaves_the_dialplans_defaults(
    agi: tuple[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    log = await answer(agi, "1800000402.7", script="callback", args=["999", NUMBER])
    assert log.variables == {} and log.played == []  # the dialplan queues with what it carried
    assert "no callback 999" in caplog.text


@pytest.mark.asyncio
async def test_callback_turned_away_again_is_offered_one_on_the_consumers_number(
    services: Any, clock: Any, agi: tuple[str, int]
) -> None:
    callback_id = book(services, clock, "1800000403.1", queue="CZ-hi", priority=0)
    await answer(agi, "1800000403.7", script="callback", args=[str(callback_id), NUMBER])
    # app_queue turns the leg away; its caller id is our own 1912, the consumer's number and
    # language come from the Originate's channel variables.
    log = await asyncio.wait_for(
        agi_peer.call(
            *agi,
            uniqueid="1800000403.7",
            caller="1912",
            answers=["1"],
            script="1912-full",
            args=["CZ-hi", "0", "FULL"],
            channel_variables={"HELPLINE_NUMBER": NUMBER, "LANGUAGE": "hi"},
        ),
        30,
    )
    assert log.inputs == ["1"] and all("/hi/" in f for f in log.played)
    with services.engine.connect() as conn:
        again = conn.execute(
            select(t.callbacks).where(t.callbacks.c.call_id == "1800000403.7")
        ).one()
    first = callback_row(services, callback_id)
    assert (again.number, again.queue, again.priority, again.status) == (
        NUMBER,
        "CZ-hi",
        0,
        "pending",
    )
    assert as_utc(again.joined_at) == as_utc(first.joined_at)  # the place is kept


@pytest.mark.asyncio
async def test_the_consumers_place_is_kept_for_the_leg_and_a_bad_one_is_not(
    services: Any, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    live = services.extras["live_queue"]
    calls = ivr_over_agi(
        services,
        callbacks=SqlCallbackRequests(services.engine),
    )
    route = AnsweredCallbacks(
        legs=callback_records(services),
        catalogue=services.catalogue,
        clock=services.clock,
        local_now=services.local_now,
        default_language="hi",
        places=live,
    )
    server = FastAgiServer(calls, route)
    address = await server.start("127.0.0.1", 0)
    try:
        first = book(services, clock, "1800000404.1", queue="CZ-hi", priority=0)
        carried = {"CALLBACK_JOINED": "1795750800.250"}
        args = [str(first), NUMBER]
        await answer(
            address, "1800000404.7", script="callback", args=args, channel_variables=carried
        )
        assert live.take_kept_place("1800000404.7") == KeptPlace(1795750800.25, counted=False)
        # A consumer whose first call waited until app_queue timed it out was counted then.
        timed_out = book(services, clock, "1800000406.1", queue="CZ-hi", priority=0, waited=True)
        args = [str(timed_out), NUMBER]
        await answer(
            address, "1800000406.7", script="callback", args=args, channel_variables=carried
        )
        assert live.take_kept_place("1800000406.7") == KeptPlace(1795750800.25, counted=True)
        second = book(services, clock, "1800000405.1", queue="CZ-hi", priority=0)
        carried = {"CALLBACK_JOINED": "nan"}
        args = [str(second), NUMBER]
        log = await answer(
            address, "1800000405.7", script="callback", args=args, channel_variables=carried
        )
    finally:
        await server.close()
    # No place kept, but the consumer is queued all the same, one priority step up.
    assert live.take_kept_place("1800000405.7") is None
    assert (log.variables["HELPLINE_ACTION"], log.variables["HELPLINE_PRIORITY"]) == ("queue", "1")
    assert "no usable CALLBACK_JOINED 'nan'" in caplog.text


# --- the generated dialplan -------------------------------------------------------------------


def test_outbound_context_has_the_callback_extension() -> None:
    text = render_context(DialplanOptions("agi://10.0.0.5:4599", "CZ-hi"))
    outbound = text.split("[helpline-1912-out]", 1)[1]
    lines = [line.strip() for line in outbound.splitlines()]
    start = lines.index(
        "exten => callback,1,NoOp(Helpline 1912 outbound callback call ${UNIQUEID})"
    )
    body = lines[start + 1 : lines.index("same => n(done),Hangup()", start) + 1]
    # Defaults from the Originate first, so a consumer who answers while the FastAGI server is
    # down still reaches the queue; then the greeting route; then the queue at its priority.
    assert body[:4] == [
        "same => n,Set(HELPLINE_ACTION=queue)",
        "same => n,Set(HELPLINE_QUEUE=${CALLBACK_QUEUE})",
        "same => n,Set(HELPLINE_PRIORITY=${CALLBACK_PRIORITY})",
        "same => n,AGI(agi://10.0.0.5:4599/callback,${CALLBACK_ID},${HELPLINE_NUMBER})",
    ]
    queue = body.index("same => n,Queue(${HELPLINE_QUEUE})")
    assert body[queue - 1] == "same => n,Set(QUEUE_PRIO=${HELPLINE_PRIORITY})"
    turned_away = next(line for line in body if "/1912-full," in line)
    assert turned_away.endswith("${HELPLINE_QUEUE},${CALLBACK_PRIORITY},${QUEUESTATUS})")
    labels = set(re.findall(r"n\((\w+)\)", "\n".join(body)))
    assert labels == {"turnedaway", "done"}


def test_dialplan_with_the_callback_extension_passes_asterisklint(tmp_path: Path) -> None:
    beside = Path(sys.executable).with_name("asterisklint")
    lint = str(beside) if beside.exists() else shutil.which("asterisklint")
    if lint is None:
        pytest.skip("asterisklint is not installed (a dev dependency)")
    conf = tmp_path / "extensions.conf"
    conf.write_text(render_extensions(DialplanOptions("agi://127.0.0.1:4573", "CZ-hi")))
    assert "exten => callback,1," in conf.read_text()
    run = subprocess.run(
        [lint, "dialplan-check", str(conf)], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0 and run.stdout.strip() == "", run.stdout + run.stderr
