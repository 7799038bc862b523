"""Waiting for an operator on Twilio: `<Enqueue>`, the wait announcements, callbacks, and the
hand-over of a caller to the operator our ACD chose.

The IVR's `Enqueue` becomes `<Enqueue>` into the Twilio queue named like ours, with a `waitUrl`
and an `action`. Each wait request puts the caller into the routing live state (once), asks it
to assign operators, and answers with the caller's position and estimated wait, the live fault
news for their supply, and, when the estimate is long, a callback offer (press 1; the caller
then `<Leave>`s and keeps their place as a callback). An assignment dequeues the caller through
the REST Queue Member resource to `connect`, which `<Dial>`s the operator's number; the
operator leg's status callbacks move the operator to on-call and then wrap-up, and a
ring-no-answer puts the caller back in the queue at the same place. When a callback's turn
comes, the reserved operator's consumer is dialled by REST (`calls.create`, paced to Twilio's
one call a second); on answer they hear a short prompt and are `<Dial>`led to the operator with
the same status callbacks. A callback leg that is not answered (no-answer, busy, failed,
canceled, hung up before the operator answered, or `calls.create` failing) frees the operator
and counts as a try: with tries left under `settings.callbacks` the callback is parked, out of
the queue, and dialled again at its original place once `retry_after` has passed; after the
last try it is dropped, recorded in `callbacks` and the consumer gets the `callback_failed`
SMS. With no way to dial at all (REST or caller id not configured) it is dropped at once, with
the record and the SMS. In storm mode (`storm_settings` of the queue's company) the
callback threshold is the storm's and the fault news is said on every wait visit. The live
state is a port (`LiveQueue`, which `store.live_routing.RedisLiveState` fits); without it, or
without REST credentials, callers still queue and hear Twilio's own position, but nobody is
dequeued.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

import redis
from flask import Blueprint, Response, request
from twilio.twiml.voice_response import VoiceResponse  # type: ignore[import-untyped]

from ivr.commands import Enqueue, Param, ParamKind, Say
from routing.acd import Action, CallerKind, ConnectCaller, PlaceCallback
from routing.callbacks import CallbackOutcome, RetryPolicy, should_offer
from routing.errors import RoutingError
from routing.operators import OperatorState, OperatorStatus
from routing.queues import QueueDefinition
from routing.wait import WaitEstimate
from services.callback_failures import give_up_callback
from services.storm_service import storm_settings
from store.live import LiveStateUnavailable
from store.live_callbacks import MissedCallback
from webhooks.twiml import TwimlRenderer, link

log = logging.getLogger(__name__)

WAIT, RESULT = "/twilio/queue/wait", "/twilio/queue/result"
CALLBACK, CONNECT = "/twilio/queue/callback", "/twilio/queue/connect"
DIALED, OPERATOR = "/twilio/queue/dialed", "/twilio/queue/operator"
CALLBACK_ANSWERED = "/twilio/queue/callback-answered"  # the consumer picked up our callback
CALLBACK_STATUS = "/twilio/queue/callback-status"  # the callback leg's final status
POLL_S = 10  # how often a waiting caller's wait URL comes back (and assignment is retried)
RETRY_DIAL = frozenset({"no-answer", "busy", "failed", "canceled"})
NOT_PLACED = "not-placed"  # a callback we had no way to dial: configuration, not the consumer
ErrorHandler = Callable[[Exception], Response]
# Redis down (sessions or routing live state): degrade to Twilio's own queue, never fail.
LIVE_ERRORS = (LiveStateUnavailable, RoutingError, redis.RedisError)


class LiveQueue(Protocol):
    """What the queue desk needs from the routing live state (RedisLiveState provides it)."""

    def enqueue(self, call_id: str, queue: str, priority: int, now: float) -> object: ...
    def position(self, call_id: str) -> tuple[str, int] | None: ...
    def estimate(self, queue: str, position: int, now: float) -> WaitEstimate: ...
    def assign(self, now: float) -> Sequence[Action]: ...
    def answered(self, operator_id: str, now: float) -> object: ...
    def no_answer(self, operator_id: str, now: float) -> object: ...
    def call_ended(self, operator_id: str, now: float) -> object: ...
    def caller_left(self, call_id: str, now: float) -> object: ...
    def request_callback(
        self,
        call_id: str,
        *,
        consumer_id: str,
        phone: str,
        now: float,
        fault_id: str | None = None,
        language: str | None = None,
    ) -> CallbackOutcome: ...
    def operator_status(self, operator_id: str, now: float) -> OperatorStatus: ...
    def callback_unanswered(
        self, operator_id: str, now: float, *, policy: RetryPolicy | None = None
    ) -> object: ...


class CallLog(Protocol):
    """The call records the queue desk completes (SQL `calls`) and operator numbers."""

    def queue_left(self, call_id: str, result: str, now: datetime) -> None: ...
    def answered(self, call_id: str, operator_id: str, now: datetime) -> None: ...
    def talk_ended(self, call_id: str, talk_s: int | None) -> None: ...
    def operator_phone(self, operator_id: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Waiting:
    """Who is waiting where, as carried in our wait/action URLs."""

    call_id: str
    queue: str
    priority: int
    language: str

    def query(self) -> dict[str, str | int]:
        return {"queue": self.queue, "priority": self.priority, "lang": self.language}


class Pacer:
    """Spaces outbound calls from this process (Twilio places one a second by default)."""

    def __init__(self, interval_s: float, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._interval, self._sleep = interval_s, sleep
        self._lock = threading.Lock()
        self._last = float("-inf")

    def wait(self) -> None:
        with self._lock:
            delay = self._last + self._interval - time.monotonic()
            if delay > 0:
                self._sleep(delay)
            self._last = time.monotonic()


class QueueDesk:
    """Queue TwiML and the operator hand-over; one per application."""

    def __init__(
        self,
        *,
        renderer: TwimlRenderer,
        services: Any,
        call_log: CallLog,
        live: LiveQueue | None,
        rest: Any | None,
        pace_s: float = 1.0,
    ) -> None:
        self._render = renderer
        self._services = services
        self._log = call_log
        self._live = live
        self._rest = rest
        self._base = services.settings.public_base_url
        self._queue_sids: dict[str, str] = {}
        self._pacer = Pacer(pace_s)

    def _now(self) -> float:
        return float(self._services.clock().timestamp())

    # --- joining and waiting ------------------------------------------------------------------

    def enqueue(self, response: VoiceResponse, who: Waiting) -> None:
        """`<Enqueue>` into the Twilio queue of the same name as ours."""
        response.enqueue(
            who.queue,
            action=link(self._base, RESULT, **who.query()),
            method="POST",
            wait_url=link(self._base, WAIT, **who.query()),
            wait_url_method="POST",
        )

    def enqueue_command(
        self, response: VoiceResponse, command: Enqueue, language: str, call_id: str
    ) -> None:
        self.enqueue(response, Waiting(call_id, command.queue, command.priority, language))

    def wait(self, who: Waiting, form: Mapping[str, str]) -> VoiceResponse:
        """One visit of the wait URL: join the live queue, assign, announce, offer, pause."""
        if form.get("QueueSid"):
            self._queue_sids[who.queue] = form["QueueSid"]
        now = self._now()
        twilio_position = form_int(form.get("QueuePosition")) or 1
        position, estimate = twilio_position, None
        if self._live is not None:
            try:
                position, estimate = self._standing(who, now, twilio_position)
                self.dispatch(now)
            except LIVE_ERRORS as exc:
                log.warning(
                    "call %s: routing live state unusable (%s); Twilio's position", who.call_id, exc
                )
        response = VoiceResponse()
        queue_time = form_int(form.get("QueueTime")) or 0
        definition, storm = self._storm(self._services.queues[who.queue])
        if queue_time < POLL_S or queue_time % definition.announce_frequency_s < POLL_S:
            self._announce(response, who, position, estimate, definition)
        elif storm:  # outage news on every visit, not only with the periodic announcement
            fault = self._fault_news(self._consumer(who)[1], who.language)
            if fault is not None:
                self._render.say(response, fault, self._services.local_now())
        response.pause(length=POLL_S)
        return response

    def _storm(self, definition: QueueDefinition) -> tuple[QueueDefinition, bool]:
        """The queue as storm mode has it (lowered callback threshold) and whether outage
        news is to be repeated; unchanged when storm mode is off or Redis cannot say."""
        try:
            settings = storm_settings(self._services.redis, definition.company)
        except (redis.RedisError, ValueError) as exc:
            log.warning("storm settings unreadable (%s); queue %s as usual", exc, definition.name)
            return definition, False
        if not settings.get("on"):
            return definition, False
        threshold = settings.get("callback_offer_s")
        if isinstance(threshold, int) and not isinstance(threshold, bool):
            definition = replace(definition, callback_offer_s=threshold)
        return definition, bool(settings.get("announce_outages"))

    def _standing(self, who: Waiting, now: float, fallback: int) -> tuple[int, WaitEstimate]:
        assert self._live is not None
        place = self._live.position(who.call_id)
        if place is None:
            self._live.enqueue(who.call_id, who.queue, who.priority, now)
            place = self._live.position(who.call_id)
        position = place[1] if place else fallback
        return position, self._live.estimate(who.queue, position, now)

    def _consumer(self, who: Waiting) -> tuple[Any, dict[str, Any] | None]:
        """The caller's IVR session and the consumer it identified, if any."""
        session = self._services.calls.current(who.call_id)
        consumer = session.vars.get("consumer") if session else None
        return session, consumer if isinstance(consumer, dict) else None

    def _fault_news(self, consumer: dict[str, Any] | None, lang: str) -> Say | None:
        """The fault news for the consumer's supply, when a known fault covers it."""
        if consumer is None:
            return None
        fault = self._services.network.covering_fault(consumer, self._services.clock())
        return None if fault is None else _fault_say(fault, lang)

    def _announce(
        self,
        response: VoiceResponse,
        who: Waiting,
        position: int,
        estimate: WaitEstimate | None,
        definition: QueueDefinition,
    ) -> None:
        lang, now = who.language, self._services.local_now()
        says = [Say("queue_position", lang, (Param("position", ParamKind.NUMBER, str(position)),))]
        if estimate is not None:
            says.append(_wait_say(estimate, lang))
        session, consumer = self._consumer(who)
        fault = self._fault_news(consumer, lang)
        if fault is not None:
            says.append(fault)
        self._render.says(response, says, now)
        offer = (
            estimate is not None
            and consumer is not None
            and session is not None
            and session.vars.get("caller", {}).get("kind") == "mobile"
            and should_offer(definition, estimate)
        )
        if offer:
            gather = response.gather(
                input="dtmf",
                num_digits=1,
                timeout=5,
                method="POST",
                action=link(self._base, CALLBACK, **who.query()),
            )
            self._render.say(gather, Say("callback_offer", lang), now)

    def callback(self, who: Waiting, digits: str) -> VoiceResponse:
        """The caller answered the callback offer; on 1 they become a callback (or keep the one
        they have) and leave."""
        response = VoiceResponse()
        session = self._services.calls.current(who.call_id)
        if digits != "1" or self._live is None or session is None:
            return response  # back to waiting
        consumer = session.vars.get("consumer") or {}
        fault = session.vars.get("fault") or {}
        outcome = self._live.request_callback(
            who.call_id,
            consumer_id=str(consumer.get("ivrs", "")),
            phone=e164(str(session.vars.get("caller", {}).get("number", ""))),
            now=self._now(),
            fault_id=str(fault["id"]) if fault.get("id") else None,
            language=who.language,
        )
        if outcome is CallbackOutcome.NOT_WAITING:
            return response
        if outcome is CallbackOutcome.ALREADY_PENDING:
            # Their earlier callback stands (waiting, or parked for its next try) and will
            # ring them; this call leaves the queue with it.
            self._live.caller_left(who.call_id, self._now())
        self._render.say(
            response, Say("callback_confirmed", who.language), self._services.local_now()
        )
        response.leave()
        return response

    def left(self, who: Waiting, result: str) -> VoiceResponse:
        """The `<Enqueue action>`: record how the caller left the queue, and what next."""
        self._log.queue_left(who.call_id, result, self._services.clock())
        response = VoiceResponse()
        if result == "hangup" and self._live is not None:
            self._live.caller_left(who.call_id, self._now())
        elif result in {"queue-full", "error", "system-error"}:
            self._render.say(response, Say("queue_full", who.language), self._services.local_now())
            response.hangup()
        elif result == "leave":
            response.hangup()  # became a callback; the confirmation was said before <Leave>
        return response

    # --- hand-over to an operator -------------------------------------------------------------

    def dispatch(self, now: float) -> list[Action]:
        """Run an assignment round and dequeue each Twilio caller to their operator.

        With the routing service present, the round goes through it, so assignments of
        callers from other front-ends reach their own executors (callbacks come back to
        `execute`). Without it, this desk carries out every assignment of its own round.
        """
        if self._live is None or self._rest is None:
            return []
        routing = self._services.extras.get("routing")
        if routing is not None and routing.live is not self._live:
            routing = None  # a desk wired to another live state (tests) runs its own round
        if routing is not None:
            return list(routing.dispatch())
        actions = self._live.assign(now)
        for action in actions:
            if isinstance(action, ConnectCaller):
                self._dequeue(action, now)
            else:
                self.place_callback(action, now)
        return list(actions)

    def execute(self, action: Action, now: float) -> bool:
        """Carry out an assignment if the caller is on Twilio (its id is a CallSid), and every
        callback (they are asked for on the Twilio wait page)."""
        if isinstance(action, PlaceCallback):
            if self._live is None:
                return False
            self.place_callback(action, now)
            return True
        if self._rest is None:
            return False
        if not action.caller.id.startswith("CA"):
            return False
        self._dequeue(action, now)
        return True

    def _dequeue(self, action: ConnectCaller, now: float) -> None:
        assert self._live is not None and self._rest is not None
        caller = action.caller
        session = self._services.calls.current(caller.id)
        lang = session.language if session else self._services.calls.flow.default_language
        who = Waiting(caller.id, caller.queue, caller.priority, lang)
        url = link(self._base, CONNECT, op=action.operator_id, **who.query())
        try:
            sid = self._queue_sid(caller.queue)
            self._rest.queues(sid).members(caller.id).update(url=url, method="POST")
            log.info("call %s: dequeued to operator %s", caller.id, action.operator_id)
        except Exception as exc:  # Twilio said no (caller gone) or cannot be reached
            log.warning("call %s: dequeue to %s failed: %s", caller.id, action.operator_id, exc)
            if getattr(exc, "status", None) == 404:
                self._live.caller_left(caller.id, now)
            else:
                self._live.no_answer(action.operator_id, now)

    # --- callbacks ----------------------------------------------------------------------------

    def place_callback(self, action: PlaceCallback, now: float) -> None:
        """Dial the consumer for the reserved operator. If Twilio refuses the call, that is an
        unanswered try; with no way to dial at all (REST or caller id unset) the callback is
        dropped at once (logged, recorded, SMS). Either way the operator is not left ringing."""
        callback, operator_id = action.callback, action.operator_id
        caller_id = self._services.settings.twilio_caller_id
        if self._rest is None or not caller_id or callback is None:
            why = "no pending request" if callback is None else "Twilio REST or caller id unset"
            log.error(
                "callback %s for operator %s NOT placed (%s): dropped, operator freed",
                action.caller.id,
                operator_id,
                why,
            )
            self._callback_unanswered(operator_id, action.caller.id, "", NOT_PLACED, now)
            return
        lang = callback.language or self._services.calls.flow.default_language
        who = Waiting("", callback.queue, callback.priority, lang)
        query = {**who.query(), "op": operator_id, "cb": callback.consumer_id}
        status_url = link(self._base, CALLBACK_STATUS, op=operator_id, cb=callback.consumer_id)
        self._pacer.wait()
        try:
            call = self._rest.calls.create(
                to=e164(callback.phone),
                from_=caller_id,
                url=link(self._base, CALLBACK_ANSWERED, **query),
                method="POST",
                status_callback=status_url,
                status_callback_method="POST",
            )
        except Exception as exc:  # a bad number, or Twilio unreachable: not dialled
            log.warning("callback %s: dialling failed: %s", callback.consumer_id, exc)
            self._callback_unanswered(operator_id, callback.consumer_id, "", "failed", now)
            return
        log.info(
            "callback %s: dialling %s for operator %s",
            callback.consumer_id,
            getattr(call, "sid", "?"),
            operator_id,
        )

    def callback_status(
        self, call_id: str, operator_id: str, consumer_id: str, status: str
    ) -> None:
        """The callback leg's final status. Unanswered, or hung up before the operator
        answered: the operator is freed and the callback tried again later, or given up."""
        if status not in RETRY_DIAL | {"completed"} or self._live is None:
            return
        self._callback_unanswered(operator_id, consumer_id, call_id, status, self._now())

    def _callback_unanswered(
        self, operator_id: str, consumer_id: str, call_id: str, status: str, now: float
    ) -> None:
        """Free the operator reserved for an unanswered callback; park it for its next try, or
        give up (record + SMS) after the last one or when it could not be placed at all."""
        assert self._live is not None
        member = f"{CallerKind.CALLBACK.value}:{consumer_id}"
        current = self._live.operator_status(operator_id, now)
        if current.state is not OperatorState.RINGING or current.caller != member:
            return  # talking (the operator leg ends it), or already freed and moved on
        policy = self._services.settings.callbacks
        missed = self._live.callback_unanswered(
            operator_id, now, policy=None if status == NOT_PLACED else policy
        )
        if not isinstance(missed, MissedCallback):
            return  # a repeated status got there first
        tries = missed.callback.attempts
        if missed.retry_at is not None:
            at = datetime.fromtimestamp(missed.retry_at, self._services.settings.zone)
            log.info(
                "callback %s: %s (try %d of %d); operator %s freed; retry at %s",
                consumer_id, status, tries, policy.attempts, operator_id, at.strftime("%H:%M"),
            )  # fmt: skip
            return
        log.info(
            "callback %s: %s; gave up after %d tries; operator %s freed; SMS queued",
            consumer_id, status, tries, operator_id,
        )  # fmt: skip
        templates = self._services.settings.sms_templates
        give_up_callback(self._services.engine, templates, missed.callback, call_id=call_id,
                         reason=status, now=self._services.clock())  # fmt: skip

    def _queue_sid(self, name: str) -> str:
        if name not in self._queue_sids:
            assert self._rest is not None
            for queue in self._rest.queues.list(limit=1000):
                self._queue_sids[str(queue.friendly_name)] = str(queue.sid)
        return self._queue_sids[name]

    def connect(self, who: Waiting, operator_id: str, callback: str = "") -> VoiceResponse:
        """TwiML for a dequeued caller, or an answered callback (`callback` = consumer id):
        `<Dial>` the operator, with status callbacks."""
        response = VoiceResponse()
        phone = self._log.operator_phone(operator_id)
        if phone is None:
            log.error(
                "operator %s has no phone number; caller %s back in queue",
                operator_id,
                who.call_id or callback,
            )
            return self._requeue(who, operator_id, callback)
        prompt = "callback_connecting" if callback else "connecting_operator"
        self._render.say(response, Say(prompt, who.language), self._services.local_now())
        query = {**who.query(), "op": operator_id} | ({"cb": callback} if callback else {})
        dial = response.dial(
            action=link(self._base, DIALED, **query),
            method="POST",
            timeout=self._services.queues[who.queue].ring_timeout_s,
        )
        dial.number(
            phone,
            status_callback_event="answered completed",
            status_callback=link(self._base, OPERATOR, call=who.call_id, op=operator_id),
            status_callback_method="POST",
        )
        return response

    def dialed(
        self, who: Waiting, operator_id: str, status: str, callback: str = ""
    ) -> VoiceResponse:
        """The `<Dial action>`: after a talk the call ends; an unanswered ring requeues."""
        if status in RETRY_DIAL:
            log.info("call %s: operator %s %s; back in the queue", who.call_id, operator_id, status)
            return self._requeue(who, operator_id, callback)
        if self._live is not None:
            self._live.call_ended(operator_id, self._now())  # no-op if the callback came first
        response = VoiceResponse()
        response.hangup()
        return response

    def _requeue(self, who: Waiting, operator_id: str, callback: str = "") -> VoiceResponse:
        if self._live is not None:
            self._live.no_answer(operator_id, self._now())  # same place, operator paused
        response = VoiceResponse()
        if callback:  # the callback waits at its place again; we call back once more
            lang = who.language
            self._render.say(response, Say("callback_confirmed", lang), self._services.local_now())
            response.hangup()
        else:
            self.enqueue(response, who)
        return response

    def operator_status(
        self, call_id: str, operator_id: str, status: str, duration: int | None
    ) -> None:
        """Status callback of the operator's leg: answered → on call; completed → wrap-up."""
        now = self._now()
        if status == "in-progress":
            self._log.answered(call_id, operator_id, self._services.clock())
            if self._live is not None:
                self._live.answered(operator_id, now)
        elif status == "completed":
            self._log.talk_ended(call_id, duration)
            if self._live is not None:
                self._live.call_ended(operator_id, now)
                self.dispatch(now)


def _wait_say(estimate: WaitEstimate, lang: str) -> Say:
    if estimate.more_than_minutes is not None:
        minutes = Param("minutes", ParamKind.NUMBER, str(estimate.more_than_minutes))
        return Say("queue_wait_long", lang, (minutes,))
    return Say("queue_wait", lang, (Param("wait", ParamKind.MINUTES, str(estimate.seconds // 60)),))


def _fault_say(fault: Any, lang: str) -> Say:
    params = (
        Param("cause", ParamKind.PROMPT, f"cause.{fault.cause.value}"),
        Param("since", ParamKind.MOMENT, fault.started_at.isoformat()),
        Param("etr", ParamKind.MOMENT, fault.etr.isoformat() if fault.etr else ""),
    )
    return Say("fault_news", lang, params)


def form_int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def e164(number: str) -> str:
    """An Indian number as Twilio wants it.

    >>> e164("9000000002"), e164("07552551234"), e164("+919000000002")
    ('+919000000002', '+917552551234', '+919000000002')
    """
    if number.startswith("+"):
        return number
    return "+91" + number.lstrip("0")


def blueprint(desk: QueueDesk, on_error: ErrorHandler) -> Blueprint:
    """The queue routes; `on_error` turns any failure into valid TwiML (never a 500)."""
    bp = Blueprint("twilio_queue", __name__)

    def waiting() -> Waiting:
        return Waiting(
            request.form.get("CallSid", ""),
            request.args["queue"],
            int(request.args.get("priority", "0")),
            request.args.get("lang", "hi"),
        )

    def twiml(response: VoiceResponse) -> Response:
        return Response(str(response), mimetype="text/xml")

    @bp.post(WAIT)
    def wait() -> Response:
        return twiml(desk.wait(waiting(), request.form))

    @bp.post(CALLBACK)
    def callback() -> Response:
        return twiml(desk.callback(waiting(), request.form.get("Digits", "")))

    @bp.post(RESULT)
    def result() -> Response:
        return twiml(desk.left(waiting(), request.form.get("QueueResult", "")))

    @bp.post(CONNECT)
    def connect() -> Response:
        return twiml(desk.connect(waiting(), request.args["op"]))

    @bp.post(CALLBACK_ANSWERED)
    def callback_answered() -> Response:
        return twiml(desk.connect(waiting(), request.args["op"], request.args["cb"]))

    @bp.post(CALLBACK_STATUS)
    def callback_status() -> Response:
        desk.callback_status(
            request.form.get("CallSid", ""),
            request.args["op"],
            request.args["cb"],
            request.form.get("CallStatus", ""),
        )
        return twiml(VoiceResponse())

    @bp.post(DIALED)
    def dialed() -> Response:
        status = request.form.get("DialCallStatus", "")
        return twiml(desk.dialed(waiting(), request.args["op"], status, request.args.get("cb", "")))

    @bp.post(OPERATOR)
    def operator() -> Response:
        desk.operator_status(
            request.args["call"],
            request.args["op"],
            request.form.get("CallStatus", ""),
            form_int(request.form.get("CallDuration")),
        )
        return twiml(VoiceResponse())

    bp.register_error_handler(Exception, on_error)
    return bp
