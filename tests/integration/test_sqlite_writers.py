"""SQLite writers of one process queue for the file instead of sleeping on SQLite's busy
back-off, and the WAL is checkpointed off the writers' path (real SQLite files)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from store.db import WalCheckpointer, make_engine, writes

JOIN_S = 10.0  # far below the 30 s busy timeout: a writer left waiting means a lock leaked


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    built = make_engine(f"sqlite:///{tmp_path / 'writers.sqlite'}")
    with built.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
        conn.execute(text("CREATE TABLE log (at TEXT NOT NULL)"))
    yield built
    built.dispose()


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT n FROM counter")).scalar_one())


def bump(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE counter SET n = n + 1"))
        conn.execute(text("INSERT INTO log (at) VALUES (CURRENT_TIMESTAMP)"))


def in_thread(target: object) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)  # type: ignore[arg-type]
    thread.start()
    return thread


@pytest.mark.parametrize(
    "statement, expected",
    [
        ("INSERT INTO calls VALUES (1)", True),
        ("update calls set outcome = 'x'", True),
        ("  DELETE FROM calls", True),
        ("WITH x AS (SELECT 1) INSERT INTO calls SELECT * FROM x", True),
        ("CREATE TABLE t (a INT)", True),
        ("BEGIN IMMEDIATE", True),
        ("SELECT 1", False),
        ("PRAGMA journal_mode=WAL", False),
        ("BEGIN", False),
        ("COMMIT", False),
        ("ROLLBACK TO SAVEPOINT sa_1", False),
        ("", False),
    ],
)
def test_which_statements_wait_for_the_writers_turn(statement: str, expected: bool) -> None:
    assert writes(statement) is expected


def test_threads_writing_at_once_all_get_in(engine: Engine) -> None:
    def worker() -> None:
        for _ in range(25):
            bump(engine)

    threads = [in_thread(worker) for _ in range(8)]
    for thread in threads:
        thread.join(JOIN_S)
    assert not any(thread.is_alive() for thread in threads)
    assert count(engine) == 200


@pytest.mark.parametrize("ending", ["commit", "rollback", "close"])
def test_the_writers_turn_passes_on_when_a_transaction_ends(engine: Engine, ending: str) -> None:
    conn = engine.connect()
    conn.execute(text("UPDATE counter SET n = 100"))  # this connection now holds the turn
    waiter = in_thread(lambda: bump(engine))
    waiter.join(0.3)
    assert waiter.is_alive()  # waiting for the open transaction
    getattr(conn, ending)()
    if ending != "close":
        conn.close()
    waiter.join(JOIN_S)
    assert not waiter.is_alive()
    assert count(engine) == (101 if ending == "commit" else 1)


def test_a_statement_outside_a_transaction_passes_the_turn_on(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("UPDATE counter SET n = 7"))  # committed at once by SQLite
        other = in_thread(lambda: bump(engine))
        other.join(JOIN_S)
        assert not other.is_alive()
    assert count(engine) == 8


def test_checkpoints_copy_the_wal_into_the_database(engine: Engine) -> None:
    checkpoints = WalCheckpointer(engine, every_s=0.05)
    for _ in range(5):
        bump(engine)
    frames, copied = checkpoints.checkpoint()
    assert frames > 0 and copied == frames
    checkpoints.start()
    assert any(t.name == "wal-checkpoint" for t in threading.enumerate())
    checkpoints.stop()
    assert not any(t.name == "wal-checkpoint" for t in threading.enumerate())


def _bump_from_a_process(database: str, times: int, started: Any, go: Any) -> None:
    """A process of its own (as a gunicorn worker is), writing with SQLite's busy timeout off,
    so SQLite's back-off cannot rescue a collision: only the processes' turn-taking can."""
    from sqlalchemy import event

    built = make_engine(f"sqlite:///{database}")

    def no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    event.listen(built, "connect", no_busy_wait)
    started.set()
    go.wait(JOIN_S)
    for _ in range(times):
        bump(built)
    built.dispose()


def test_processes_writing_at_once_take_turns(tmp_path: Path, engine: Engine) -> None:
    import multiprocessing

    database = str(tmp_path / "writers.sqlite")
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    ready = [context.Event() for _ in range(3)]
    workers = [
        context.Process(target=_bump_from_a_process, args=(database, 150, started, go))
        for started in ready
    ]
    for worker in workers:
        worker.start()
    for started in ready:
        assert started.wait(60)
    go.set()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]  # nobody met "database is locked"
    assert count(engine) == 450
    assert Path(f"{database}-writers").exists()
