"""Routing live state in Redis: waiting callers, operator states, callbacks and counters.

The adapter between the pure routing core and Redis, shared by every worker process.
:class:`RedisLiveState` is its one entry point; it wires small parts that each own a slice of
the keys: :mod:`store.live_keys` (connection, prefix, queue set, scripts, counters),
:mod:`store.live_operators` (profiles, states, transitions), :mod:`store.live_effects` (what a
call event writes besides the new state), :mod:`store.live_callers` (joining, place, leaving),
:mod:`store.live_callback_routing` over :mod:`store.live_callbacks` (callbacks asked for,
parked after an unanswered try, released back to their place when due, cancelled),
:mod:`store.live_assignment` (snapshot + claim) and :mod:`store.live_views` (wallboard, wait
estimates, interval counters). Waiting callers are scored by priority then ORIGINAL join time
(:func:`routing.queues.waiting_score`), so a callback or a ring-no-answer goes back to the same
place. Assignment is one Lua script fed with the pure ACD's ranking and re-checking every pair,
so no two processes can double-assign; other operator changes run the pure transition table
inside a WATCH/MULTI transaction on the operator's key, which also conflicts with a concurrent
claim. In Asterisk mode app_queue assigns instead, and :mod:`store.asterisk_live` mirrors it
with the methods of the "Asterisk mode" section. Wrap-up ends lazily: states are settled
against the ``now`` passed in (float epoch seconds). A Redis that cannot be reached raises
:class:`LiveStateUnavailable`, which the front-ends catch to fall back.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable

import redis
from redis.client import Pipeline

from routing.acd import Action, CallerKind, OperatorView
from routing.callbacks import Callback, CallbackOutcome, RetryPolicy
from routing.metrics import IntervalStats
from routing.operators import (
    Answered,
    HungUp,
    NotAnswered,
    Offered,
    Operator,
    OperatorStatus,
    Rejected,
)
from routing.queues import QueueSet
from routing.wait import WaitEstimate, WaitPolicy
from store.live import LiveStateUnavailable
from store.live_assignment import ENTRY_CAP, LiveAssignment
from store.live_callback_routing import CallbackRouting
from store.live_callbacks import LiveCallbacks, MissedCallback
from store.live_callers import EnqueueOutcome, KeptPlace, LeftOutcome, LiveCallers, Place
from store.live_codec import caller_of, member_of
from store.live_effects import CallEffects
from store.live_keys import HANDLE_SAMPLES, METRICS_TTL_S, LiveKeys
from store.live_operators import Effect, LiveOperators, ShiftEvent
from store.live_views import LiveViews

__all__ = [
    "ENTRY_CAP",
    "HANDLE_SAMPLES",
    "METRICS_TTL_S",
    "Effect",
    "EnqueueOutcome",
    "LeftOutcome",
    "LiveStateUnavailable",
    "MissedCallback",
    "RedisLiveState",
    "ShiftEvent",
    "caller_of",
    "member_of",
]


class RedisLiveState:
    """Routing live state for any number of worker processes sharing one Redis."""

    def __init__(
        self,
        client: redis.Redis,
        queue_set: QueueSet,
        *,
        prefix: str = "h1912:",
        rng: random.Random | None = None,
    ) -> None:
        self._keys = LiveKeys(client, queue_set, prefix)
        callback_keys = LiveCallbacks(client, prefix, METRICS_TTL_S)
        self._operators = LiveOperators(self._keys)
        self._effects = CallEffects(self._keys, callback_keys)
        self._callers = LiveCallers(self._keys, self._operators, self._effects)
        self._callbacks = CallbackRouting(self._keys, self._operators, self._effects, callback_keys)
        self._assignment = LiveAssignment(self._keys, self._callbacks, rng or random.Random())
        self._views = LiveViews(self._keys, self._assignment)

    @property
    def queues(self) -> QueueSet:
        """The queue definitions in force."""
        return self._keys.queues

    @queues.setter
    def queues(self, queue_set: QueueSet) -> None:
        # Every part reads the queue set from the shared keys on each operation, so an edited
        # queue (console: wrap-up, strategy…) applies from the next operation on.
        self._keys.queues = queue_set

    # ------------------------------------------------------------------ operators

    def register_operator(self, operator: Operator, now: float) -> None:
        """Add or update an operator's profile; a new operator starts offline."""
        self._operators.register(operator, now)

    def knows_operators(self) -> bool:
        """False after Redis lost its data (a restart without persistence): time to resync."""
        return self._operators.known()

    def operator_status(self, operator_id: str, now: float) -> OperatorStatus:
        """The operator's status as of ``now`` (a finished wrap-up reads as ready)."""
        return self._operators.status(operator_id, now)

    def apply(self, operator_id: str, event: ShiftEvent, now: float) -> OperatorStatus | Rejected:
        """Log in/out, make ready, pause, stand by (events with no call attached)."""
        return self._operators.apply(operator_id, event, now)

    def answered(self, operator_id: str, now: float) -> OperatorStatus | Rejected:
        """The ringing operator picked up: on call; counts the answer and its wait."""
        return self._operators.change(operator_id, Answered(), now, self._effects.count_answer)

    def no_answer(self, operator_id: str, now: float) -> OperatorStatus | Rejected:
        """Ring-no-answer: the caller goes back to the same place; the operator is paused."""
        return self._operators.change(operator_id, NotAnswered(), now, self._effects.requeue)

    def call_ended(self, operator_id: str, now: float) -> OperatorStatus | Rejected:
        """The call is over: wrap-up for the queue's wrap-up time; counts the handle time."""
        wrapup = self._keys.wrapup_s(self.operator_status(operator_id, now).queue)
        return self._operators.change(operator_id, HungUp(wrapup), now, self._effects.count_handled)

    # ------------------------------------------------------------------ callers

    def enqueue(
        self,
        call_id: str,
        queue: str,
        priority: int,
        now: float,
        *,
        joined: float | None = None,
        count_offer: bool | None = None,
    ) -> EnqueueOutcome:
        """Put a caller in a queue; ``joined`` keeps an earlier join time (a returning caller,
        whose offer is not counted again unless ``count_offer`` says so)."""
        return self._callers.enqueue(
            call_id, queue, priority, now, joined=joined, count_offer=count_offer
        )

    def position(self, call_id: str) -> tuple[str, int] | None:
        """The caller's queue and 1-based place in it, or None if not waiting."""
        return self._callers.position(call_id)

    def place(self, call_id: str) -> Place | None:
        """The caller's queue, 1-based place and score there, or None if not waiting."""
        return self._callers.place(call_id)

    def caller_left(self, call_id: str, now: float) -> LeftOutcome:
        """The caller hung up: out of the queue, or the ringing operator freed, or call ended."""
        return self._callers.left(call_id, now)

    # ------------------------------------------------------------------ Asterisk mode
    # app_queue decides who answers; store.asterisk_live mirrors what it reports.

    def score(self, call_id: str, queue: str) -> float | None:
        """The waiting call's score in ``queue``: its place, priority then original join time
        (:func:`routing.queues.decode_score`); None if it does not wait there."""
        return self._callers.score(call_id, queue)

    def waiting_calls(self, queue: str) -> list[str]:
        """The ids of the calls waiting in ``queue``, first in line first (callbacks left out)."""
        return self._callers.waiting_calls(queue)

    def remove_waiting(self, call_id: str, now: float, counter: str) -> str | None:
        """Take a waiting call out of its queue without it abandoning (handed to an operator,
        or no longer listed), bumping the interval counter ``counter``; its queue, or None if
        it was not waiting."""
        return self._callers.remove_waiting(member_of(CallerKind.CALL, call_id), now, counter)

    def offered(
        self, operator_id: str, call_id: str, queue: str, now: float, *, score: float
    ) -> OperatorStatus | Rejected:
        """The operator rings for a call of ``queue``, holding it at ``score`` (its place), from
        which the answer's wait is counted, as the claim keeps it for the own ACD's calls."""
        held = repr(score)
        key = self._keys.key("op", operator_id)

        def hold_place(pipe: Pipeline, *_: object) -> None:
            pipe.hset(key, "score", held)

        event = Offered(member_of(CallerKind.CALL, call_id), queue)
        return self._operators.change(operator_id, event, now, hold_place)

    def keep_place(self, call_id: str, joined: float, *, counted: bool = False) -> None:
        """Keep ``joined`` as the join time of a call about to join a queue on a new leg (an
        answered call back, greeted before app_queue queues it), for a few minutes;
        ``counted``: the consumer's first call was already counted as offered."""
        self._callers.keep_place(call_id, KeptPlace(joined, counted))

    def take_kept_place(self, call_id: str) -> KeptPlace | None:
        """The place kept for the call (:meth:`keep_place`), forgotten as it is read."""
        return self._callers.take_kept_place(call_id)

    # ------------------------------------------------------------------ callbacks

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
        """Replace the waiting call by a callback at the same place (one per consumer: a
        consumer whose callback waits, is being placed or is parked gets already-pending)."""
        return self._callbacks.request(
            call_id,
            consumer_id=consumer_id,
            phone=phone,
            now=now,
            fault_id=fault_id,
            language=language,
        )

    def pending_callback(self, consumer_id: str) -> Callback | None:
        """The consumer's pending callback (waiting, being placed, or parked), if any."""
        return self._callbacks.pending(consumer_id)

    def parked_until(self, consumer_id: str) -> float | None:
        """When the consumer's unanswered callback goes back to its queue; None if not parked."""
        return self._callbacks.parked_until(consumer_id)

    def cancel_callbacks(
        self, now: float, *, fault_id: str | None = None, consumers: Iterable[str] = ()
    ) -> list[Callback]:
        """Cancel waiting or parked callbacks made pointless by a restoration; returns them for
        an SMS. A callback already being placed (an operator reserved) is left to finish."""
        return self._callbacks.cancel(now, fault_id=fault_id, consumers=consumers)

    def callback_unanswered(
        self, operator_id: str, now: float, *, policy: RetryPolicy | None = None
    ) -> MissedCallback | Rejected:
        """The consumer did not pick up the callback (or it could not be dialled): the operator
        is ready again. This counts as a try; with tries left under ``policy`` the callback is
        parked until the next one (keeping its place), else (or with no policy) it is dropped.
        Rejected unless the operator is still placing a callback (a repeated status)."""
        return self._callbacks.unanswered(operator_id, now, policy=policy)

    def release_due_callbacks(self, now: float) -> list[str]:
        """Put parked callbacks due by ``now`` back in their queue at their original place (same
        score, same join time); returns their consumer ids. ``assign`` calls it when due."""
        return self._callbacks.release_due(now)

    # ------------------------------------------------------------------ assignment

    def assign(self, now: float, resync: Callable[[], None] | None = None) -> list[Action]:
        """Give waiting callers to free operators; what to do for each (connect or dial back).

        Call it whenever a caller joins or an operator frees up. Parked callbacks that are due
        go back to their place first, and ``resync`` runs first when no operator is registered
        at all (Redis lost its data); the round's snapshot says both, so neither costs anything
        while not needed. The pure ACD ranks; the claim script re-checks each pair, so
        concurrent callers of ``assign`` never double-assign.
        """
        return self._assignment.assign(now, resync)

    # ------------------------------------------------------------------ reading

    def operators(self, now: float) -> list[OperatorView]:
        """Every registered operator with their status as stored (settle against ``now``)."""
        return self._views.operators(now)

    def live(self, now: float, resync: Callable[[], None] | None = None) -> dict[str, object]:
        """The wallboard view (``GET /api/live``): JSON-ready; ``resync`` as for ``assign``."""
        return self._views.live(now, resync)

    def estimate(
        self,
        queue: str,
        position: int | None,
        now: float,
        policy: WaitPolicy | None = None,
        *,
        score: float | None = None,
    ) -> WaitEstimate:
        """Estimated wait at ``position`` in ``queue`` from the operators and recent calls;
        with the caller's ``score`` (:meth:`place`), the callers of other queues sharing its
        operators whom the service order puts first count too. No ``position``: a caller
        about to join at ``score`` (:func:`routing.queues.waiting_score`)."""
        return self._views.estimate(queue, position, now, policy, score=score)

    def interval_stats(self, queue: str, start: int) -> IntervalStats:
        """The counters of one queue's 15-minute interval starting at ``start``."""
        return self._views.interval_stats(queue, start)
