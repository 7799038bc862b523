"""Call records: the `calls` row of each call and the caller's remembered language.

None of them is needed to answer the caller, so a front-end may take them out of the call's
turns. `SqlCallLog` writes records as they come, each in its own transaction. `BatchedCallLog`
takes the same calls, keeps the records in order in memory and has one writer thread commit
them in batches (one transaction for many calls): within `max_delay_s`, at once when a
front-end asks (`flushed`, before it hands a call on: Asterisk's queue events update the row),
and all of them on `close`. Records are written in the order they came, so a call's row exists
before its end is recorded. A batch that fails is retried record by record, so one bad record
holds back no other: a record the database refuses is logged with its content and dropped (it
would have failed the same way at once); one it cannot take now (unreachable, locked) is kept
and tried again, and only given up, with an error naming it, when the log closes and the
database still refuses. A remembered language is written only when it differs from the stored
one, and a batch keeps only each number's last choice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError

from ivr.session import Session
from store import schema as t

log = logging.getLogger(__name__)

_TRANSIENT = (OperationalError, InterfaceError, DisconnectionError)


class CallLog(Protocol):
    """Where a call service puts its call records."""

    def call_started(self, call_id: str, *, caller: str, channel: str, now: datetime) -> None: ...

    def remember_language(self, number: str, language: str, now: datetime) -> None: ...

    def call_ended(self, session: Session, now: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class CallOpened:
    call_id: str
    caller: str
    channel: str
    at: datetime


@dataclass(frozen=True, slots=True)
class LanguageChosen:
    number: str
    language: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CallClosed:
    session: Session
    at: datetime


CallRecord = CallOpened | LanguageChosen | CallClosed


class CallLogBehind(Exception):
    """What a flush waited for is not written yet: the database cannot take it now. The
    records are kept and tried again (and named in an error if the log closes first)."""


class SqlCallLog:
    """Call records in SQL, each call of the `CallLog` port in its own transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        postgres = engine.dialect.name == "postgresql"
        self._insert: Any = postgresql.insert if postgres else sqlite.insert

    def call_started(self, call_id: str, *, caller: str, channel: str, now: datetime) -> None:
        self.write([CallOpened(call_id, caller, channel, now)])

    def remember_language(self, number: str, language: str, now: datetime) -> None:
        """Keep the caller's language for next time. A preference is not worth failing a call
        over, so errors are logged."""
        if not number:
            return
        try:
            self.write([LanguageChosen(number, language, now)])
        except SQLAlchemyError as exc:  # not with its parameters: they hold the number
            log.error("could not remember the language of %s: %s", mask(number), _short(exc))

    def call_ended(self, session: Session, now: datetime) -> None:
        self.write([CallClosed(session, now)])

    def write(self, records: Sequence[CallRecord]) -> None:
        """Write records in one transaction: rows opened, then languages, then rows closed."""
        opened = [r for r in records if isinstance(r, CallOpened)]
        chosen = {r.number: r for r in records if isinstance(r, LanguageChosen) and r.number}
        closed = [r for r in records if isinstance(r, CallClosed)]
        with self._engine.begin() as conn:
            if opened:
                self._open(conn, opened)
            if chosen:
                self._remember(conn, list(chosen.values()))
            if closed:
                self._close(conn, closed)

    def _open(self, conn: Connection, opened: list[CallOpened]) -> None:
        rows = [
            {
                "call_id": r.call_id,
                "channel": r.channel,
                "caller": r.caller[:20],
                "started_at": r.at,
            }
            for r in opened
        ]
        # A repeated start of a call (a retried request) keeps the first row.
        statement = self._insert(t.calls).on_conflict_do_nothing(index_elements=["call_id"])
        conn.execute(statement, rows)

    def _close(self, conn: Connection, closed: list[CallClosed]) -> None:
        # One statement per shape of row (a queued call sets other columns than an ended one),
        # each executed once for all its rows.
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for record in closed:
            values = ended_call_values(record.session, record.at)
            shapes.setdefault(tuple(sorted(values)), []).append(
                {**values, "ended_call_id": record.session.call_id}
            )
        statement = update(t.calls).where(t.calls.c.call_id == bindparam("ended_call_id"))
        for rows in shapes.values():
            conn.execute(statement, rows)

    def _remember(self, conn: Connection, chosen: list[LanguageChosen]) -> None:
        table = t.caller_preferences
        statement = self._insert(table)
        # An upsert (concurrent calls from one number race here) that leaves a row alone when
        # it already holds this language.
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.number],
            set_={
                "language": statement.excluded.language,
                "updated_at": statement.excluded.updated_at,
            },
            where=table.c.language != statement.excluded.language,
        )
        rows = [{"number": r.number, "language": r.language, "updated_at": r.at} for r in chosen]
        conn.execute(statement, rows)


def ended_call_values(session: Session, now: datetime) -> dict[str, Any]:
    """What the `calls` row says once the IVR part of a call is over."""
    outcome = session.outcome
    detail: Mapping[str, Any] = outcome.detail if outcome else {}
    consumer = session.vars.get("consumer")
    values: dict[str, Any] = {
        "outcome": outcome.kind if outcome else "completed",
        "language": session.language,
        "consumer_id": consumer.get("id") if isinstance(consumer, dict) else None,
        "docket": detail.get("docket"),
        "ivr_path": {"last_node": session.node},
    }
    if outcome and outcome.kind == "queued":
        values.update(queue=detail.get("queue"), priority=detail.get("priority"), queued_at=now)
    else:
        values["ended_at"] = now
    return values


def mask(number: str) -> str:
    return number[:2] + "*" * max(0, len(number) - 4) + number[-2:]


class BatchedCallLog:
    """The `CallLog` port, written behind the caller's back by one thread, in batches."""

    def __init__(self, sql: SqlCallLog, *, max_delay_s: float = 0.2, retry_s: float = 1.0) -> None:
        self._sql = sql
        self._max_delay_s = max_delay_s
        self._retry_s = retry_s
        self._changed = threading.Condition()
        self._pending: list[tuple[int, CallRecord]] = []
        self._oldest = 0.0  # monotonic time the oldest pending record came
        self._submitted = 0  # sequence number of the last record taken
        self._settled = 0  # every record up to this one is written (or given up)
        self._waiting: list[tuple[int, Future[None]]] = []
        self._hurry = False
        self._closing = False
        self._writer = threading.Thread(target=self._run, name="call-log", daemon=True)
        self._writer.start()

    # --- the CallLog port --------------------------------------------------------------------

    def call_started(self, call_id: str, *, caller: str, channel: str, now: datetime) -> None:
        self._take(CallOpened(call_id, caller, channel, now))

    def remember_language(self, number: str, language: str, now: datetime) -> None:
        if number:
            self._take(LanguageChosen(number, language, now))

    def call_ended(self, session: Session, now: datetime) -> None:
        self._take(CallClosed(session, now))

    # --- flushing ----------------------------------------------------------------------------

    def flushed(self) -> Future[None]:
        """Done once every record taken so far is committed; failed with `CallLogBehind` if
        the database cannot take them now (they are kept and tried again)."""
        done: Future[None] = Future()
        with self._changed:
            if self._settled >= self._submitted:
                done.set_result(None)
                return done
            self._waiting.append((self._submitted, done))
            self._hurry = True
            self._changed.notify()
        return done

    def flush(self, timeout_s: float | None = None) -> None:
        self.flushed().result(timeout_s)

    def close(self, timeout_s: float | None = None) -> None:
        """Write everything still pending, then stop the writer."""
        with self._changed:
            self._closing = True
            self._changed.notify()
        self._writer.join(timeout_s)

    # --- the writer thread -------------------------------------------------------------------

    def _take(self, record: CallRecord) -> None:
        with self._changed:
            if not self._closing:
                self._submitted += 1
                if not self._pending:
                    self._oldest = time.monotonic()
                self._pending.append((self._submitted, record))
                self._changed.notify()
                return
        # A turn that ends after the log closed: written at once rather than lost.
        self._sql.write([record])

    def _run(self) -> None:
        tries_left = 3  # once closing, for records the database cannot take
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            kept = self._write(batch)
            self._settle(batch, kept)
            if kept:
                tries_left = tries_left - 1 if self._closing else tries_left
                if self._closing and tries_left == 0:
                    self._give_up()
                    return
                with self._changed:
                    self._changed.wait(self._retry_s)

    def _next_batch(self) -> list[tuple[int, CallRecord]] | None:
        with self._changed:
            while True:
                if self._pending and (self._hurry or self._closing):
                    break
                if self._pending:
                    left = self._oldest + self._max_delay_s - time.monotonic()
                    if left <= 0:
                        break
                    self._changed.wait(left)
                elif self._closing:
                    return None
                else:
                    self._changed.wait()
            batch, self._pending, self._hurry = self._pending, [], False
            return batch

    def _write(self, batch: list[tuple[int, CallRecord]]) -> list[tuple[int, CallRecord]]:
        """Write a batch; the records to try again (the first that could not be written and
        all after it, so that a call's end is never written before its start)."""
        try:
            self._sql.write([record for _, record in batch])
            return []
        except Exception:
            log.warning("call records: a batch of %d failed; writing one by one", len(batch))
        for index, (_, record) in enumerate(batch):
            try:
                self._sql.write([record])
            except _TRANSIENT as exc:
                log.warning(
                    "call records: %d kept to try again (%s), from %s",
                    len(batch) - index,
                    _short(exc),
                    describe(record),
                )
                return batch[index:]
            except SQLAlchemyError as exc:  # its statement and parameters would show the number
                log.error("call record refused by the database, dropped (%s): %s", _short(exc),
                          describe(record))  # fmt: skip
            except Exception:
                log.exception("call record could not be written, dropped: %s", describe(record))
        return []

    def _settle(
        self, batch: list[tuple[int, CallRecord]], kept: list[tuple[int, CallRecord]]
    ) -> None:
        with self._changed:
            if kept:
                self._pending[:0] = kept  # first again, in their order
                self._oldest = time.monotonic()
                self._settled = max(self._settled, kept[0][0] - 1)
            else:
                self._settled = max(self._settled, batch[-1][0])
            waiting, self._waiting = self._waiting, []
        for target, done in waiting:
            if target <= self._settled:
                _resolve(done, None)
            elif kept:
                _resolve(done, CallLogBehind("the database cannot take call records now"))
            else:
                with self._changed:
                    self._waiting.append((target, done))

    def _give_up(self) -> None:
        with self._changed:
            lost, self._pending = self._pending, []
            waiting, self._waiting = self._waiting, []
        for _, record in lost:
            log.error("call record not written, the database refused it to the end: %s",
                      describe(record))  # fmt: skip
        for _, done in waiting:
            _resolve(done, CallLogBehind("the call log closed with records unwritten"))


def _resolve(done: Future[None], error: BaseException | None) -> None:
    try:
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)
    except InvalidStateError:
        pass  # the waiter gave up (cancelled) first


def describe(record: CallRecord) -> str:
    """A record for a log line, the phone number masked."""
    if isinstance(record, CallOpened):
        return f"call {record.call_id} started {record.at.isoformat()} from {mask(record.caller)}"
    if isinstance(record, LanguageChosen):
        return f"language {record.language} for {mask(record.number)} at {record.at.isoformat()}"
    values = ended_call_values(record.session, record.at)
    return f"call {record.session.call_id} ended: {values}"


def _short(exc: BaseException) -> str:
    return str(getattr(exc, "orig", exc)).splitlines()[0][:200]
