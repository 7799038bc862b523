"""Connecting a caller to their operator on Twilio, and following the operator's leg.

A dequeued caller, or a consumer who answered their callback, gets `<Dial>` to the operator's
number with a short prompt. The operator leg's status callbacks move the operator to on-call
(answered) and then wrap-up (completed), complete the call record, and start an assignment
round for the operator freed. The `<Dial action>` ends the call after a talk; a ring that was
not answered (or an operator with no number on file) puts the caller back in the queue at the
same place with the operator paused, and a callback back at its place to be dialled again.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse  # type: ignore[import-untyped]

from ivr.commands import Say
from webhooks.twilio_queue_dispatch import Dispatcher
from webhooks.twilio_queue_ports import DIALED, OPERATOR, RETRY_DIAL, DeskContext, Waiting, log
from webhooks.twilio_queue_waiting import WaitingRoom
from webhooks.twiml import link


class OperatorLeg:
    """TwiML that dials the operator, and the operator leg's status callbacks."""

    def __init__(self, ctx: DeskContext, room: WaitingRoom, dispatcher: Dispatcher) -> None:
        self._ctx = ctx
        self._room = room
        self._dispatcher = dispatcher

    def connect(self, who: Waiting, operator_id: str, callback: str = "") -> VoiceResponse:
        """TwiML for a dequeued caller, or an answered callback (`callback` = consumer id):
        `<Dial>` the operator, with status callbacks."""
        response = VoiceResponse()
        phone = self._ctx.call_log.operator_phone(operator_id)
        if phone is None:
            log.error(
                "operator %s has no phone number; caller %s back in queue",
                operator_id,
                who.call_id or callback,
            )
            return self._requeue(who, operator_id, callback)
        prompt = "callback_connecting" if callback else "connecting_operator"
        services = self._ctx.services
        self._ctx.render.say(response, Say(prompt, who.language), services.local_now())
        query = {**who.query(), "op": operator_id} | ({"cb": callback} if callback else {})
        dial = response.dial(
            action=link(self._ctx.base, DIALED, **query),
            method="POST",
            timeout=services.queues[who.queue].ring_timeout_s,
        )
        dial.number(
            phone,
            status_callback_event="answered completed",
            status_callback=link(self._ctx.base, OPERATOR, call=who.call_id, op=operator_id),
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
        live = self._ctx.live
        if live is not None:
            live.call_ended(operator_id, self._ctx.now())  # no-op if the callback came first
        response = VoiceResponse()
        response.hangup()
        return response

    def _requeue(self, who: Waiting, operator_id: str, callback: str = "") -> VoiceResponse:
        """Back to the same place in the queue, the operator paused."""
        if self._ctx.live is not None:
            self._ctx.live.no_answer(operator_id, self._ctx.now())  # same place, operator paused
        response = VoiceResponse()
        if callback:  # the callback waits at its place again; we call back once more
            now = self._ctx.services.local_now()
            self._ctx.render.say(response, Say("callback_confirmed", who.language), now)
            response.hangup()
        else:
            self._room.enqueue(response, who)
        return response

    def status(self, call_id: str, operator_id: str, status: str, duration: int | None) -> None:
        """Status callback of the operator's leg: answered → on call; completed → wrap-up."""
        now, live, services = self._ctx.now(), self._ctx.live, self._ctx.services
        if status == "in-progress":
            self._ctx.call_log.answered(call_id, operator_id, services.clock())
            if live is not None:
                live.answered(operator_id, now)
        elif status == "completed":
            self._ctx.call_log.talk_ended(call_id, duration)
            if live is not None:
                live.call_ended(operator_id, now)
                self._dispatcher.dispatch(now)
