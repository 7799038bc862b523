"""Waiting for an operator on Twilio: `<Enqueue>`, the wait announcements, callbacks, and the
hand-over of a caller to the operator our ACD chose.

The IVR's `Enqueue` becomes `<Enqueue>` into the Twilio queue named like ours, with a `waitUrl`
and an `action`. Each wait request puts the caller into the routing live state (once), asks it
to assign operators, and answers with the caller's position and estimated wait, the live fault
news for their supply, and, when the estimate is long, a callback offer (press 1; the caller
then `<Leave>`s and keeps their place as a callback). An assignment dequeues the caller through
the REST Queue Member resource to `connect`, which `<Dial>`s the operator's number; the
operator leg's status callbacks move the operator to on-call and then wrap-up, and a
ring-no-answer puts the caller back in the queue at the same place. The live state is a port
(`LiveQueue`, which `store.live_routing.RedisLiveState` fits); without it, or without REST
credentials, callers still queue and hear Twilio's own position, but nobody is dequeued.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import redis
from flask import Blueprint, Response, request
from twilio.twiml.voice_response import VoiceResponse  # type: ignore[import-untyped]

from ivr.commands import Enqueue, Param, ParamKind, Say
from routing.acd import Action, ConnectCaller
from routing.callbacks import CallbackOutcome, should_offer
from routing.errors import RoutingError
from routing.wait import WaitEstimate
from store.live import LiveStateUnavailable
from webhooks.twiml import TwimlRenderer, link

log = logging.getLogger(__name__)

WAIT, RESULT = "/twilio/queue/wait", "/twilio/queue/result"
CALLBACK, CONNECT = "/twilio/queue/callback", "/twilio/queue/connect"
DIALED, OPERATOR = "/twilio/queue/dialed", "/twilio/queue/operator"
POLL_S = 10  # how often a waiting caller's wait URL comes back (and assignment is retried)
RETRY_DIAL = frozenset({"no-answer", "busy", "failed", "canceled"})
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
    ) -> None:
        self._render = renderer
        self._services = services
        self._log = call_log
        self._live = live
        self._rest = rest
        self._base = services.settings.public_base_url
        self._queue_sids: dict[str, str] = {}

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
        definition = self._services.queues[who.queue]
        if queue_time < POLL_S or queue_time % definition.announce_frequency_s < POLL_S:
            self._announce(response, who, position, estimate)
        response.pause(length=POLL_S)
        return response

    def _standing(self, who: Waiting, now: float, fallback: int) -> tuple[int, WaitEstimate]:
        assert self._live is not None
        place = self._live.position(who.call_id)
        if place is None:
            self._live.enqueue(who.call_id, who.queue, who.priority, now)
            place = self._live.position(who.call_id)
        position = place[1] if place else fallback
        return position, self._live.estimate(who.queue, position, now)

    def _announce(
        self, response: VoiceResponse, who: Waiting, position: int, estimate: WaitEstimate | None
    ) -> None:
        lang, now = who.language, self._services.local_now()
        says = [Say("queue_position", lang, (Param("position", ParamKind.NUMBER, str(position)),))]
        if estimate is not None:
            says.append(_wait_say(estimate, lang))
        session = self._services.calls.current(who.call_id)
        consumer = session.vars.get("consumer") if session else None
        if isinstance(consumer, dict):
            fault = self._services.network.covering_fault(consumer, self._services.clock())
            if fault is not None:
                says.append(_fault_say(fault, lang))
        self._render.says(response, says, now)
        definition = self._services.queues[who.queue]
        offer = (
            estimate is not None
            and isinstance(consumer, dict)
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
        """The caller answered the callback offer; on 1 they become a callback and leave."""
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
        callers from other front-ends reach their own executors. Returns the actions not
        carried out here (callbacks to dial: the dialler's job).
        """
        if self._live is None or self._rest is None:
            return []
        routing = self._services.extras.get("routing")
        if routing is not None and routing.live is not self._live:
            routing = None  # a desk wired to another live state (tests) runs its own round
        actions = routing.dispatch() if routing is not None else self._live.assign(now)
        others: list[Action] = []
        for action in actions:
            if routing is None and isinstance(action, ConnectCaller):
                self._dequeue(action, now)
            elif not isinstance(action, ConnectCaller):
                others.append(action)
        return others

    def execute(self, action: Action, now: float) -> bool:
        """Carry out an assignment if the caller is on Twilio (its id is a CallSid)."""
        if self._rest is None or not isinstance(action, ConnectCaller):
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

    def _queue_sid(self, name: str) -> str:
        if name not in self._queue_sids:
            assert self._rest is not None
            for queue in self._rest.queues.list(limit=1000):
                self._queue_sids[str(queue.friendly_name)] = str(queue.sid)
        return self._queue_sids[name]

    def connect(self, who: Waiting, operator_id: str) -> VoiceResponse:
        """TwiML for a dequeued caller: `<Dial>` the operator, with status callbacks."""
        response = VoiceResponse()
        phone = self._log.operator_phone(operator_id)
        if phone is None:
            log.error(
                "operator %s has no phone number; caller %s back in queue", operator_id, who.call_id
            )
            return self._requeue(who, operator_id)
        self._render.say(
            response, Say("connecting_operator", who.language), self._services.local_now()
        )
        query = {**who.query(), "op": operator_id}
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

    def dialed(self, who: Waiting, operator_id: str, status: str) -> VoiceResponse:
        """The `<Dial action>`: after a talk the call ends; an unanswered ring requeues."""
        if status in RETRY_DIAL:
            log.info("call %s: operator %s %s; back in the queue", who.call_id, operator_id, status)
            return self._requeue(who, operator_id)
        if self._live is not None:
            self._live.call_ended(operator_id, self._now())  # no-op if the callback came first
        response = VoiceResponse()
        response.hangup()
        return response

    def _requeue(self, who: Waiting, operator_id: str) -> VoiceResponse:
        if self._live is not None:
            self._live.no_answer(operator_id, self._now())  # same place, operator paused
        response = VoiceResponse()
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

    @bp.post(DIALED)
    def dialed() -> Response:
        status = request.form.get("DialCallStatus", "")
        return twiml(desk.dialed(waiting(), request.args["op"], status))

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
