"""Unanswered callbacks are tried again at the consumer's place; after the last try, an SMS.

End to end on the Twilio front-end: the real routing live state (embedded Redis), the routing
service's assignment rounds, the SQL database, Twilio requests signed with the real
`RequestValidator`, and the real `twilio.rest.Client` on the recording HTTP client of
`twilio_http` (Twilio's cloud is out of reach), which answers like Twilio or, when told to,
refuses to place a call.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from twilio.rest import Client

from routing.callbacks import CallbackOutcome, RetryPolicy
from routing.operators import OperatorState
from services.routing_service import OperatorAction
from store import schema as t
from store.tokens import Role, SqlTokens
from tests.integration.twilio_signing import ACCOUNT, BASE, TOKEN, call_fields, post_twiml
from webhooks.app import create_app

QUEUE_SID = "QU" + "2" * 32
CALLER_ID = "+15005550007"
OPERATOR = "wz-op01"  # serves WZ-en in the demo data
RETRY_S = 600.0


def call_sid(n: int) -> str:
    """The sid Twilio (`twilio_http`) gives the n-th call placed."""
    return f"CA{n:032d}"


@pytest.fixture
def settings_env(settings_env: dict[str, str]) -> dict[str, str]:
    return {
        **settings_env,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": BASE,
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_SMS_FROM": "+15005550006",
        "TWILIO_CALLER_ID": CALLER_ID,
    }


@dataclass
class Desk:
    services: Any
    client: FlaskClient
    twilio: Any  # the recording HTTP client of tests/integration/conftest.py

    @property
    def live(self) -> Any:
        return self.services.extras["live_queue"]

    @property
    def routing(self) -> Any:
        return self.services.extras["routing"]

    def now(self) -> float:
        return float(self.services.clock().timestamp())

    def act(self, action: OperatorAction) -> None:
        assert self.routing.act(OPERATOR, action).ok

    def operator(self) -> Any:
        return self.live.operator_status(OPERATOR, self.now())

    def calls(self) -> list[Any]:
        """The callback calls we asked Twilio to place, in order."""
        return [s for s in self.twilio.sent if s.method == "POST" and s.url.endswith("/Calls.json")]

    def status(self, call: Any, sid: str, status: str) -> None:
        """Twilio's final status callback of a callback leg."""
        post_twiml(self.client, call.data["StatusCallback"], call_fields(sid, CallStatus=status))

    def book(self, consumer: str, *, call_id: str = "CA-booked") -> float:
        """A consumer waiting in WZ-en asks for a callback (press 1); their join time."""
        now = self.now()
        self.live.enqueue(call_id, "WZ-en", 0, now)
        outcome = self.live.request_callback(
            call_id, consumer_id=consumer, phone="9000000002", now=now, language="en"
        )
        assert outcome is CallbackOutcome.REQUESTED
        return now


@pytest.fixture
def desk(services: Any, twilio_http: Any) -> Desk:
    """The Twilio front-end on the real live state; three tries ten minutes apart."""
    services.settings = replace(
        services.settings, callbacks=RetryPolicy(attempts=3, retry_after_s=RETRY_S)
    )
    twilio = twilio_http(queues={"WZ-en": QUEUE_SID})
    services.extras["twilio_rest"] = Client(ACCOUNT, TOKEN, http_client=twilio)
    services.extras["routing"].sync_operators()
    return Desk(services, create_app(services).test_client(), twilio)


@pytest.fixture
def consumer(services: Any) -> str:
    with services.engine.connect() as conn:
        return str(conn.execute(select(t.consumers.c.ivrs).limit(1)).scalar_one())


def rows(services: Any, table: Any, **where: str) -> list[Any]:
    query = select(table).where(*(table.c[k] == v for k, v in where.items()))
    with services.engine.connect() as conn:
        return list(conn.execute(query))


def ivrs_of(services: Any, consumer_row_id: int) -> str:
    with services.engine.connect() as conn:
        query = select(t.consumers.c.ivrs).where(t.consumers.c.id == consumer_row_id)
        return str(conn.execute(query).scalar_one())


def test_unanswered_callback_is_parked_then_dialled_again_at_its_place(
    desk: Desk, consumer: str, caplog: pytest.LogCaptureFixture
) -> None:
    joined = desk.book(consumer)
    desk.act(OperatorAction.READY)  # the round places the callback
    [first] = desk.calls()
    assert desk.operator().state is OperatorState.RINGING
    with caplog.at_level(logging.INFO, logger="webhooks.twilio_queue"):
        desk.status(first, call_sid(1), "no-answer")
    assert desk.operator().state is OperatorState.READY  # freed at once
    pending = desk.live.pending_callback(consumer)
    assert pending is not None and (pending.attempts, pending.joined) == (1, joined)
    assert desk.live.parked_until(consumer) == joined + RETRY_S
    assert "no-answer (try 1 of 3)" in caplog.text
    assert "retry at 11:40" in caplog.text  # 11:30 IST plus ten minutes
    assert rows(desk.services, t.callbacks) == []
    assert rows(desk.services, t.outbox, kind="callback_failed") == []

    desk.services.clock.advance(seconds=RETRY_S - 1)
    assert desk.routing.dispatch() == []  # a free operator, but the retry is not due yet
    assert len(desk.calls()) == 1 and desk.operator().state is OperatorState.READY

    desk.act(OperatorAction.PAUSE)
    desk.live.enqueue("CA-later", "WZ-en", 0, desk.now())  # joined after the consumer
    desk.services.clock.advance(seconds=1)  # due
    desk.act(OperatorAction.READY)
    first, second = desk.calls()
    assert (second.data["To"], second.data["From"]) == ("+919000000002", CALLER_ID)
    assert desk.operator().caller == f"callback:{consumer}"  # ahead of the later caller
    assert desk.live.position("CA-later") == ("WZ-en", 1)
    assert desk.live.parked_until(consumer) is None
    assert not [s for s in desk.twilio.sent if "/Members/" in s.url]  # nobody dequeued


def test_after_the_last_try_it_is_dropped_recorded_and_the_consumer_gets_one_sms(
    desk: Desk, consumer: str, caplog: pytest.LogCaptureFixture
) -> None:
    joined = desk.book(consumer)
    desk.act(OperatorAction.READY)
    desk.status(desk.calls()[-1], call_sid(1), "busy")  # try 1
    desk.services.clock.advance(seconds=RETRY_S)
    desk.twilio.refuse_calls = True
    desk.routing.dispatch()  # try 2: Twilio refuses to place the call
    assert len(desk.calls()) == 2 and desk.operator().state is OperatorState.READY
    pending = desk.live.pending_callback(consumer)
    assert pending is not None and pending.attempts == 2
    desk.services.clock.advance(seconds=RETRY_S)
    desk.twilio.refuse_calls = False
    desk.routing.dispatch()
    last = desk.calls()[-1]
    with caplog.at_level(logging.INFO, logger="webhooks.twilio_queue"):
        desk.status(last, call_sid(2), "completed")  # try 3: hung up before the operator
    assert "gave up after 3 tries" in caplog.text
    assert desk.operator().state is OperatorState.READY
    assert desk.live.pending_callback(consumer) is None
    assert desk.live.parked_until(consumer) is None
    [row] = rows(desk.services, t.callbacks)
    assert (row.status, row.attempts, row.reason, row.call_id, row.queue) == (
        "failed", 3, "completed", call_sid(2), "WZ-en"
    )  # fmt: skip
    assert ivrs_of(desk.services, row.consumer_id) == consumer
    assert row.joined_at.replace(tzinfo=UTC).timestamp() == joined
    [sms] = rows(desk.services, t.outbox, kind="callback_failed")
    assert sms.to_number == "9000000002" and "tried 3 times" in sms.body

    desk.status(last, call_sid(2), "completed")  # Twilio repeats the status
    assert len(rows(desk.services, t.outbox, kind="callback_failed")) == 1
    assert len(rows(desk.services, t.callbacks)) == 1
    assert desk.operator().state is OperatorState.READY
    desk.act(OperatorAction.PAUSE)
    desk.book(consumer, call_id="CA-again")  # the consumer may ask again


def test_a_callback_that_cannot_be_placed_at_all_is_dropped_at_once(
    desk: Desk, consumer: str
) -> None:
    desk.services.settings = replace(desk.services.settings, twilio_caller_id=None)
    desk.book(consumer)
    desk.act(OperatorAction.READY)
    assert desk.calls() == [] and desk.operator().state is OperatorState.READY
    assert desk.live.pending_callback(consumer) is None
    [row] = rows(desk.services, t.callbacks)
    assert (row.status, row.attempts, row.reason) == ("failed", 1, "not-placed")
    [sms] = rows(desk.services, t.outbox, kind="callback_failed")
    assert sms.to_number == "9000000002"


def test_restoration_cancels_a_parked_callback(desk: Desk, consumer: str) -> None:
    feeder = desk.services.network.consumer_by_ivrs(consumer)["feeder_code"]
    feed = SqlTokens(desk.services.engine).create(Role.FEED, datetime.now(UTC), label="test")
    headers = {"Authorization": f"Bearer {feed}"}
    fault = {"message_id": "f-1", "action": "report", "asset_code": feeder, "level": "feeder",
             "cause": "tree"}  # fmt: skip
    reply = desk.client.post("/api/faults", json=fault, headers=headers)
    assert reply.status_code in (200, 201)  # open now (the demo data may have opened it)
    desk.book(consumer)
    desk.act(OperatorAction.READY)
    desk.status(desk.calls()[-1], call_sid(1), "no-answer")
    assert desk.live.parked_until(consumer) is not None
    restore = {"message_id": "f-2", "action": "restore", "asset_code": feeder}
    body = desk.client.post("/api/faults", json=restore, headers=headers).get_json()
    assert body["callbacks_cancelled"] == 1
    assert desk.live.pending_callback(consumer) is None
    assert desk.live.parked_until(consumer) is None
    [sms] = rows(desk.services, t.outbox, kind="callback_cancelled")
    assert sms.to_number == "9000000002"
    desk.services.clock.advance(seconds=RETRY_S)
    assert desk.routing.dispatch() == [] and len(desk.calls()) == 1  # never dialled again


def to_queue(client: FlaskClient, sid: str) -> ET.Element:
    """Call in and press 2 (English), 1 (confirm), 0 (operator): the last page enqueues."""
    root = post_twiml(client, "/twilio/voice", call_fields(sid))
    for key in ("2", "1", "0"):
        root = post_twiml(
            client, root.find("Gather").attrib["action"], call_fields(sid, Digits=key)
        )
    return root


def wait_and_press_1(desk: Desk, sid: str) -> ET.Element:
    """Wait in the queue (joining the live queue), then press 1 for a callback."""
    enqueue = to_queue(desk.client, sid).find("Enqueue")
    assert enqueue is not None
    visit = call_fields(sid, QueueSid=QUEUE_SID, QueuePosition="1", QueueTime="0")
    post_twiml(desk.client, enqueue.attrib["waitUrl"], visit)
    assert desk.live.position(sid) is not None
    offer = "/twilio/queue/callback?queue=WZ-en&priority=0&lang=en"
    return post_twiml(desk.client, offer, call_fields(sid, Digits="1"))


def test_a_consumer_with_a_parked_callback_cannot_book_a_second(desk: Desk) -> None:
    reply = wait_and_press_1(desk, "CA-first")
    assert [el.tag for el in reply] == ["Say", "Leave"]
    consumer = desk.services.calls.current("CA-first").vars["consumer"]["ivrs"]
    desk.act(OperatorAction.READY)
    desk.status(desk.calls()[-1], call_sid(1), "no-answer")
    due = desk.live.parked_until(consumer)
    assert due is not None
    desk.act(OperatorAction.PAUSE)  # nobody free: the second call waits

    reply = wait_and_press_1(desk, "CA-second")  # the consumer calls again and presses 1
    assert [el.tag for el in reply] == ["Say", "Leave"]  # told they will be called back
    assert desk.live.position("CA-second") is None  # and out of the live queue
    pending = desk.live.pending_callback(consumer)
    assert pending is not None and pending.attempts == 1  # still the one parked callback
    assert desk.live.parked_until(consumer) == due
    second = desk.live.request_callback(
        "CA-none", consumer_id=consumer, phone="9000000002", now=desk.now()
    )
    assert second is CallbackOutcome.ALREADY_PENDING


def test_giving_up_twice_on_one_request_queues_one_sms(desk: Desk, consumer: str) -> None:
    """Two workers settling the same last try: the SMS key names the request."""
    from services.callback_failures import give_up_callback

    desk.book(consumer)
    callback = replace(desk.live.pending_callback(consumer), attempts=3)
    templates = desk.services.settings.sms_templates
    for _ in range(2):
        give_up_callback(desk.services.engine, templates, callback, call_id=call_sid(9),
                         reason="no-answer", now=desk.services.clock())  # fmt: skip
    assert len(rows(desk.services, t.outbox, kind="callback_failed")) == 1
