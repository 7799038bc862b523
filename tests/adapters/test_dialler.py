"""Feedback calls over Asterisk: the AMI_DIAL setting, the outbound dialplan, the dialler's
Originate and failure reports, and the FastAGI `feedback` route reopening a complaint."""

from __future__ import annotations

import asyncio
import doctest
import io
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from complaints.docket import ValidDocket, parse_docket
from config.errors import ConfigError
from config.settings import load_settings
from dialplans import agi_peer
from dialplans import dialler as dialler_module
from dialplans.actions import AmiAction
from dialplans.agi import FastAgiServer
from dialplans.ami import ActionResult
from dialplans.cli import feedback_leg
from dialplans.dialler import AmiDialler
from dialplans.events import OriginateDone, OriginateResult
from dialplans.frontends import ivr_over_agi
from dialplans.generate import DialplanOptions, render_context
from services.complaint_desk import ComplaintDesk, complaint_desk
from services.complaint_dialling import AmiFeedbackDialler
from services.complaint_lifecycle import FieldAction
from services.terminal_phone import run_call
from store import schema as t


class FakeAsterisk:
    """Takes (or refuses) every action and keeps it."""

    def __init__(self, accept: bool = True) -> None:
        self.accept = accept
        self.sent: list[AmiAction] = []

    def send(self, action: AmiAction) -> ActionResult:
        self.sent.append(action)
        return ActionResult(self.accept, "Originate successfully queued" if self.accept else "no")


def dialler(asterisk: FakeAsterisk, ended: list[tuple[int, str]], **kw: Any) -> AmiDialler:
    return AmiDialler(
        dial="PJSIP/0{number}@bsnl",
        send=asterisk.send,
        call_ended=lambda fid, status: ended.append((fid, status)),
        **kw,
    )


def variables(action: AmiAction) -> dict[str, str]:
    return dict(item.split("=", 1) for item in action.headers["Variable"])


def test_module_examples_hold() -> None:
    failed, tried = doctest.testmod(dialler_module)
    assert tried and failed == 0


# --- the setting and the dialplan ---------------------------------------------------------------


def test_dial_string_defaults_to_the_trunk_and_a_bad_one_names_ami_dial(
    settings_env: dict[str, str],
) -> None:
    assert load_settings(settings_env).ami_dial == "PJSIP/{number}@trunk"
    custom = load_settings({**settings_env, "AMI_DIAL": "SIP/0{number}@bsnl"})
    assert custom.ami_dial == "SIP/0{number}@bsnl"
    for bad in ("PJSIP/trunk", "PJSIP/{num}@trunk", "PJSIP/{number}/{number}", "PJSIP/{number"):
        with pytest.raises(ConfigError, match="^AMI_DIAL:"):
            load_settings({**settings_env, "AMI_DIAL": bad})


def test_outbound_context_hands_the_answered_call_to_the_feedback_route() -> None:
    text = render_context(DialplanOptions("agi://10.0.0.5:4599", "CZ-hi"))
    outbound = text.split("[helpline-1912-out]", 1)[1]
    lines = [line.strip() for line in outbound.splitlines()]
    start = lines.index(
        "exten => feedback,1,NoOp(Helpline 1912 outbound feedback call ${UNIQUEID})"
    )
    assert lines[start + 1] == (
        "same => n,AGI(agi://10.0.0.5:4599/feedback,${FEEDBACK_ID},${HELPLINE_NUMBER})"
    )
    assert lines[start + 2] == "same => n,Hangup()"


# --- the dialler --------------------------------------------------------------------------------


def test_originate_dials_the_number_into_the_flow_with_its_variables() -> None:
    asterisk, ended = FakeAsterisk(), []
    ok = dialler(asterisk, ended).originate(
        number="9000000002",
        flow="feedback",
        variables={"FEEDBACK_ID": "7", "DOCKET": "CZ2611270001", "LANGUAGE": "hi"},
    )
    assert ok
    [action] = asterisk.sent
    headers = action.headers
    assert action.name == "Originate"
    assert (headers["Channel"], headers["Context"], headers["Exten"], headers["Async"]) == (
        "PJSIP/09000000002@bsnl",
        "helpline-1912-out",
        "feedback",
        "true",
    )
    assert variables(action) == {
        "FEEDBACK_ID": "7",
        "DOCKET": "CZ2611270001",
        "LANGUAGE": "hi",
        "HELPLINE_NUMBER": "9000000002",
        "HELPLINE_FLOW": "feedback",
    }


@pytest.mark.parametrize(
    "number, flow, extra",
    [
        ("9000&PJSIP/evil", "feedback", {}),  # not a phone number: never part of a channel
        ("9000000002", "survey", {}),  # no outbound extension for that flow
        ("9000000002", "feedback", {"DOCKET": "a\r\nAction: Hangup"}),  # would break AMI
        ("9000000002", "feedback", {"lower": "x"}),
    ],
)
def test_what_cannot_be_sent_safely_is_refused_unsent(
    number: str, flow: str, extra: dict[str, str]
) -> None:
    asterisk = FakeAsterisk()
    assert not dialler(asterisk, []).originate(
        number=number, flow=flow, variables={"FEEDBACK_ID": "7", **extra}
    )
    assert asterisk.sent == []


def test_failed_originate_is_an_unanswered_attempt_reported_once() -> None:
    asterisk, ended = FakeAsterisk(), []
    calls = dialler(asterisk, ended)
    for fid in ("7", "8", "9"):
        calls.originate(number="9000000002", flow="feedback", variables={"FEEDBACK_ID": fid})
    ids = [str(a.headers["ActionID"]) for a in asterisk.sent]
    calls.originate_finished(OriginateDone(ids[0], OriginateResult.NO_ANSWER, None))
    calls.originate_finished(OriginateDone(ids[0], OriginateResult.NO_ANSWER, None))  # repeated
    calls.originate_finished(OriginateDone(ids[1], OriginateResult.BUSY, None))
    calls.originate_finished(OriginateDone(ids[2], OriginateResult.ANSWERED, "1.2"))
    assert ended == [(7, "no-answer"), (8, "busy")]


def test_refused_originate_is_left_to_the_lifecycle_and_others_pass_through() -> None:
    heard: list[OriginateDone] = []

    class Previous:
        def originate_finished(self, done: OriginateDone) -> None:
            heard.append(done)

    asterisk, ended = FakeAsterisk(accept=False), []
    calls = dialler(asterisk, ended, previous=Previous())
    assert not calls.originate(number="9000000002", flow="feedback", variables={"FEEDBACK_ID": "7"})
    refused = str(asterisk.sent[0].headers["ActionID"])
    # The lifecycle counts a refused placing itself; a late report must not count it twice.
    calls.originate_finished(OriginateDone(refused, OriginateResult.FAILED, None))
    other = OriginateDone("callback-1", OriginateResult.FAILED, None)
    calls.originate_finished(other)
    assert ended == [] and heard == [
        OriginateDone(refused, OriginateResult.FAILED, None),
        other,
    ]


# --- the FastAGI feedback route -----------------------------------------------------------------


@pytest_asyncio.fixture
async def agi(services: Any) -> AsyncIterator[tuple[str, int]]:
    calls = ivr_over_agi(
        services,
        feedback=feedback_leg(services),
    )
    server = FastAgiServer(calls)
    address = await server.start("127.0.0.1", 0)
    yield address
    await server.close()


def resolved_complaint(services: Any, caller: str = "9000000002") -> str:
    line = run_call(
        services, caller=caller, keys=["2", "1", "1"], out=io.StringIO(), read_line=lambda: None
    )
    docket = parse_docket(line.split()[-1])
    assert isinstance(docket, ValidDocket)
    result = complaint_desk(services).field_report(docket, FieldAction.DONE, dc_id=None, actor="t")
    assert result.status == "resolved"
    return line.split()[-1]


def complaint_and_feedback(services: Any, docket: str) -> tuple[str, Any]:
    with services.engine.connect() as conn:
        row = conn.execute(
            select(t.complaints.c.status.label("complaint_status"), t.feedback_calls)
            .join(t.complaints, t.complaints.c.id == t.feedback_calls.c.complaint_id)
            .where(t.complaints.c.docket == docket)
        ).one()
    return row.complaint_status, row


def placed_over_asterisk(services: Any, clock: Any) -> tuple[str, dict[str, str]]:
    """A resolved complaint whose feedback call the lifecycle placed through the dialler."""
    docket = resolved_complaint(services)
    asterisk = FakeAsterisk()
    base = complaint_desk(services)
    desk = ComplaintDesk(
        services.engine,
        replace(base.config, pace_s=0),
        services.clock,
        dialler=lambda: AmiFeedbackDialler(dialler(asterisk, [])),
    )
    clock.advance(minutes=30)
    assert desk.place_due_feedback().placed == 1
    [action] = asterisk.sent
    return docket, variables(action)


@pytest.mark.asyncio
async def test_answered_feedback_call_keyed_2_reopens_the_complaint(
    services: Any, clock: Any, agi: tuple[str, int]
) -> None:
    docket, carried = placed_over_asterisk(services, clock)
    assert carried["DOCKET"] == docket
    # As the generated dialplan runs it: AGI(agi://…/feedback,${FEEDBACK_ID},${HELPLINE_NUMBER})
    log = await asyncio.wait_for(
        agi_peer.call(
            *agi,
            uniqueid="1800000100.1",
            caller="1912",
            answers=["2"],
            script="feedback",
            args=[carried["FEEDBACK_ID"], carried["HELPLINE_NUMBER"]],
        ),
        60,
    )
    assert log.inputs == ["2"]
    status, row = complaint_and_feedback(services, docket)
    assert status == "open"  # back to the field team
    assert (row.status, row.outcome) == ("answered", "not_satisfied")
    with services.engine.connect() as conn:
        kinds = conn.execute(
            select(t.complaint_events.c.kind, t.complaint_events.c.actor).where(
                t.complaint_events.c.complaint_id == row.complaint_id
            )
        ).all()
    assert ("reopened", "feedback-call:1800000100.1") in [tuple(k) for k in kinds]


@pytest.mark.asyncio
async def test_feedback_id_is_read_from_the_channel_when_not_an_argument(
    services: Any, clock: Any, agi: tuple[str, int]
) -> None:
    docket, carried = placed_over_asterisk(services, clock)
    log = await asyncio.wait_for(
        agi_peer.call(
            *agi,
            uniqueid="1800000100.2",
            caller="1912",
            answers=["1"],
            script="feedback",
            channel_variables=carried,
        ),
        60,
    )
    assert "GET VARIABLE FEEDBACK_ID" in log.commands
    status, row = complaint_and_feedback(services, docket)
    assert status == "closed" and row.outcome == "satisfied"


@pytest.mark.asyncio
async def test_consumer_who_hangs_up_unanswered_leaves_a_retry(
    services: Any, clock: Any, agi: tuple[str, int]
) -> None:
    docket, carried = placed_over_asterisk(services, clock)
    await asyncio.wait_for(
        agi_peer.call(
            *agi,
            uniqueid="1800000100.3",
            caller="1912",
            answers=[],  # hangs up at the question
            script="feedback",
            args=[carried["FEEDBACK_ID"], carried["HELPLINE_NUMBER"]],
        ),
        60,
    )
    # The server finishes the call after the peer has gone: wait for it.
    for _ in range(250):
        status, row = complaint_and_feedback(services, docket)
        if row.status != "dialling":
            break
        await asyncio.sleep(0.02)
    assert status == "resolved"
    assert (row.status, row.attempts, row.outcome) == ("scheduled", 1, None)
