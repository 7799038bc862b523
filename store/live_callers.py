"""Callers in the routing live state: joining a queue, their place in it, and leaving it.

Waiting callers sit in one sorted set per queue, ``q:<queue>``, scored by priority then
ORIGINAL join time (:func:`routing.queues.waiting_score`), so a returning caller or a
ring-no-answer goes back to the same place; ``qt:<queue>`` keeps join times and ``where`` maps
a member to its queue. Joining is one script (``lua/enqueue.lua``): it refuses a full queue or
a caller already waiting or with an operator, and counts the offer. A call that returns on a
new leg (an answered Asterisk call back, greeted before app_queue queues it) can have its
original join time kept for a while beforehand, ``kept:<member>``; whoever mirrors the join
takes it (read once) and joins with it, so the wait counts from the first join. A caller who
hangs up is found wherever they are: still waiting (abandoned, counted), ringing an operator
(the operator is ready again) or talking (the call ends and the operator wraps up). A
ring-no-answer may move them back to the queue in between, hence a second look.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from routing.acd import CallerKind
from routing.metrics import Counter
from routing.operators import CallerLeft, HungUp, OperatorState, OperatorStatus
from routing.queues import waiting_score
from store.live_codec import member_of, text
from store.live_effects import CallEffects
from store.live_keys import METRICS_TTL_S, LiveKeys, reachable
from store.live_operators import LiveOperators

KEPT_PLACE_TTL_S = 600  # a kept place waits this long for its call to join a queue


@dataclass(frozen=True, slots=True)
class Place:
    """Where a call waits: its queue, its 1-based place there, and its score (priority, then
    original join time: :func:`routing.queues.waiting_score`)."""

    queue: str
    position: int
    score: float


@dataclass(frozen=True, slots=True)
class KeptPlace:
    """A consumer's place, kept for the new leg of their call (an answered call back)."""

    joined: float  # when the consumer first joined the queue
    # The consumer's first call already counted as an offer (it waited in the queue before
    # being turned away), so this leg's join is not another one.
    counted: bool = False


_CALL = CallerKind.CALL.value + ":"


class EnqueueOutcome(StrEnum):
    QUEUED = "queued"
    FULL = "full"  # the queue is at its max length
    DUPLICATE = "duplicate"  # already waiting or with an operator


class LeftOutcome(StrEnum):
    """Where a caller who hung up was."""

    ABANDONED_WAITING = "abandoned-waiting"
    ABANDONED_RINGING = "abandoned-ringing"  # the ringing operator is ready again
    ENDED = "ended"  # was talking: the call ended normally, the operator wraps up
    UNKNOWN = "unknown"


class LiveCallers:
    """Callers joining, finding their place in and leaving the queues."""

    def __init__(self, keys: LiveKeys, operators: LiveOperators, effects: CallEffects) -> None:
        self._keys = keys
        self._operators = operators
        self._effects = effects

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
        """Put a caller in a queue; ``joined`` keeps an earlier join time (a returning caller).

        The join counts as an offer when ``count_offer`` says so; by default only a first join
        does (a returning caller was counted when first offered).
        """
        definition = self._keys.queues[queue]
        counted = joined is None if count_offer is None else count_offer
        first = joined if joined is not None else now
        args: list[str | float | int] = [
            queue,
            member_of(CallerKind.CALL, call_id),
            waiting_score(priority, first),
            repr(first),
            definition.max_length,
            self._keys.metrics_key(queue, now),
            METRICS_TTL_S,
            int(counted),
        ]
        return EnqueueOutcome(text(self._keys.run("enqueue", args)))

    def position(self, call_id: str) -> tuple[str, int] | None:
        """The caller's queue and 1-based place in it, or None if not waiting."""
        place = self.place(call_id)
        return None if place is None else (place.queue, place.position)

    def place(self, call_id: str) -> Place | None:
        """The caller's queue, 1-based place and score in it, or None if not waiting."""
        found = self._keys.run("position", [member_of(CallerKind.CALL, call_id)])
        if not found:
            return None
        queue, rank, score = found
        return Place(text(queue), int(rank) + 1, float(score))

    def score(self, call_id: str, queue: str) -> float | None:
        """The call's score in ``queue`` (priority, then original join time), or None if it
        does not wait there."""
        with reachable():
            score = self._keys.client.zscore(
                self._keys.key("q", queue), member_of(CallerKind.CALL, call_id)
            )
        return None if score is None else float(score)

    def waiting_calls(self, queue: str) -> list[str]:
        """The ids of the calls waiting in ``queue``, first in line first (callbacks left out)."""
        with reachable():
            members = self._keys.client.zrange(self._keys.key("q", queue), 0, -1)
        return [m[len(_CALL) :] for m in map(text, members) if m.startswith(_CALL)]

    def keep_place(self, call_id: str, place: KeptPlace) -> None:
        """Keep ``place`` for the call's next join (within :data:`KEPT_PLACE_TTL_S`)."""
        key = self._keys.key("kept", member_of(CallerKind.CALL, call_id))
        value = repr(place.joined) + (" counted" if place.counted else "")
        with reachable():
            self._keys.client.set(key, value, ex=KEPT_PLACE_TTL_S)

    def take_kept_place(self, call_id: str) -> KeptPlace | None:
        """The place kept for the call, forgotten as it is read; None if none is kept."""
        key = self._keys.key("kept", member_of(CallerKind.CALL, call_id))
        with reachable():
            kept = self._keys.client.getdel(key)
        if kept is None:
            return None
        joined, _, flag = text(kept).partition(" ")
        return KeptPlace(float(joined), counted=flag == "counted")

    def left(self, call_id: str, now: float) -> LeftOutcome:
        """The caller hung up: out of the queue, or the ringing operator freed, or call ended."""
        member = member_of(CallerKind.CALL, call_id)
        # Two tries: a ring-no-answer may move the caller back to the queue in between.
        for _ in range(2):
            if self.remove_waiting(member, now, Counter.ABANDONED):
                return LeftOutcome.ABANDONED_WAITING
            with reachable():
                operator_id = self._keys.client.hget(self._keys.key("asg"), member)
            if operator_id is None:
                continue
            outcome = self._leave_operator(text(operator_id), member, now)
            if outcome is not None:
                return outcome
        return LeftOutcome.UNKNOWN

    def _leave_operator(self, operator_id: str, member: str, now: float) -> LeftOutcome | None:
        """End the talk, or free the ringing operator; None if the operator moved on."""
        operators, effects = self._operators, self._effects
        status = operators.status(operator_id, now)
        if status.state is OperatorState.ON_CALL and status.caller == member:
            hung_up = HungUp(self._keys.wrapup_s(status.queue))
            ended = operators.change(
                operator_id, hung_up, now, effects.count_handled, caller=member
            )
            return LeftOutcome.ENDED if isinstance(ended, OperatorStatus) else None
        left = operators.change(
            operator_id, CallerLeft(), now, effects.abandon_ringing, caller=member
        )
        return LeftOutcome.ABANDONED_RINGING if isinstance(left, OperatorStatus) else None

    def remove_waiting(self, member: str, now: float, counter: str) -> str | None:
        """Take a waiting member out of its queue; its queue if it was there, else None."""
        keys, client = self._keys, self._keys.client
        with reachable():
            queue = client.hget(keys.key("where"), member)
            if queue is None or not client.zrem(keys.key("q", text(queue)), member):
                return None
            name = text(queue)
            pipe = client.pipeline()
            pipe.zrem(keys.key("qt", name), member)
            pipe.hdel(keys.key("where"), member)
            keys.bump(pipe, name, now, {counter: 1})
            pipe.execute()
        return name
