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


def test_the_gunicorn_app_checkpoints_the_wal_off_the_callers_path(
    settings_env: dict[str, str], migrated_engine: Any, monkeypatch: Any
) -> None:
    """`run_ivr:wsgi()` runs a checkpoint thread (SQLite), so no caller's commit has to copy
    the write-ahead log into the database."""
    import threading

    import run_ivr

    for name, value in settings_env.items():
        monkeypatch.setenv(name, value)
    app = run_ivr.wsgi()
    checkpoints = app.extensions["helpline.wal_checkpointer"]
    try:
        running = [thread.name for thread in threading.enumerate()]
        sqlite = migrated_engine.dialect.name == "sqlite"
        assert ("wal-checkpoint" in running) is sqlite
        assert app.test_client().get("/healthz").status_code == 200
    finally:
        checkpoints.stop()
        services = app.config["SERVICES"]
        services.engine.dispose()
        services.redis.close()
