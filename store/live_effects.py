"""What a call event writes besides the operator's new state: counters, the queue, callbacks.

Each method here is an :data:`store.live_operators.Effect`: it adds its writes to the
operator's WATCH/MULTI transaction, so they happen together with the transition or not at all,
and it reads the caller from the operator's hash AS IT WAS (``caller``, ``queue``, ``score`` and
``since``, which the transition may just have cleared). The counters are the queue's 15-minute
interval counters (:class:`routing.metrics.Counter`). ``asg`` maps a member to the operator
reserved for it; ``q:<queue>``/``qt:<queue>``/``where`` are the waiting sorted set, the join
times and the member -> queue index; ``ht:<queue>`` holds recent handle times for the wait
estimate. A finished or abandoned callback's hash goes, so the consumer may ask again (its fault
index is left to expire).
"""

from __future__ import annotations

from redis.client import Pipeline

from routing.acd import CallerKind
from routing.metrics import Counter
from routing.operators import OperatorStatus
from routing.queues import decode_score
from store.live_callbacks import LiveCallbacks
from store.live_keys import HANDLE_SAMPLES, LiveKeys
from store.live_operators import Effect

_CALLBACK = CallerKind.CALLBACK.value + ":"


class CallEffects:
    """The side effects of answers, ring-no-answers, hang-ups and unanswered callbacks."""

    def __init__(self, keys: LiveKeys, callbacks: LiveCallbacks) -> None:
        self._keys = keys
        self._callbacks = callbacks

    def count_answer(
        self, pipe: Pipeline, raw: dict[str, str], _: OperatorStatus, now: float
    ) -> None:
        """Count the answer, its wait from the caller's ORIGINAL join time, and whether it
        was within the queue's service level."""
        queue = raw["queue"]
        wait = max(0.0, now - decode_score(float(raw["score"]))[1])
        within = int(wait <= self._keys.queues[queue].service_level_s)
        counts = {Counter.ANSWERED: 1, Counter.WITHIN_SL: within, Counter.WAIT_SUM: wait}
        self._keys.bump(pipe, queue, now, counts)

    def requeue(self, pipe: Pipeline, raw: dict[str, str], _: OperatorStatus, now: float) -> None:
        """Ring-no-answer: the caller goes back to the same place (same score, same join time)."""
        keys = self._keys
        member, queue, score = raw["caller"], raw["queue"], float(raw["score"])
        pipe.hdel(keys.key("asg"), member)
        pipe.zadd(keys.key("q", queue), {member: score})
        pipe.zadd(keys.key("qt", queue), {member: decode_score(score)[1]})
        pipe.hset(keys.key("where"), member, queue)

    def count_handled(
        self, pipe: Pipeline, raw: dict[str, str], new: OperatorStatus, now: float
    ) -> None:
        """The call ended: count it and its handle time (talk plus wrap-up), keep the sample
        for the wait estimate, and release the caller (a done callback may be asked again)."""
        keys = self._keys
        member, queue = raw["caller"], raw["queue"]
        handle = max(0.0, now - float(raw["since"])) + keys.queues[queue].wrapup_s
        keys.bump(pipe, queue, now, {Counter.HANDLED: 1, Counter.HANDLE_SUM: handle})
        samples = keys.key("ht", queue)
        pipe.lpush(samples, repr(handle))
        pipe.ltrim(samples, 0, HANDLE_SAMPLES - 1)
        pipe.hdel(keys.key("asg"), member)
        if member.startswith(_CALLBACK):
            # Done: the consumer may ask for another one. The fault index is left to expire.
            pipe.delete(keys.key("cb", member.partition(":")[2]))

    def abandon_ringing(
        self, pipe: Pipeline, raw: dict[str, str], _: OperatorStatus, now: float
    ) -> None:
        """The caller left while the operator rang: a call counts as abandoned; a callback
        (unanswered, or dropped after its last try) is gone."""
        member = raw["caller"]
        pipe.hdel(self._keys.key("asg"), member)
        if member.startswith(_CALLBACK):
            pipe.delete(self._keys.key("cb", member.partition(":")[2]))
        else:
            self._keys.bump(pipe, raw["queue"], now, {Counter.ABANDONED: 1})

    def parking(self, consumer_id: str, tries: int, due: float) -> Effect:
        """Park an unanswered callback until ``due`` (out of its queue, keeping its place)."""

        def park(pipe: Pipeline, *_: object) -> None:
            self._callbacks.park(pipe, consumer_id, tries, due)

        return park
