"""SQL helpers shared by the complaint lifecycle modules: finding complaints, their events, whom to
tell, and the audit trail.

Every function takes an open connection and never commits: callers run them inside the one
transaction that also writes the state change and its SMS, so a change and its messages are
stored together or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Row, insert, select

from complaints.docket import Company, ValidDocket
from store import schema as t
from store.timeutil import as_utc


class ComplaintStatus(StrEnum):
    """Where a complaint stands (the `complaints.status` column)."""

    OPEN = "open"
    LINKED = "linked"  # under a known fault: closed with the fault, not dispatched alone
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    CLOSED = "closed"  # resolved and confirmed by the consumer


UNRESOLVED = (ComplaintStatus.OPEN, ComplaintStatus.LINKED, ComplaintStatus.ACKNOWLEDGED)


def complaint(conn: Connection, complaint_id: int, *, for_update: bool = False) -> Row[Any] | None:
    query = select(t.complaints).where(t.complaints.c.id == complaint_id)
    if for_update:
        query = query.with_for_update()  # PostgreSQL: serialise changes to one complaint
    return conn.execute(query).first()


def by_docket(
    conn: Connection, docket: ValidDocket, companies: tuple[Company, ...] | None = None
) -> Row[Any] | None:
    """The complaint a checked docket names; keyed digits (no company) try each company."""
    codes = [docket.company] if docket.company else list(companies or Company)
    candidates = [f"{code.value}{docket.digits}" for code in codes]
    return conn.execute(select(t.complaints).where(t.complaints.c.docket.in_(candidates))).first()


def add_event(
    conn: Connection,
    complaint_id: int,
    kind: str,
    *,
    actor: str,
    now: datetime,
    detail: Mapping[str, Any] | None = None,
) -> int:
    result = conn.execute(
        insert(t.complaint_events).values(
            complaint_id=complaint_id,
            at=now,
            kind=kind,
            actor=actor[:60],
            detail=dict(detail) if detail else None,
        )
    )
    return int(result.inserted_primary_key[0])


def audit(
    conn: Connection,
    *,
    now: datetime,
    actor: str,
    action: str,
    subject: str,
    detail: Mapping[str, Any] | None = None,
) -> None:
    conn.execute(
        insert(t.audit_log).values(
            at=now,
            actor=actor[:60],
            action=action[:60],
            subject=subject[:80],
            detail=dict(detail or {}),
        )
    )


def notified_levels(conn: Connection, complaint_id: int) -> set[str]:
    """Escalation levels already told about this complaint (from its `escalated` events)."""
    rows = conn.execute(
        select(t.complaint_events.c.detail).where(
            t.complaint_events.c.complaint_id == complaint_id,
            t.complaint_events.c.kind == "escalated",
        )
    )
    return {str(d["level"]) for (d,) in rows if isinstance(d, dict) and "level" in d}


def contact_number(conn: Connection, row: Row[Any]) -> str | None:
    """Whom to tell about a complaint: the number its docket SMS went to, else the consumer's
    first registered mobile; nobody for an anonymous report."""
    if row.anonymous:
        return None
    told = conn.execute(
        select(t.outbox.c.to_number).where(t.outbox.c.request_key == f"docket:{row.docket}")
    ).scalar()
    if told:
        return str(told)
    if row.consumer_id is None:
        return None
    mobile = conn.execute(
        select(t.consumer_mobiles.c.mobile)
        .where(t.consumer_mobiles.c.consumer_id == row.consumer_id)
        .order_by(t.consumer_mobiles.c.mobile)
    ).scalar()
    return None if mobile is None else str(mobile)


def contact_language(conn: Connection, number: str, row: Row[Any]) -> str:
    chosen = conn.execute(
        select(t.caller_preferences.c.language).where(t.caller_preferences.c.number == number)
    ).scalar()
    if chosen:
        return str(chosen)
    if row.consumer_id is not None:
        own = conn.execute(
            select(t.consumers.c.language).where(t.consumers.c.id == row.consumer_id)
        ).scalar()
        if own:
            return str(own)
    return "hi"


def dispatch_values(conn: Connection, row: Row[Any]) -> dict[str, str]:
    """Docket, kind, consumer name, address and supply point, as the field SMS carry them."""
    values = {"docket": row.docket, "kind": row.kind, "name": "-", "address": "-", "supply": "-"}
    if row.consumer_id is None or row.anonymous:
        return values
    found = conn.execute(
        select(
            t.consumers.c.name,
            t.consumers.c.address,
            t.transformers.c.code.label("dtr"),
            t.feeders.c.code.label("feeder"),
        )
        .select_from(
            t.consumers.join(
                t.transformers, t.consumers.c.transformer_id == t.transformers.c.id
            ).join(t.feeders, t.transformers.c.feeder_id == t.feeders.c.id)
        )
        .where(t.consumers.c.id == row.consumer_id)
    ).first()
    if found is not None:
        values.update(name=found.name, address=found.address, supply=f"{found.feeder}/{found.dtr}")
    return values


def field_mobile(conn: Connection, dc_id: int | None) -> str | None:
    if dc_id is None:
        return None
    mobile = conn.execute(
        select(t.distribution_centres.c.field_mobile).where(t.distribution_centres.c.id == dc_id)
    ).scalar()
    return None if not mobile else str(mobile)


def local_text(value: datetime | None, zone: ZoneInfo) -> str:
    """A stored time as the SMS show it, e.g. `27-11-2026 16:30`; `-` when there is none."""
    moment = as_utc(value)
    return "-" if moment is None else moment.astimezone(zone).strftime("%d-%m-%Y %H:%M")
