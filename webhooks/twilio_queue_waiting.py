"""The Twilio queue's waiting room: `<Enqueue>`, the wait page, the callback offer and how a
caller left the queue.

The IVR's `Enqueue` becomes `<Enqueue>` into the Twilio queue named like ours, with a `waitUrl`
and an `action`. Each wait visit puts the caller into the routing live state (once), runs an
assignment round, and answers with the caller's position and estimated wait and the live fault
news for their supply, then a pause of :data:`POLL_S` before the next visit. The announcement
comes on the first visit and then every `announce_frequency_s` of the queue. When the estimate
is long (:func:`routing.callbacks.should_offer`) and the caller rang from an identified mobile,
they are offered a callback (press 1): they then `<Leave>` and keep their place as a callback.
In storm mode (`storm_settings` of the queue's company) the callback threshold is the storm's
and the fault news is said on every visit. Without the live state, or when Redis fails, the
caller hears Twilio's own position and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twilio.twiml.voice_response import VoiceResponse  # type: ignore[import-untyped]

from ivr.commands import Enqueue, Param, ParamKind, Say
from routing.callbacks import CallbackOutcome, should_offer
from routing.queues import QueueDefinition
from routing.wait import WaitEstimate
from services.storm_service import in_storm_mode
from services.waiting import wait_say
from webhooks.twilio_queue_dispatch import Dispatcher
from webhooks.twilio_queue_ports import (
    CALLBACK,
    LIVE_ERRORS,
    POLL_S,
    RESULT,
    WAIT,
    DeskContext,
    Waiting,
    e164,
    form_int,
    log,
)
from webhooks.twiml import link


class WaitingRoom:
    """Queue TwiML for callers waiting for an operator."""

    def __init__(self, ctx: DeskContext, dispatcher: Dispatcher) -> None:
        self._ctx = ctx
        self._dispatcher = dispatcher

    def enqueue(self, response: VoiceResponse, who: Waiting) -> None:
        """`<Enqueue>` into the Twilio queue of the same name as ours."""
        response.enqueue(
            who.queue,
            action=link(self._ctx.base, RESULT, **who.query()),
            method="POST",
            wait_url=link(self._ctx.base, WAIT, **who.query()),
            wait_url_method="POST",
        )

    def enqueue_command(
        self, response: VoiceResponse, command: Enqueue, language: str, call_id: str
    ) -> None:
        self.enqueue(response, Waiting(call_id, command.queue, command.priority, language))

    def wait(self, who: Waiting, form: Mapping[str, str]) -> VoiceResponse:
        """One visit of the wait URL: join the live queue, assign, announce, offer, pause."""
        if form.get("QueueSid"):
            self._dispatcher.remember_queue(who.queue, form["QueueSid"])
        now = self._ctx.now()
        twilio_position = form_int(form.get("QueuePosition")) or 1
        position, estimate = twilio_position, None
        if self._ctx.live is not None:
            try:
                position, estimate = self._standing(who, now, twilio_position)
                self._dispatcher.dispatch(now)
            except LIVE_ERRORS as exc:
                log.warning(
                    "call %s: routing live state unusable (%s); Twilio's position", who.call_id, exc
                )
        response = VoiceResponse()
        queue_time = form_int(form.get("QueueTime")) or 0
        definition, storm = self._storm(self._ctx.services.queues[who.queue])
        if queue_time < POLL_S or queue_time % definition.announce_frequency_s < POLL_S:
            self._announce(response, who, position, estimate, definition)
        elif storm:  # outage news on every visit, not only with the periodic announcement
            fault = self._fault_news(self._consumer(who)[1], who.language)
            if fault is not None:
                self._ctx.render.say(response, fault, self._ctx.services.local_now())
        response.pause(length=POLL_S)
        return response

    def _storm(self, definition: QueueDefinition) -> tuple[QueueDefinition, bool]:
        """The queue as storm mode has it, and whether outage news is to be repeated."""
        return in_storm_mode(self._ctx.services.redis, definition)

    def _standing(self, who: Waiting, now: float, fallback: int) -> tuple[int, WaitEstimate]:
        """The caller's place in the live queue (joining it on the first visit) and the wait."""
        live = self._ctx.live
        assert live is not None
        place = live.place(who.call_id)
        if place is None:
            live.enqueue(who.call_id, who.queue, who.priority, now)
            place = live.place(who.call_id)
        if place is None:
            return fallback, live.estimate(who.queue, fallback, now)
        return place.position, live.estimate(who.queue, place.position, now, score=place.score)

    def _consumer(self, who: Waiting) -> tuple[Any, dict[str, Any] | None]:
        """The caller's IVR session and the consumer it identified, if any."""
        session = self._ctx.services.calls.current(who.call_id)
        consumer = session.vars.get("consumer") if session else None
        return session, consumer if isinstance(consumer, dict) else None

    def _fault_news(self, consumer: dict[str, Any] | None, lang: str) -> Say | None:
        """The fault news for the consumer's supply, when a known fault covers it."""
        if consumer is None:
            return None
        services = self._ctx.services
        fault = services.network.covering_fault(consumer, services.clock())
        return None if fault is None else _fault_say(fault, lang)

    def _announce(
        self,
        response: VoiceResponse,
        who: Waiting,
        position: int,
        estimate: WaitEstimate | None,
        definition: QueueDefinition,
    ) -> None:
        """Position, estimated wait and fault news; a callback offer when the wait is long."""
        lang, now = who.language, self._ctx.services.local_now()
        says = [Say("queue_position", lang, (Param("position", ParamKind.NUMBER, str(position)),))]
        if estimate is not None:
            says.append(wait_say(estimate, lang))
        session, consumer = self._consumer(who)
        fault = self._fault_news(consumer, lang)
        if fault is not None:
            says.append(fault)
        self._ctx.render.says(response, says, now)
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
                action=link(self._ctx.base, CALLBACK, **who.query()),
            )
            self._ctx.render.say(gather, Say("callback_offer", lang), now)

    def callback(self, who: Waiting, digits: str) -> VoiceResponse:
        """The caller answered the callback offer; on 1 they become a callback (or keep the one
        they have) and leave."""
        response = VoiceResponse()
        live, services = self._ctx.live, self._ctx.services
        session = services.calls.current(who.call_id)
        if digits != "1" or live is None or session is None:
            return response  # back to waiting
        consumer = session.vars.get("consumer") or {}
        fault = session.vars.get("fault") or {}
        outcome = live.request_callback(
            who.call_id,
            consumer_id=str(consumer.get("ivrs", "")),
            phone=e164(str(session.vars.get("caller", {}).get("number", ""))),
            now=self._ctx.now(),
            fault_id=str(fault["id"]) if fault.get("id") else None,
            language=who.language,
        )
        if outcome is CallbackOutcome.NOT_WAITING:
            return response
        if outcome is CallbackOutcome.ALREADY_PENDING:
            # Their earlier callback stands (waiting, or parked for its next try) and will
            # ring them; this call leaves the queue with it.
            live.caller_left(who.call_id, self._ctx.now())
        self._ctx.render.say(
            response, Say("callback_confirmed", who.language), services.local_now()
        )
        response.leave()
        return response

    def left(self, who: Waiting, result: str) -> VoiceResponse:
        """The `<Enqueue action>`: record how the caller left the queue, and what next."""
        services = self._ctx.services
        self._ctx.call_log.queue_left(who.call_id, result, services.clock())
        response = VoiceResponse()
        if result == "hangup" and self._ctx.live is not None:
            self._ctx.live.caller_left(who.call_id, self._ctx.now())
        elif result in {"queue-full", "error", "system-error"}:
            self._ctx.render.say(response, Say("queue_full", who.language), services.local_now())
            response.hangup()
        elif result == "leave":
            response.hangup()  # became a callback; the confirmation was said before <Leave>
        return response


def _fault_say(fault: Any, lang: str) -> Say:
    params = (
        Param("cause", ParamKind.PROMPT, f"cause.{fault.cause.value}"),
        Param("since", ParamKind.MOMENT, fault.started_at.isoformat()),
        Param("etr", ParamKind.MOMENT, fault.etr.isoformat() if fault.etr else ""),
    )
    return Say("fault_news", lang, params)
