"""The REST side: dequeueing callers to operators, and the SMS outbox worker.

The real `twilio.rest.Client` runs with the recording transport of `twilio_http` (a
`twilio.http.HttpClient` subclass) that keeps what would be sent and answers with Twilio-shaped
JSON, since Twilio's cloud is out of reach. The routing live state is an in-memory fake of the
`LiveQueue` port.
"""

from __future__ import annotations

import json
import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import insert, select, update
from twilio.rest import Client

from routing.acd import CallerKind, ConnectCaller, WaitingCaller
from routing.callbacks import CallbackOutcome
from routing.wait import WaitEstimate
from services.outbox_worker import OutboxWorker, TwilioSms
from store import schema as t
from store.live_callers import Place
from tests.integration.twilio_signing import ACCOUNT, BASE, TOKEN, call_fields, post_twiml
from webhooks.app import create_app

QUEUE_SID = "QU" + "2" * 32
CALLER_ID = "+15005550007"
CALLBACK_SID = "CA" + "4" * 32
QUEUES = {"WZ-en": QUEUE_SID}


class FakeLive:
    """In-memory routing live state: one free operator per queue, positions in join order."""

    def __init__(self, operators: dict[str, str]) -> None:
        self.free = dict(operators)  # queue -> operator id
        self.waiting: dict[str, list[str]] = {}
        self.events: list[tuple[str, str]] = []
        self.callbacks: list[str] = []

    def enqueue(self, call_id: str, queue: str, priority: int, now: float) -> object:
        self.waiting.setdefault(queue, []).append(call_id)
        return "queued"

    def place(self, call_id: str) -> Place | None:
        for queue, calls in self.waiting.items():
            if call_id in calls:
                return Place(queue, calls.index(call_id) + 1, 0.0)
        return None

    def estimate(
        self, queue: str, position: int, now: float, *, score: float | None = None
    ) -> WaitEstimate:
        return WaitEstimate(position * 240, True)

    def assign(self, now: float) -> list[ConnectCaller]:
        actions = []
        for queue, calls in self.waiting.items():
            if calls and queue in self.free:
                call_id = calls.pop(0)
                caller = WaitingCaller(call_id, CallerKind.CALL, queue, 0, now)
                actions.append(ConnectCaller(caller, self.free.pop(queue)))
                self.events.append(("ringing", call_id))
        return actions

    def answered(self, operator_id: str, now: float) -> object:
        self.events.append(("answered", operator_id))
        return None

    def no_answer(self, operator_id: str, now: float) -> object:
        self.events.append(("no_answer", operator_id))
        return None

    def call_ended(self, operator_id: str, now: float) -> object:
        self.events.append(("call_ended", operator_id))
        return None

    def caller_left(self, call_id: str, now: float) -> object:
        self.events.append(("caller_left", call_id))
        return None

    def request_callback(
        self,
        call_id: str,
        *,
        consumer_id: str,
        phone: str,
        now: float,
        fault_id: str | None = None,
        language: str | None = None,
    ) -> CallbackOutcome:
        self.callbacks.append(f"{consumer_id} {phone}")
        return CallbackOutcome.REQUESTED


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


def to_queue(client: FlaskClient, sid: str) -> ET.Element:
    """Call in and press 2 (English), 1 (confirm), 0 (operator): the last page enqueues."""
    root = post_twiml(client, "/twilio/voice", call_fields(sid))
    for key in ("2", "1", "0"):
        root = post_twiml(
            client, root.find("Gather").attrib["action"], call_fields(sid, Digits=key)
        )
    return root


@pytest.fixture
def wired(services: Any, twilio_http: Any) -> tuple[FlaskClient, FakeLive, Any]:
    transport = twilio_http(call_sid=CALLBACK_SID, queues=QUEUES)
    services.extras["twilio_rest"] = Client(ACCOUNT, TOKEN, http_client=transport)
    live = FakeLive({"WZ-en": "wz-op01"})
    services.extras["live_queue"] = live
    return create_app(services).test_client(), live, transport


def test_enqueue_wait_dequeue_dial_and_complete(wired: Any, services: Any, clock: Any) -> None:
    client, live, transport = wired
    enqueue = to_queue(client, "CA-q1").find("Enqueue")
    assert enqueue is not None and enqueue.text == "WZ-en"
    # the wait URL joins the live queue, gets the caller assigned and dequeues them by REST
    post_twiml(
        client,
        enqueue.attrib["waitUrl"],
        call_fields("CA-q1", QueueSid=QUEUE_SID, QueuePosition="1", QueueTime="0"),
    )
    member = [s for s in transport.sent if "/Members/" in s.url]
    assert len(member) == 1 and member[0].url.endswith(f"/Queues/{QUEUE_SID}/Members/CA-q1.json")
    connect_url = member[0].data["Url"]
    assert connect_url.startswith(BASE + "/twilio/queue/connect") and "op=wz-op01" in connect_url
    dial = post_twiml(client, connect_url, call_fields("CA-q1")).find("Dial")
    number = dial.find("Number")
    with services.engine.connect() as conn:
        phone = conn.execute(select(t.operators.c.phone).where(t.operators.c.id == "wz-op01"))
        assert number.text == phone.scalar_one()
    assert number.attrib["statusCallbackEvent"] == "answered completed"
    clock.advance(seconds=30)
    post_twiml(
        client, number.attrib["statusCallback"], call_fields("CA-op", CallStatus="in-progress")
    )
    clock.advance(seconds=95)
    post_twiml(
        client,
        number.attrib["statusCallback"],
        call_fields("CA-op", CallStatus="completed", CallDuration="95"),
    )
    hangup = post_twiml(
        client, dial.attrib["action"], call_fields("CA-q1", DialCallStatus="completed")
    )
    post_twiml(
        client,
        "/twilio/voice/status",
        call_fields("CA-q1", CallStatus="completed", CallDuration="160"),
    )
    assert [el.tag for el in hangup] == ["Hangup"]
    assert ("answered", "wz-op01") in live.events and ("call_ended", "wz-op01") in live.events
    with services.engine.connect() as conn:
        row = conn.execute(select(t.calls).where(t.calls.c.call_id == "CA-q1")).one()
    assert (row.outcome, row.operator_id, row.wait_s, row.talk_s, row.duration_s) == (
        "answered",
        "wz-op01",
        30,
        95,
        160,
    )


def test_operator_phone_comes_from_the_operator_record(wired: Any, services: Any) -> None:
    client, _, _ = wired
    with services.engine.begin() as conn:
        conn.execute(
            update(t.operators).where(t.operators.c.id == "wz-op01").values(phone="+918399999999")
        )
    url = "/twilio/queue/connect?queue=WZ-en&priority=0&lang=en&op=wz-op01"
    assert post_twiml(client, url, call_fields("CA-ph")).find("Dial/Number").text == "+918399999999"


def test_ring_no_answer_puts_the_caller_back_in_the_same_queue(wired: Any) -> None:
    client, live, _ = wired
    url = "/twilio/queue/dialed?queue=WZ-en&priority=0&lang=en&op=wz-op01"
    root = post_twiml(client, url, call_fields("CA-rna", DialCallStatus="no-answer"))
    enqueue = root.find("Enqueue")
    assert enqueue is not None and enqueue.text == "WZ-en"
    assert live.events == [("no_answer", "wz-op01")]


def test_wait_tells_position_wait_fault_news_and_offers_a_callback(
    wired: Any, services: Any
) -> None:
    client, live, _ = wired
    live.free.clear()  # nobody free: the caller waits
    live.waiting["WZ-en"] = ["CA-a", "CA-b", "CA-c"]
    to_queue(client, "CA-w")
    consumer = services.calls.current("CA-w").vars["consumer"]
    with services.engine.begin() as conn:
        conn.execute(
            insert(t.faults).values(
                level="feeder",
                asset_code=consumer["feeder_code"],
                cause="wind",
                company="WZ",
                source="test",
                started_at=services.clock() - timedelta(hours=1),
                etr=services.clock() + timedelta(hours=2),
                force_majeure=True,
                consumers_affected=900,
            )
        )
    root = post_twiml(
        client,
        "/twilio/queue/wait?queue=WZ-en&priority=0&lang=en",
        call_fields("CA-w", QueueSid=QUEUE_SID, QueuePosition="4", QueueTime="0"),
    )
    text = " ".join(el.text or "" for el in root.iter("Say"))
    assert "You are number 4 in the queue." in text
    assert "Your expected wait is about 16 minutes." in text and "strong wind" in text
    gather = root.find("Gather")
    assert gather is not None and "press 1" in gather.find("Say").text
    assert root[-1].tag == "Pause"
    reply = post_twiml(client, gather.attrib["action"], call_fields("CA-w", Digits="1"))
    assert [el.tag for el in reply] == ["Say", "Leave"]
    assert live.callbacks == [f"{consumer['ivrs']} +919000000002"]
    done = post_twiml(
        client,
        "/twilio/queue/result?queue=WZ-en&priority=0&lang=en",
        call_fields("CA-w", QueueResult="leave", QueueTime="40"),
    )
    assert [el.tag for el in done] == ["Hangup"]
    post_twiml(
        client,
        "/twilio/voice/status",
        call_fields("CA-w", CallStatus="completed", CallDuration="80"),
    )
    with services.engine.connect() as conn:
        row = conn.execute(select(t.calls).where(t.calls.c.call_id == "CA-w")).one()
    assert (row.queue_result, row.outcome) == ("leave", "callback")


def test_caller_hanging_up_in_the_queue_is_recorded_as_abandoned(wired: Any, services: Any) -> None:
    client, live, _ = wired
    live.free.clear()
    to_queue(client, "CA-ab")
    post_twiml(
        client,
        "/twilio/queue/result?queue=WZ-en&priority=0&lang=en",
        call_fields("CA-ab", QueueResult="hangup", QueueTime="25"),
    )
    post_twiml(
        client,
        "/twilio/voice/status",
        call_fields("CA-ab", CallStatus="completed", CallDuration="70"),
    )
    assert ("caller_left", "CA-ab") in live.events
    with services.engine.connect() as conn:
        row = conn.execute(select(t.calls).where(t.calls.c.call_id == "CA-ab")).one()
    assert (row.queue_result, row.outcome, row.duration_s) == ("hangup", "abandoned", 70)


# --- SMS outbox -------------------------------------------------------------------------------


def queued_sms(services: Any, count: int) -> None:
    with services.engine.begin() as conn:
        for i in range(count):
            conn.execute(
                insert(t.outbox).values(
                    kind="docket",
                    to_number=f"900000010{i}",
                    body=f"message {i}",
                    status="queued",
                    attempts=0,
                    created_at=services.clock(),
                    next_attempt_at=services.clock(),
                )
            )


def outbox_rows(services: Any) -> list[Any]:
    with services.engine.connect() as conn:
        return list(conn.execute(select(t.outbox).order_by(t.outbox.c.id)))


def test_outbox_sends_through_the_messages_api(services: Any, twilio_http: Any) -> None:
    queued_sms(services, 2)
    transport = twilio_http(lambda r: (201, {"sid": "SM" + "3" * 32, "status": "queued"}))
    worker = OutboxWorker(
        services.engine,
        TwilioSms(Client(ACCOUNT, TOKEN, http_client=transport), from_number="+15005550006"),
    )
    report = worker.run_once(services.clock())
    assert (report.sent, report.failed) == (2, 0)
    assert [s.data["To"] for s in transport.sent] == ["+919000000100", "+919000000101"]
    assert all(s.url.endswith(f"/Accounts/{ACCOUNT}/Messages.json") for s in transport.sent)
    assert {r.status for r in outbox_rows(services)} == {"sent"}
    assert worker.run_once(services.clock()).sent == 0  # nothing sent twice


def test_outbox_retries_with_backoff_then_gives_up(
    services: Any, clock: Any, twilio_http: Any
) -> None:
    queued_sms(services, 1)
    down = twilio_http(lambda r: (503, {"code": 20503, "message": "unavailable", "status": 503}))
    worker = OutboxWorker(
        services.engine,
        TwilioSms(Client(ACCOUNT, TOKEN, http_client=down), from_number="+15005550006"),
        max_attempts=3,
    )
    assert worker.run_once(clock()).retrying == 1
    assert worker.run_once(clock()).retrying == 0  # not due yet: backing off
    clock.advance(seconds=31)
    assert worker.run_once(clock()).retrying == 1
    clock.advance(seconds=61)
    assert worker.run_once(clock()).failed == 1
    row = outbox_rows(services)[0]
    assert (row.status, row.attempts, len(down.sent)) == ("failed", 3, 3)
    assert "503" in row.error


def test_outbox_does_not_retry_a_bad_number(services: Any, twilio_http: Any) -> None:
    queued_sms(services, 1)
    bad = twilio_http(lambda r: (400, {"code": 21211, "message": "Invalid 'To'", "status": 400}))
    worker = OutboxWorker(
        services.engine,
        TwilioSms(Client(ACCOUNT, TOKEN, http_client=bad), from_number="+15005550006"),
    )
    assert worker.run_once(services.clock()).failed == 1
    assert outbox_rows(services)[0].status == "failed" and len(bad.sent) == 1


def test_redis_live_state_fits_the_port(services: Any, clock: Any, twilio_http: Any) -> None:
    """The real routing live state drives the same hand-over (ring, answer, wrap-up)."""
    from routing.operators import LoggedIn, Operator, OperatorState
    from routing.queues import Company, Language
    from store.live_routing import RedisLiveState

    live = RedisLiveState(services.redis, services.queues)
    now = clock().timestamp()
    op = Operator(
        "wz-op01",
        "Op",
        "+918300000099",
        "PJSIP/wz-op01",
        frozenset({Language.EN}),
        frozenset({Company.WZ}),
    )
    live.register_operator(op, now)
    live.apply("wz-op01", LoggedIn(), now)
    transport = twilio_http(call_sid=CALLBACK_SID, queues=QUEUES)
    services.extras.update(
        live_queue=live, twilio_rest=Client(ACCOUNT, TOKEN, http_client=transport)
    )
    client = create_app(services).test_client()
    enqueue = to_queue(client, "CA-real").find("Enqueue")
    post_twiml(
        client,
        enqueue.attrib["waitUrl"],
        call_fields("CA-real", QueueSid=QUEUE_SID, QueuePosition="1", QueueTime="0"),
    )
    assert live.operator_status("wz-op01", now).state is OperatorState.RINGING
    [member] = [s for s in transport.sent if "/Members/CA-real" in s.url]
    dial = post_twiml(client, member.data["Url"], call_fields("CA-real")).find("Dial")
    callback = dial.find("Number").attrib["statusCallback"]
    post_twiml(client, callback, call_fields("CA-op", CallStatus="in-progress"))
    assert live.operator_status("wz-op01", now).state is OperatorState.ON_CALL
    clock.advance(seconds=60)
    post_twiml(client, callback, call_fields("CA-op", CallStatus="completed", CallDuration="60"))
    later = clock().timestamp()
    assert live.operator_status("wz-op01", later).state is OperatorState.WRAP_UP


# --- callbacks placed by REST, and storm mode on the wait page --------------------------------


@dataclass
class CallbackDesk:
    client: FlaskClient
    live: Any
    transport: Any  # the recording HTTP client of tests/integration/conftest.py
    consumer: str


@pytest.fixture
def callback_desk(services: Any, twilio_http: Any) -> CallbackDesk:
    """The real live state and routing service, a pending callback in WZ-en, nobody ready."""
    transport = twilio_http(call_sid=CALLBACK_SID, queues=QUEUES)
    services.extras["twilio_rest"] = Client(ACCOUNT, TOKEN, http_client=transport)
    client = create_app(services).test_client()
    live = services.extras["live_queue"]
    with services.engine.connect() as conn:
        consumer = conn.execute(select(t.consumers.c.ivrs).limit(1)).scalar_one()
    now = services.clock().timestamp()
    live.enqueue("CA-cbq", "WZ-en", 0, now)
    outcome = live.request_callback(
        "CA-cbq", consumer_id=consumer, phone="9000000002", now=now, language="en"
    )
    assert outcome is CallbackOutcome.REQUESTED
    return CallbackDesk(client, live, transport, consumer)


def ready_operator(services: Any) -> None:
    from services.routing_service import OperatorAction

    assert services.extras["routing"].act("wz-op01", OperatorAction.READY).ok


def placed_calls(transport: Any) -> list[Any]:
    return [s for s in transport.sent if s.method == "POST" and s.url.endswith("/Calls.json")]


def state_of(desk: CallbackDesk, services: Any) -> Any:
    return desk.live.operator_status("wz-op01", services.clock().timestamp()).state


def test_callback_is_dialled_and_bridged_to_the_operator(
    callback_desk: CallbackDesk, services: Any, clock: Any
) -> None:
    from routing.operators import OperatorState

    desk = callback_desk
    ready_operator(services)  # a free operator: the routing round places the callback
    [call] = placed_calls(desk.transport)
    assert call.url.endswith(f"/Accounts/{ACCOUNT}/Calls.json")
    assert (call.data["To"], call.data["From"]) == ("+919000000002", CALLER_ID)
    assert call.data["Url"].startswith(BASE + "/twilio/queue/callback-answered?")
    assert "op=wz-op01" in call.data["Url"]
    assert call.data["StatusCallback"].startswith(BASE + "/twilio/queue/callback-status?")
    assert state_of(desk, services) is OperatorState.RINGING
    # the consumer picks up: a short prompt, then the operator's phone with status callbacks
    root = post_twiml(desk.client, call.data["Url"], call_fields(CALLBACK_SID, From=CALLER_ID))
    assert "call back you asked for" in root.find("Say").text
    number = root.find("Dial/Number")
    with services.engine.connect() as conn:
        phone = conn.execute(select(t.operators.c.phone).where(t.operators.c.id == "wz-op01"))
        assert number.text == phone.scalar_one()
    assert urlsplit(number.attrib["statusCallback"]).path == "/twilio/queue/operator"
    assert urlsplit(root.find("Dial").attrib["action"]).path == "/twilio/queue/dialed"
    post_twiml(
        desk.client, number.attrib["statusCallback"], call_fields("CA-op", CallStatus="in-progress")
    )
    assert state_of(desk, services) is OperatorState.ON_CALL
    clock.advance(seconds=60)
    post_twiml(
        desk.client,
        number.attrib["statusCallback"],
        call_fields("CA-op", CallStatus="completed", CallDuration="60"),
    )
    post_twiml(
        desk.client, call.data["StatusCallback"], call_fields(CALLBACK_SID, CallStatus="completed")
    )
    assert state_of(desk, services) is OperatorState.WRAP_UP
    assert desk.live.pending_callback(desk.consumer) is None  # done: may ask again


def test_unanswered_callback_frees_the_operator_and_is_recorded(
    callback_desk: CallbackDesk, services: Any
) -> None:
    """With one try allowed, the unanswered callback is dropped at once (retries:
    tests/integration/test_callback_retries.py)."""
    from dataclasses import replace

    from routing.callbacks import RetryPolicy
    from routing.operators import OperatorState

    desk = callback_desk
    services.settings = replace(services.settings, callbacks=RetryPolicy(attempts=1))
    ready_operator(services)
    [call] = placed_calls(desk.transport)
    post_twiml(
        desk.client, call.data["StatusCallback"], call_fields(CALLBACK_SID, CallStatus="no-answer")
    )
    assert state_of(desk, services) is OperatorState.READY
    assert desk.live.pending_callback(desk.consumer) is None  # dropped, as the live state rules
    with services.engine.connect() as conn:
        row = conn.execute(select(t.callbacks)).one()
        ivrs = conn.execute(
            select(t.consumers.c.ivrs).where(t.consumers.c.id == row.consumer_id)
        ).scalar_one()
    assert (row.call_id, row.status, row.reason, row.queue) == (
        CALLBACK_SID,
        "failed",
        "no-answer",
        "WZ-en",
    )
    assert ivrs == desk.consumer
    # a late repeat of the status changes nothing
    post_twiml(
        desk.client, call.data["StatusCallback"], call_fields(CALLBACK_SID, CallStatus="no-answer")
    )
    assert state_of(desk, services) is OperatorState.READY


def test_operator_not_answering_a_callback_keeps_it_for_another_try(
    callback_desk: CallbackDesk, services: Any
) -> None:
    from routing.operators import OperatorState

    desk = callback_desk
    ready_operator(services)
    [call] = placed_calls(desk.transport)
    dial = post_twiml(desk.client, call.data["Url"], call_fields(CALLBACK_SID)).find("Dial")
    reply = post_twiml(
        desk.client, dial.attrib["action"], call_fields(CALLBACK_SID, DialCallStatus="no-answer")
    )
    assert [el.tag for el in reply] == ["Say", "Hangup"]
    assert state_of(desk, services) is OperatorState.PAUSED
    assert desk.live.pending_callback(desk.consumer) is not None


def test_without_a_caller_id_the_callback_is_dropped_and_the_operator_freed(
    callback_desk: CallbackDesk, services: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from dataclasses import replace

    from routing.operators import OperatorState

    desk = callback_desk
    services.settings = replace(services.settings, twilio_caller_id=None)
    with caplog.at_level(logging.ERROR, logger="webhooks.twilio_queue"):
        ready_operator(services)
    assert placed_calls(desk.transport) == []
    assert "NOT placed" in caplog.text
    assert state_of(desk, services) is OperatorState.READY
    assert desk.live.pending_callback(desk.consumer) is None


def storm(services: Any, company: str, **settings: Any) -> None:
    """Storm settings as the storm service publishes them for the front-ends."""
    services.redis.set(f"h1912:storm:settings:{company}", json.dumps(settings))


def test_storm_mode_lowers_the_callback_threshold_and_repeats_outage_news(
    wired: Any, services: Any
) -> None:
    client, live, _ = wired
    live.free.clear()
    # Under WZ-en's 180 s callback threshold:
    live.estimate = lambda queue, position, now, score=None: WaitEstimate(90, True)
    to_queue(client, "CA-st")
    consumer = services.calls.current("CA-st").vars["consumer"]
    with services.engine.begin() as conn:
        conn.execute(
            insert(t.faults).values(
                level="feeder",
                asset_code=consumer["feeder_code"],
                cause="rain",
                company="WZ",
                source="test",
                started_at=services.clock() - timedelta(hours=1),
                etr=services.clock() + timedelta(hours=2),
                force_majeure=True,
                consumers_affected=900,
            )
        )
    url = "/twilio/queue/wait?queue=WZ-en&priority=0&lang=en"

    def visit(queue_time: str) -> ET.Element:
        return post_twiml(
            client, url, call_fields("CA-st", QueueSid=QUEUE_SID, QueueTime=queue_time)
        )

    def said(root: ET.Element) -> str:
        return " ".join(el.text or "" for el in root.iter("Say"))

    calm_offer, calm_between = visit("0"), visit("15")
    assert calm_offer.find("Gather") is None and "rain" in said(calm_offer)
    assert said(calm_between) == ""  # between announcements: just the pause
    storm(services, "WZ", on=True, callback_offer_s=60, announce_outages=True, since=None)
    stormy_offer, stormy_between = visit("0"), visit("15")
    assert stormy_offer.find("Gather") is not None
    assert "rain" in said(stormy_between) and stormy_between.find("Gather") is None
    storm(services, "EZ", on=True, callback_offer_s=60, announce_outages=True, since=None)
    storm(services, "WZ", on=False, callback_offer_s=None, announce_outages=False, since=None)
    assert visit("0").find("Gather") is None  # another company's storm is not this queue's
