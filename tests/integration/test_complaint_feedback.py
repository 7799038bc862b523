"""Feedback calls: scheduling within calling hours, retries, the daily target, the operators'
list, answers by hand, and a call nobody answers (on the phone or in the flow)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from complaints.docket import ValidDocket, parse_docket
from services.complaint_desk import ComplaintDesk, complaint_desk
from services.complaint_dialling import DueCall
from services.complaint_lifecycle import FieldAction
from services.terminal_phone import run_call
from store import schema as t
from tests.integration.twilio_signing import BASE, TOKEN, post_twiml
from webhooks.app import create_app


@pytest.fixture
def settings_env(settings_env: dict[str, str]) -> dict[str, str]:
    return {**settings_env, "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": BASE}


@dataclass
class FakeDialler:
    """A dialler port that accepts (or refuses) every call and remembers them."""

    accept: bool = True
    placed: list[DueCall] = field(default_factory=list)

    def place(self, call: DueCall) -> bool:
        self.placed.append(call)
        return self.accept


def valid(text: str) -> ValidDocket:
    docket = parse_docket(text)
    assert isinstance(docket, ValidDocket), text
    return docket


def resolved_complaint(services: Any, caller: str = "9000000002") -> Any:
    line = run_call(
        services, caller=caller, keys=["2", "1", "1"], out=io.StringIO(), read_line=lambda: None
    )
    docket = valid(line.split()[-1])
    desk = complaint_desk(services)
    result = desk.field_report(docket, FieldAction.DONE, dc_id=None, actor="test")
    assert result.status == "resolved"
    return feedback(services, docket_text=line.split()[-1])


def feedback(services: Any, *, docket_text: str) -> Any:
    with services.engine.connect() as conn:
        return conn.execute(
            select(t.feedback_calls)
            .join(t.complaints, t.complaints.c.id == t.feedback_calls.c.complaint_id)
            .where(t.complaints.c.docket == docket_text)
        ).one()


def reload(services: Any, feedback_id: int) -> Any:
    with services.engine.connect() as conn:
        return conn.execute(
            select(t.feedback_calls).where(t.feedback_calls.c.id == feedback_id)
        ).one()


def status_of(services: Any, complaint_id: int) -> str:
    with services.engine.connect() as conn:
        return str(
            conn.execute(
                select(t.complaints.c.status).where(t.complaints.c.id == complaint_id)
            ).scalar()
        )


def with_dialler(services: Any, dialler: FakeDialler | None, **config: Any) -> ComplaintDesk:
    """A desk like the service's, with a fake dialler port (and config overrides)."""
    base = complaint_desk(services)
    return ComplaintDesk(
        services.engine,
        replace(base.config, **config),
        services.clock,
        dialler=lambda: dialler,
        records=services.records,
        network=services.network,
    )


def test_first_call_waits_the_configured_delay_within_calling_hours(
    services: Any, clock: Any
) -> None:
    row = resolved_complaint(services)
    assert row.due_at.replace(tzinfo=UTC) == datetime(2026, 11, 27, 6, 30, tzinfo=UTC)
    # resolved at 19:45 local: the call waits for 09:00 next morning
    clock.now = datetime(2026, 11, 27, 14, 15, tzinfo=UTC)
    late = resolved_complaint(services, "9000000003")
    assert late.due_at.replace(tzinfo=UTC) == datetime(2026, 11, 28, 3, 30, tzinfo=UTC)


def test_unanswered_calls_are_retried_then_given_up(services: Any, clock: Any) -> None:
    row = resolved_complaint(services)
    dialler = FakeDialler()
    desk = with_dialler(services, dialler, pace_s=0)
    for attempt in (1, 2, 3):
        clock.now = reload(services, row.id).due_at.replace(tzinfo=UTC)
        assert desk.place_due_feedback().placed == 1
        assert reload(services, row.id).attempts == attempt
        after = desk.feedback_call_ended(row.id, "no-answer")
        assert after == ("scheduled" if attempt < 3 else "given_up")
        assert desk.feedback_call_ended(row.id, "no-answer") is None  # a repeated report
    final = reload(services, row.id)
    assert (final.status, final.outcome, final.attempts) == ("given_up", "unreached", 3)
    assert len(dialler.placed) == 3
    assert status_of(services, row.complaint_id) == "resolved"


def test_retry_waits_the_retry_interval(services: Any, clock: Any) -> None:
    row = resolved_complaint(services)
    desk = with_dialler(services, FakeDialler(), pace_s=0)
    clock.advance(minutes=30)
    desk.place_due_feedback()
    clock.advance(minutes=1)
    desk.feedback_call_ended(row.id, "busy")
    retry = reload(services, row.id)
    assert retry.due_at.replace(tzinfo=UTC) == datetime(2026, 11, 27, 8, 30, tzinfo=UTC)


def test_a_refused_placing_counts_as_an_unanswered_attempt(services: Any, clock: Any) -> None:
    row = resolved_complaint(services)
    desk = with_dialler(services, FakeDialler(accept=False), pace_s=0)
    clock.advance(minutes=30)
    report = desk.place_due_feedback()
    assert (report.placed, report.failed) == (0, 1)
    again = reload(services, row.id)
    assert (again.status, again.attempts) == ("scheduled", 1)


def test_daily_target_holds_the_rest_for_tomorrow(services: Any, clock: Any) -> None:
    first = resolved_complaint(services, "9000000003")  # East
    second = resolved_complaint(services, "9000000003")
    dialler = FakeDialler()
    desk = with_dialler(services, dialler, pace_s=0, daily_targets={"EZ": 1})
    clock.advance(minutes=30)
    report = desk.place_due_feedback()
    assert (report.placed, report.held_by_target) == (1, 1)
    assert {c.id for c in dialler.placed} <= {first.id, second.id}
    assert desk.feedback_progress()["EZ"] == {"placed_today": 1, "target": 1}
    assert desk.feedback_progress()["CZ"]["target"] == 500


def test_without_a_dialler_calls_stay_in_the_operators_list(services: Any, clock: Any) -> None:
    row = resolved_complaint(services)
    desk = with_dialler(services, None)
    clock.advance(minutes=45)
    assert desk.place_due_feedback().no_dialler == 1
    [pending] = desk.pending_feedback()
    assert pending["id"] == row.id and pending["overdue"] and pending["number"] == "9000000002"
    assert pending["consumer"] == "Sunita Patel"
    assert desk.pending_feedback(company="CZ") == []
    done = desk.record_feedback(row.id, "satisfied", operator_id="wz-op01")
    assert done is not None and done["recorded"]
    assert status_of(services, row.complaint_id) == "closed"
    assert desk.pending_feedback() == []
    again = desk.record_feedback(row.id, "not_satisfied", operator_id="wz-op01")
    assert again is not None and not again["recorded"]  # the first answer stands
    assert status_of(services, row.complaint_id) == "closed"


def test_operator_who_cannot_reach_the_consumer_leaves_a_retry(services: Any, clock: Any) -> None:
    row = resolved_complaint(services)
    desk = with_dialler(services, None)
    clock.advance(minutes=40)
    assert desk.record_feedback(row.id, "unreached", operator_id="wz-op02") == {
        "status": "scheduled",
        "recorded": True,
    }
    after = reload(services, row.id)
    assert after.attempts == 1 and after.operator_id == "wz-op02"


def test_nobody_keys_anything_the_question_is_asked_twice_then_no_answer(
    services: Any, clock: Any
) -> None:
    row = resolved_complaint(services)
    client = create_app(services).test_client()
    call = {"CallSid": "CA-quiet", "To": "+919000000002"}
    first = post_twiml(client, f"{BASE}/twilio/feedback?feedback={row.id}", call)
    silence = first.find("Redirect")
    assert silence is not None and first.find("Gather") is not None
    second = post_twiml(client, silence.text or "", call)
    assert "did not hear a key" in " ".join(s.text or "" for s in second.iter("Say"))
    third = post_twiml(client, second.find("Redirect").text or "", call)  # type: ignore[union-attr]
    assert [el.tag for el in third][-1] == "Hangup"
    answered = reload(services, row.id)
    assert (answered.status, answered.outcome) == ("answered", "no_answer")
    assert status_of(services, row.complaint_id) == "resolved"
    # Twilio's status report after the call changes nothing
    post_twiml(
        client,
        f"{BASE}/twilio/feedback/status?feedback={row.id}",
        {**call, "CallStatus": "completed"},
    )
    assert reload(services, row.id).outcome == "no_answer"


def test_keying_1_closes_the_complaint(services: Any) -> None:
    row = resolved_complaint(services)
    client = create_app(services).test_client()
    call = {"CallSid": "CA-yes", "To": "+919000000002"}
    first = post_twiml(client, f"{BASE}/twilio/feedback?feedback={row.id}", call)
    action = first.find("Gather").attrib["action"]  # type: ignore[union-attr]
    last = post_twiml(client, action, {**call, "Digits": "1"})
    assert "Your answer has been recorded" in " ".join(s.text or "" for s in last.iter("Say"))
    assert status_of(services, row.complaint_id) == "closed"
    # a retried request (same turn) re-renders nothing new and records nothing twice
    post_twiml(client, action, {**call, "Digits": "2"})
    assert status_of(services, row.complaint_id) == "closed"


def test_unsigned_feedback_requests_are_refused(services: Any) -> None:
    client = create_app(services).test_client()
    reply = client.post("/twilio/feedback?feedback=1", data={"CallSid": "CA-x"})
    assert reply.status_code == 403


def test_a_call_with_no_status_report_is_recovered_as_unanswered(services: Any, clock: Any) -> None:
    row = resolved_complaint(services)
    desk = with_dialler(services, FakeDialler(), pace_s=0)
    clock.advance(minutes=30)
    assert desk.place_due_feedback().placed == 1
    clock.advance(minutes=29)
    desk.place_due_feedback()
    assert reload(services, row.id).status == "dialling"  # still possibly ringing
    clock.advance(minutes=2)
    desk.place_due_feedback()
    lost = reload(services, row.id)
    assert (lost.status, lost.attempts) == ("scheduled", 1)
