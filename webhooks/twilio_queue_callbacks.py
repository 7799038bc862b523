"""Placing callbacks on Twilio, and what an unanswered one becomes.

When a callback's turn comes, the reserved operator's consumer is dialled by REST
(`calls.create`, paced to Twilio's one call a second by :class:`Pacer`); on answer they hear a
short prompt and are `<Dial>`led to the operator (:mod:`webhooks.twilio_queue_operator_leg`).
A callback leg that is not answered (no-answer, busy, failed, canceled, hung up before the
operator answered, or `calls.create` failing) frees the operator and counts as a try: with
tries left under `settings.callbacks` the callback is parked, out of the queue, and dialled
again at its original place once `retry_after` has passed; after the last try it is dropped,
recorded in `callbacks` and the consumer gets the `callback_failed` SMS. With no way to dial
at all (REST or caller id not configured) it is dropped at once, with the record and the SMS.
Either way the operator is never left ringing; a repeated status changes nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

from routing.acd import CallerKind, PlaceCallback
from routing.operators import OperatorState
from services.callback_failures import give_up_callback
from store.live_callbacks import MissedCallback
from webhooks.twilio_queue_ports import (
    CALLBACK_ANSWERED,
    CALLBACK_STATUS,
    NOT_PLACED,
    RETRY_DIAL,
    DeskContext,
    Waiting,
    e164,
    log,
)
from webhooks.twiml import link


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


class CallbackDialler:
    """Dials consumers back for their reserved operator and settles the unanswered tries."""

    def __init__(self, ctx: DeskContext, pacer: Pacer) -> None:
        self._ctx = ctx
        self._pacer = pacer

    def place(self, action: PlaceCallback, now: float) -> None:
        """Dial the consumer for the reserved operator. If Twilio refuses the call, that is an
        unanswered try; with no way to dial at all (REST or caller id unset) the callback is
        dropped at once (logged, recorded, SMS). Either way the operator is not left ringing."""
        callback, operator_id = action.callback, action.operator_id
        caller_id = self._ctx.services.settings.twilio_caller_id
        if self._ctx.rest is None or not caller_id or callback is None:
            self._not_placed(action, now)
            return
        lang = callback.language or self._ctx.services.calls.flow.default_language
        who = Waiting("", callback.queue, callback.priority, lang)
        query = {**who.query(), "op": operator_id, "cb": callback.consumer_id}
        status_url = link(self._ctx.base, CALLBACK_STATUS, op=operator_id, cb=callback.consumer_id)
        self._pacer.wait()
        try:
            call = self._ctx.rest.calls.create(
                to=e164(callback.phone),
                from_=caller_id,
                url=link(self._ctx.base, CALLBACK_ANSWERED, **query),
                method="POST",
                status_callback=status_url,
                status_callback_method="POST",
            )
        except Exception as exc:  # a bad number, or Twilio unreachable: not dialled
            log.warning("callback %s: dialling failed: %s", callback.consumer_id, exc)
            self._unanswered(operator_id, callback.consumer_id, "", "failed", now)
            return
        log.info(
            "callback %s: dialling %s for operator %s",
            callback.consumer_id,
            getattr(call, "sid", "?"),
            operator_id,
        )

    def _not_placed(self, action: PlaceCallback, now: float) -> None:
        """No way to dial (no request, REST or caller id): drop the callback, free the operator."""
        why = "no pending request" if action.callback is None else "Twilio REST or caller id unset"
        log.error(
            "callback %s for operator %s NOT placed (%s): dropped, operator freed",
            action.caller.id,
            action.operator_id,
            why,
        )
        self._unanswered(action.operator_id, action.caller.id, "", NOT_PLACED, now)

    def status(self, call_id: str, operator_id: str, consumer_id: str, status: str) -> None:
        """The callback leg's final status. Unanswered, or hung up before the operator
        answered: the operator is freed and the callback tried again later, or given up."""
        if status not in RETRY_DIAL | {"completed"} or self._ctx.live is None:
            return
        self._unanswered(operator_id, consumer_id, call_id, status, self._ctx.now())

    def _unanswered(
        self, operator_id: str, consumer_id: str, call_id: str, status: str, now: float
    ) -> None:
        """Free the operator reserved for an unanswered callback; park it for its next try, or
        give up (record + SMS) after the last one or when it could not be placed at all."""
        live, settings = self._ctx.live, self._ctx.services.settings
        assert live is not None
        member = f"{CallerKind.CALLBACK.value}:{consumer_id}"
        current = live.operator_status(operator_id, now)
        if current.state is not OperatorState.RINGING or current.caller != member:
            return  # talking (the operator leg ends it), or already freed and moved on
        policy = settings.callbacks
        missed = live.callback_unanswered(
            operator_id, now, policy=None if status == NOT_PLACED else policy
        )
        if not isinstance(missed, MissedCallback):
            return  # a repeated status got there first
        tries = missed.callback.attempts
        if missed.retry_at is not None:
            at = datetime.fromtimestamp(missed.retry_at, settings.zone)
            log.info(
                "callback %s: %s (try %d of %d); operator %s freed; retry at %s",
                consumer_id, status, tries, policy.attempts, operator_id, at.strftime("%H:%M"),
            )  # fmt: skip
            return
        log.info(
            "callback %s: %s; gave up after %d tries; operator %s freed; SMS queued",
            consumer_id, status, tries, operator_id,
        )  # fmt: skip
        self._give_up(missed, call_id, status)

    def _give_up(self, missed: MissedCallback, call_id: str, status: str) -> None:
        """Record the dropped callback and queue the consumer's `callback_failed` SMS."""
        services = self._ctx.services
        templates = services.settings.sms_templates
        give_up_callback(services.engine, templates, missed.callback, call_id=call_id,
                         reason=status, now=services.clock())  # fmt: skip
