"""The whole complaint loop on real SQL and Redis, through signed Twilio requests.

IVR complaint → dispatch SMS to the centre's field team (outbox, with the field-page link) →
`DONE <docket> fuse replaced` from the registered field mobile → resolved, consumer told,
feedback call scheduled → placed through Twilio REST → the `feedback` flow keyed 2 → reopened,
back to the field team and escalated.
"""

from __future__ import annotations

import io
import logging
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from twilio.rest import Client

from complaints.docket import ValidDocket, parse_docket
from services.complaint_desk import complaint_desk
from services.terminal_phone import run_call
from store import schema as t
from tests.integration.twilio_signing import ACCOUNT, BASE, TOKEN, post_signed
from webhooks.app import create_app

FIELD_TEAM = "+919100000002"  # the field team of demo consumer 1000000002's centre


@pytest.fixture
def settings_env(settings_env: dict[str, str]) -> dict[str, str]:
    return {
        **settings_env,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": BASE,
        "TWILIO_CALLER_ID": "+911912000000",
        "HELPLINE_SECRET_KEY": "k" * 40,
    }


@pytest.fixture
def transport(services: Any, twilio_http: Any) -> Any:
    recording = twilio_http()
    services.extras["twilio_rest"] = Client(ACCOUNT, TOKEN, http_client=recording)
    return recording


@pytest.fixture
def client(services: Any, transport: Any) -> FlaskClient:
    return create_app(services).test_client()


def sms(client: FlaskClient, body: str, sender: str) -> list[str]:
    data = {"MessageSid": "SM" + "5" * 32, "From": sender, "To": "+911912", "Body": body}
    reply = post_signed(client, BASE + "/twilio/sms", data)
    assert reply.status_code == 200
    return [el.text or "" for el in ET.fromstring(reply.data).iter("Message")]


def register(services: Any, caller: str = "9000000002", keys: str = "2,1,1") -> str:
    line = run_call(
        services, caller=caller, keys=keys.split(","), out=io.StringIO(), read_line=lambda: None
    )
    assert line.startswith("OUTCOME: docket"), line
    return line.split()[-1]


def outbox(services: Any, to: str) -> list[Any]:
    with services.engine.connect() as conn:
        return conn.execute(
            select(t.outbox).where(t.outbox.c.to_number == to).order_by(t.outbox.c.id)
        ).all()


def complaint_row(services: Any, docket: str) -> Any:
    with services.engine.connect() as conn:
        return conn.execute(select(t.complaints).where(t.complaints.c.docket == docket)).one()


def events(services: Any, complaint_id: int) -> list[Any]:
    with services.engine.connect() as conn:
        return conn.execute(
            select(t.complaint_events)
            .where(t.complaint_events.c.complaint_id == complaint_id)
            .order_by(t.complaint_events.c.id)
        ).all()


def feedback_rows(services: Any, complaint_id: int) -> list[Any]:
    with services.engine.connect() as conn:
        return conn.execute(
            select(t.feedback_calls).where(t.feedback_calls.c.complaint_id == complaint_id)
        ).all()


def voice(client: FlaskClient, url: str, sid: str, **extra: str) -> ET.Element:
    reply = post_signed(
        client, url, {"CallSid": sid, "To": "+919000000002", "From": "+911912000000", **extra}
    )
    assert reply.status_code == 200 and reply.mimetype == "text/xml"
    return ET.fromstring(reply.data)


def spoken(root: ET.Element) -> str:
    return " ".join(el.text or "" for el in root.iter("Say"))


def test_the_whole_loop_from_ivr_to_reopened_and_escalated(
    services: Any, client: FlaskClient, transport: Any, clock: Any
) -> None:
    docket = register(services)
    assert isinstance(parse_docket(docket), ValidDocket)
    [dispatch] = [m for m in outbox(services, "9100000002") if m.kind == "field_dispatch"]
    assert docket in dispatch.body and "Sunita Patel" in dispatch.body
    link = dispatch.body.split()[-1]
    assert link.startswith(BASE + "/field/")

    [reply] = sms(client, f"DONE {docket} fuse replaced", FIELD_TEAM)
    assert reply == f"Complaint {docket} recorded as resolved. Thank you."
    row = complaint_row(services, docket)
    assert row.status == "resolved" and row.remarks == "fuse replaced"
    assert [m.kind for m in outbox(services, "9000000002")] == ["docket", "complaint_resolved"]
    [scheduled] = feedback_rows(services, row.id)
    assert scheduled.status == "scheduled" and scheduled.number == "9000000002"

    clock.advance(minutes=31)
    report = complaint_desk(services).place_due_feedback(sleep=lambda s: None)
    assert report.placed == 1
    [(method, uri, data)] = [s for s in transport.sent if s[1].endswith("/Calls.json")]
    assert method == "POST" and data["To"] == "+919000000002"
    assert data["From"] == "+911912000000"
    assert data["Url"] == f"{BASE}/twilio/feedback?feedback={scheduled.id}"
    assert data["StatusCallback"] == f"{BASE}/twilio/feedback/status?feedback={scheduled.id}"

    first = voice(client, data["Url"], "CA-fb-1")
    gather = first.find("Gather")
    assert gather is not None and "Was your problem solved? For yes, press 1." in spoken(first)
    assert " ".join(docket[2:]) in spoken(first)
    last = voice(client, BASE + gather.attrib["action"].removeprefix(BASE), "CA-fb-1", Digits="2")
    assert [el.tag for el in last][-1] == "Hangup"

    row = complaint_row(services, docket)
    assert row.status == "open" and row.resolved_at is None
    kinds = [e.kind for e in events(services, row.id)]
    assert kinds == ["registered", "resolved", "feedback", "reopened", "escalated"]
    escalated = events(services, row.id)[-1].detail
    assert escalated["level"] == "AE" and escalated["reason"] == "feedback"
    [answered] = feedback_rows(services, row.id)
    assert (answered.status, answered.outcome) == ("answered", "not_satisfied")
    to_field = [m.kind for m in outbox(services, "9100000002")]
    assert to_field == ["field_dispatch", "field_reopened"]
    with services.engine.connect() as conn:
        ae = conn.execute(select(t.outbox).where(t.outbox.c.kind == "escalation")).one()
        contact = conn.execute(
            select(t.staff_contacts).where(t.staff_contacts.c.mobile == ae.to_number)
        ).one()
    assert contact.level == "AE" and docket in ae.body

    # the carrier's end-of-call report afterwards changes nothing
    voice(client, data["StatusCallback"], "CA-fb-1", CallStatus="completed")
    assert feedback_rows(services, row.id)[0].status == "answered"


def test_acceptance_done_from_the_demo_field_team_resolves_and_queues_feedback(
    services: Any, client: FlaskClient
) -> None:
    docket = register(services, "9000000002", "2,1,1")
    assert sms(client, f"DONE {docket} fuse replaced", FIELD_TEAM)[0].endswith("Thank you.")
    row = complaint_row(services, docket)
    with services.engine.connect() as conn:
        ivrs = conn.execute(
            select(t.consumers.c.ivrs).where(t.consumers.c.id == row.consumer_id)
        ).scalar()
    assert ivrs == "1000000002" and row.status == "resolved"
    assert [f.status for f in feedback_rows(services, row.id)] == ["scheduled"]


def test_done_twice_is_answered_clearly_and_counted_once(
    services: Any, client: FlaskClient
) -> None:
    docket = register(services)
    assert sms(client, f"ACK {docket}", FIELD_TEAM) == [
        f"Complaint {docket} acknowledged. Send DONE {docket} <remarks> when fixed."
    ]
    sms(client, f"DONE {docket} fuse replaced", FIELD_TEAM)
    again = sms(client, f"done {docket[:2]} {docket[2:8]} {docket[8:]} again", FIELD_TEAM)
    assert again == [f"Complaint {docket} is already resolved; nothing was changed."]
    assert sms(client, f"ACK {docket}", FIELD_TEAM)[0].endswith(
        "already resolved; nothing was changed."
    )
    row = complaint_row(services, docket)
    assert [e.kind for e in events(services, row.id)] == ["registered", "acknowledged", "resolved"]
    assert len(feedback_rows(services, row.id)) == 1
    assert [m.kind for m in outbox(services, "9000000002")].count("complaint_resolved") == 1


def test_unregistered_sender_is_ignored_and_logged(
    services: Any, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    docket = register(services)
    with caplog.at_level(logging.WARNING, logger="services.field_sms_handler"):
        assert sms(client, f"DONE {docket} fixed", "+919812345678") == []
    assert "unregistered number ******5678" in caplog.text
    assert complaint_row(services, docket).status == "open"


def test_malformed_and_mistyped_messages_get_the_right_form(
    services: Any, client: FlaskClient
) -> None:
    docket = register(services)
    assert sms(client, "DONE", FIELD_TEAM) == [
        "Message not understood: DONE needs a docket number: DONE <docket> <remarks>"
    ]
    assert sms(client, "FIXED it", FIELD_TEAM) == [
        "Message not understood: send ACK <docket> or DONE <docket> <remarks>"
    ]
    wrong = docket[:-1] + str((int(docket[-1]) + 1) % 10)
    assert sms(client, f"DONE {wrong} fixed", FIELD_TEAM) == [
        f"{wrong} is not a valid complaint number (a digit is wrong). "
        "The form is: DONE <docket> <remarks>"
    ]
    assert complaint_row(services, docket).status == "open"


def test_docket_of_another_centre_is_refused(services: Any, client: FlaskClient) -> None:
    docket = register(services)  # a West complaint; 9100000001 is a Central centre's team
    assert sms(client, f"DONE {docket} fixed", "+919100000001") == [
        f"Complaint {docket} belongs to another distribution centre; your message was not accepted."
    ]
    assert complaint_row(services, docket).status == "open"


def test_status_from_consumers_still_reaches_the_consumer_handler(
    services: Any, client: FlaskClient
) -> None:
    docket = register(services)
    [reply] = sms(client, f"STATUS {docket}", "+919000000002")
    assert reply.startswith(f"Complaint {docket}: open.")


def test_field_page_from_the_signed_link(services: Any, client: FlaskClient) -> None:
    docket = register(services)
    [dispatch] = [m for m in outbox(services, "9100000002") if m.kind == "field_dispatch"]
    path = urlsplit(dispatch.body.split()[-1]).path
    token = path.rsplit("/", 1)[-1]
    page = client.get(path)
    assert page.status_code == 200 and docket in page.text and "Sunita Patel" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert client.post(path, data={"token": "forged", "action": "done"}).status_code == 403
    assert client.get(path[:-3] + "abc").status_code == 403  # an altered token
    done = client.post(path, data={"token": token, "action": "done", "remarks": "<b>jumper</b>"})
    assert done.status_code == 200 and "Recorded as resolved" in done.text
    assert "<b>jumper" not in done.text  # remarks never come back unescaped
    row = complaint_row(services, docket)
    assert row.status == "resolved" and row.remarks == "<b>jumper</b>"
    again = client.post(path, data={"token": token, "action": "done"})
    assert "already resolved" in again.text
    assert len(feedback_rows(services, row.id)) == 1
    with services.engine.connect() as conn:
        count = conn.execute(
            select(func.count())
            .select_from(t.complaint_events)
            .where(
                t.complaint_events.c.complaint_id == row.id, t.complaint_events.c.kind == "resolved"
            )
        ).scalar()
    assert count == 1
