"""`GET /metrics` in the Prometheus text format, read from the live state on every scrape.

A custom collector turns the wallboard's figures into gauges at scrape time (nothing is kept
in the process, so every worker answers the same): callers waiting and the longest wait per
queue, today's offered/answered/abandoned calls and service level per queue, operators by
company and state, active faults and consumers cut off, the storm controller's latest target,
and whether Redis and the database answered. Request latency of the HTTP endpoints (Twilio
webhooks above all: Twilio gives up after 15 s) is a histogram kept per process. Open without
login, like `/healthz`: it holds counts, no personal data.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from services.console_wallboard import IntervalMemo, board
from services.container import Services
from store import schema as t
from store.live import LiveStateUnavailable

log = logging.getLogger(__name__)
BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)


class HelplineCollector(Collector):
    def __init__(self, services: Services) -> None:
        self._services = services
        self._memo = IntervalMemo()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "helpline_up", "Whether a backing store answered the scrape", labels=["component"]
        )
        try:
            data = board(self._services, self._memo, self._services.clock())
            up.add_metric(["redis"], 1.0)
            up.add_metric(["database"], 1.0)
        except LiveStateUnavailable as exc:
            log.warning("metrics: live state unavailable: %s", exc)
            up.add_metric(["redis"], 0.0)
            yield up
            return
        except SQLAlchemyError as exc:
            log.warning("metrics: database unavailable: %s", exc)
            up.add_metric(["database"], 0.0)
            yield up
            return
        yield up
        yield from _queue_metrics(data)
        yield from _company_metrics(data)
        yield self._storm_target()

    def _storm_target(self) -> GaugeMetricFamily:
        target = GaugeMetricFamily(
            "helpline_storm_target_operators",
            "Operators the storm controller last asked for",
            labels=["company"],
        )
        staffed = t.storm_decisions.c
        latest = (
            select(staffed.company, func.max(staffed.id).label("id"))
            .group_by(staffed.company)
            .subquery()
        )
        query = select(staffed.company, staffed.target_operators).join(
            latest, latest.c.id == staffed.id
        )
        with self._services.engine.connect() as conn:
            for row in conn.execute(query):
                if row.target_operators is not None:
                    target.add_metric([row.company], float(row.target_operators))
        return target


def _queue_metrics(data: dict[str, Any]) -> Iterator[GaugeMetricFamily]:
    waiting = GaugeMetricFamily(
        "helpline_queue_waiting", "Callers waiting now", labels=["company", "queue"]
    )
    longest = GaugeMetricFamily(
        "helpline_queue_longest_wait_seconds",
        "Wait of the longest-waiting caller",
        labels=["company", "queue"],
    )
    calls = GaugeMetricFamily(
        "helpline_queue_calls_today",
        "Calls offered to the queue today (local day), by result",
        labels=["company", "queue", "result"],
    )
    level = GaugeMetricFamily(
        "helpline_queue_service_level_today",
        "Share answered within the threshold today",
        labels=["company", "queue"],
    )
    for code, company in data["companies"].items():
        for queue in company["queues"]:
            labels = [code, queue["name"]]
            waiting.add_metric(labels, float(queue["waiting"]))
            longest.add_metric(labels, float(queue["longest_wait_s"]))
            today = queue["today"]
            for result in ("offered", "answered", "abandoned"):
                calls.add_metric([*labels, result], float(today[result]))
            if today["service_level"] is not None:
                level.add_metric(labels, float(today["service_level"]))
    yield from (waiting, longest, calls, level)


def _company_metrics(data: dict[str, Any]) -> Iterator[GaugeMetricFamily]:
    operators = GaugeMetricFamily(
        "helpline_operators", "Operators serving the company, by state", labels=["company", "state"]
    )
    faults = GaugeMetricFamily(
        "helpline_active_faults", "Faults not yet restored", labels=["company"]
    )
    affected = GaugeMetricFamily(
        "helpline_consumers_affected", "Consumers cut off by active faults", labels=["company"]
    )
    for code, company in data["companies"].items():
        for state, count in company["operators"].items():
            operators.add_metric([code, state], float(count))
        faults.add_metric([code], float(company["faults"]))
        affected.add_metric([code], float(company["consumers_affected"]))
    yield from (operators, faults, affected)


def register(app: Flask, services: Services) -> None:
    registry = CollectorRegistry()
    registry.register(HelplineCollector(services))
    latency = Histogram(
        "helpline_http_request_duration_seconds",
        "Time to answer an HTTP request (to the first byte)",
        labelnames=["area", "method"],
        buckets=BUCKETS,
        registry=registry,
    )
    app.extensions["helpline.metrics"] = registry

    @app.before_request
    def _started() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observed(response: Response) -> Response:
        started = g.get("metrics_started")
        if started is not None:
            area = (request.path.strip("/").split("/", 1)[0] or "root")[:20]
            if area not in ("twilio", "api", "console", "healthz", "metrics", "agi", "field"):
                area = "other"
            latency.labels(area, request.method).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics")
    def metrics() -> Any:
        encode, content_type = choose_encoder(request.headers.get("Accept", ""))
        return Response(encode(registry), headers={"Content-Type": content_type})
