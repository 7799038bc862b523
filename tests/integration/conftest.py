"""Fixtures for the integration tests: the real `twilio.rest.Client` on a recording HTTP client.

Twilio's cloud is out of reach, so `twilio_http` gives a `twilio.http.HttpClient` that keeps
every request the real client would send (`sent`) and answers as Twilio's REST API does, or as
the test's own `answer` says. Give it to the client as `Client(sid, token, http_client=...)`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import pytest
from twilio.http import HttpClient
from twilio.http.response import Response as TwilioResponse


class Sent(NamedTuple):
    """One request the Twilio client sent: method, absolute URL and its form fields."""

    method: str
    url: str
    data: dict[str, Any]


Answer = Callable[[Sent], tuple[int, dict[str, Any]]]


class RecordingTwilioHttp(HttpClient):
    """Records each request and answers it with (status, JSON body) from `answer`, by default
    as Twilio does: Calls (a numbered call sid, or `call_sid` for every call; refused as Twilio
    refuses a number it will not dial while `refuse_calls` is set), Messages, the account's
    `queues` (friendly name to sid) and a queue's Members (the dequeued caller)."""

    def __init__(
        self,
        answer: Answer | None = None,
        *,
        call_sid: str | None = None,
        queues: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(logging.getLogger("twilio-recording"), is_async=False)
        self.answer: Answer = answer or self.like_twilio
        self.call_sid = call_sid
        self.queues = dict(queues or {"WZ-en": "QU" + "2" * 32})
        self.sent: list[Sent] = []
        self.refuse_calls = False
        self.calls_placed = 0
        self.messages_sent = 0

    def request(
        self,
        method: str,
        uri: str,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        auth: Any = None,
        timeout: Any = None,
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        sent = Sent(method, uri, dict(data or {}))
        self.sent.append(sent)
        status, body = self.answer(sent)
        return TwilioResponse(status, json.dumps(body))

    def like_twilio(self, request: Sent) -> tuple[int, dict[str, Any]]:
        """Twilio's answer to the REST requests the helpline makes."""
        path = urlsplit(request.url).path
        if path.endswith("/Calls.json"):
            return self._place_call(request.data)
        if path.endswith("/Messages.json"):
            self.messages_sent += 1
            return 201, {"sid": f"SM{self.messages_sent:032d}", "status": "queued"}
        if path.endswith("/Queues.json"):
            queues = [{"sid": sid, "friendly_name": name} for name, sid in self.queues.items()]
            return 200, {"queues": queues, "first_page_uri": path, "next_page_uri": None,
                         "page": 0, "page_size": 50, "uri": path}  # fmt: skip
        if "/Members/" in path:
            queue_path, member = path.rsplit("/Members/", 1)
            return 200, {
                "call_sid": member.removesuffix(".json"),
                "queue_sid": queue_path.rsplit("/", 1)[1],
                "position": 1,
                "wait_time": 12,
            }
        raise AssertionError(f"unexpected Twilio request {request}")

    def _place_call(self, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.refuse_calls:
            return 400, {"code": 21215, "message": "not permitted", "status": 400}
        self.calls_placed += 1
        sid = self.call_sid or f"CA{self.calls_placed:032d}"
        return 201, {"sid": sid, "status": "queued", "to": data.get("To")}


@pytest.fixture
def twilio_http() -> Callable[..., RecordingTwilioHttp]:
    """Makes recording HTTP clients for `twilio.rest.Client`: `twilio_http()` answers like
    Twilio, `twilio_http(answer)` with `answer(sent) -> (status, body)`."""
    return RecordingTwilioHttp
