"""The AMI link against a small AMI server in the test (real TCP, AMI text), and replays of
recorded Asterisk 22 traffic through the same link."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from dialplans import actions
from dialplans.ami import ActionResult, AmiLink, LinkState
from dialplans.dialler import AmiDialler
from dialplans.events import (
    CallerAbandoned,
    CallerJoined,
    CallerLeft,
    Fact,
    MemberState,
    OperatorMissed,
    OperatorRung,
    OriginateDone,
    OriginateResult,
    WaitingEntry,
)
from dialplans.mirror import QueueMirror

pytestmark = pytest.mark.asyncio

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "asterisk-22"  # recorded traffic
EOL = "\r\n"


class Recorder:
    def __init__(self) -> None:
        self.facts: list[Fact] = []
        self.snapshots: list[list[Fact]] = []


@pytest_asyncio.fixture
async def asterisk(ami_server: Any) -> Any:
    """A small AMI server (see tests/conftest.py) the link logs in to."""
    return await ami_server()


def link_to(
    server: Any, recorder: Recorder, *, secret: str = "s3cret", base_delay: float = 0.05
) -> AmiLink:
    return AmiLink(
        host="127.0.0.1",
        port=server.port,
        username="helpline1912",
        secret=secret,
        apply=recorder.facts.append,
        resynchronise=recorder.snapshots.append,
        base_delay=base_delay,
        max_delay=0.2,
        action_timeout_s=2,
    )


async def until(condition: object, timeout: float = 5.0) -> None:
    async def poll() -> None:
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


MEMBER = {
    "Queue": "CZ-hi",
    "Name": "cz-op01",
    "Location": "PJSIP/cz-op01",
    "StateInterface": "PJSIP/cz-op01",
    "Membership": "dynamic",
    "Penalty": "1",
    "Status": "1",
    "Paused": "1",
    "PausedReason": "tea",
}
ENTRY = {
    "Queue": "CZ-hi",
    "Position": "1",
    "Channel": "PJSIP/trunk-00000007",
    "Uniqueid": "1795870890.7",
    "CallerIDNum": "9000000002",
    "Wait": "12",
    "Priority": "5",
}


async def test_login_then_resync_reads_queue_status(asterisk: Any) -> None:
    asterisk.members, asterisk.waiting = [MEMBER], [ENTRY]
    recorder = Recorder()
    link = link_to(asterisk, recorder)
    await link.start()
    try:
        await until(lambda: recorder.snapshots)
        assert asterisk.logins == ["helpline1912"]
        snapshot = recorder.snapshots[0]
        member = next(f for f in snapshot if isinstance(f, MemberState))
        assert (member.interface, member.name, member.paused, member.reason, member.penalty) == (
            "PJSIP/cz-op01",
            "cz-op01",
            True,
            "tea",
            1,
        )
        entry = next(f for f in snapshot if isinstance(f, WaitingEntry))
        assert (entry.call_id, entry.priority, entry.wait_s) == ("1795870890.7", 5, 12)
        # The caller listed by QueueStatus can be raised without an event having named it.
        raised = await link.raise_priority("1795870890.7", 100)
        assert raised.ok
        sent = asterisk.received[-1]
        assert sent["Action"] == "QueueChangePriorityCaller"
        assert (sent["Queue"], sent["Caller"], sent["Priority"]) == (
            "CZ-hi",
            "PJSIP/trunk-00000007",
            "100",
        )
    finally:
        await link.close()


async def test_queue_add_completes_on_its_single_response(asterisk: Any) -> None:
    link = link_to(asterisk, Recorder())
    await link.start()
    try:
        assert await link.wait_ready(5)
        add = actions.queue_add("CZ-hi", "PJSIP/cz-op01", name="cz-op01", penalty=2, paused=True)
        result = await link.send(add)
        assert result == ActionResult(True, "Added interface to queue", result.messages)
        sent = asterisk.received[-1]
        assert (sent["Penalty"], sent["Paused"], sent["MemberName"]) == ("2", "true", "cz-op01")
    finally:
        await link.close()


async def test_dropped_connection_reconnects_and_resyncs(asterisk: Any) -> None:
    recorder = Recorder()
    link = link_to(asterisk, recorder)
    await link.start()
    try:
        await until(lambda: len(recorder.snapshots) == 1)
        asterisk.members = [MEMBER]
        await asterisk.drop()
        await until(lambda: len(recorder.snapshots) == 2)
        assert asterisk.logins == ["helpline1912", "helpline1912"]
        assert link.logins == 2 and link.state is LinkState.READY
        assert any(isinstance(f, MemberState) for f in recorder.snapshots[1])
    finally:
        await link.close()


async def test_with_production_delays_a_drop_is_resynchronised_within_five_seconds(
    asterisk: Any,
) -> None:
    recorder = Recorder()
    link = link_to(asterisk, recorder, base_delay=1.0)  # the service's default backoff
    await link.start()
    try:
        await until(lambda: len(recorder.snapshots) == 1)
        loop = asyncio.get_running_loop()
        dropped = loop.time()
        await asterisk.drop()
        await until(lambda: len(recorder.snapshots) == 2, timeout=5.0)
        assert loop.time() - dropped < 5.0
    finally:
        await link.close()


async def test_refused_login_is_retried_and_actions_report_not_connected(
    asterisk: Any, caplog: pytest.LogCaptureFixture
) -> None:
    link = link_to(asterisk, Recorder(), secret="wrong")
    await link.start()
    try:
        await until(lambda: sum(a.get("Action") == "Login" for a in asterisk.received) >= 2)
        assert "login refused for user helpline1912" in caplog.text
        result = await link.send(actions.queue_pause("PJSIP/cz-op01", paused=True))
        assert not result.ok and "not connected" in result.message
        asterisk.secret = "wrong"  # once the two secrets agree again, the retries get in
        await until(lambda: link.ready)
    finally:
        await link.close()


async def test_unreachable_asterisk_is_retried_until_it_is_back(ami_server: Any) -> None:
    server = await ami_server()
    port = server.port
    await server.stop()  # nothing listens on the port now
    link = AmiLink(
        host="127.0.0.1", port=port, username="u", secret="s3cret", base_delay=0.05, max_delay=0.4
    )
    await link.start()
    try:
        await asyncio.sleep(0.5)
        assert link.state is LinkState.CONNECTING and not link.ready
        server.port = port
        await server.start()  # Asterisk comes back on the same port
        await until(lambda: link.ready)
    finally:
        await link.close()
        await server.stop()


async def test_garbage_and_unknown_events_do_not_stop_the_link(asterisk: Any) -> None:
    recorder = Recorder()
    link = link_to(asterisk, recorder)
    await link.start()
    try:
        await until(lambda: recorder.snapshots)
        await asterisk.push(
            "this is not AMI\r\n\r\n"
            + asterisk.block(Event="NoSuchEvent", A="b")
            + asterisk.block(Event="AgentCalled", Queue="CZ-hi")
            + asterisk.block(
                Event="QueueCallerJoin",
                Uniqueid="1.1",
                Queue="CZ-hi",
                Position="1",
                Channel="PJSIP/x-1",
            )
        )
        await until(lambda: any(isinstance(f, CallerJoined) for f in recorder.facts))
        kinds = [type(f).__name__ for f in recorder.facts]
        assert kinds == ["Garbage", "CallerJoined"]
        assert (await link.send(actions.queue_remove("CZ-hi", "PJSIP/x"))).ok
    finally:
        await link.close()


# --- replaying recorded Asterisk 22 traffic ---------------------------------------------------


def recorded(name: str) -> bytes:
    """What Asterisk sent in a recording: annotations and our side's actions left out."""
    path = FIXTURES / name
    text = path.read_bytes().decode()
    kept = []
    for chunk in text.split(EOL + EOL):
        lines = [line for line in chunk.split(EOL) if not line.startswith("#BANNER")]
        body = EOL.join(lines).strip(EOL)
        if body and not body.startswith("#SENT") and not body.startswith("Asterisk Call Manager"):
            kept.append(body + EOL + EOL)
    return "".join(kept).encode()


async def replay(asterisk: Any, name: str) -> list[Fact]:
    asterisk.after_login = recorded(name)
    recorder = Recorder()
    link = link_to(asterisk, recorder)
    await link.start()
    try:
        await until(lambda: recorder.snapshots)
        await asyncio.sleep(0.1)
        await link.drain()
    finally:
        await link.close()
    return recorder.facts


async def test_replayed_ring_no_answer_and_abandon(asterisk: Any) -> None:
    facts = await replay(asterisk, "ami-noanswer-abandon-badlogin.txt")
    call = [f for f in facts if getattr(f, "call_id", None) == "1795870890.7"]
    assert [type(f) for f in call] == [
        CallerJoined,
        OperatorRung,
        OperatorMissed,
        OperatorRung,
        CallerAbandoned,
        CallerLeft,
    ]
    missed = next(f for f in call if isinstance(f, OperatorMissed))
    assert (missed.interface, missed.ring_ms) == ("Local/200@agents", 3000)
    abandoned = next(f for f in call if isinstance(f, CallerAbandoned))
    assert (abandoned.queue, abandoned.wait_s) == ("sales", 6)
    originated = {f.action_id: f for f in facts if isinstance(f, OriginateDone)}
    assert originated["o2"].result is OriginateResult.FAILED and originated["o2"].call_id is None
    assert originated["o1"].result is OriginateResult.ANSWERED
    assert originated["o1"].call_id == "1795870890.6"


async def test_replayed_sip_call_keeps_per_call_order(asterisk: Any) -> None:
    facts = await replay(asterisk, "ami-sip-call-dtmf-queue.txt")
    names = [type(f).__name__ for f in facts if getattr(f, "call_id", None)]
    assert names == [
        "CallerJoined",
        "OperatorRung",
        "CallerLeft",
        "OperatorConnected",
        "OperatorFinished",
    ]
    members = [f for f in facts if isinstance(f, MemberState)]
    assert members and all(m.interface == "PJSIP/agent" for m in members)


# --- outbound calls ---------------------------------------------------------------------------


class NoOperators:
    def operator_for(self, interface: str) -> str | None:
        return None


async def test_dialler_originates_over_the_link_and_hears_the_failure(
    asterisk: Any,
) -> None:
    ended: list[tuple[int, str]] = []
    loop = asyncio.get_running_loop()
    holder: list[AmiLink] = []
    dialler = AmiDialler(
        dial="PJSIP/{number}@trunk",
        # As `BackgroundFrontEnds.send` does: the caller's thread waits on the link's loop.
        send=lambda action: asyncio.run_coroutine_threadsafe(holder[0].send(action), loop).result(
            5
        ),
        call_ended=lambda fid, status: ended.append((fid, status)),
    )
    mirror = QueueMirror(
        operators=NoOperators(), clock=lambda: datetime.now(UTC), originates=dialler
    )
    link = AmiLink(
        host="127.0.0.1",
        port=asterisk.port,
        username="helpline1912",
        secret="s3cret",
        apply=mirror.apply,
        resynchronise=mirror.resynchronise,
        action_timeout_s=2,
    )
    holder.append(link)
    await link.start()
    try:
        assert await link.wait_ready(5)
        placed = await asyncio.to_thread(
            dialler.originate,
            number="9000000002",
            flow="feedback",
            variables={"FEEDBACK_ID": "41", "DOCKET": "CZ2611270001", "LANGUAGE": "hi"},
        )
        assert placed
        sent = next(a for a in asterisk.received if a.get("Action") == "Originate")
        assert (sent["Channel"], sent["Context"], sent["Exten"], sent["Priority"]) == (
            "PJSIP/9000000002@trunk",
            "helpline-1912-out",
            "feedback",
            "1",
        )
        assert (sent["Async"], sent["Timeout"]) == ("true", "30000")
        carried = asterisk.variables[asterisk.received.index(sent)]
        assert sorted(carried) == [
            "DOCKET=CZ2611270001",
            "FEEDBACK_ID=41",
            "HELPLINE_FLOW=feedback",
            "HELPLINE_NUMBER=9000000002",
            "LANGUAGE=hi",
        ]
        await asterisk.originate_response(sent, reason=3)  # no answer
        await until(lambda: ended)
        await link.drain()
        assert ended == [(41, "no-answer")]
    finally:
        await link.close()
