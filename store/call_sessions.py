"""IVR call sessions in Redis: one JSON value per call id, with a time-to-live.

A per-call lock serialises turns of the same call (Twilio may retry a webhook while the first
request is still running), so no two turns of one call ever interleave.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from ivr.session import Session
from store.live import LiveStateUnavailable


class RedisCallSessions:
    def __init__(self, client: redis.Redis, *, ttl_s: int = 3600, prefix: str = "h1912:") -> None:
        self._redis = client
        self._ttl = ttl_s
        self._prefix = prefix

    def _key(self, call_id: str) -> str:
        return f"{self._prefix}call:{call_id}"

    def load(self, call_id: str) -> Session | None:
        try:
            raw = self._redis.get(self._key(call_id))
        except redis.RedisError as exc:
            raise LiveStateUnavailable(str(exc)) from exc
        return None if raw is None else Session.from_dict(json.loads(raw))

    def save(self, session: Session) -> None:
        data = json.dumps(session.to_dict(), ensure_ascii=False, default=str)
        try:
            self._redis.set(self._key(session.call_id), data, ex=self._ttl)
        except redis.RedisError as exc:
            raise LiveStateUnavailable(str(exc)) from exc

    @contextmanager
    def locked(self, call_id: str, *, timeout_s: float = 10.0) -> Iterator[None]:
        lock = self._redis.lock(
            f"{self._prefix}lock:call:{call_id}", timeout=timeout_s, blocking_timeout=timeout_s
        )
        try:
            acquired = lock.acquire()
        except redis.RedisError as exc:
            raise LiveStateUnavailable(str(exc)) from exc
        if not acquired:
            raise LiveStateUnavailable(f"call {call_id} is busy")
        try:
            yield
        finally:
            # A lock that expired while we worked is simply gone; the next turn takes it afresh.
            with contextlib.suppress(redis.exceptions.LockError):
                lock.release()
