"""Read-only lists for the console boards: active faults and the audit log.

Faults are listed newest first with their ETR (flagged when it has passed) and the number of
complaints linked to them. Changes to faults belong to the fault service; these are reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from services.container import Services
from store import schema as t
from store.timeutil import as_utc


def active_faults(
    services: Services, now: datetime, company: str | None = None
) -> list[dict[str, Any]]:
    linked = (
        select(t.complaints.c.fault_id, func.count().label("n"))
        .where(t.complaints.c.fault_id.is_not(None))
        .group_by(t.complaints.c.fault_id)
        .subquery()
    )
    query = (
        select(t.faults, func.coalesce(linked.c.n, 0).label("complaints"))
        .outerjoin(linked, linked.c.fault_id == t.faults.c.id)
        .where(t.faults.c.restored_at.is_(None))
        .order_by(t.faults.c.started_at.desc())
    )
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


def audit_entries(services: Services, limit: int = 200) -> list[dict[str, Any]]:
    with services.engine.connect() as conn:
        rows = [
            dict(row._mapping)
            for row in conn.execute(
                select(t.audit_log).order_by(t.audit_log.c.id.desc()).limit(limit)
            )
        ]
    for row in rows:
        row["at"] = as_utc(row["at"])
    return rows
