"""The wallboard (tiles, charts, event stream) and `/metrics`, read from the live state."""

from __future__ import annotations

import json
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from console.charts import interval_chart
from services.console_wallboard import IntervalMemo, board
from services.routing_service import OperatorAction
from webhooks.app import create_app


@pytest.fixture
def app(services: Any) -> Any:
    services.extras["routing"].sync_operators()
    app = create_app(services)
    app.config["CONSOLE_STREAM_S"] = 0.3
    return app


def viewer(app: Any) -> Any:
    client = app.test_client()
    client.get("/console/login")
    with client.session_transaction() as session:
        token = session["csrf"]
    client.post(
        "/console/login",
        data={"username": "operator1", "password": "operator1-demo", "csrf_token": token},
    )
    return client


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_board_counts_waiting_answered_and_abandoned_today(services: Any, clock: Any) -> None:
    routing = services.extras["routing"]
    routing.join("call-a", "CZ-hi", 0)
    routing.join("call-b", "CZ-hi", 0)
    clock.advance(seconds=30)
    routing.live.caller_left("call-b", clock().timestamp())
    routing.act("cz-op01", OperatorAction.READY)  # takes call-a after 30 s: outside 20 s
    routing.live.answered("cz-op01", clock().timestamp())
    data = board(services, IntervalMemo(), clock())
    cz = data["companies"]["CZ"]
    queue = next(q for q in cz["queues"] if q["name"] == "CZ-hi")
    assert queue["today"]["offered"] == 2 and queue["today"]["answered"] == 1
    assert queue["today"]["abandoned"] == 1 and queue["today"]["service_level"] == 0.0
    assert queue["today"]["abandonment"] == 0.5
    assert cz["operators"]["on-call"] == 1 and cz["faults"] == 1 and cz["consumers_affected"] > 0
    assert len(cz["chart"]) == 8 and cz["chart"][-1]["answered"] == 1


def test_finished_intervals_are_read_once(services: Any, clock: Any) -> None:
    memo = IntervalMemo()
    board(services, memo, clock())
    remembered = len(memo.done)
    services.extras["routing"].join("call-late", "EZ-hi", 0)
    clock.advance(minutes=1)
    data = board(services, memo, clock())
    assert len(memo.done) == remembered  # same intervals; only the current one re-read
    ez = next(q for q in data["companies"]["EZ"]["queues"] if q["name"] == "EZ-hi")
    assert ez["waiting"] == 1 and ez["today"]["offered"] == 1


def test_wallboard_page_and_stream_show_a_new_waiting_caller(app: Any, services: Any) -> None:
    client = viewer(app)
    page = client.get("/console/wallboard").get_data(as_text=True)
    assert 'id="company-CZ"' in page and "<svg" in page and 'data-waiting="CZ-hi">0<' in page
    services.extras["routing"].join("call-wall", "CZ-hi", 0)
    stream = client.get("/console/wallboard/events?company=CZ").get_data(as_text=True)
    first = json.loads(next(line[6:] for line in stream.splitlines() if line.startswith("data: ")))
    assert 'data-waiting="CZ-hi">1<' in first["html"] and 'id="company-WZ"' not in first["html"]


def test_metrics_read_live_state_on_scrape(app: Any, services: Any) -> None:
    client = app.test_client()
    services.extras["routing"].join("call-m", "WZ-hazard", 100)
    services.extras["routing"].act("ez-op01", OperatorAction.READY)
    client.get("/healthz")
    text = client.get("/metrics").get_data(as_text=True)
    found = samples(text)
    assert found[("helpline_queue_waiting", (("company", "WZ"), ("queue", "WZ-hazard")))] == 1
    assert found[("helpline_operators", (("company", "EZ"), ("state", "ready")))] == 1
    assert found[("helpline_active_faults", (("company", "CZ"),))] == 1
    assert found[("helpline_up", (("component", "redis"),))] == 1
    assert (
        "helpline_queue_calls_today",
        (("company", "WZ"), ("queue", "WZ-hazard"), ("result", "offered")),
    ) in found
    latency = (
        "helpline_http_request_duration_seconds_count",
        (("area", "healthz"), ("method", "GET")),
    )
    assert found[latency] >= 1


def test_chart_draws_bars_and_the_service_level_line() -> None:
    points = [
        {"answered": 4, "abandoned": 1, "service_level": 0.8},
        {"answered": 0, "abandoned": 0, "service_level": None},
        {"answered": 2, "abandoned": 2, "service_level": 0.5},
    ]
    svg = str(interval_chart(points, ["19:00", "19:15", "19:30"], title="CZ <test>"))
    assert svg.count('class="answered"') == 3 and "CZ &lt;test&gt;" in svg
    assert svg.count("<circle") == 2 and "<polyline" in svg


def test_midnight_starts_a_new_day(services: Any, clock: Any) -> None:
    services.extras["routing"].join("call-old", "CZ-en", 0)
    clock.advance(hours=24)
    data = board(services, IntervalMemo(), clock())
    queue = next(q for q in data["companies"]["CZ"]["queues"] if q["name"] == "CZ-en")
    assert queue["today"]["offered"] == 0 and queue["waiting"] == 1
