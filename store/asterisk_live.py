"""Asterisk mode of the live state: `app_queue` decides who answers, and the AMI events it
emits are mirrored here so the live view, the wallboard, metrics and the storm controller see
Asterisk's queues as they see the own ACD's.

Implements the `dialplans.mirror.LiveQueues` port over the public methods of `RedisLiveState`.
Every join app_queue reports counts as an offer, but one consumer's contact counts once: an
answered call back joins on a new leg, with its original join time kept for it
(`RedisLiveState.keep_place`, by the FastAGI `callback` route), so its wait counts from the
consumer's first join; and it counts as an offer only if that first call never got into the
queue (turned away as full or with no operator), not if it waited there until app_queue timed
it out (it was counted then). The own ACD counts a call back the same way: once, as the call.
Facts that do not fit the state (an event for an unknown operator, a transition the table
refuses) are ignored and logged: Asterisk is the authority here, and a resync puts the
picture right.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from routing.errors import RoutingError
from routing.operators import (
    LoggedIn,
    LoggedOut,
    MadeReady,
    OperatorState,
    Paused,
    Rejected,
)
from routing.queues import waiting_score
from store.live_routing import RedisLiveState

log = logging.getLogger(__name__)


class AsteriskLiveQueues:
    """The mirror's live-state port in Asterisk mode."""

    def __init__(self, live: RedisLiveState) -> None:
        self._live = live

    def caller_waiting(self, call_id: str, queue: str, priority: int, now: float) -> object:
        if queue not in self._live.queues:
            log.info("call %s waits in queue %s, which routing does not define", call_id, queue)
            return None
        kept = self._live.take_kept_place(call_id)
        if kept is None:
            return self._live.enqueue(call_id, queue, priority, now, count_offer=True)
        # An answered call back: at the consumer's place, and an offer only if their first
        # call never got into the queue (app_queue full, or no operator logged in).
        return self._live.enqueue(
            call_id, queue, priority, now, joined=kept.joined, count_offer=not kept.counted
        )

    def caller_dequeued(self, call_id: str, now: float) -> object:
        # Counted as offered already; its answer is counted when the operator connects.
        return self._live.remove_waiting(call_id, now, "dequeued")

    def caller_abandoned(self, call_id: str, now: float) -> object:
        return self._live.caller_left(call_id, now)

    def operator_offered(self, operator_id: str, call_id: str, queue: str, now: float) -> object:
        # The answer's wait is measured from the caller's place (as the own ACD's claim keeps it).
        score = self._live.score(call_id, queue)
        place = score if score is not None else waiting_score(0, now)
        return self._quiet(
            operator_id,
            lambda: self._live.offered(operator_id, call_id, queue, now, score=place),
        )

    def operator_missed(self, operator_id: str, now: float) -> object:
        return self._quiet(operator_id, lambda: self._live.no_answer(operator_id, now))

    def operator_answered(self, operator_id: str, now: float) -> object:
        return self._quiet(operator_id, lambda: self._live.answered(operator_id, now))

    def operator_finished(self, operator_id: str, now: float) -> object:
        return self._quiet(operator_id, lambda: self._live.call_ended(operator_id, now))

    def operator_presence(
        self, operator_id: str, presence: Any, reason: str | None, now: float
    ) -> object:
        def change() -> object:
            state = self._live.operator_status(operator_id, now).state
            wanted = str(presence)
            if wanted == "offline":
                return self._live.apply(operator_id, LoggedOut(), now)
            if state is OperatorState.OFFLINE:
                self._live.apply(operator_id, LoggedIn(), now)
            if wanted == "paused":
                return self._live.apply(operator_id, Paused(reason or "paused in Asterisk"), now)
            return self._live.apply(operator_id, MadeReady(), now)

        return self._quiet(operator_id, change)

    def resynchronise(self, operators: Sequence[Any], callers: Sequence[Any], now: float) -> object:
        for entry in operators:
            self.operator_presence(entry.operator_id, entry.presence, entry.reason, now)
        listed = {caller.call_id for caller in callers}
        for queue in self._live.queues.names:
            for call_id in self._live.waiting_calls(queue):
                if call_id not in listed:
                    self._live.remove_waiting(call_id, now, "resync_removed")
        for caller in callers:
            if self._live.position(caller.call_id) is None:
                self.caller_waiting(
                    caller.call_id, caller.queue, caller.priority, now - caller.wait_s
                )
        return None

    @staticmethod
    def _quiet(operator_id: str, change: Any) -> object:
        try:
            result = change()
        except RoutingError as exc:
            log.info("operator %s: %s (ignored; Asterisk is the authority)", operator_id, exc)
            return None
        if isinstance(result, Rejected):
            log.info("operator %s: %s (ignored)", operator_id, result.message)
        return result
