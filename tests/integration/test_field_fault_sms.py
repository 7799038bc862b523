"""Field teams report faults by SMS: FAULT, ETR and RESTORED through the signed Twilio webhook."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from itertools import count
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from services.terminal_phone import run_call
from store import schema as t
from tests.integration.twilio_signing import BASE, TOKEN, post_signed
from webhooks.app import create_app

FIELD = "+919100000002"  # the demo West distribution centre's field team
_sids = count(1)


@pytest.fixture
def settings_env(settings_env: dict[str, str]) -> dict[str, str]:
    return {**settings_env, "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": BASE}


@pytest.fixture
def client(services: Any) -> FlaskClient:
    return create_app(services).test_client()


@pytest.fixture
def feeder(services: Any) -> str:
    return str(services.network.consumer_by_ivrs("1000000002")["feeder_code"])


def sms(client: FlaskClient, body: str, sender: str = FIELD, sid: str | None = None) -> list[str]:
    sid = sid or f"SM{next(_sids):032d}"
    data = {"MessageSid": sid, "From": sender, "To": "+911912", "Body": body}
    reply = post_signed(client, "/twilio/sms", data)
    assert reply.status_code == 200 and reply.mimetype == "text/xml"
    return [el.text or "" for el in ET.fromstring(reply.data).iter("Message")]


def faults_on(services: Any, code: str) -> list[Any]:
    with services.engine.connect() as conn:
        return conn.execute(select(t.faults).where(t.faults.c.asset_code == code)).all()


def later_today(services: Any, hours: int) -> str:
    return (services.local_now().replace(second=0, microsecond=0).hour + hours) % 24


def test_fault_etr_restored_from_the_field(client: FlaskClient, services: Any, feeder: str) -> None:
    hour = later_today(services, 3)
    [reply] = sms(client, f"FAULT {feeder.lower()} ETR {hour:02d}:30 PED gira")
    assert reply.startswith("Fault ") and f"feeder {feeder}" in reply and f"{hour:02d}:30" in reply
    [row] = faults_on(services, feeder)
    assert row.cause == "tree" and row.level == "feeder" and row.source == "field_sms"
    assert row.company == "WZ" and row.restored_at is None

    news = io.StringIO()
    run_call(services, caller="9000000002", keys=["2", "1"], out=news, read_line=lambda: None)
    assert "tree on the line" in news.getvalue()

    [reply] = sms(client, f"ETR {feeder} {(hour + 1) % 24:02d}:15")
    assert reply.startswith(f"ETR of fault {row.id}") and f"{(hour + 1) % 24:02d}:15" in reply
    [reply] = sms(client, f"restored {feeder}")
    assert reply.startswith(f"Fault {row.id} ({feeder}) closed as restored")
    [row] = faults_on(services, feeder)
    assert row.restored_at is not None
    with services.engine.connect() as conn:
        history = conn.execute(select(func.count()).select_from(t.fault_etr_history).where(
            t.fault_etr_history.c.fault_id == row.id)).scalar_one()  # fmt: skip
    assert history == 2


def test_a_retried_webhook_changes_nothing_twice(
    client: FlaskClient, services: Any, feeder: str
) -> None:
    body = f"FAULT {feeder} ETR {later_today(services, 2):02d}:00 tree"
    first = sms(client, body, sid="SM" + "7" * 32)
    again = sms(client, body, sid="SM" + "7" * 32)
    assert first[0].startswith("Fault ")
    assert "nothing changed" in again[0]
    assert len(faults_on(services, feeder)) == 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("FAULT", "FAULT needs an asset code. Send: FAULT <asset-code> ETR <HH:MM> <cause>"),
        ("FAULT {feeder} ETR 25:99 tree", "ETR must be a 24-hour time HH:MM, not 25:99"),
        ("ETR {feeder}", "ETR needs the ETR as HH:MM. Send: ETR <asset-code> <HH:MM>"),
        ("RESTORED {feeder} now", "RESTORED takes nothing after the asset code"),
        ("FAULT NOSUCH-1 ETR 23:00 tree", "NOSUCH-1 is not a known asset code"),
    ],
)
def test_malformed_messages_get_what_is_wrong_and_the_form(
    client: FlaskClient, services: Any, feeder: str, body: str, expected: str
) -> None:
    [reply] = sms(client, body.format(feeder=feeder))
    assert expected in reply
    assert "Send:" in reply
    assert faults_on(services, feeder) == []


def test_restore_of_an_unknown_fault_is_explained(
    client: FlaskClient, services: Any, feeder: str
) -> None:
    [reply] = sms(client, f"RESTORED {feeder}")
    assert "unknown fault" in reply and "RESTORED <asset-code>" in reply


def test_unknown_senders_are_ignored_without_reply(
    client: FlaskClient, services: Any, feeder: str
) -> None:
    assert sms(client, f"FAULT {feeder} ETR 23:00 tree", sender="+919812345678") == []
    assert sms(client, f"RESTORED {feeder}", sender="+919812345678") == []
    assert faults_on(services, feeder) == []


def test_other_messages_pass_to_the_other_handlers(client: FlaskClient) -> None:
    [reply] = sms(client, "hello", sender="+919812345678")
    assert "STATUS" in reply
