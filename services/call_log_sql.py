"""Call records written to SQL: the `calls` rows and the callers' remembered languages.

`SqlCallLog` is the `CallLog` port (`services.call_log`) with each call in its own transaction,
and `write` puts any number of records in one: rows opened first, then languages, then rows
closed, so a call's row exists before its end is recorded. A repeated start of a call keeps the
first row; a remembered language is written only when it differs from the stored one, and only
each number's last choice counts. It logs as `services.call_log`, like the rest of the call log.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from ivr.session import Session
from services.call_log_records import (
    CallClosed,
    CallOpened,
    CallRecord,
    LanguageChosen,
    ended_call_values,
    mask,
)
from store import schema as t

# One logger for all of the call log, whichever module writes the line.
log = logging.getLogger("services.call_log")


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
            log.error("could not remember the language of %s: %s", mask(number), short_error(exc))

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


def short_error(exc: BaseException) -> str:
    """The first line of a database error (its driver's message), for a log line."""
    return str(getattr(exc, "orig", exc)).splitlines()[0][:200]
