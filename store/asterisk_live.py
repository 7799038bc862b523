"""Asterisk mode of the live state: `app_queue` decides who answers, and the AMI events it
emits are mirrored here so the live view, the wallboard, metrics and the storm controller see
Asterisk's queues as they see the own ACD's.

Implements the `dialplans.mirror.LiveQueues` port over `RedisLiveState`. Facts that do not fit
the state (an event for an unknown operator, a transition the table refuses) are ignored and
logged: Asterisk is the authority here, and a resync puts the picture right.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from routing.acd import CallerKind
from routing.errors import RoutingError
from routing.operators import (
    LoggedIn,
    LoggedOut,
    MadeReady,
    Offered,
    OperatorState,
    Paused,
    Rejected,
)
from routing.queues import waiting_score
from store.live_routing import RedisLiveState, member_of

log = logging.getLogger(__name__)


class AsteriskLiveQueues:
    def __init__(self, live: RedisLiveState) -> None:
        self._live = live

    def caller_waiting(self, call_id: str, queue: str, priority: int, now: float) -> object:
        if queue not in self._live.queues:
            log.info("call %s waits in queue %s, which routing does not define", call_id, queue)
            return None
        return self._live.enqueue(call_id, queue, priority, now)

    def caller_dequeued(self, call_id: str, now: float) -> object:
        # Counted as offered already; its answer is counted when the operator connects.
        return self._live._remove_waiting(member_of(CallerKind.CALL, call_id), now, "dequeued")

    def caller_abandoned(self, call_id: str, now: float) -> object:
        return self._live.caller_left(call_id, now)

    def operator_offered(self, operator_id: str, call_id: str, queue: str, now: float) -> object:
        member = member_of(CallerKind.CALL, call_id)
        score = None
        if queue in self._live.queues:
            score = self._live._client.zscore(self._live._key("q", queue), member)
        # The answer's wait is measured from the caller's place (as the own ACD's claim keeps it).
        kept = repr(score if score is not None else waiting_score(0, now))
        key = self._live._key("op", operator_id)

        def keep_score(pipe: Any, _raw: Any, _status: Any, _now: float) -> None:
            pipe.hset(key, "score", kept)

        event = Offered(member, queue)
        return self._quiet(
            operator_id, lambda: self._live._change(operator_id, event, now, keep_score)
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
        listed = {member_of(CallerKind.CALL, c.call_id) for c in callers}
        client = self._live._client
        for queue in self._live.queues.names:
            for raw in client.zrange(self._live._key("q", queue), 0, -1):
                member = raw.decode() if isinstance(raw, bytes) else str(raw)
                if member.startswith("call:") and member not in listed:
                    self._live._remove_waiting(member, now, "resync_removed")
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
