"""The FastAGI server over a real TCP socket, with a scripted Asterisk on the other end."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from complaints.docket import ValidDocket, parse_docket
from dialplans import agi_peer
from dialplans.agi import FastAgiServer
from dialplans.agi_session import AgiChannel
from dialplans.frontends import ivr_over_agi
from dialplans.prompts_audio import SILENCE_FILE, inventory
from dialplans.records import SqlCallbackRequests
from ivr.commands import Gather, Say
from ivr.events import DigitsEntered, NoInput
from services.call_log import BatchedCallLog
from store import schema as t

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def agi(services: Any) -> AsyncIterator[tuple[str, int]]:
    calls = ivr_over_agi(
        services,
        callbacks=SqlCallbackRequests(services.engine),
        call_log=BatchedCallLog(services.records.call_log),
        threads=8,
    )
    server = FastAgiServer(calls)
    address = await server.start("127.0.0.1", 0)
    yield address
    await server.close()


async def place(
    address: tuple[str, int], caller: str, answers: list[str], **kw: Any
) -> agi_peer.PeerLog:
    placing = agi_peer.call(
        *address, uniqueid=kw.pop("uniqueid"), caller=caller, answers=answers, **kw
    )
    return await asyncio.wait_for(placing, 60)


def outcome(services: Any, call_id: str) -> Any:
    session = services.calls.current(call_id)
    return session.outcome


async def ended_call(services: Any, call_id: str) -> Any:
    """The call's `calls` row once its end is recorded: the call log writes it in its next
    batch (within 0.2 s) after the call; None if that does not happen within two seconds."""
    for _ in range(100):
        with services.engine.connect() as conn:
            row = conn.execute(select(t.calls).where(t.calls.c.call_id == call_id)).first()
        if row is not None and row.outcome is not None:
            return row
        await asyncio.sleep(0.02)
    return None


async def test_no_supply_call_ends_with_a_docket_in_the_database(services: Any, agi: Any) -> None:
    log = await place(agi, "9000000002", ["2", "1", "1"], uniqueid="1800000000.1")
    assert log.inputs == ["2", "1", "1"]
    assert log.variables["HELPLINE_ACTION"] == "hangup"
    result = outcome(services, "1800000000.1")
    assert result.kind == "docket"
    docket = result.detail["docket"]
    assert isinstance(parse_docket(docket), ValidDocket)
    with services.engine.connect() as conn:  # committed before it was spoken
        row = conn.execute(select(t.complaints).where(t.complaints.c.docket == docket)).one()
    assert row.kind == "no_supply"
    call = await ended_call(services, "1800000000.1")
    assert call.channel == "asterisk" and call.docket == docket


async def test_keys_pressed_during_a_prompt_count(services: Any, agi: Any) -> None:
    plain = await place(agi, "9000000002", ["2", "1", "1"], uniqueid="1800000000.2")
    barged = await place(agi, "9000000002", ["2", "1", "1"], uniqueid="1800000000.3", barge_in=True)
    assert barged.inputs == ["2", "1", "1"]
    assert outcome(services, "1800000000.3").kind == "docket"
    # Cutting the prompts short means fewer files were played than when listening through.
    assert len(barged.played) < len(plain.played)
    streamed = [c for c in barged.commands if c.startswith("STREAM FILE")]
    assert all(c.endswith('"0123456789*#"') for c in streamed[:2])


class ScriptedRequest:
    """Stands in for panoramisk's Request: replies from a script, commands recorded."""

    def __init__(self, replies: list[dict[str, Any]]) -> None:
        self.replies = replies
        self.sent: list[str] = []

    async def send_command(self, command: str) -> dict[str, Any]:
        self.sent.append(command)
        return self.replies.pop(0)


def ok(result: str = "0") -> dict[str, Any]:
    return {"status_code": 200, "result": (result, ""), "msg": ""}


@pytest.mark.parametrize(
    "replies, digits, last",
    [
        # Nothing pressed during the first prompt: GET DATA on the last file takes all ten.
        ([ok("0"), ok("1000000002")], "1000000002", "GET DATA helpline1912/en/"),
        # "1" pressed during the first prompt: the rest are collected after a short silence.
        (
            [ok(str(ord("1"))), ok("000000002")],
            "1000000002",
            "GET DATA helpline1912/silence 10000 9",
        ),
        # "#" pressed during a prompt ends the input: nothing keyed.
        ([ok(str(ord("#")))], "", "STREAM FILE helpline1912/en/"),
    ],
)
async def test_collect_counts_a_key_pressed_during_any_prompt(
    services: Any, replies: list[dict[str, Any]], digits: str, last: str
) -> None:
    runner = ivr_over_agi(
        services,
        threads=1,
    )
    gather = Gather(
        (Say("ivrs_invalid", "en"), Say("enter_ivrs", "en")), max_digits=10, timeout_s=10
    )
    request = ScriptedRequest(replies)
    event = await runner.collect(AgiChannel(request, "1.1"), gather, services.local_now())  # type: ignore[arg-type]
    runner.close()
    assert event == (DigitsEntered(digits) if digits else NoInput())
    assert request.sent[-1].startswith(last)
    assert request.sent[0].endswith('"0123456789*#"')


async def test_hazard_sets_the_queue_variables_for_the_dialplan(services: Any, agi: Any) -> None:
    log = await place(agi, "9000000002", ["2", "1", "5"], uniqueid="1800000000.5")
    assert log.variables == {
        "HELPLINE_ACTION": "queue",
        "HELPLINE_QUEUE": "WZ-hazard",
        "HELPLINE_PRIORITY": "100",
        "HELPLINE_TIMEOUT": "",
        "HELPLINE_OVERFLOW": "",
    }


async def test_operator_queue_has_its_overflow_timeout(services: Any, agi: Any) -> None:
    log = await place(agi, "9812345678", ["2", "0"], uniqueid="1800000000.6")
    queue = services.queues[log.variables["HELPLINE_QUEUE"]]
    assert log.variables["HELPLINE_OVERFLOW"] == queue.overflow_target
    assert log.variables["HELPLINE_TIMEOUT"] == str(queue.overflow_after_s)


@pytest.mark.parametrize("style", ["line", "close"])
async def test_hang_up_mid_flow_ends_the_session_and_the_server_goes_on(
    services: Any, agi: Any, style: str
) -> None:
    call_id = f"1800000001.{len(style)}"
    log = await place(agi, "9000000002", ["2"], uniqueid=call_id, hangup=style)
    assert log.hung_up
    # The server records the hang-up after the socket is gone.
    assert (await ended_call(services, call_id)).outcome == "abandoned"
    session = services.calls.current(call_id)
    assert session is not None and session.outcome.kind == "abandoned"
    again = await place(agi, "9000000002", ["2", "1", "1"], uniqueid=call_id + "9")
    assert again.variables["HELPLINE_ACTION"] == "hangup"


async def test_unknown_script_and_early_close_leave_the_server_running(
    services: Any, agi: Any, caplog: pytest.LogCaptureFixture
) -> None:
    log = await place(agi, "9000000002", ["2"], uniqueid="1800000002.1", script="nosuch")
    assert log.commands == []  # nothing asked: the dialplan's defaults queue the caller
    assert "No route for the request" in caplog.text
    reader, writer = await asyncio.open_connection(*agi)
    writer.write(b"agi_network_script: 1912\nagi_uniqueid: 1800000002.2\n")
    writer.close()
    await asyncio.sleep(0.1)
    assert "closed before the AGI headers ended" in caplog.text
    again = await place(agi, "9000000002", ["2", "1", "1"], uniqueid="1800000002.3")
    assert again.variables["HELPLINE_ACTION"] == "hangup"


async def test_missing_call_id_leaves_the_call_to_the_dialplan(
    agi: Any, caplog: pytest.LogCaptureFixture
) -> None:
    log = await place(agi, "9000000002", ["2"], uniqueid="")
    assert log.commands == [] and "without agi_uniqueid" in caplog.text


async def test_turned_away_caller_books_a_callback(services: Any, agi: Any) -> None:
    await place(agi, "9000000002", ["2", "1", "5"], uniqueid="1800000003.1")
    log = await place(
        agi,
        "9000000002",
        ["1"],
        uniqueid="1800000003.1",
        script="1912-full",
        args=["WZ-hazard", "100", "FULL"],
    )
    assert log.inputs == ["1"]
    with services.engine.connect() as conn:
        booked = conn.execute(select(t.callbacks)).one()
    assert (booked.call_id, booked.queue, booked.priority, booked.status) == (
        "1800000003.1",
        "WZ-hazard",
        100,
        "pending",
    )
    assert booked.number.endswith("9000000002")
    assert booked.offer_counted is False  # a full queue never let the caller in
    declined = await place(
        agi,
        "9000000002",
        [""],
        uniqueid="1800000003.2",
        script="1912-full",
        args=["CZ-hi", "0", "JOINEMPTY"],
    )
    assert declined.inputs == [""]
    with services.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.callbacks)).scalar() == 1


async def test_a_caller_who_waited_until_the_queue_timed_out_was_counted_there(
    services: Any, agi: Any
) -> None:
    await place(agi, "9000000002", ["2", "1", "5"], uniqueid="1800000005.1")
    args = ["WZ-en", "0", "TIMEOUT"]
    await place(agi, "9000000002", ["1"], uniqueid="1800000005.1", script="1912-full", args=args)
    with services.engine.connect() as conn:
        booked = conn.execute(select(t.callbacks)).one()
    # The call back is the same contact: its join will not be another offer.
    assert (booked.call_id, booked.offer_counted) == ("1800000005.1", True)


async def test_every_file_played_is_one_the_prompts_command_renders(
    services: Any, agi: Any
) -> None:
    rendered = {entry.file for entry in inventory(services.catalogue)} | {SILENCE_FILE}
    log = await place(agi, "9000000001", ["1", "1", "1"], uniqueid="1800000004.1")
    assert log.played and set(log.played) <= rendered
    assert any("/hi/w_" in f for f in log.played)  # the Hindi fault news reads times aloud


async def test_two_hundred_calls_at_once(services: Any, agi: Any) -> None:
    calls = [place(agi, "9000000002", ["2", "1"], uniqueid=f"1800000100.{n}") for n in range(200)]
    logs = await asyncio.gather(*calls)
    bad = [log for log in logs if not (log.inputs == ["2", "1"] and log.hung_up)]
    assert not bad, (len(bad), bad[:2])


async def served(services: Any, call_log: BatchedCallLog) -> tuple[FastAgiServer, tuple[str, int]]:
    runner = ivr_over_agi(
        services,
        call_log=call_log,
    )
    server = FastAgiServer(runner)
    return server, await server.start("127.0.0.1", 0)


def call_row(services: Any, call_id: str) -> Any:
    with services.engine.connect() as conn:
        return conn.execute(select(t.calls).where(t.calls.c.call_id == call_id)).first()


async def test_a_queued_calls_records_are_written_before_it_goes_to_the_queue(
    services: Any,
) -> None:
    # Nothing writes the batch on a timer here: only the hand-over to app_queue does.
    log = BatchedCallLog(services.records.call_log, max_delay_s=600)
    server, address = await served(services, log)
    try:
        queued = await place(address, "9000000002", ["2", "0"], uniqueid="1800000005.1")
        row = call_row(services, "1800000005.1")
        assert row is not None and row.outcome == "queued"
        assert row.queue == queued.variables["HELPLINE_QUEUE"] and row.queued_at is not None
        with services.engine.connect() as conn:
            language = conn.execute(
                select(t.caller_preferences.c.language).where(
                    t.caller_preferences.c.number == "9000000002"
                )
            ).scalar()
        assert language == "en"  # chosen in this call
    finally:
        await server.close()


async def test_a_finished_calls_records_follow_in_the_next_batch(services: Any) -> None:
    server, address = await served(services, BatchedCallLog(services.records.call_log))
    try:
        done = await place(address, "9000000002", ["2", "1", "1"], uniqueid="1800000005.2")
        assert done.variables["HELPLINE_ACTION"] == "hangup"
        row = await ended_call(services, "1800000005.2")
        assert row is not None and row.outcome == "docket" and row.docket is not None
    finally:
        await server.close()


async def test_closing_the_server_writes_the_records_of_calls_in_progress(services: Any) -> None:
    server, address = await served(
        services, BatchedCallLog(services.records.call_log, max_delay_s=600)
    )
    # The caller listens to the language menu for a minute: the call is open when we close.
    calling = asyncio.create_task(
        place(address, "9000000002", ["2"], uniqueid="1800000006.1", think_s=lambda: 60)
    )
    for _ in range(200):
        if services.calls.current("1800000006.1") is not None:
            break
        await asyncio.sleep(0.01)
    assert services.calls.current("1800000006.1") is not None
    assert call_row(services, "1800000006.1") is None  # still in the batch
    await server.close()
    row = call_row(services, "1800000006.1")
    assert row is not None and row.channel == "asterisk" and row.started_at is not None
    calling.cancel()  # the scripted caller is still "listening"
    with contextlib.suppress(asyncio.CancelledError):
        await calling
