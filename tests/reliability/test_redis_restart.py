"""Redis restarted in the middle of calls: while it is down calls degrade to the operator
queue (valid TwiML, never a 500); once it is back calls work again and the live state is
rebuilt from SQL."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

pytestmark = pytest.mark.slow


def api_live(stack: Any, token: str) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=10)
    try:
        conn.request("GET", "/api/live", headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        body = response.read()
        try:
            return response.status, json.loads(body or b"{}")
        except ValueError:
            raise AssertionError((response.status, body[:500])) from None
    finally:
        conn.close()


def test_calls_survive_a_redis_restart(stack: Any, caller: Any) -> None:
    token = stack.run("token", "create", "--role", "admin").strip()
    before = caller.call("CA" + "1" * 32, ["2", "1", "1"])
    assert before.ended == "docket"
    status, live = api_live(stack, token)
    assert status == 200 and live["operators"]

    stack.stop_redis()
    during = [caller.call(f"CA{n:032d}", ["2", "1", "1"]) for n in range(5)]
    for result in during:
        assert all(code == 200 for code in result.statuses), result
        assert result.ended == "queued", result  # apology + the general operator queue
    assert api_live(stack, token)[0] == 503

    stack.start_redis()  # an empty Redis: sessions and live state are gone
    after = caller.call("CA" + "2" * 32, ["2", "1", "1"])
    assert after.ended == "docket", after
    status, live = api_live(stack, token)
    assert status == 200
    assert len(live["operators"]) >= 42, "operators were not reloaded into the live state"
