"""Call records on a real database: the remembered language, and the batched call log that
writes the `calls` rows off the call's turns without losing any."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select, update

from ivr.events import DigitsEntered
from ivr.session import Awaiting, Outcome, Session
from services.call_log import BatchedCallLog, CallLogBehind, SqlCallLog
from store import schema as t
from store.timeutil import as_utc

CALLER = "9000000002"


def preference(engine: Engine, number: str = CALLER) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            select(t.caller_preferences).where(t.caller_preferences.c.number == number)
        ).first()


def call_row(engine: Engine, call_id: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(t.calls).where(t.calls.c.call_id == call_id)).first()


def choose_language(services: Any, call_id: str, key: str) -> None:
    """A call that only answers the language menu (1 Hindi, 2 English)."""
    started = services.calls.start(call_id, CALLER, "asterisk")
    services.calls.handle(call_id, DigitsEntered(key), turn=started.gather.turn)


def docket_session(call_id: str) -> Session:
    return Session(
        call_id=call_id,
        caller=CALLER,
        channel="asterisk",
        language="en",
        node="say_docket",
        awaiting=Awaiting.END,
        outcome=Outcome("docket", {"docket": "WZ2611270000001"}),
    )


def queued_session(call_id: str) -> Session:
    return Session(
        call_id=call_id,
        caller=CALLER,
        channel="asterisk",
        language="hi",
        node="operator",
        awaiting=Awaiting.END,
        outcome=Outcome("queued", {"queue": "CZ-hi", "priority": 5}),
    )


# --- the remembered language ------------------------------------------------------------------


def test_language_is_written_only_when_the_caller_changes_it(services: Any, clock: Any) -> None:
    first = clock()
    choose_language(services, "lang.1", "2")  # nothing remembered: Hindi, then English
    assert preference(services.engine).language == "en"
    assert as_utc(preference(services.engine).updated_at) == first
    clock.advance(minutes=5)
    choose_language(services, "lang.2", "2")  # starts in English, keeps it: nothing to write
    assert as_utc(preference(services.engine).updated_at) == first
    clock.advance(minutes=5)
    choose_language(services, "lang.3", "1")
    assert preference(services.engine).language == "hi"
    assert as_utc(preference(services.engine).updated_at) == clock()


def test_calls_racing_to_the_same_choice_write_it_once(services: Any, clock: Any) -> None:
    # Both calls start before either has chosen: each session changes from Hindi to English.
    one = services.calls.start("race.1", CALLER, "asterisk")
    two = services.calls.start("race.2", CALLER, "asterisk")
    chosen_at = clock()
    services.calls.handle("race.1", DigitsEntered("2"), turn=one.gather.turn)
    clock.advance(seconds=30)
    services.calls.handle("race.2", DigitsEntered("2"), turn=two.gather.turn)
    row = preference(services.engine)
    assert (row.language, as_utc(row.updated_at)) == ("en", chosen_at)


# --- the batched call log ---------------------------------------------------------------------


def test_batched_records_wait_for_a_flush_and_keep_their_order(services: Any, clock: Any) -> None:
    log = BatchedCallLog(services.records.call_log, max_delay_s=600)
    calls = services.calls.with_call_log(log)
    try:
        started = calls.start("batch.1", CALLER, "asterisk")
        menu = calls.handle("batch.1", DigitsEntered("2"), turn=started.gather.turn)
        confirmed = calls.handle("batch.1", DigitsEntered("1"), turn=menu.gather.turn)
        done = calls.handle("batch.1", DigitsEntered("1"), turn=confirmed.gather.turn)
        assert done is not None and done.session.outcome.kind == "docket"
        # The docket is committed in its turn; the call's own records are not written yet.
        with services.engine.connect() as conn:
            docket = conn.execute(
                select(t.complaints.c.docket).where(t.complaints.c.call_id == "batch.1")
            ).scalar()
        assert docket == done.session.outcome.detail["docket"]
        assert call_row(services.engine, "batch.1") is None and preference(services.engine) is None
        log.flush(timeout_s=10)
        row = call_row(services.engine, "batch.1")
        assert (row.outcome, row.docket, row.language) == ("docket", docket, "en")
        assert row.started_at is not None and row.ended_at is not None
        assert preference(services.engine).language == "en"
    finally:
        log.close()


def test_one_batch_ends_queued_and_finished_calls_alike(
    migrated_engine: Engine, clock: Any
) -> None:
    log = BatchedCallLog(SqlCallLog(migrated_engine), max_delay_s=600)
    try:
        for call_id in ("mix.1", "mix.2", "mix.3"):
            log.call_started(call_id, caller=CALLER, channel="asterisk", now=clock())
        clock.advance(seconds=40)
        log.call_ended(queued_session("mix.1"), clock())
        log.call_ended(docket_session("mix.2"), clock())
        log.call_ended(queued_session("mix.3"), clock())
        log.flush(timeout_s=10)
    finally:
        log.close()
    for call_id in ("mix.1", "mix.3"):
        row = call_row(migrated_engine, call_id)
        assert (row.outcome, row.queue, row.priority, row.ended_at) == ("queued", "CZ-hi", 5, None)
        assert as_utc(row.queued_at) == clock()
    row = call_row(migrated_engine, "mix.2")
    assert (row.outcome, row.docket, row.queued_at) == ("docket", "WZ2611270000001", None)
    assert as_utc(row.ended_at) == clock() and row.ivr_path == {"last_node": "say_docket"}


def test_a_batch_keeps_each_numbers_last_choice(services: Any, clock: Any) -> None:
    log = BatchedCallLog(services.records.call_log, max_delay_s=600)
    try:
        log.remember_language(CALLER, "en", clock())
        clock.advance(seconds=10)
        log.remember_language(CALLER, "hi", clock())
        log.flush(timeout_s=10)
        row = preference(services.engine)
        assert (row.language, as_utc(row.updated_at)) == ("hi", clock())
    finally:
        log.close()


def test_closing_writes_what_is_pending_and_later_records_go_straight_in(
    migrated_engine: Engine, clock: Any
) -> None:
    log = BatchedCallLog(SqlCallLog(migrated_engine), max_delay_s=600)
    log.call_started("close.1", caller=CALLER, channel="asterisk", now=clock())
    assert call_row(migrated_engine, "close.1") is None
    log.close(timeout_s=10)
    assert call_row(migrated_engine, "close.1") is not None
    log.call_started("close.2", caller=CALLER, channel="asterisk", now=clock())
    assert call_row(migrated_engine, "close.2") is not None


def impatient_engine(database_url: str) -> Engine:
    """An engine on the same database that gives up on a lock after a tenth of a second."""
    if database_url.startswith("postgresql"):
        return create_engine(database_url, connect_args={"options": "-c lock_timeout=100"})
    return create_engine(database_url, connect_args={"timeout": 0.1})


@contextmanager
def calls_locked(engine: Engine) -> Iterator[None]:
    """Another writer holds the `calls` table (SQLite: the database) until the block ends."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("LOCK TABLE calls IN ACCESS EXCLUSIVE MODE")
        else:
            conn.execute(update(t.calls).where(t.calls.c.id < 0).values(outcome=None))
        yield


def test_records_the_database_cannot_take_are_kept_and_written_later(
    migrated_engine: Engine, database_url: str, clock: Any
) -> None:
    impatient = impatient_engine(database_url)
    log = BatchedCallLog(SqlCallLog(impatient), max_delay_s=600, retry_s=0.05)
    try:
        with calls_locked(migrated_engine):
            log.call_started("kept.1", caller=CALLER, channel="asterisk", now=clock())
            log.call_ended(docket_session("kept.1"), clock())
            with pytest.raises(CallLogBehind):
                log.flushed().result(timeout=10)
        log.flush(timeout_s=10)
        row = call_row(migrated_engine, "kept.1")
        assert (row.outcome, row.docket) == ("docket", "WZ2611270000001")  # start, then end
    finally:
        log.close(timeout_s=10)
        impatient.dispose()


def test_a_record_the_database_refuses_is_named_and_holds_back_no_other(
    migrated_engine: Engine, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    log = BatchedCallLog(SqlCallLog(migrated_engine), max_delay_s=600)
    try:
        log.call_started("bad.1", caller=CALLER, channel=None, now=clock())  # type: ignore[arg-type]
        log.call_started("good.1", caller=CALLER, channel="asterisk", now=clock())
        with caplog.at_level(logging.ERROR, logger="services.call_log"):
            log.flush(timeout_s=10)
    finally:
        log.close(timeout_s=10)
    assert call_row(migrated_engine, "good.1") is not None
    assert call_row(migrated_engine, "bad.1") is None
    assert "refused by the database, dropped" in caplog.text
    assert "call bad.1 started" in caplog.text
    assert CALLER not in caplog.text  # the number is masked


def test_records_still_refused_when_the_log_closes_are_named(
    migrated_engine: Engine, database_url: str, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    impatient = impatient_engine(database_url)
    log = BatchedCallLog(SqlCallLog(impatient), max_delay_s=600, retry_s=0.05)
    try:
        with calls_locked(migrated_engine), caplog.at_level(logging.ERROR):
            log.call_started("lost.1", caller=CALLER, channel="asterisk", now=clock())
            waiting = log.flushed()
            log.close(timeout_s=30)
        with pytest.raises(CallLogBehind):
            waiting.result(timeout=1)
        assert "call record not written" in caplog.text and "call lost.1 started" in caplog.text
    finally:
        impatient.dispose()
