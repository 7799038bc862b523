"""Login rate limiting: failure counters in Redis per username and per client address.

Every failed login counts against both the username and the address, within a window. When a
username reaches its limit it is locked for a while (whoever tries it); an address that reaches
its (higher: a whole call centre may share one NAT address) limit is locked too. A success clears
the username's counter, not the address's, so one valid account cannot be used to keep guessing
others from the same machine. Counters live in Redis so every web worker shares them.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from store.live import LiveStateUnavailable


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    user_failures: int = 5
    address_failures: int = 30
    window_s: int = 900
    lockout_s: int = 900


class LoginThrottle:
    def __init__(
        self,
        client: redis.Redis,
        policy: ThrottlePolicy | None = None,
        *,
        prefix: str = "h1912:login:",
    ) -> None:
        self._client = client
        self.policy = policy or ThrottlePolicy()
        self._prefix = prefix

    def _keys(self, kind: str, subject: str) -> tuple[str, str]:
        base = f"{self._prefix}{kind}:{subject}"
        return base + ":fails", base + ":lock"

    def locked_for(self, username: str, address: str) -> int:
        """Seconds until this username or address may try again (0: may try now)."""
        keys = [self._keys("user", username.lower())[1], self._keys("addr", address)[1]]
        try:
            ttls = [int(self._client.ttl(key)) for key in keys]
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise LiveStateUnavailable(f"login counters unreachable: {exc}") from exc
        return max([0, *ttls])

    def failed(self, username: str, address: str) -> int:
        """Count a failure; the lock-out in seconds it caused (0 if none yet)."""
        policy = self.policy
        locked = 0
        for kind, subject, limit in (
            ("user", username.lower(), policy.user_failures),
            ("addr", address, policy.address_failures),
        ):
            fails_key, lock_key = self._keys(kind, subject)
            try:
                count = int(self._client.incr(fails_key))
                if count == 1:  # the window starts at the first failure
                    self._client.expire(fails_key, policy.window_s)
                if count >= limit:
                    self._client.set(lock_key, "1", ex=policy.lockout_s)
                    self._client.delete(fails_key)
                    locked = policy.lockout_s
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                raise LiveStateUnavailable(f"login counters unreachable: {exc}") from exc
        return locked

    def succeeded(self, username: str) -> None:
        try:
            self._client.delete(self._keys("user", username.lower())[0])
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise LiveStateUnavailable(f"login counters unreachable: {exc}") from exc
