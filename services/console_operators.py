"""Editing operators from the console: languages, company skills, standby tier, active flag.

An edit names the values the form was drawn from (a fingerprint); if the stored operator no
longer has them, someone else changed it first and the edit is refused as stale. A saved edit
is copied into the routing live state at once (the ACD sees the new skills and tier on its
next round) and written to the audit log.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from routing.operators import Tier
from routing.queues import Company, Language
from services.container import Services
from store import schema as t
from store.operators_sql import operator_from_row

log = logging.getLogger(__name__)


def rows(services: Services) -> list[dict[str, Any]]:
    with services.engine.connect() as conn:
        return [
            dict(row._mapping)
            for row in conn.execute(
                select(t.operators).order_by(t.operators.c.company, t.operators.c.id)
            )
        ]


def row(services: Services, operator_id: str) -> dict[str, Any] | None:
    with services.engine.connect() as conn:
        found = conn.execute(select(t.operators).where(t.operators.c.id == operator_id)).first()
    return None if found is None else dict(found._mapping)


def fingerprint(data: Mapping[str, Any]) -> str:
    """A short digest of the editable values as stored."""
    values = [
        sorted(data["languages"] or []),
        sorted(data["skills"] or []),
        data["tier"],
        bool(data["active"]),
    ]
    return hashlib.sha256(json.dumps(values).encode()).hexdigest()[:16]


def parse(form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    languages = [x for x in form.getlist("languages") if x in {v.value for v in Language}]
    skills = [x for x in form.getlist("skills") if x in {v.value for v in Company}]
    tier = form.get("tier", "")
    if not languages:
        errors["languages"] = "choose at least one language / कम से कम एक भाषा चुनें"
    if tier not in {v.value for v in Tier}:
        errors["tier"] = "choose a tier"
    values = {
        "languages": sorted(languages),
        "skills": sorted(skills),
        "tier": tier,
        "active": form.get("active") == "on",
    }
    return values, errors


def save(
    services: Services,
    operator_id: str,
    values: dict[str, Any],
    *,
    seen: str,
    actor: str,
    now: datetime,
) -> str:
    """Store an edit; "" when saved, else why not."""
    with services.engine.begin() as conn:
        current = conn.execute(
            select(t.operators).where(t.operators.c.id == operator_id).with_for_update()
        ).first()
        if current is None:
            return f"no operator {operator_id!r}"
        before = dict(current._mapping)
        if fingerprint(before) != seen:
            return (
                "Someone else changed this operator since you opened it: "
                "reload to see the current values."
            )
        conn.execute(update(t.operators).where(t.operators.c.id == operator_id).values(**values))
        changes = {k: [before[k], v] for k, v in values.items() if before[k] != v}
        conn.execute(
            insert(t.audit_log).values(
                at=now,
                actor=actor,
                action="operator.update",
                subject=operator_id,
                detail={"changes": changes},
            )
        )
        after = {**before, **values}
    routing = services.extras.get("routing")
    if routing is not None:
        routing.live.register_operator(operator_from_row(after), now.timestamp())
        if before["active"] and not values["active"]:
            _log_out(routing, operator_id)
    return ""


def _log_out(routing: Any, operator_id: str) -> None:
    """A deactivated operator leaves the queues now (one on a call: when the call ends, as
    they can no longer go ready)."""
    from services.routing_service import OperatorAction

    try:
        result = routing.act(operator_id, OperatorAction.LOGOUT)
    except Exception:  # Redis down: they cannot log in again, and the resync drops them
        log.exception("deactivated operator %s not logged out of the live state", operator_id)
        return
    if not result.ok:
        log.info("deactivated operator %s stays until their call ends: %s", operator_id,
                 result.message)  # fmt: skip
