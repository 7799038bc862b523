"""Escalation runs: unresolved complaints climb the ladder (AE → EE → SE → CGM) on their SoP clock.

`escalation_pass` asks the pure core (`complaints.escalation.due_escalations`) which levels are
due for each unresolved complaint and, for each, sends an SMS to that level's officer
(`staff_contacts`: JE per centre, AE and EE per division, SE per circle, CGM per company),
records an `escalated` event on the complaint and an audit row, in one transaction per
complaint. The events are the memory of the ladder, so a pass can run as often as wanted, from
several processes: a level is notified once (the SMS key is unique; a concurrent duplicate
rolls back). Complaints linked to a fault are not escalated one by one: thousands may hang on
one fault, which is chased as a fault. `escalate` also serves a reopened complaint, which is
escalated at once to the next level up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, select
from sqlalchemy.exc import IntegrityError

from complaints.errors import ComplaintError
from complaints.escalation import EscalationLevel, EscalationStep, due_escalations
from services.complaint_config import LifecycleConfig
from services.complaint_records import (
    UNRESOLVED,
    ComplaintStatus,
    add_event,
    audit,
    local_text,
    notified_levels,
)
from store import schema as t
from store.outbox import queue_sms
from store.timeutil import as_utc

log = logging.getLogger(__name__)

REASONS = {
    "half": "SoP time limit running out",
    "deadline": "SoP time limit passed",
    "feedback": "consumer not satisfied after resolution; complaint reopened",
}


@dataclass(frozen=True, slots=True)
class Escalation:
    """One notification made: which complaint, which level, and to whom (None: no contact)."""

    docket: str
    level: EscalationLevel
    to: str | None


def _unit(conn: Connection, level: EscalationLevel, row: Row[Any]) -> tuple[str, str] | None:
    if level is EscalationLevel.CGM:
        return "company", row.company
    if row.dc_id is None:
        return None
    place = conn.execute(
        select(t.distribution_centres.c.division_id, t.divisions.c.circle_id)
        .select_from(
            t.distribution_centres.join(
                t.divisions, t.distribution_centres.c.division_id == t.divisions.c.id
            )
        )
        .where(t.distribution_centres.c.id == row.dc_id)
    ).first()
    if place is None:
        return None
    return {
        EscalationLevel.JE: ("dc", str(row.dc_id)),
        EscalationLevel.AE: ("division", str(place.division_id)),
        EscalationLevel.EE: ("division", str(place.division_id)),
        EscalationLevel.SE: ("circle", str(place.circle_id)),
    }[level]


def staff_contact(conn: Connection, level: EscalationLevel, row: Row[Any]) -> Row[Any] | None:
    """The officer of `level` over the complaint's centre, or None when none is registered."""
    unit = _unit(conn, level, row)
    if unit is None:
        return None
    return conn.execute(
        select(t.staff_contacts).where(
            t.staff_contacts.c.level == level.value,
            t.staff_contacts.c.unit == unit[0],
            t.staff_contacts.c.unit_id == unit[1],
        )
    ).first()


def escalate(
    conn: Connection,
    row: Row[Any],
    level: EscalationLevel,
    *,
    now: datetime,
    actor: str,
    reason: str,
    config: LifecycleConfig,
    key: str,
    step: EscalationStep | None = None,
) -> Escalation:
    """Tell `level` about the complaint (SMS keyed `key`), with its event and audit row."""
    contact = staff_contact(conn, level, row)
    centre = (
        conn.execute(
            select(t.distribution_centres.c.name).where(t.distribution_centres.c.id == row.dc_id)
        ).scalar()
        if row.dc_id
        else None
    )
    if contact is not None:
        queue_sms(
            conn,
            config.templates,
            kind="escalation",
            to=contact.mobile,
            language="en",
            now=now,
            key=key,
            values={
                "level": level.value,
                "docket": row.docket,
                "kind": row.kind,
                "centre": centre or "-",
                "status": row.status,
                "registered": local_text(row.registered_at, config.zone),
                "deadline": local_text(row.deadline, config.zone),
                "reason": REASONS.get(reason, reason),
            },
        )
    else:
        log.warning(
            "complaint %s: no %s contact registered; escalation recorded only",
            row.docket,
            level.value,
        )
    detail: dict[str, Any] = {
        "level": level.value,
        "reason": reason,
        "to": contact.name if contact is not None else None,
    }
    if step is not None:
        detail.update(
            due_at=step.due_at.isoformat(),
            past_deadline=step.past_deadline,
            force_majeure=step.force_majeure,
        )
    add_event(conn, row.id, "escalated", actor=actor, now=now, detail=detail)
    audit(
        conn, now=now, actor=actor, action="complaint.escalated", subject=row.docket, detail=detail
    )
    return Escalation(row.docket, level, contact.mobile if contact is not None else None)


def next_level(conn: Connection, row: Row[Any], config: LifecycleConfig) -> EscalationLevel:
    """The first ladder level not yet told; the top level again when all have been."""
    told = notified_levels(conn, row.id)
    for rule in config.ladder.steps:
        if rule.level.value not in told:
            return rule.level
    return config.ladder.steps[-1].level


def _force_majeure(conn: Connection, row: Row[Any]) -> bool:
    if row.force_majeure:
        return True
    if row.fault_id is None:
        return False
    return bool(
        conn.execute(select(t.faults.c.force_majeure).where(t.faults.c.id == row.fault_id)).scalar()
    )


def _due_for(
    row: Row[Any], told: set[str], now: datetime, config: LifecycleConfig, *, fm: bool = False
) -> list[EscalationStep]:
    registered, deadline = as_utc(row.registered_at), as_utc(row.deadline)
    if registered is None or deadline is None or deadline <= registered:
        return []
    try:
        return due_escalations(
            registered, deadline, told, now, ladder=config.ladder, force_majeure=fm
        )
    except ComplaintError:
        return []


def _candidates(
    engine: Engine, statuses: list[str], now: datetime, config: LifecycleConfig
) -> list[int]:
    """Complaints with a level due, found with two reads (no write unless something is due)."""
    c = t.complaints.c
    open_ = (c.status.in_(statuses), c.deadline.is_not(None), c.registered_at <= now)
    told: dict[int, set[str]] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(c.id, c.registered_at, c.deadline).where(*open_).order_by(c.id)
        ).all()
        events = conn.execute(
            select(t.complaint_events.c.complaint_id, t.complaint_events.c.detail)
            .join(t.complaints, c.id == t.complaint_events.c.complaint_id)
            .where(t.complaint_events.c.kind == "escalated", *open_)
        )
        for complaint_id, detail in events:
            if isinstance(detail, dict) and "level" in detail:
                told.setdefault(complaint_id, set()).add(str(detail["level"]))
    return [row.id for row in rows if _due_for(row, told.get(row.id, set()), now, config)]


def escalation_pass(
    engine: Engine, config: LifecycleConfig, now: datetime, *, actor: str = "escalation"
) -> list[Escalation]:
    """One pass over the unresolved complaints; returns the notifications made."""
    statuses = [s.value for s in UNRESOLVED if s is not ComplaintStatus.LINKED]
    now = now.astimezone(UTC)
    made: list[Escalation] = []
    for complaint_id in _candidates(engine, statuses, now, config):
        try:
            with engine.begin() as conn:
                row = conn.execute(
                    select(t.complaints).where(t.complaints.c.id == complaint_id).with_for_update()
                ).first()
                if row is None or row.status not in statuses:
                    continue  # resolved since the list was read
                steps = _due_for(
                    row, notified_levels(conn, row.id), now, config, fm=_force_majeure(conn, row)
                )
                for step in steps:
                    reason = "deadline" if step.past_deadline else "half"
                    key = f"escalation:{row.docket}:{step.level.value}"
                    made.append(
                        escalate(
                            conn,
                            row,
                            step.level,
                            now=now,
                            actor=actor,
                            reason=reason,
                            config=config,
                            step=step,
                            key=key,
                        )
                    )
        except IntegrityError:
            log.info("complaint %s: escalated by another pass at the same time", complaint_id)
    return made


def escalated_complaints(
    engine: Engine, *, company: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Unresolved complaints that have been escalated, highest level and latest first."""
    query = (
        select(
            t.complaints,
            t.complaint_events.c.at.label("escalated_at"),
            t.complaint_events.c.detail,
            t.distribution_centres.c.name.label("centre"),
        )
        .select_from(
            t.complaints.join(
                t.complaint_events, t.complaint_events.c.complaint_id == t.complaints.c.id
            ).outerjoin(t.distribution_centres, t.distribution_centres.c.id == t.complaints.c.dc_id)
        )
        .where(
            t.complaint_events.c.kind == "escalated",
            t.complaints.c.status.in_([s.value for s in UNRESOLVED]),
        )
    )
    if company:
        query = query.where(t.complaints.c.company == company)
    top: dict[int, dict[str, Any]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            level = EscalationLevel(str((row.detail or {}).get("level", "JE")))
            seen = top.get(row.id)
            if seen is None or EscalationLevel(seen["level"]).rank < level.rank:
                top[row.id] = {
                    "id": row.id,
                    "docket": row.docket,
                    "company": row.company,
                    "kind": row.kind,
                    "status": row.status,
                    "centre": row.centre,
                    "level": level.value,
                    "escalated_at": as_utc(row.escalated_at),
                    "registered_at": as_utc(row.registered_at),
                    "deadline": as_utc(row.deadline),
                }
    ordered = sorted(
        top.values(),
        key=lambda e: (-EscalationLevel(e["level"]).rank, -e["escalated_at"].timestamp()),
    )
    return ordered[:limit]
