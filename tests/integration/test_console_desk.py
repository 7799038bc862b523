"""The operator desk over HTTP: state buttons, the pop of a routed call, complaints, search."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from sqlalchemy import select

from services.terminal_phone import run_call
from store import schema as t
from webhooks.app import create_app


@pytest.fixture
def app(services: Any) -> Any:
    services.extras["routing"].sync_operators()
    app = create_app(services)
    app.config["CONSOLE_STREAM_S"] = 0.5
    return app


@pytest.fixture
def desk(app: Any) -> Any:
    client = app.test_client()
    client.get("/console/login")
    response = client.post(
        "/console/login",
        data={"username": "operator1", "password": "operator1-demo", "csrf_token": csrf(client)},
    )
    assert response.status_code == 302
    return client


def csrf(client: Any) -> str:
    with client.session_transaction() as session:
        return str(session["csrf"])


def press(client: Any, action: str, **extra: str) -> Any:
    return client.post(
        "/console/desk/state",
        data={"action": action, "csrf_token": csrf(client), **extra},
        headers={"X-Requested-With": "fetch"},
    )


def routed_call(services: Any) -> str:
    """A caller under the demo fault keys Hindi, confirms the connection, asks for an operator."""
    out = io.StringIO()
    run_call(services, caller="9000000001", keys=["1", "1", "0"], out=out, read_line=lambda: None)
    assert "queued queue=CZ-hi" in out.getvalue()
    status = services.extras["routing"].live.operator_status(
        "cz-op01", services.clock().timestamp()
    )
    assert status.caller and status.caller.startswith("call:")
    return str(status.caller.partition(":")[2])


def test_ready_then_a_routed_call_pops_with_the_callers_records(desk: Any, services: Any) -> None:
    ready = press(desk, "ready")
    assert ready.status_code == 200 and ready.get_json()["status"]["state"] == "ready"
    call_id = routed_call(services)

    stream = desk.get("/console/desk/events").get_data(as_text=True)
    events = [json.loads(line[6:]) for line in stream.splitlines() if line.startswith("data: ")]
    assert events[0]["state"] == "ringing" and events[0]["call"] == call_id

    pop = desk.get(f"/console/desk/pop/{call_id}").get_data(as_text=True)
    for expected in (
        "Ramesh Sharma",
        "1000000001",
        "9000000001",
        "CZ01F001",
        "tree",
        "Heard fault news",
        "ETR",
    ):
        assert expected in pop, expected
    page = desk.get("/console/desk").get_data(as_text=True)
    assert f'data-call="{call_id}"' in page and "Ramesh Sharma" in page


def test_a_complaint_registers_once_however_often_the_form_is_sent(
    desk: Any, services: Any
) -> None:
    press(desk, "ready")
    call_id = routed_call(services)
    form = {
        "kind": "no_supply",
        "remarks": "whole street dark",
        "request_key": "k" * 24,
        "call_id": call_id,
        "consumer_id": "",
        "draft_id": f"call:{call_id}",
    }
    consumer = services.network.consumer_by_ivrs("1000000001")
    form["consumer_id"] = str(consumer["id"])
    first = desk.post("/console/desk/complaint", data={**form, "csrf_token": csrf(desk)})
    second = desk.post("/console/desk/complaint", data={**form, "csrf_token": csrf(desk)})
    assert first.status_code == second.status_code == 302
    with services.engine.connect() as conn:
        rows = conn.execute(
            select(t.complaints).where(t.complaints.c.request_key == "console:" + "k" * 24)
        ).all()
    assert len(rows) == 1
    row = rows[0]
    assert row.kind == "no_supply" and row.channel == "console" and row.fault_id is not None
    assert "whole street dark" in row.remarks
    shown = desk.get(second.headers["Location"]).get_data(as_text=True)
    assert row.docket in shown and f'data-clear-draft="call:{call_id}"' in shown


def test_a_bad_form_comes_back_with_messages_and_the_typed_text(desk: Any, services: Any) -> None:
    press(desk, "ready")
    call_id = routed_call(services)
    response = desk.post(
        "/console/desk/complaint",
        data={
            "kind": "",
            "remarks": "sparks near the pole",
            "request_key": "r" * 24,
            "call_id": call_id,
            "csrf_token": csrf(desk),
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "choose the kind of complaint" in body and "sparks near the pole" in body
    assert 'value="' + "r" * 24 + '"' in body  # the same request key: a resend registers once
    with services.engine.connect() as conn:
        assert (
            conn.execute(select(t.complaints).where(t.complaints.c.channel == "console")).first()
            is None
        )


def test_hazard_flag_raises_the_priority_and_notes_update_a_complaint(
    desk: Any, services: Any
) -> None:
    consumer = services.network.consumer_by_ivrs("1000000002")
    done = desk.post(
        "/console/desk/complaint",
        data={
            "kind": "broken_pole",
            "remarks": "pole leaning on a house",
            "hazard": "on",
            "request_key": "h" * 24,
            "consumer_id": str(consumer["id"]),
            "csrf_token": csrf(desk),
        },
    )
    assert done.headers["Location"].endswith(f"/console/consumer/{consumer['id']}")
    with services.engine.connect() as conn:
        row = conn.execute(
            select(t.complaints).where(t.complaints.c.request_key == "console:" + "h" * 24)
        ).one()
    assert row.priority >= 10
    desk.post(
        "/console/desk/complaint/note",
        data={"docket": row.docket, "note": "caller rang again", "csrf_token": csrf(desk)},
    )
    with services.engine.connect() as conn:
        remarks = conn.execute(
            select(t.complaints.c.remarks).where(t.complaints.c.id == row.id)
        ).scalar_one()
        kinds = [
            e.kind
            for e in conn.execute(
                select(t.complaint_events).where(t.complaint_events.c.complaint_id == row.id)
            )
        ]
    assert "caller rang again" in remarks and "note" in kinds and "hazard_flagged" in kinds


def test_state_buttons_refuse_what_the_state_machine_refuses(desk: Any) -> None:
    no_reason = press(desk, "pause")
    assert no_reason.status_code == 400 and "reason" in no_reason.get_json()["message"]
    offline_pause = press(desk, "pause", reason="Tea break / चाय")
    assert offline_pause.status_code == 409
    assert offline_pause.get_json()["status"]["state"] == "offline"
    press(desk, "ready")
    paused = press(desk, "pause", reason="Tea break / चाय")
    assert paused.get_json()["status"]["state"] == "paused"
    assert press(desk, "dance").status_code == 400


def test_an_expired_session_sends_the_complaint_back_through_login(
    app: Any, desk: Any, services: Any
) -> None:
    press(desk, "ready")
    call_id = routed_call(services)
    with desk.session_transaction() as session:
        session.clear()  # what an expired cookie looks like to the server
    lost = desk.post(
        "/console/desk/complaint",
        data={"kind": "no_supply", "request_key": "e" * 24, "call_id": call_id},
        headers={"Referer": f"http://localhost/console/desk?call={call_id}"},
    )
    assert lost.status_code == 302
    assert lost.headers["Location"].startswith("/console/login?next=")
    assert call_id in lost.headers["Location"]


def test_terminal_calls_are_answered_and_ended_from_the_desk(desk: Any, services: Any) -> None:
    press(desk, "ready")
    routed_call(services)
    assert press(desk, "hangup").status_code == 409  # ringing: not yet answered
    answered = press(desk, "answer")
    assert answered.status_code == 200 and answered.get_json()["status"]["state"] == "on-call"
    ended = press(desk, "hangup")
    assert ended.get_json()["status"]["state"] == "wrap-up"
    assert press(desk, "wrapup-done").get_json()["status"]["state"] == "ready"


def test_calls_of_a_phone_front_end_are_not_answered_from_the_desk(
    desk: Any, services: Any
) -> None:
    press(desk, "ready")
    services.extras["routing"].join("CA-twilio-1", "CZ-hi", 0)  # no IVR session: not terminal
    refused = press(desk, "answer")
    assert refused.status_code == 409 and "phone system" in refused.get_json()["message"]


def test_search_by_ivrs_mobile_and_name(desk: Any) -> None:
    by_ivrs = desk.get("/console/search?q=1000000002")
    assert by_ivrs.status_code == 302 and "/console/consumer/" in by_ivrs.headers["Location"]
    page = desk.get(by_ivrs.headers["Location"]).get_data(as_text=True)
    assert "Sunita Patel" in page and "complaint-form" in page
    by_mobile = desk.get("/console/search?q=%2B91 90000 00003").get_data(as_text=True)
    assert "1000000003" in by_mobile and "1000000004" in by_mobile
    assert desk.get("/console/search?q=ab").status_code == 400
    assert "Ramesh" in desk.get("/console/search?q=Ramesh&go=no").get_data(as_text=True)
