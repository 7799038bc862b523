"""Server-Sent Events for the console: the operator's state (screen pops) and the wallboard.

Each stream is a small polling loop over Redis in the request's own thread: the operator
stream reads one operator's status four times a second and sends an event only when it
changes (so a call routed to them pops within a second); the wallboard stream re-renders the
board every two seconds and sends it when it differs. A stream ends after a few minutes and
the browser's EventSource reconnects by itself (the `retry` line), so no connection lives
forever; a comment line every 15 s keeps proxies from closing an idle one. Redis being down is
reported as an event, and the loop keeps trying.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Response, current_app, stream_with_context

from routing.errors import RoutingError
from store.live import LiveStateUnavailable

log = logging.getLogger(__name__)
HEARTBEAT_S = 15.0


def event(name: str, data: Any) -> str:
    """One SSE message; the data is JSON on one line."""
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


def stream(
    source: Callable[[], Any],
    *,
    name: str,
    every_s: float,
    lasts_s: float,
    sleep: Callable[[float], None] = time.sleep,
) -> Response:
    """A response sending `source()` as event `name` whenever it changes."""

    # Set when the application shuts down: open streams end at once instead of polling on.
    stopping = current_app.extensions.get("helpline.stopping")

    def generate() -> Iterator[str]:
        yield "retry: 1000\n\n"
        last: Any = object()
        started = quiet = time.monotonic()
        while time.monotonic() - started < lasts_s:
            if stopping is not None and stopping.is_set():
                return
            try:
                value = source()
            except (LiveStateUnavailable, RoutingError) as exc:
                value = {"error": str(exc)}
            if value != last:
                last = value
                quiet = time.monotonic()
                yield event(name, value)
            elif time.monotonic() - quiet > HEARTBEAT_S:
                quiet = time.monotonic()
                yield ": still here\n\n"
            sleep(every_s)

    response = Response(stream_with_context(generate()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass events through at once
    return response


def operator_status(routing: Any, operator_id: str, now: float) -> dict[str, Any]:
    """What the desk needs to know about its operator, JSON-ready."""
    try:
        status = routing.live.operator_status(operator_id, now)
    except RoutingError:  # not in the live state yet: they have never logged in
        return {
            "state": "offline",
            "since": None,
            "reason": None,
            "queue": None,
            "call": None,
            "callback": None,
            "calls_taken": 0,
        }
    member = status.caller or ""
    kind, _, ident = member.partition(":")
    return {
        "state": status.state.value,
        "since": status.since,
        "reason": status.reason,
        "queue": status.queue,
        "call": ident if kind == "call" else None,
        "callback": ident if kind == "callback" else None,
        "calls_taken": status.calls_taken,
    }
