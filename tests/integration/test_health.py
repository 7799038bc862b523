"""`GET /healthz` tells whether the database and Redis answer."""

from __future__ import annotations

from typing import Any

import redis
from sqlalchemy import text

from webhooks.app import create_app


def test_healthy_when_database_and_redis_answer(services: Any) -> None:
    client = create_app(services).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["redis"] == {"ok": True}


def test_degraded_when_redis_is_unreachable(services: Any) -> None:
    services.redis = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    response = create_app(services).test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["redis"]["ok"] is False and "cannot reach Redis" in body["redis"]["error"]
    assert body["database"]["ok"] is True


def test_degraded_when_the_schema_is_behind(services: Any) -> None:
    with services.engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
    body = create_app(services).test_client().get("/healthz").get_json()
    assert body["status"] == "degraded" and body["database"]["revision"] is None
