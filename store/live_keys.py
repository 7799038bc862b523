"""The Redis side shared by every part of the routing live state: the connection, the key
prefix, the queue set, the routing scripts and the interval counters.

Every key of one live state starts with its ``prefix`` (``h1912:`` unless told), so several
installs or a benchmark can share a server. The queue set is read on every operation, never
copied: an administrator's edit (``RedisLiveState.queues`` replaced) applies at once. The
scripts (``lua/snapshot.lua``, ``claim.lua``, ``enqueue.lua``, ``position.lua``; the first
two share the claim fragment ``take.lua``) are loaded once and run by EVALSHA with the prefix
as their first argument. Counters go to one hash per queue and 15-minute interval, kept
:data:`METRICS_TTL_S`. A Redis that cannot be reached raises :class:`LiveStateUnavailable`
(:func:`reachable`), which the front-ends catch to fall back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import redis
from redis.client import Pipeline

from routing.metrics import interval_start
from routing.queues import QueueSet
from store.live import LiveStateUnavailable, load_scripts

METRICS_TTL_S = 8 * 24 * 3600  # long enough for a weekly report to read raw intervals
HANDLE_SAMPLES = 50  # recent handle times kept per queue for the wait estimate
SCRIPTS = ("snapshot", "claim", "enqueue", "position")


@contextmanager
def reachable() -> Iterator[None]:
    """Turn a lost or timed-out connection into :class:`LiveStateUnavailable`."""
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as error:
        raise LiveStateUnavailable(f"routing live state unreachable: {error}") from error


class LiveKeys:
    """One routing live state's Redis client, key prefix, queue set and scripts."""

    def __init__(self, client: redis.Redis, queue_set: QueueSet, prefix: str) -> None:
        self.client = client
        self.queues = queue_set
        self.prefix = prefix
        self._scripts = load_scripts(client, SCRIPTS)

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def run(self, script: str, args: Sequence[str | float | int]) -> Any:
        """Run one of the routing scripts (EVALSHA), the prefix first in its ARGV."""
        with reachable():
            return self._scripts[script](args=[self.prefix, *args])

    def metrics_key(self, queue: str, now: float) -> str:
        """The counters hash of ``queue`` for the 15-minute interval holding ``now``."""
        return self.key("m", queue, str(interval_start(now)))

    def bump(self, pipe: Pipeline, queue: str, now: float, counts: dict[str, float]) -> None:
        """Add ``counts`` to the queue's interval counters in ``pipe`` (and keep them alive)."""
        key = self.metrics_key(queue, now)
        for name, amount in counts.items():
            if isinstance(amount, int):
                pipe.hincrby(key, name, amount)
            else:
                pipe.hincrbyfloat(key, name, amount)
        pipe.expire(key, METRICS_TTL_S)

    def wrapup_s(self, queue: str | None) -> int:
        """The wrap-up time of ``queue``; none for a caller of no (or no longer a) queue."""
        return self.queues[queue].wrapup_s if queue is not None and queue in self.queues else 0
