"""The pace of bulk SMS shared by every outbox worker of an install: one token bucket in Redis.

A token is one bulk message. `take` refills the bucket by the time passed on the Redis server's
clock, so workers on machines whose clocks disagree still share one pace, then hands out whole
tokens; it is one script (`lua/sms_pace.lua`), so workers asking at the same moment never get
the same token. `give_back` returns tokens taken but not spent (a message another worker
claimed first). The bucket follows the rules of `services.bulk_pace.Pace` (a rate and a
capacity); it lives at `<prefix>sms:pace` and expires once it would be full again, which is
what a missing bucket means. A Redis that cannot be reached, or refuses, raises
`LiveStateUnavailable`: the worker then paces itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from store.live import LiveStateUnavailable, load_scripts


@dataclass(frozen=True, slots=True)
class PaceTurn:
    """What one visit to the bucket gave: whole tokens `granted`, and the `tokens_left` after."""

    granted: int
    tokens_left: float


class RedisSmsPace:
    def __init__(
        self, client: redis.Redis, *, per_second: float, capacity: float, prefix: str = "h1912:"
    ) -> None:
        if per_second <= 0 or capacity < 1:
            raise ValueError("the shared pace needs a rate above 0 and room for one message")
        self.key = f"{prefix}sms:pace"
        self._args = (per_second, capacity)
        self._script = load_scripts(client, ("sms_pace",))["sms_pace"]

    def take(self, wanted: int) -> PaceTurn:
        """Up to `wanted` tokens, as many whole ones as the bucket holds."""
        return self._visit(wanted, 0)

    def give_back(self, count: int) -> PaceTurn:
        """Return `count` tokens taken but not spent (the bucket never fills beyond capacity)."""
        return self._visit(0, count)

    def _visit(self, wanted: int, returned: int) -> PaceTurn:
        if wanted < 0 or returned < 0:
            raise ValueError("tokens are taken and given back in counts of 0 or more")
        try:
            granted, left = self._script(keys=[self.key], args=[*self._args, wanted, returned])
        except redis.RedisError as exc:
            raise LiveStateUnavailable(f"shared SMS pace unreachable: {exc}") from exc
        return PaceTurn(int(granted), float(left))
