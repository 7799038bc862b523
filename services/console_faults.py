"""Read-only lists for the console boards: active faults, pending feedback calls, the audit log.

Faults are listed newest first with their ETR (flagged when it has passed) and the number of
complaints linked to them. Feedback calls due or scheduled are listed with the complaint they
follow up. Changes to faults and complaints belong to their own services; these are reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from services.container import Services
from store import schema as t
from store.timeutil import as_utc

PENDING_FEEDBACK = ("scheduled", "dialling")


def active_faults(services: Services, now: datetime, company: str | None = None
                  ) -> list[dict[str, Any]]:
    linked = (select(t.complaints.c.fault_id, func.count().label("n"))
              .where(t.complaints.c.fault_id.is_not(None))
              .group_by(t.complaints.c.fault_id).subquery())
    query = (select(t.faults, func.coalesce(linked.c.n, 0).label("complaints"))
             .outerjoin(linked, linked.c.fault_id == t.faults.c.id)
             .where(t.faults.c.restored_at.is_(None))
             .order_by(t.faults.c.started_at.desc()))
    if company:
        query = query.where(t.faults.c.company == company)
    rows = []
    with services.engine.connect() as conn:
        for row in conn.execute(query):
            item = dict(row._mapping)
            item["started_at"], item["etr"] = as_utc(item["started_at"]), as_utc(item["etr"])
            item["overdue"] = item["etr"] is not None and item["etr"] < now
            rows.append(item)
    return rows


def pending_feedback(services: Services, limit: int = 100) -> list[dict[str, Any]]:
    query = (select(t.feedback_calls.c.id, t.feedback_calls.c.number, t.feedback_calls.c.status,
                    t.feedback_calls.c.attempts, t.feedback_calls.c.due_at,
                    t.complaints.c.docket, t.complaints.c.kind, t.complaints.c.company)
             .join(t.complaints, t.complaints.c.id == t.feedback_calls.c.complaint_id)
             .where(t.feedback_calls.c.status.in_(PENDING_FEEDBACK))
             .order_by(t.feedback_calls.c.due_at).limit(limit))
    with services.engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(query)]
    for row in rows:
        row["due_at"] = as_utc(row["due_at"])
    return rows


def audit_entries(services: Services, limit: int = 200) -> list[dict[str, Any]]:
    with services.engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(
            select(t.audit_log).order_by(t.audit_log.c.id.desc()).limit(limit))]
    for row in rows:
        row["at"] = as_utc(row["at"])
    return rows
