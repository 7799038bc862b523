"""Callbacks in the routing live state: waiting their turn, being placed, or parked until their
next try.

A callback is the hash ``cb:<consumer>`` (queue, score, original join time, phone, language,
fault, tries made, and the due time while parked) and, while it waits its turn, the member
``callback:<consumer>`` of its queue. Its life: asked for (``request_callback.lua`` swaps the
waiting call for it at the same place); its turn comes (the claim script reserves an operator,
who rings while the consumer is dialled); answered (the hash goes when the call ends) or not.
An unanswered one is PARKED (``callback_park.lua``): out of every queue, so no assignment picks
it, listed in the sorted set ``cbp`` by due time, and still the consumer's one pending callback.
When it is due, ``callback_release.lua`` puts it back at its ORIGINAL place (same score, same
join time); after its last try it is dropped. A restoration cancels it while it waits or is
parked (``callback_cancel.lua``); one being placed is left to finish. Every change is one
script, so concurrent workers only ever see it whole. Redis errors pass through: the caller,
:class:`store.live_routing.RedisLiveState`, turns them into ``LiveStateUnavailable``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import redis
from redis.client import Pipeline

from routing.acd import CallerKind
from routing.callbacks import Callback, CallbackOutcome
from routing.metrics import Counter, interval_start
from routing.queues import decode_score
from store.live import load_scripts

SCRIPTS = ("request_callback", "callback_park", "callback_release", "callback_cancel")
RELEASE_BATCH = 500  # parked callbacks put back per script run (keeps one run short)
_KIND = CallerKind.CALLBACK.value + ":"


@dataclass(frozen=True, slots=True)
class MissedCallback:
    """A callback the consumer did not answer (or that could not be dialled); its operator is
    free again."""

    callback: Callback  # with ``attempts`` = the tries made, this one included
    retry_at: float | None  # when it is dialled again (parked till then); None: dropped


def _decoded(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def callback_of(fields: Mapping[str, str]) -> Callback:
    """A pending callback from its hash fields."""
    priority, _ = decode_score(float(fields["score"]))
    return Callback(
        consumer_id=fields["consumer"],
        phone=fields["phone"],
        queue=fields["queue"],
        priority=priority,
        joined=float(fields["joined"]),
        requested_at=float(fields["requested_at"]),
        fault_id=fields["fault"] or None,
        language=fields["language"] or None,
        attempts=int(fields.get("attempts") or 0),
    )


class LiveCallbacks:
    """The callback keys of one routing live state (``prefix``), each change one Lua script."""

    def __init__(self, client: redis.Redis, prefix: str, metrics_ttl_s: int) -> None:
        self._client = client
        self._prefix = prefix
        self._metrics_ttl_s = metrics_ttl_s
        self._scripts = load_scripts(client, SCRIPTS)

    def _run(
        self, script: str, args: Sequence[str | float | int], client: Pipeline | None = None
    ) -> Any:
        return self._scripts[script](args=[self._prefix, *args], client=client)

    def request(
        self, call_member: str, consumer_id: str, fault_id: str, fields: Mapping[str, str]
    ) -> CallbackOutcome:
        """Swap the waiting call for a callback at the same place (one per consumer)."""
        args = [call_member, _KIND + consumer_id, consumer_id, fault_id]
        args += [item for pair in fields.items() for item in pair]
        return CallbackOutcome(_decoded(self._run("request_callback", args)))

    def pending(self, consumer_id: str) -> Callback | None:
        """The consumer's pending callback (waiting, being placed or parked), if any."""
        raw = self._client.hgetall(self._prefix + "cb:" + consumer_id)
        if not raw:
            return None
        return callback_of({_decoded(k): _decoded(v) for k, v in raw.items()})

    def parked_until(self, consumer_id: str) -> float | None:
        """When the consumer's parked callback is due back in its queue; None if not parked."""
        due = self._client.zscore(self._prefix + "cbp", consumer_id)
        return None if due is None else float(due)

    def park(self, pipe: Pipeline, consumer_id: str, tries: int, due: float) -> None:
        """Add the parking of an unanswered callback to the operator's transaction ``pipe``."""
        self._run("callback_park", [consumer_id, _KIND + consumer_id, tries, repr(due)], pipe)

    def release_due(self, now: float) -> list[str]:
        """Put every parked callback due by ``now`` back at its place; their consumer ids."""
        released: list[str] = []
        while True:
            batch = self._run("callback_release", [repr(now), _KIND, RELEASE_BATCH])
            released += map(_decoded, batch)
            if len(batch) < RELEASE_BATCH:
                return released

    def cancel(self, consumer_id: str, now: float) -> bool:
        """Cancel a waiting or parked callback (counted in its queue); False if there was none
        to cancel (already gone, or being placed)."""
        args: list[str | float | int] = [consumer_id, _KIND + consumer_id, interval_start(now)]
        args += [self._metrics_ttl_s, Counter.CALLBACKS_CANCELLED]
        return self._run("callback_cancel", args) is not None
