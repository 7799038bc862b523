"""IVR call sessions in Redis: one JSON value per call id, with a time-to-live.

A per-call lock serialises turns of the same call (Twilio may retry a webhook while the first
request is still running), so no two turns of one call ever interleave.

`turn` is the whole of one turn in two round trips: a script that takes the lock and reads the
session (or, for a request answered before, returns that answer without locking anything),
and one that stores the new session and the answer and releases the lock. `load` reads a
session outside any turn (for display).
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from ivr.session import Session
from store.live import LiveStateUnavailable, load_scripts

REPLY_TTL_S = 900  # Twilio retries within seconds; a few minutes is plenty
_BUSY_SLEEP_S = 0.005


class CallTurn:
    """One turn of one call, opened by `RedisCallSessions.turn`.

    `reply` is the answer a repeated request already got (then the turn is read-only: nothing
    is locked and nothing is stored). Otherwise `session` is the stored session (None for an
    unknown or expired call); `save` and `keep_reply` say what to store when the turn ends.
    """

    def __init__(self, session: Session | None, reply: str | None) -> None:
        self.session = session
        self.reply = reply
        self._saved: Session | None = None
        self._answer: str | None = None

    def save(self, session: Session) -> None:
        self._saved = session

    def keep_reply(self, text: str) -> None:
        """The answer this request gets, stored so that a retry of it gets the same."""
        self._answer = text


class RedisCallSessions:
    def __init__(self, client: redis.Redis, *, ttl_s: int = 3600, prefix: str = "h1912:") -> None:
        self._redis = client
        self._ttl = ttl_s
        self._prefix = prefix
        scripts = load_scripts(client, ("call_turn_begin", "call_turn_finish"))
        self._begin, self._finish = scripts["call_turn_begin"], scripts["call_turn_finish"]

    def _key(self, call_id: str) -> str:
        return f"{self._prefix}call:{call_id}"

    def _lock_key(self, call_id: str) -> str:
        return f"{self._prefix}lock:call:{call_id}"

    def reply_key(self, call_id: str, request: str) -> str:
        return f"{self._prefix}twiml:{call_id}:{request}"

    @contextmanager
    def turn(
        self, call_id: str, *, request: str | None = None, timeout_s: float = 10.0
    ) -> Iterator[CallTurn]:
        """Open a turn of `call_id`; `request` names the request (for its stored answer)."""
        keys = [self._lock_key(call_id), self._key(call_id)]
        if request is not None:
            keys.append(self.reply_key(call_id, request))
        token = uuid.uuid4().hex
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                found = self._begin(keys=keys, args=[token, int(timeout_s * 1000)])
            except redis.RedisError as exc:
                raise LiveStateUnavailable(str(exc)) from exc
            kind = _text(found[0])
            if kind == "reply":
                yield CallTurn(None, _text(found[1]))
                return
            if kind == "locked":
                break
            if time.monotonic() >= deadline:
                raise LiveStateUnavailable(f"call {call_id} is busy")
            time.sleep(_BUSY_SLEEP_S)
        raw = found[1] if len(found) > 1 else None
        opened = CallTurn(None if not raw else Session.from_dict(json.loads(raw)), None)
        try:
            yield opened
        except BaseException:
            with contextlib.suppress(redis.RedisError):  # the lock expires by itself otherwise
                self._finish(keys=keys[:2], args=[token, "", self._ttl, "", REPLY_TTL_S])
            raise
        saved = opened._saved
        data = "" if saved is None else _dump(saved)
        try:
            self._finish(keys=keys, args=[token, data, self._ttl, opened._answer or "",
                                          REPLY_TTL_S])  # fmt: skip
        except redis.RedisError as exc:
            raise LiveStateUnavailable(str(exc)) from exc

    def load(self, call_id: str) -> Session | None:
        try:
            raw = self._redis.get(self._key(call_id))
        except redis.RedisError as exc:
            raise LiveStateUnavailable(str(exc)) from exc
        return None if raw is None else Session.from_dict(json.loads(raw))


def _dump(session: Session) -> str:
    return json.dumps(session.to_dict(), ensure_ascii=False, default=str)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
