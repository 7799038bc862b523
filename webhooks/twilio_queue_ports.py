"""What the Twilio queue desk plugs into and passes around: the routing live state and call log
ports, the URLs it answers on, the caller those URLs carry, and Twilio's number formats.

The desk's parts (waiting room, dispatcher, callback dialler, operator leg) share one
:class:`DeskContext`: the renderer, the application services (read on every request, so a
changed setting applies at once), the call log, the live state and the Twilio REST client —
either of the last two may be missing, and the desk then degrades to Twilio's own queue. A
Redis that cannot be reached (sessions or routing live state) shows as one of
:data:`LIVE_ERRORS`, which the desk catches: Twilio always gets valid TwiML. All parts write to
one logger, ``webhooks.twilio_queue``, so log settings and alerts name the desk once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import redis

from routing.acd import Action
from routing.callbacks import CallbackOutcome, RetryPolicy
from routing.errors import RoutingError
from routing.operators import OperatorStatus
from routing.wait import WaitEstimate
from store.live import LiveStateUnavailable
from store.live_callers import Place
from webhooks.twiml import TwimlRenderer

log = logging.getLogger("webhooks.twilio_queue")

WAIT, RESULT = "/twilio/queue/wait", "/twilio/queue/result"
CALLBACK, CONNECT = "/twilio/queue/callback", "/twilio/queue/connect"
DIALED, OPERATOR = "/twilio/queue/dialed", "/twilio/queue/operator"
CALLBACK_ANSWERED = "/twilio/queue/callback-answered"  # the consumer picked up our callback
CALLBACK_STATUS = "/twilio/queue/callback-status"  # the callback leg's final status
POLL_S = 10  # how often a waiting caller's wait URL comes back (and assignment is retried)
RETRY_DIAL = frozenset({"no-answer", "busy", "failed", "canceled"})
NOT_PLACED = "not-placed"  # a callback we had no way to dial: configuration, not the consumer
# Redis down (sessions or routing live state): degrade to Twilio's own queue, never fail.
LIVE_ERRORS = (LiveStateUnavailable, RoutingError, redis.RedisError)


class LiveQueue(Protocol):
    """What the queue desk needs from the routing live state (RedisLiveState provides it)."""

    def enqueue(self, call_id: str, queue: str, priority: int, now: float) -> object: ...
    def place(self, call_id: str) -> Place | None: ...
    def estimate(
        self, queue: str, position: int, now: float, *, score: float | None = None
    ) -> WaitEstimate: ...
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


@dataclass(frozen=True, slots=True)
class DeskContext:
    """What every part of the queue desk shares; one per application."""

    render: TwimlRenderer
    services: Any
    call_log: CallLog
    live: LiveQueue | None
    rest: Any | None
    base: str  # the public base URL our TwiML links to

    def now(self) -> float:
        """The application clock as epoch seconds (what the live state counts in)."""
        return float(self.services.clock().timestamp())


def form_int(raw: str | None) -> int | None:
    """A whole number from a Twilio form field; None when absent or not a number."""
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
