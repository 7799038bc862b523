"""The pace of bulk SMS (outage notices): a token bucket, shared by the install or the worker's own.

`Pace` is a token bucket on the caller's clock (`refill` and `wait_s` are its rules, which
`store/lua/sms_pace.lua` applies on the Redis server's clock). `BulkPace` is what the outbox
worker asks: given a Redis client, every worker of the install takes its tokens from one bucket
there (`store.sms_pace`), since `bulk_per_second` is what the SMS provider and the DLT sender
allow the install, not each process. When Redis cannot be reached the worker paces itself on
its own clock, asks Redis again only after `RETRY_SHARED_AFTER` (a Redis that drops packets
rather than refusing them would otherwise hold up every round for its timeout), and says so in
the log at most once a `WARN_EVERY`: outage notices must not stop because Redis is away.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta

import redis

from store.live import LiveStateUnavailable
from store.sms_pace import RedisSmsPace

log = logging.getLogger(__name__)

WARN_EVERY = timedelta(minutes=1)  # while Redis is away, one warning a minute
RETRY_SHARED_AFTER = timedelta(seconds=10)  # after a failure, pace alone this long first


def refill(tokens: float, elapsed_s: float, *, per_second: float, capacity: float) -> float:
    """The tokens of a bucket `elapsed_s` seconds later: `per_second` more each second, never
    more than `capacity`, none for a clock that went back.

    >>> [refill(t, s, per_second=10.0, capacity=20.0) for t, s in ((0, 0.5), (15, 9), (3, -4))]
    [5.0, 20.0, 3.0]
    """
    return min(capacity, tokens + max(0.0, elapsed_s) * per_second)


def wait_s(tokens: float, count: int, *, per_second: float, capacity: float) -> float:
    """Seconds until a bucket holding `tokens` has `count` of them (or is full, when `count` is
    more than it holds); 0 if it has them now.

    >>> [wait_s(t, 10, per_second=4.0, capacity=8.0) for t in (2.0, 9.0)]
    [1.5, 0.0]
    """
    return max(0.0, (min(count, capacity) - tokens) / per_second)


class Pace:
    """A token bucket on the caller's clock: `per_second` messages a second, and at most
    `burst_s` seconds' worth (`capacity`, one message at least) saved up while idle.

    >>> from datetime import UTC
    >>> pace, start = Pace(10.0, burst_s=2.0), datetime(2026, 7, 1, tzinfo=UTC)
    >>> pace.allowance(start)
    20
    >>> pace.spend(20); pace.allowance(start + timedelta(seconds=0.5))
    5
    """

    def __init__(self, per_second: float, *, burst_s: float = 2.0) -> None:
        if per_second <= 0:
            raise ValueError("the pace must be more than 0 messages a second")
        self.per_second = per_second
        self.capacity = max(1.0, per_second * burst_s)
        self._tokens = self.capacity
        self._at: datetime | None = None

    def allowance(self, now: datetime) -> int:
        """Whole messages that may go now."""
        if self._at is not None and now > self._at:
            elapsed = (now - self._at).total_seconds()
            self._tokens = refill(self._tokens, elapsed, per_second=self.per_second,
                                  capacity=self.capacity)  # fmt: skip
        if self._at is None or now > self._at:
            self._at = now
        return int(self._tokens)

    def spend(self, count: int) -> None:
        self._tokens -= count

    def give_back(self, count: int) -> None:
        """Return tokens spent on messages that did not go after all."""
        self._tokens = min(self.capacity, self._tokens + count)

    def seconds_until(self, count: int) -> float:
        """How long until `count` messages may go (0 if they may now)."""
        return wait_s(self._tokens, count, per_second=self.per_second, capacity=self.capacity)


class BulkPace:
    """Tokens for bulk messages: from the install's bucket in Redis when there is one and it
    answers, else from this worker's own `Pace`."""

    def __init__(
        self, per_second: float, *, redis_client: redis.Redis | None, prefix: str = "h1912:"
    ) -> None:
        self._own = Pace(per_second)
        self._shared: RedisSmsPace | None = None
        if redis_client is not None:
            self._shared = RedisSmsPace(redis_client, per_second=per_second,
                                        capacity=self._own.capacity, prefix=prefix)  # fmt: skip
        self._shared_left: float | None = None  # at our last turn; None: we paced ourselves
        self._failed_at: datetime | None = None  # the last time Redis did not answer
        self._alone_rounds = 0  # rounds paced alone since Redis went away
        self._warned_at: datetime | None = None

    @property
    def per_second(self) -> float:
        return self._own.per_second

    def take(self, wanted: int, now: datetime) -> int:
        """Tokens for up to `wanted` messages (whole ones; maybe none)."""
        if wanted <= 0:
            return 0
        if self._shared is not None and self._may_ask(now):
            try:
                turn = self._shared.take(wanted)
            except LiveStateUnavailable as exc:
                self._failed_at = now
                self._note_alone(now, exc)
            else:
                self._note_shared()
                self._shared_left = turn.tokens_left
                return turn.granted
        elif self._shared is not None:
            self._note_alone(now, None)
        self._shared_left = None
        granted = min(wanted, self._own.allowance(now))
        self._own.spend(granted)
        return granted

    def give_back(self, count: int) -> None:
        """Return tokens taken for messages that did not go (another worker sent them)."""
        if count <= 0:
            return
        if self._shared is None or self._shared_left is None:
            self._own.give_back(count)
            return
        # Lost if Redis went away since: the pace then errs on the slow side for a moment.
        with contextlib.suppress(LiveStateUnavailable):
            self._shared_left = self._shared.give_back(count).tokens_left

    def wait_s(self, count: int) -> float:
        """How long until `count` messages may go, as the bucket was last seen."""
        if self._shared_left is None:
            return self._own.seconds_until(count)
        return wait_s(self._shared_left, count, per_second=self._own.per_second,
                      capacity=self._own.capacity)  # fmt: skip

    def _may_ask(self, now: datetime) -> bool:
        if self._failed_at is None:
            return True
        since = now - self._failed_at
        return since >= RETRY_SHARED_AFTER or since < timedelta(0)

    def _note_alone(self, now: datetime, error: LiveStateUnavailable | None) -> None:
        self._alone_rounds += 1
        since = None if self._warned_at is None else now - self._warned_at
        if since is None or not timedelta(0) <= since < WARN_EVERY:
            self._warned_at = now
            log.warning(
                "outbox: bulk SMS paced by this worker alone at %g a second (%d rounds so far), "
                "as the shared pace is out of reach%s",
                self._own.per_second,
                self._alone_rounds,
                f": {error}" if error is not None else "",
            )

    def _note_shared(self) -> None:
        if self._alone_rounds:
            log.info("outbox: shared bulk SMS pace back after %d rounds alone", self._alone_rounds)
            self._alone_rounds, self._warned_at, self._failed_at = 0, None, None
