"""Callbacks: a consumer asks to be called back instead of holding on, and keeps their place.

A callback is offered when the estimated wait reaches the queue's ``callback_offer_s``. It takes
over the caller's entry in the queue with the same priority and ORIGINAL join time, so when its
turn comes and an operator is free the ACD yields a "place callback" action instead of a
connect. A consumer has at most one pending callback. When the fault that made them call is
restored, their pending callback is cancelled and handed back so an SMS can tell them. A
callback the consumer does not answer (no answer, busy, a failed dial) is tried again after a
pause, keeping its place, up to the `RetryPolicy`'s number of tries; after the last one an SMS
tells them. The live-state adapter stores them; this module holds the values and the rules.
Pure: stdlib only.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum

from routing.queues import QueueDefinition
from routing.wait import WaitEstimate


@dataclass(frozen=True, slots=True)
class Callback:
    """A pending request to call a consumer back."""

    consumer_id: str  # IVRS number: one pending callback per consumer
    phone: str  # the number to dial back (E.164)
    queue: str
    priority: int
    joined: float  # when the consumer first joined the queue (their place)
    requested_at: float
    fault_id: str | None = None  # the known fault covering the consumer's supply, if any
    language: str | None = None  # the language to greet them in
    attempts: int = 0  # tries already made to call them back


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How an unanswered callback is tried again (`[callbacks]` in helpline.toml):
    `attempts` tries in all, the next one `retry_after_s` after an unanswered one."""

    attempts: int = 3
    retry_after_s: float = 600.0


def next_try(tries_made: int, now: float, policy: RetryPolicy) -> float | None:
    """When to dial an unanswered callback again; None once it has had all its tries.

    >>> policy = RetryPolicy(attempts=3, retry_after_s=600)
    >>> next_try(1, 1000.0, policy), next_try(2, 1000.0, policy), next_try(3, 1000.0, policy)
    (1600.0, 1600.0, None)
    """
    if tries_made < policy.attempts:
        return now + policy.retry_after_s
    return None


class CallbackOutcome(StrEnum):
    """Result of asking for a callback."""

    REQUESTED = "requested"
    ALREADY_PENDING = "already-pending"  # this consumer already has one waiting
    NOT_WAITING = "not-waiting"  # the call is no longer in the queue (answered or gone)


def should_offer(queue: QueueDefinition, estimate: WaitEstimate) -> bool:
    """Offer a callback when the queue allows it and the estimate reaches its threshold.

    An estimate that is not confident is a lower bound, so reaching the threshold is still
    reaching it.

    >>> from routing.queues import load_queue_definitions
    >>> q = load_queue_definitions({"queues": {"CZ-hi": {
    ...     "company": "CZ", "language": "hi", "callback_offer_s": 120}}})["CZ-hi"]
    >>> should_offer(q, WaitEstimate(119, True)), should_offer(q, WaitEstimate(120, False))
    (False, True)
    """
    threshold = queue.callback_offer_s
    return threshold is not None and estimate.seconds >= threshold


def to_cancel(
    pending: Iterable[Callback],
    *,
    restored_faults: Collection[str] = (),
    consumers: Collection[str] = (),
) -> list[Callback]:
    """The pending callbacks a restoration makes pointless: by fault id or by consumer."""
    return [
        callback
        for callback in pending
        if callback.consumer_id in consumers
        or (callback.fault_id is not None and callback.fault_id in restored_faults)
    ]
