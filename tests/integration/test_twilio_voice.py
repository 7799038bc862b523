"""The Twilio voice webhooks against a real database and Redis, driven like Twilio drives them:
requests signed with the real `RequestValidator`, and each next URL taken from the TwiML."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient
from sqlalchemy import func, select

from services.calls import CallService
from store import schema as t
from store.call_sessions import RedisCallSessions
from tests.integration.twilio_signing import BASE, TOKEN, post_signed, sign
from webhooks.app import create_app

CALLER = "+919000000002"


@pytest.fixture
def settings_env(settings_env: dict[str, str]) -> dict[str, str]:
    return {**settings_env, "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": BASE}


@pytest.fixture
def client(services: Any) -> Iterator[FlaskClient]:
    yield create_app(services).test_client()


def twiml(response: Any) -> ET.Element:
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/xml"
    return ET.fromstring(response.data)


def call_form(sid: str, **extra: str) -> dict[str, str]:
    return {
        "CallSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": CALLER,
        "To": "+911912",
        "CallStatus": "in-progress",
        "Direction": "inbound",
        **extra,
    }


def spoken(root: ET.Element) -> str:
    return " ".join(el.text or "" for el in root.iter("Say"))


def walk(client: FlaskClient, sid: str, keys: list[str]) -> list[ET.Element]:
    """Follow the TwiML only: key into each Gather's action, or take its Redirect on silence."""
    pages = [twiml(post_signed(client, "/twilio/voice", call_form(sid)))]
    for key in keys:
        root = pages[-1]
        gather = root.find("Gather")
        assert gather is not None, ET.tostring(root)
        if key:
            page = post_signed(client, gather.attrib["action"], call_form(sid, Digits=key))
        else:
            redirect = root.find("Redirect")
            assert redirect is not None and redirect.text
            page = post_signed(client, redirect.text, call_form(sid))
        pages.append(twiml(page))
    return pages


def complaints(services: Any) -> int:
    with services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.complaints)).scalar_one())


def test_a_whole_call_to_a_docket_by_following_the_twiml(
    client: FlaskClient, services: Any
) -> None:
    pages = walk(client, "CA-walk-1", ["2", "", "1", "1"])
    last = pages[-1]
    assert [el.tag for el in last][-1] == "Hangup"
    with services.engine.connect() as conn:
        row = conn.execute(select(t.complaints).where(t.complaints.c.call_id == "CA-walk-1")).one()
    assert row.docket.startswith("WZ") and row.kind == "no_supply"
    assert " ".join(row.docket[2:]) in spoken(last)
    assert all(el.attrib.get("language") == "en-IN" for el in last.iter("Say"))
    # the silent turn repeated the question with a new turn number, it did not move on
    assert "confirm" in spoken(pages[2]) and "turn=" in pages[2].find("Gather").attrib["action"]


def test_every_gather_is_followed_by_a_redirect_with_the_same_turn(client: FlaskClient) -> None:
    for root in walk(client, "CA-walk-2", ["2", "1"]):
        children = list(root)
        gather = next(i for i, el in enumerate(children) if el.tag == "Gather")
        redirect = children[gather + 1]
        assert redirect.tag == "Redirect"
        turn = children[gather].attrib["action"].rsplit("turn=", 1)[1]
        assert redirect.text and redirect.text.endswith(f"turn={turn}")


def test_retried_gather_does_not_register_twice(client: FlaskClient, services: Any) -> None:
    pages = walk(client, "CA-retry", ["2", "1"])
    action = pages[-1].find("Gather").attrib["action"]
    first = twiml(post_signed(client, action, call_form("CA-retry", Digits="1")))
    again = twiml(post_signed(client, action, call_form("CA-retry", Digits="1")))
    assert complaints(services) == 1
    assert "complaint" in spoken(first).lower()
    # the retry hears exactly what the lost answer said: the same docket, then the hang-up
    assert ET.tostring(again) == ET.tostring(first)


def test_retried_menu_choice_re_renders_instead_of_advancing(client: FlaskClient) -> None:
    pages = walk(client, "CA-dup", [])
    action = pages[0].find("Gather").attrib["action"]
    first = twiml(post_signed(client, action, call_form("CA-dup", Digits="2")))
    again = twiml(post_signed(client, action, call_form("CA-dup", Digits="2")))
    assert ET.tostring(first) == ET.tostring(again)


def twilio_rules(client: FlaskClient) -> list[str]:
    rules = [
        r.rule for r in client.application.url_map.iter_rules() if r.rule.startswith("/twilio/")
    ]
    assert len(rules) >= 10  # voice, queue and SMS routes are all there
    return rules


def test_unsigned_and_wrongly_signed_requests_are_refused(client: FlaskClient) -> None:
    form = call_form("CA-forged", Digits="1", Body="STATUS x")
    for rule in twilio_rules(client):
        assert client.post(rule, data=form).status_code == 403, rule
        forged = post_signed(client, rule, form, token="not-the-token")
        assert forged.status_code == 403, rule
        tampered = {"X-Twilio-Signature": sign(rule, {**form, "Digits": "2"})[1]}
        assert client.post(rule, data=form, headers=tampered).status_code == 403, rule


def test_signature_is_checked_against_the_public_url(client: FlaskClient) -> None:
    form = call_form("CA-url")
    refused = post_signed(client, "/twilio/voice", form, base="http://localhost")
    assert refused.status_code == 403
    assert post_signed(client, "/twilio/voice", form).status_code == 200


def test_without_a_token_every_twilio_request_is_refused(services: Any) -> None:
    from dataclasses import replace

    services.settings = replace(services.settings, twilio_auth_token=None)
    client = create_app(services).test_client()
    assert post_signed(client, "/twilio/voice", call_form("CA-x")).status_code == 403


def test_switching_validation_off_is_warned_about(
    services: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from dataclasses import replace

    services.settings = replace(services.settings, twilio_validate_signatures=False)
    with caplog.at_level(logging.WARNING):
        client = create_app(services).test_client()
    assert any("TWILIO_VALIDATE_SIGNATURES is off" in r.message for r in caplog.records)
    assert client.post("/twilio/voice", data=call_form("CA-dev")).status_code == 200


def fallback_queue(root: ET.Element) -> tuple[str, str]:
    enqueue = root.find("Enqueue")
    assert enqueue is not None, ET.tostring(root)
    assert "/twilio/queue/wait" in enqueue.attrib["waitUrl"]
    return spoken(root), enqueue.text or ""


def test_unreachable_redis_gets_apology_and_general_queue(
    services: Any, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    services.calls = CallService(
        flow=services.calls.flow,
        sessions=RedisCallSessions(dead),
        records=services.records,
        clock=clock,
        default_language="hi",
    )
    client = create_app(services).test_client()
    with caplog.at_level(logging.ERROR):
        root = twiml(post_signed(client, "/twilio/voice", call_form("CA-noredis")))
    text, queue = fallback_queue(root)
    assert "क्षमा करें" in text and queue == "CZ-hi"
    assert any("CA-noredis" in r.getMessage() for r in caplog.records)
    wait = twiml(
        post_signed(
            client,
            "/twilio/queue/wait?queue=CZ-hi&priority=0&lang=hi",
            call_form("CA-noredis", QueuePosition="1", QueueTime="0"),
        )
    )
    assert wait.find("Pause") is not None


def test_any_failure_becomes_apology_in_the_callers_language(
    client: FlaskClient, services: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = walk(client, "CA-boom", ["2"])

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(
        services.records, "lookups", {**services.records.lookups, "active_fault": broken}
    )
    root = twiml(
        post_signed(
            client, pages[-1].find("Gather").attrib["action"], call_form("CA-boom", Digits="1")
        )
    )
    text, queue = fallback_queue(root)
    assert "We are sorry" in text and queue == "CZ-en"


def test_malformed_request_is_still_answered_with_twiml(client: FlaskClient) -> None:
    root = twiml(post_signed(client, "/twilio/voice/gather?turn=1", {"Digits": "1"}))
    assert fallback_queue(root)[1] == "CZ-hi"


def test_status_callback_completes_the_call_record(client: FlaskClient, services: Any) -> None:
    walk(client, "CA-done", ["2", "1", "1"])
    walk(client, "CA-gone", ["2"])
    for sid in ("CA-done", "CA-gone"):
        post_signed(
            client,
            "/twilio/voice/status",
            call_form(sid, CallStatus="completed", CallDuration="42"),
        )
    with services.engine.connect() as conn:
        rows = {r.call_id: r for r in conn.execute(select(t.calls))}
    assert rows["CA-done"].outcome == "docket" and rows["CA-done"].duration_s == 42
    assert rows["CA-done"].ended_at is not None
    assert rows["CA-gone"].outcome == "abandoned" and rows["CA-gone"].duration_s == 42
