"""The pure AMI translation table and the mirror, on recorded Asterisk 22 traffic.

Messages are parsed by panoramisk's own `Message.from_line` (pure), so what is tested is what
the link sees. The mirror runs against in-memory fakes of its ports.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from panoramisk import utils
from panoramisk.message import Message

from dialplans.events import (
    CallerJoined,
    DeviceState,
    Garbage,
    Ignored,
    MemberState,
    OperatorConnected,
    OperatorFinished,
    OriginateDone,
    OriginateResult,
    ordering_key,
    translate,
)
from dialplans.mirror import OperatorPresence, Presence, QueueMirror

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "asterisk-22"  # recorded traffic
RECORDINGS = (
    "ami-local-ivr-queue.txt",
    "ami-noanswer-abandon-badlogin.txt",
    "ami-sip-call-dtmf-queue.txt",
)


def messages(name: str) -> list[Message]:
    path = FIXTURES / name
    out = []
    for chunk in path.read_bytes().decode().split("\r\n\r\n"):
        lines = [x for x in chunk.split("\r\n") if x and not x.startswith("#")]
        message = Message.from_line("\r\n".join(lines)) if lines else None
        if message is not None:
            out.append(message)
    return out


def events(name: str) -> list[Message]:
    return [m for m in messages(name) if "event" in m]


@pytest.mark.parametrize("name", RECORDINGS)
def test_every_recorded_queue_event_translates_cleanly(name: str) -> None:
    queue_events = [m for m in events(name) if m["Event"].startswith(("Queue", "Agent"))]
    assert queue_events
    facts = [translate(m) for m in queue_events]
    assert not [f for f in facts if isinstance(f, Garbage)]
    # Only list headers we do not need stay unread.
    ignored = {f.event for f in facts if isinstance(f, Ignored)}
    assert ignored <= {"QueueParams", "QueueSummary", "QueueSummaryComplete"}


def test_status_entries_and_member_events_name_the_member_alike() -> None:
    facts = [translate(m) for m in events("ami-local-ivr-queue.txt")]
    listed = [
        f
        for f, m in zip(facts, events("ami-local-ivr-queue.txt"), strict=True)
        if m["Event"] == "QueueMember"
    ]
    evented = [
        f
        for f, m in zip(facts, events("ami-local-ivr-queue.txt"), strict=True)
        if m["Event"] == "QueueMemberStatus"
    ]
    assert listed and evented
    for fact in (*listed, *evented):
        assert isinstance(fact, MemberState)
        assert (fact.interface, fact.name) == ("Local/100@agents", "Agent100")
    assert {f.device for f in evented if isinstance(f, MemberState)} >= {DeviceState.INUSE}


def test_originate_failure_to_a_missing_context() -> None:
    facts = [translate(m) for m in events("ami-noanswer-abandon-badlogin.txt")]
    failed = [f for f in facts if isinstance(f, OriginateDone) and f.action_id == "o2"]
    assert failed == [OriginateDone("o2", OriginateResult.FAILED, None)]


@pytest.mark.parametrize(
    "message, reason",
    [
        (
            {
                "Event": "AgentConnect",
                "Uniqueid": "1.1",
                "Queue": "q",
                "Interface": "PJSIP/a",
                "HoldTime": "soon",
            },
            "HoldTime: not a number: 'soon'",
        ),
        (
            {"Event": "QueueCallerJoin", "Uniqueid": ["1.1", "1.2"], "Queue": "q", "Channel": "c"},
            "Uniqueid: repeated header",
        ),
        ({"Response": "Success"}, "not an event"),
    ],
)
def test_malformed_events_become_garbage_with_a_reason(
    message: dict[str, Any], reason: str
) -> None:
    fact = translate(message)
    assert isinstance(fact, Garbage) and fact.reason == reason


def test_member_of_an_unknown_device_state_is_not_garbage() -> None:
    fact = translate(
        {
            "Event": "QueueMemberStatus",
            "Queue": "q",
            "Interface": "PJSIP/a",
            "Status": "42",
            "Paused": "0",
        }
    )
    assert isinstance(fact, MemberState) and fact.device is DeviceState.UNKNOWN


def test_call_facts_order_by_call_and_member_facts_by_interface() -> None:
    facts = [translate(m) for m in events("ami-sip-call-dtmf-queue.txt")]
    keys = {ordering_key(f) for f in facts if not isinstance(f, Ignored)}
    assert "member:PJSIP/agent" in keys
    assert any(k.startswith("call:") for k in keys)


# --- the mirror with fakes of its ports -------------------------------------------------------


class FakeLive:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def __getattr__(self, name: str) -> Any:
        def record(*args: Any) -> None:
            self.calls.append((name, *args[:-1]))  # drop `now`

        return record


class FakeCallLog:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {"1795870852.3": {"priority": 7}}

    def priority_of(self, call_id: str) -> int | None:
        return self.rows.get(call_id, {}).get("priority")

    def joined(self, call_id: str, queue: str, at: datetime) -> None:
        self.rows.setdefault(call_id, {})["queue"] = queue

    def answered(self, call_id: str, operator_id: str | None, wait_s: int, at: datetime) -> None:
        self.rows.setdefault(call_id, {}).update(operator=operator_id, wait=wait_s)

    def finished(self, call_id: str, talk_s: int, at: datetime) -> None:
        self.rows.setdefault(call_id, {})["talk"] = talk_s

    def abandoned(self, call_id: str, wait_s: int, at: datetime) -> None:
        self.rows.setdefault(call_id, {})["abandoned"] = wait_s


class Directory:
    def operator_for(self, interface: str) -> str | None:
        return {"Local/100@agents": "cz-op01", "Local/200@agents": "cz-op02"}.get(interface)


@pytest.fixture
def mirror_parts() -> Iterator[tuple[QueueMirror, FakeLive, FakeCallLog]]:
    live, log = FakeLive(), FakeCallLog()
    mirror = QueueMirror(
        operators=Directory(),
        live=live,
        calls=log,
        clock=lambda: datetime(2026, 11, 28, 13, 0, tzinfo=UTC),
    )
    yield mirror, live, log


def test_mirror_follows_a_recorded_answered_call(mirror_parts: Any) -> None:
    mirror, live, log = mirror_parts
    for message in events("ami-local-ivr-queue.txt"):
        mirror.apply(translate(message))
    call = [
        c
        for c in live.calls
        if c[0].startswith(("caller", "operator_offered", "operator_answered", "operator_finished"))
    ]
    assert call == [
        ("caller_waiting", "1795870852.3", "support", 7),
        ("operator_offered", "cz-op01", "1795870852.3", "support"),
        ("caller_dequeued", "1795870852.3"),
        ("operator_answered", "cz-op01"),
        ("operator_finished", "cz-op01"),
    ]
    assert log.rows["1795870852.3"] == {
        "priority": 7,
        "queue": "support",
        "operator": "cz-op01",
        "wait": 1,
        "talk": 3,
    }
    presence = [c for c in live.calls if c[0] == "operator_presence"]
    # Added paused, unpaused with a reason "probe", removed: each change once, repeats dropped.
    assert presence[0] == ("operator_presence", "cz-op01", Presence.PAUSED, None)
    assert ("operator_presence", "cz-op01", Presence.READY, None) in presence
    assert presence[-1] == ("operator_presence", "cz-op01", Presence.OFFLINE, None)
    assert len(presence) == len({(i, c) for i, c in enumerate(presence)})


def test_mirror_skips_members_that_are_not_operators(
    mirror_parts: Any, caplog: pytest.LogCaptureFixture
) -> None:
    mirror, live, _ = mirror_parts
    mirror.apply(
        translate(
            {
                "Event": "AgentConnect",
                "Uniqueid": "9.9",
                "Queue": "q",
                "Interface": "PJSIP/stranger",
                "HoldTime": "3",
            }
        )
    )
    assert not live.calls and "PJSIP/stranger is not an operator" in caplog.text


def test_mirror_survives_a_failing_port(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(FakeLive):
        def caller_waiting(self, *args: Any) -> None:
            raise ConnectionError("redis down")

    mirror = QueueMirror(operators=Directory(), live=Broken(), clock=lambda: datetime.now(UTC))
    mirror.apply(CallerJoined("1.1", "q", 1, "c"))
    mirror.apply(OperatorConnected("1.1", "q", "Local/100@agents", 2))
    assert mirror.applied == 1 and "could not be applied" in caplog.text


def test_resync_replaces_presence_and_waiting_callers(mirror_parts: Any) -> None:
    mirror, live, _ = mirror_parts
    listing = [
        translate(m)
        for m in events("ami-local-ivr-queue.txt")
        if m["Event"] in ("QueueMember", "QueueEntry")
    ]
    mirror.resynchronise(listing)
    name, operators, callers = live.calls[-1]
    assert name == "resynchronise"
    # The recording lists the member paused, then (after the call) unpaused: the later wins.
    assert operators == [OperatorPresence("cz-op01", Presence.READY, None)]
    assert [c.call_id for c in callers] == ["1795870852.3"]


def test_finished_call_reason_is_kept() -> None:
    done = [
        translate(m) for m in events("ami-local-ivr-queue.txt") if m["Event"] == "AgentComplete"
    ]
    assert done == [OperatorFinished("1795870852.3", "support", "Local/100@agents", 1, 3, "agent")]


# --- panoramisk's own test manager, for the QueueAdd quirk ---------------------------------


@pytest.fixture
def restore_eol() -> Iterator[None]:
    # panoramisk.testing.Manager switches the module-wide EOL to "\n" for every later test.
    saved = utils.EOL
    yield
    utils.EOL = saved


@pytest.mark.asyncio
async def test_queue_add_needs_an_explicit_single_response(
    restore_eol: None, tmp_path: Path
) -> None:
    from panoramisk import testing

    stream = tmp_path / "queue_add.txt"
    stream.write_text(
        "Response: Success\nActionID: action/transaction_uid/1/1\n"
        "Message: Added interface to queue\n\n"
    )
    manager = testing.Manager(stream=str(stream))
    from dialplans.actions import queue_add

    action = queue_add("support", "Local/100@agents", name="Agent100", penalty=0, paused=True)
    reply = await manager.send_action(action.as_dict(), as_list=action.as_list)
    assert reply.message == "Added interface to queue"
    assert utils.EOL == "\n"  # what the fixture undoes
