"""Inbound SMS on `/twilio/sms`: consumers' STATUS requests and pluggable handlers."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from complaints.docket import make_docket
from services.terminal_phone import run_call
from tests.integration.twilio_signing import BASE, TOKEN, post_signed
from webhooks import twilio_sms
from webhooks.app import create_app


@pytest.fixture
def settings_env(settings_env: dict[str, str]) -> dict[str, str]:
    return {**settings_env, "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": BASE}


@pytest.fixture
def client(services: Any) -> FlaskClient:
    return create_app(services).test_client()


@pytest.fixture
def docket(services: Any) -> str:
    out = io.StringIO()
    line = run_call(
        services, caller="9000000002", keys=["2", "1", "1"], out=out, read_line=lambda: None
    )
    return line.split()[-1]


def sms(client: FlaskClient, body: str, sender: str = "+919000000002") -> list[str]:
    data = {"MessageSid": "SM" + "4" * 32, "From": sender, "To": "+911912", "Body": body}
    reply = post_signed(client, "/twilio/sms", data)
    assert reply.status_code == 200 and reply.mimetype == "text/xml"
    root = ET.fromstring(reply.data)
    assert root.tag == "Response"
    return [el.text or "" for el in root.iter("Message")]


def test_status_of_a_registered_complaint(client: FlaskClient, docket: str) -> None:
    [reply] = sms(client, f"status {docket[:2]} {docket[2:8]} {docket[8:]}")
    assert reply.startswith(f"Complaint {docket}: open.")
    assert "due" in reply


def test_digits_without_the_company_code_find_it_too(client: FlaskClient, docket: str) -> None:
    [reply] = sms(client, f"STATUS {docket[2:]}")
    assert docket in reply


def test_wrong_check_digit_is_not_a_valid_complaint_number(
    client: FlaskClient, docket: str
) -> None:
    wrong = docket[:-1] + str((int(docket[-1]) + 1) % 10)
    [reply] = sms(client, f"STATUS {wrong}")
    assert "not a valid complaint number" in reply and wrong in reply


def test_unknown_docket_gets_a_clear_reply(client: FlaskClient, docket: str) -> None:
    unknown = make_docket("CZ", date(2026, 1, 5), 4321)
    [reply] = sms(client, f"STATUS {unknown}")
    assert reply == f"We have no complaint numbered {unknown}. Please call 1912 for help."


def test_anything_else_gets_the_how_to(client: FlaskClient) -> None:
    [reply] = sms(client, "hello, my light is off")
    assert "STATUS <complaint number>" in reply


def test_a_handler_added_later_answers_first(services: Any) -> None:
    app = create_app(services)
    seen: list[str] = []

    def field_team(message: twilio_sms.InboundSms) -> str | None:
        seen.append(message.sender)
        return "noted" if message.body.startswith("DONE") else None

    twilio_sms.add_handler(app, field_team)
    client = app.test_client()
    assert sms(client, "DONE WZ2611270000011 fixed", sender="+919111111111") == ["noted"]
    assert "STATUS" in sms(client, "what?", sender="+919111111111")[0]
    assert seen == ["9111111111", "9111111111"]


def test_a_failing_handler_gets_no_reply_not_an_error(services: Any) -> None:
    app = create_app(services)

    def broken(message: twilio_sms.InboundSms) -> str | None:
        raise RuntimeError("boom")

    twilio_sms.add_handler(app, broken)
    assert sms(app.test_client(), "STATUS x") == []
