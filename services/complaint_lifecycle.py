"""Complaint state changes: acknowledged, resolved (alone or with its fault), reopened, closed.

Each change is one conditional UPDATE (`... WHERE status IN (...)`), so two field replies, a
field page and a fault restoration racing on one complaint change it once: the loser sees
"already" and writes nothing, and nothing is double-counted. A change writes its event
(`complaint_events`) and its messages (outbox) on the caller's connection, inside the caller's
transaction. Resolution tells the consumer by SMS and schedules the feedback call (within
calling hours, see `complaints.feedback`); reopening sends the complaint back to the field team
and escalates it at once to the next level up. Anonymous reports are resolved without any
message or call.

`resolve_linked_to_fault(conn, fault_id, now=, actor=)` is the entry point for fault
restoration: every unresolved complaint linked to the fault is resolved in the same
transaction as the restoration itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from complaints.feedback import next_feedback_attempt
from services.complaint_config import LifecycleConfig, default_config
from services.complaint_escalation import escalate, next_level
from services.complaint_records import (
    UNRESOLVED,
    ComplaintStatus,
    add_event,
    complaint,
    contact_language,
    contact_number,
    dispatch_values,
    field_mobile,
)
from store import schema as t
from store.outbox import queue_sms

log = logging.getLogger(__name__)

PENDING_FEEDBACK = ("scheduled", "dialling")


class FieldAction(StrEnum):
    """What a field team reports."""

    ACK = "ack"
    DONE = "done"


class FieldOutcome(StrEnum):
    """What a field report did."""

    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    ALREADY = "already"  # the complaint was already in that state or beyond: nothing changed
    OTHER_CENTRE = "other_centre"  # the complaint is another centre's: refused
    NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class FieldResult:
    outcome: FieldOutcome
    docket: str
    status: str  # the complaint's status after the report ("" when not found)


def _utc(now: datetime) -> datetime:
    return now.astimezone(UTC)


def acknowledge(conn: Connection, row: Row[Any], *, now: datetime, actor: str) -> bool:
    """open/linked → acknowledged; False (and nothing written) from any other status."""
    changed = conn.execute(
        update(t.complaints)
        .where(
            t.complaints.c.id == row.id,
            t.complaints.c.status.in_([ComplaintStatus.OPEN.value, ComplaintStatus.LINKED.value]),
        )
        .values(status=ComplaintStatus.ACKNOWLEDGED.value)
    ).rowcount
    if changed != 1:
        return False
    add_event(conn, row.id, "acknowledged", actor=actor, now=_utc(now))
    return True


def resolve(
    conn: Connection,
    row: Row[Any],
    *,
    now: datetime,
    actor: str,
    config: LifecycleConfig,
    remarks: str = "",
    fault_id: int | None = None,
) -> bool:
    """Unresolved → resolved: SMS to the consumer and a feedback call scheduled."""
    now = _utc(now)
    values: dict[str, Any] = {"status": ComplaintStatus.RESOLVED.value, "resolved_at": now}
    if remarks:
        values["remarks"] = remarks[:2000]
    changed = conn.execute(
        update(t.complaints)
        .where(
            t.complaints.c.id == row.id, t.complaints.c.status.in_([s.value for s in UNRESOLVED])
        )
        .values(values)
    ).rowcount
    if changed != 1:
        return False
    detail = {k: v for k, v in (("remarks", remarks), ("fault_id", fault_id)) if v}
    event_id = add_event(conn, row.id, "resolved", actor=actor, now=now, detail=detail)
    number = contact_number(conn, row)
    if number is not None:
        queue_sms(
            conn,
            config.templates,
            kind="complaint_resolved",
            to=number,
            language=contact_language(conn, number, row),
            now=now,
            key=f"resolved:{event_id}",
            values={"docket": row.docket},
        )
        schedule_feedback(conn, row.id, number, resolved_at=now, now=now, config=config)
    return True


def schedule_feedback(
    conn: Connection,
    complaint_id: int,
    number: str,
    *,
    resolved_at: datetime,
    now: datetime,
    config: LifecycleConfig,
) -> int | None:
    """The complaint's pending feedback call (a new one within calling hours if none is
    pending), or None when the policy leaves no time to call."""
    pending = conn.execute(
        select(t.feedback_calls.c.id).where(
            t.feedback_calls.c.complaint_id == complaint_id,
            t.feedback_calls.c.status.in_(PENDING_FEEDBACK),
        )
    ).scalar()
    if pending is not None:
        return int(pending)
    due = next_feedback_attempt(
        resolved_at.astimezone(config.zone),
        0,
        None,
        now.astimezone(config.zone),
        policy=config.policy,
    )
    if due is None:
        return None
    result = conn.execute(
        insert(t.feedback_calls).values(
            complaint_id=complaint_id,
            number=number,
            status="scheduled",
            attempts=0,
            due_at=due.astimezone(UTC),
            created_at=_utc(now),
        )
    )
    return int(result.inserted_primary_key[0])


def close(conn: Connection, row: Row[Any], *, now: datetime, actor: str) -> bool:
    """resolved → closed (the consumer confirmed it)."""
    changed = conn.execute(
        update(t.complaints)
        .where(
            t.complaints.c.id == row.id,
            t.complaints.c.status == ComplaintStatus.RESOLVED.value,
        )
        .values(status=ComplaintStatus.CLOSED.value)
    ).rowcount
    if changed == 1:
        add_event(conn, row.id, "closed", actor=actor, now=_utc(now))
    return changed == 1


def reopen(
    conn: Connection,
    row: Row[Any],
    *,
    now: datetime,
    actor: str,
    reason: str,
    config: LifecycleConfig,
) -> bool:
    """resolved/closed → open: back to the field team, escalated to the next level up."""
    now = _utc(now)
    changed = conn.execute(
        update(t.complaints)
        .where(
            t.complaints.c.id == row.id,
            t.complaints.c.status.in_(
                [ComplaintStatus.RESOLVED.value, ComplaintStatus.CLOSED.value]
            ),
        )
        .values(status=ComplaintStatus.OPEN.value, resolved_at=None)
    ).rowcount
    if changed != 1:
        return False
    event_id = add_event(conn, row.id, "reopened", actor=actor, now=now, detail={"reason": reason})
    conn.execute(
        update(t.feedback_calls)
        .where(
            t.feedback_calls.c.complaint_id == row.id,
            t.feedback_calls.c.status == "scheduled",
        )
        .values(status="given_up", outcome="cancelled")
    )
    fresh = complaint(conn, row.id)
    assert fresh is not None
    mobile = field_mobile(conn, fresh.dc_id)
    if mobile is not None:
        link = config.field_link(fresh.id, fresh.dc_id) if config.field_link else "-"
        queue_sms(
            conn,
            config.templates,
            kind="field_reopened",
            to=mobile,
            language="en",
            now=now,
            key=f"reopened:{event_id}",
            values={**dispatch_values(conn, fresh), "link": link},
        )
    level = next_level(conn, fresh, config)
    escalate(
        conn,
        fresh,
        level,
        now=now,
        actor=actor,
        reason="feedback",
        config=config,
        key=f"escalation:{fresh.docket}:{level.value}:reopened{event_id}",
    )
    return True


def field_report(
    conn: Connection,
    row: Row[Any] | None,
    action: FieldAction,
    *,
    dc_id: int | None,
    actor: str,
    now: datetime,
    config: LifecycleConfig,
    remarks: str = "",
) -> FieldResult:
    """A field team's ACK or DONE for a complaint; `dc_id` None means any centre may act."""
    if row is None:
        return FieldResult(FieldOutcome.NOT_FOUND, "", "")
    if dc_id is not None and row.dc_id != dc_id:
        log.warning(
            "complaint %s: %s from centre %s refused (complaint of centre %s)",
            row.docket,
            action.value,
            dc_id,
            row.dc_id,
        )
        return FieldResult(FieldOutcome.OTHER_CENTRE, row.docket, row.status)
    if action is FieldAction.ACK:
        done = acknowledge(conn, row, now=now, actor=actor)
        outcome = FieldOutcome.ACKNOWLEDGED if done else FieldOutcome.ALREADY
    else:
        done = resolve(conn, row, now=now, actor=actor, config=config, remarks=remarks)
        outcome = FieldOutcome.RESOLVED if done else FieldOutcome.ALREADY
    after = complaint(conn, row.id)
    return FieldResult(outcome, row.docket, after.status if after is not None else row.status)


def resolve_linked_to_fault(
    conn: Connection,
    fault_id: int,
    *,
    now: datetime,
    actor: str,
    config: LifecycleConfig | None = None,
) -> list[int]:
    """Resolve every unresolved complaint linked to the fault (inside the caller's transaction):
    each consumer gets an SMS and a feedback call is scheduled. Returns the complaint ids."""
    config = config or default_config()
    rows = conn.execute(
        select(t.complaints)
        .where(
            t.complaints.c.fault_id == fault_id,
            t.complaints.c.status.in_([s.value for s in UNRESOLVED]),
        )
        .order_by(t.complaints.c.id)
    ).all()
    resolved = [
        row.id
        for row in rows
        if resolve(
            conn,
            row,
            now=now,
            actor=actor,
            config=config,
            remarks="supply restored",
            fault_id=fault_id,
        )
    ]
    if resolved:
        log.info("fault %s restored: %d linked complaints resolved", fault_id, len(resolved))
    return resolved
