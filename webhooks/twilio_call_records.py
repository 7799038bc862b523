"""The `calls` row of a Twilio call, completed from Twilio's callbacks.

The IVR opens the row and closes its IVR part (`services.call_log`); Twilio then tells what
became of the call: the `<Enqueue>` action's queue result, the operator leg answered and how
long it talked, and the final call status with its duration. A callback for a call with no row,
or repeated (Twilio retries), changes nothing it should not: an answer is recorded once, and a
call that was never answered ends as abandoned, or as a call back when the caller left the
queue for one. The operator's phone number for the `<Dial>` is read here too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update

from store import schema as t
from store.timeutil import as_utc


class TwilioCallRecords:
    """Completes the `calls` row from Twilio's callbacks (queue result, answer, talk, end)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _row(self, conn: Any, call_id: str) -> Any:
        return conn.execute(select(t.calls).where(t.calls.c.call_id == call_id)).first()

    def _set(self, conn: Any, call_id: str, **values: Any) -> None:
        conn.execute(update(t.calls).where(t.calls.c.call_id == call_id).values(**values))

    def queue_left(self, call_id: str, result: str, now: datetime) -> None:
        with self._engine.begin() as conn:
            row = self._row(conn, call_id)
            if row is None:
                return
            values: dict[str, Any] = {"queue_result": result[:24]}
            if row.answered_at is None and row.queued_at is not None:
                values["wait_s"] = _seconds(as_utc(row.queued_at), now)
            self._set(conn, call_id, **values)

    def answered(self, call_id: str, operator_id: str, now: datetime) -> None:
        with self._engine.begin() as conn:
            row = self._row(conn, call_id)
            if row is None or row.answered_at is not None:
                return  # a repeated callback
            wait = _seconds(as_utc(row.queued_at), now) if row.queued_at else None
            self._set(
                conn,
                call_id,
                answered_at=now,
                operator_id=operator_id,
                wait_s=wait,
                outcome="answered",
            )

    def talk_ended(self, call_id: str, talk_s: int | None) -> None:
        with self._engine.begin() as conn:
            self._set(conn, call_id, talk_s=talk_s)

    def call_completed(self, call_id: str, duration_s: int | None, now: datetime) -> None:
        with self._engine.begin() as conn:
            row = self._row(conn, call_id)
            if row is None:
                return
            values: dict[str, Any] = {"ended_at": now, "duration_s": duration_s}
            if row.answered_at is not None:
                values["outcome"] = "answered"
            elif row.outcome == "queued":
                values["outcome"] = "callback" if row.queue_result == "leave" else "abandoned"
                if row.queue_result is None and row.queued_at is not None:
                    values["wait_s"] = _seconds(as_utc(row.queued_at), now)
            self._set(conn, call_id, **values)

    def operator_phone(self, operator_id: str) -> str | None:
        with self._engine.connect() as conn:
            phone = conn.execute(
                select(t.operators.c.phone).where(t.operators.c.id == operator_id)
            ).scalar()
        return str(phone) if phone else None


def _seconds(start: datetime | None, end: datetime) -> int | None:
    return None if start is None else max(0, int((end - start).total_seconds()))
