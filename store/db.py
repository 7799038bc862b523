"""Database engine creation and schema migrations (Alembic, configured in code).

SQLite gets foreign keys switched on, a busy timeout and WAL journalling (with
`synchronous=NORMAL`: a commit is durable once the WAL is synced at a checkpoint, and a power
cut can only lose the last commits, never corrupt the file) so that several processes of one
install (web workers, the terminal phone, workers) can share the file. SQLite lets one writer
in at a time, and a writer that finds the file locked sleeps in back-off steps (1, 2, 5, 10 ms
and more) before it looks again; those sleeps become the slowest call turns, whether the
writers are threads of one process (the FastAGI server) or web workers. So the writers of one
file take turns instead (`_WriterTurn`): the threads of a process on a lock, and the processes
on an advisory lock on a file beside the database (`<database>-writers`), looked at every half
millisecond, so each writer goes in almost the moment the previous one commits; SQLite's busy
timeout remains the last word for writers that do not take turns. SQLite also makes the
commit that takes the WAL past `wal_autocheckpoint` pages copy it into the database file, a
stall of milliseconds for that writer and every one queued behind it; a long-running server
starts a `WalCheckpointer` that does the copying from a thread of its own. The pool keeps
enough connections for the threads that share it (the FastAGI server's turn threads, the call
log writer, the background loops), so a busy moment opens no new ones.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Self

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_S = 30
POOL = {"pool_size": 16, "max_overflow": 8}  # per process: kept open, and opened at busy times
# Statements that never take SQLite's write lock (a BEGIN IMMEDIATE or EXCLUSIVE does).
_READ_ONLY = frozenset({"SELECT", "PRAGMA", "EXPLAIN", "COMMIT", "END", "ROLLBACK", "RELEASE"})
_READ_ONLY |= {"SAVEPOINT", "BEGIN", "BEGIN DEFERRED", "BEGIN TRANSACTION"}


class DatabaseUnavailable(Exception):
    """The database cannot be reached or is not migrated; the message says what to do."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1].split("?", 1)[0]
        connect_args: dict[str, Any] = {"timeout": BUSY_TIMEOUT_S}
        if path and path != ":memory:" and not path.startswith("file:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            connect_args["factory"] = _QueuedWriterConnection
            kwargs = _pooled(kwargs)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **_pooled(kwargs))


def _pooled(kwargs: dict[str, Any]) -> dict[str, Any]:
    return kwargs if "poolclass" in kwargs else {**POOL, **kwargs}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    cursor.close()


class _WriterTurn:
    """The turn to write one SQLite file: first among this process's threads (a lock), then
    among processes (`flock` on `<database>-writers`, which the kernel releases if the process
    dies). The lock file is opened per process, since a descriptor inherited through `fork`
    would share its lock with the parent."""

    POLL_S = 0.0005

    def __init__(self, database: str) -> None:
        self._threads = threading.Lock()
        self._path = f"{database}-writers"
        self._fd: int | None = None
        self._pid = 0

    def acquire(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if not self._threads.acquire(timeout=timeout):
            return False
        try:
            fd = self._descriptor()
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        break
                    time.sleep(self.POLL_S)
        except BaseException:
            self._threads.release()
            raise
        self._threads.release()
        return False

    def release(self) -> None:
        try:
            if self._fd is not None and self._pid == os.getpid():
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _descriptor(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
            self._pid = os.getpid()
        return self._fd


class _WriterQueue:
    """One writer turn per database file, shared by every connection to it in this process."""

    _turns: dict[str, _WriterTurn] = {}
    _guard = threading.Lock()

    @classmethod
    def lock_for(cls, database: str) -> _WriterTurn:
        key = os.path.realpath(database)
        with cls._guard:
            return cls._turns.setdefault(key, _WriterTurn(key))


def writes(statement: str) -> bool:
    """Whether a statement may take SQLite's write lock (anything not known to only read).

    >>> writes("INSERT INTO calls VALUES (1)"), writes("  select 1"), writes("BEGIN IMMEDIATE")
    (True, False, True)
    """
    words = statement.lstrip().split(None, 2)
    if not words:
        return False
    first = words[0].upper()
    if first == "BEGIN" and len(words) > 1:
        first = f"BEGIN {words[1].upper().rstrip(';')}"
    return first.rstrip(";") not in _READ_ONLY


class _QueuedWriterCursor(sqlite3.Cursor):
    """Takes the process's turn to write before a statement that writes."""

    connection: _QueuedWriterConnection

    def execute(self, sql: str, parameters: Any = (), /) -> Self:
        self.connection.before(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection.after()

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Self:
        self.connection.before(sql)
        try:
            return super().executemany(sql, seq_of_parameters)
        finally:
            self.connection.after()

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        self.connection.before("-- script")
        try:
            return super().executescript(sql_script)
        finally:
            self.connection.after()


class _QueuedWriterConnection(sqlite3.Connection):
    """A SQLite connection that holds its process's writer lock from its first write until
    the transaction ends (commit, rollback, close, or a statement that ran outside one)."""

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._writer = _WriterQueue.lock_for(database)
        self._timeout = float(kwargs.get("timeout", BUSY_TIMEOUT_S))
        self._holding = False

    def cursor(self, factory: Any = None) -> Any:
        return super().cursor(factory or _QueuedWriterCursor)

    def before(self, statement: str) -> None:
        if self._holding or not writes(statement):
            return
        if not self._writer.acquire(timeout=self._timeout):
            raise sqlite3.OperationalError("database is locked (another writer held it too long)")
        self._holding = True

    def after(self) -> None:
        if self._holding and not self.in_transaction:
            self._release()

    def _release(self) -> None:
        if self._holding:
            self._holding = False
            self._writer.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.after()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.after()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()


class WalCheckpointer:
    """Copies a SQLite file's WAL into the database every `every_s` seconds (PASSIVE: it waits
    for no reader or writer), so that commits on a call's path seldom have to; a no-op for
    other databases. `start` it in a long-running server, `stop` it on the way out."""

    def __init__(self, engine: Engine, *, every_s: float = 0.2) -> None:
        self._engine = engine
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._engine.dialect.name != "sqlite" or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def checkpoint(self) -> tuple[int, int]:
        """One checkpoint: (frames in the WAL, frames copied into the database)."""
        with self._engine.connect() as conn:
            _busy, frames, copied = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        return int(frames), int(copied)

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            try:
                self.checkpoint()
            except SQLAlchemyError as exc:  # the next commits checkpoint as SQLite would
                log.warning("WAL checkpoint failed: %s", _short(exc))


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` (idempotent)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def schema_status(engine: Engine) -> tuple[str | None, str | None]:
    """(current revision, head revision); raises DatabaseUnavailable when unreachable."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"cannot reach the database: {_short(exc)}") from exc
    return current, head


def ping(engine: Engine) -> None:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"cannot reach the database: {_short(exc)}") from exc


def _short(exc: BaseException) -> str:
    return str(getattr(exc, "orig", exc)).splitlines()[0][:200]
