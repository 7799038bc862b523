"""The call log written by one thread, in batches, behind the calls' backs.

`BatchedCallLog` takes the calls of the `CallLog` port (`services.call_log`), keeps the
records in order in memory and has one writer thread commit them through a `SqlCallLog`, many
calls in one transaction: within `max_delay_s`, at once when a front-end asks (`flushed`, before
it hands a call on: Asterisk's queue events update the row), and all of them on `close`. A
batch that fails is retried record by record, so one bad record holds back no other: a record
the database refuses is logged with its content and dropped (it would have failed the same way
at once); one it cannot take now (unreachable, locked) is kept, with every record after it, and
tried again, and only given up, with an error naming it, when the log closes and the database
still refuses. A flush that cannot be met then fails with `CallLogBehind`. It logs as
`services.call_log`, like the rest of the call log.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, InvalidStateError
from datetime import datetime

from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError

from ivr.session import Session
from services.call_log_records import (
    CallClosed,
    CallOpened,
    CallRecord,
    LanguageChosen,
    describe,
)
from services.call_log_sql import SqlCallLog, short_error

# One logger for all of the call log, whichever module writes the line.
log = logging.getLogger("services.call_log")

_TRANSIENT = (OperationalError, InterfaceError, DisconnectionError)


class CallLogBehind(Exception):
    """What a flush waited for is not written yet: the database cannot take it now. The
    records are kept and tried again (and named in an error if the log closes first)."""


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
                    short_error(exc),
                    describe(record),
                )
                return batch[index:]
            except SQLAlchemyError as exc:  # its statement and parameters would show the number
                log.error("call record refused by the database, dropped (%s): %s", short_error(exc),
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
