"""SQL adapters the Asterisk front-end needs: operators by interface, queue outcomes, callbacks.

Small repositories over `store.schema`, each implementing one port of `dialplans.mirror` or
`dialplans.agi`. Writes are idempotent updates of the call's row keyed by the call id (the
channel's Asterisk unique id), so a replayed AMI event changes nothing twice; a call we never
saw (a test call, another IVR) updates no row and is only logged at debug level.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from routing.operators import Operator, Tier
from routing.queues import Company, Language
from store import schema as t

log = logging.getLogger(__name__)


def operator_from_row(row: Any) -> Operator:
    return Operator(
        id=row.id,
        name=row.name,
        phone=row.phone or "",
        sip_interface=row.sip_interface or "",
        languages=frozenset(Language(x) for x in row.languages or ()),
        companies=frozenset(Company(x) for x in (row.skills or [row.company])),
        tier=Tier(row.tier),
    )


class SqlOperators:
    """Active operators from the `operators` table; interfaces looked up case-sensitively."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._by_interface: dict[str, str] = {}

    def all(self) -> list[Operator]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(t.operators).where(t.operators.c.active.is_(True)).order_by(t.operators.c.id)
            ).all()
        return [operator_from_row(row) for row in rows]

    def operator_for(self, interface: str) -> str | None:
        found = self._by_interface.get(interface)
        if found is None:
            # A new operator may have been added since: reload once on a miss.
            self._by_interface = {o.sip_interface: o.id for o in self.all() if o.sip_interface}
            found = self._by_interface.get(interface)
        return found


class SqlQueueCallLog:
    """Queue outcomes in the `calls` rows the IVR created."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def priority_of(self, call_id: str) -> int | None:
        with self._engine.connect() as conn:
            value = conn.execute(
                select(t.calls.c.priority).where(t.calls.c.call_id == call_id)
            ).scalar()
        return None if value is None else int(value)

    def joined(self, call_id: str, queue: str, at: datetime) -> None:
        self._update(call_id, queue=queue)

    def answered(self, call_id: str, operator_id: str | None, wait_s: int, at: datetime) -> None:
        self._update(
            call_id, answered_at=at, operator_id=operator_id, wait_s=wait_s, queue_result="answered"
        )

    def finished(self, call_id: str, talk_s: int, at: datetime) -> None:
        self._update(call_id, talk_s=talk_s, ended_at=at, duration_s=self._since_start(call_id, at))

    def abandoned(self, call_id: str, wait_s: int, at: datetime) -> None:
        self._update(
            call_id,
            wait_s=wait_s,
            queue_result="abandoned",
            ended_at=at,
            duration_s=self._since_start(call_id, at),
        )

    def _since_start(self, call_id: str, at: datetime) -> int | None:
        with self._engine.connect() as conn:
            started = conn.execute(
                select(t.calls.c.started_at).where(t.calls.c.call_id == call_id)
            ).scalar()
        if started is None:
            return None
        if started.tzinfo is None:  # SQLite hands back naive UTC
            started = started.replace(tzinfo=UTC)
        return max(0, int((at - started).total_seconds()))

    def _update(self, call_id: str, **values: Any) -> None:
        with self._engine.begin() as conn:
            done = conn.execute(update(t.calls).where(t.calls.c.call_id == call_id).values(values))
        if done.rowcount == 0:
            log.debug("call %s: no call record to update with %s", call_id, sorted(values))


class SqlCallbackRequests:
    """A call back asked for after app_queue turned the caller away; keeps the join time."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def request(
        self,
        *,
        call_id: str,
        number: str,
        queue: str,
        priority: int,
        now: datetime,
        waited: bool = False,
    ) -> bool:
        """Record a pending callback; False if one is already pending for this call. The
        call's row says it ended in a call back. ``waited``: the call waited in the queue
        before app_queue turned it away (timed out, or every operator left), so it was counted
        as offered there already."""
        with self._engine.begin() as conn:
            exists = conn.execute(
                select(t.callbacks.c.id).where(
                    t.callbacks.c.call_id == call_id, t.callbacks.c.status == "pending"
                )
            ).first()
            if exists:
                return False
            c = t.calls.c
            row = conn.execute(
                select(c.consumer_id, c.queued_at, c.queue_result, c.ended_at).where(
                    c.call_id == call_id
                )
            ).first()
            if row is not None:  # the call ends with the call back booked (as on Twilio)
                conn.execute(
                    update(t.calls)
                    .where(c.call_id == call_id)
                    .values(
                        outcome="callback",
                        queue_result=row.queue_result or "callback",
                        ended_at=row.ended_at or now,
                    )
                )
            conn.execute(
                insert(t.callbacks).values(
                    call_id=call_id,
                    consumer_id=row.consumer_id if row else None,
                    number=number,
                    queue=queue,
                    priority=priority,
                    joined_at=(row.queued_at if row else None) or now,
                    offer_counted=waited,
                    status="pending",
                    attempts=0,
                    created_at=now,
                )
            )
        return True
