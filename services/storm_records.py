"""What the storm controller leaves for people to read: decisions, the audit log, notices.

Every decision that changes something becomes a `storm_decisions` row (its figures and
commands, `services.storm_state.decision_row`) and an audit entry by the actor "storm", in one
transaction, and is then posted as a console notice. A supervisor's override or storm warning
is audited under the supervisor's name and posted the same way. Notices are a Redis list
(`h1912:notices`), newest first and trimmed to the last `NOTICES_KEPT`, so any worker's
console shows the same ones. `decisions` reads the latest rows back as JSON for the status
page and API.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import redis
from sqlalchemy import Engine, insert, select

from routing.queues import Company
from routing.storm_decisions import Decision
from services import fault_records as rec
from services.storm_state import decision_row
from store import schema as t

NOTICES = "notices"
NOTICES_KEPT = 200


class StormRecords:
    """The storm's decisions log, its audit entries and the console notices."""

    def __init__(self, *, engine: Engine, client: redis.Redis, prefix: str) -> None:
        self._engine, self._redis, self._notices_key = engine, client, prefix + NOTICES

    def record(self, decision: Decision, now: datetime) -> None:
        """A decision that changed something: its row, its audit entry and a notice."""
        with self._engine.begin() as conn:
            conn.execute(insert(t.storm_decisions).values(**decision_row(decision)))
            subject = f"storm:{decision.company.value}"
            rec.audit(conn, at=now, actor="storm", action=f"storm_{decision.action}",
                      subject=subject, detail=decision.inputs())  # fmt: skip
        self.notice(now, decision.company, f"{decision.action}: {decision.reason}")

    def audit(
        self, now: datetime, company: Company, *, actor: str, action: str, detail: Any, text: str
    ) -> None:
        """A supervisor's change for `company`: audited as `action`, then posted as `text`."""
        with self._engine.begin() as conn:
            rec.audit(conn, at=now, actor=actor, action=action,
                      subject=f"storm:{company.value}", detail=detail)  # fmt: skip
        self.notice(now, company, text)

    def notice(self, now: datetime, company: Company, text: str) -> None:
        """Post `text` for the console; only the latest `NOTICES_KEPT` are kept."""
        notice = json.dumps({"at": now.isoformat(), "company": company.value, "text": text})
        pipe = self._redis.pipeline()
        pipe.lpush(self._notices_key, notice)
        pipe.ltrim(self._notices_key, 0, NOTICES_KEPT - 1)
        pipe.execute()

    def notices(self, limit: int) -> list[dict[str, Any]]:
        """The latest `limit` notices, newest first."""
        raw = self._redis.lrange(self._notices_key, 0, limit - 1)
        return [json.loads(item) for item in raw]

    def decisions(self, limit: int) -> list[dict[str, Any]]:
        """The latest `limit` decisions that changed something, newest first, as JSON."""
        query = select(t.storm_decisions).order_by(t.storm_decisions.c.id.desc()).limit(limit)
        with self._engine.connect() as conn:
            return [_decision_json(row) for row in conn.execute(query)]


def _decision_json(row: Any) -> dict[str, Any]:
    return {
        "at": rec.iso(row.at), "company": row.company, "action": row.action,
        "target_operators": row.target_operators, "staffed_operators": row.staffed_operators,
        "reason": row.reason, "inputs": row.inputs,
    }  # fmt: skip
