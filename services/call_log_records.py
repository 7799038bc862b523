"""The call records a call service hands its call log, and how they read in a log line.

Three kinds, in the order a call produces them: `CallOpened` (the `calls` row is opened),
`LanguageChosen` (the caller's language is remembered for next time) and `CallClosed` (the IVR
part of the call is over; `ended_call_values` says what the row then holds). Plain values, so
a writer may keep them in memory and write them later. Phone numbers are masked in `describe`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ivr.session import Session


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


def describe(record: CallRecord) -> str:
    """A record for a log line, the phone number masked."""
    if isinstance(record, CallOpened):
        return f"call {record.call_id} started {record.at.isoformat()} from {mask(record.caller)}"
    if isinstance(record, LanguageChosen):
        return f"language {record.language} for {mask(record.number)} at {record.at.isoformat()}"
    values = ended_call_values(record.session, record.at)
    return f"call {record.session.call_id} ended: {values}"
