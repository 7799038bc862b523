"""Call records: the `calls` row of each call and the caller's remembered language.

None of them is needed to answer the caller, so a front-end may take them out of the call's
turns. `CallLog` is the port a call service writes them to. `SqlCallLog` writes records as they
come, each in its own transaction (`services.call_log_sql`). `BatchedCallLog` takes the same
calls, keeps the records in order in memory and has one writer thread commit them in batches
(`services.call_log_batch`): within `max_delay_s`, at once when a front-end asks (`flushed`,
before it hands a call on: Asterisk's queue events update the row), and all of them on `close`.
Records are written in the order they came, so a call's row exists before its end is recorded.
A batch that fails is retried record by record, so one bad record holds back no other: a record
the database refuses is logged with its content and dropped (it would have failed the same way
at once); one it cannot take now (unreachable, locked) is kept and tried again, and only given
up, with an error naming it, when the log closes and the database still refuses. A remembered
language is written only when it differs from the stored one, and a batch keeps only each
number's last choice. The records themselves are plain values (`services.call_log_records`).
Every part logs as `services.call_log`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ivr.session import Session
from services.call_log_batch import BatchedCallLog, CallLogBehind
from services.call_log_records import (
    CallClosed,
    CallOpened,
    CallRecord,
    LanguageChosen,
    describe,
    ended_call_values,
    mask,
)
from services.call_log_sql import SqlCallLog

__all__ = [
    "BatchedCallLog",
    "CallClosed",
    "CallLog",
    "CallLogBehind",
    "CallOpened",
    "CallRecord",
    "LanguageChosen",
    "SqlCallLog",
    "describe",
    "ended_call_values",
    "mask",
]


class CallLog(Protocol):
    """Where a call service puts its call records."""

    def call_started(self, call_id: str, *, caller: str, channel: str, now: datetime) -> None: ...

    def remember_language(self, number: str, language: str, now: datetime) -> None: ...

    def call_ended(self, session: Session, now: datetime) -> None: ...
