"""Registering complaints in SQL: docket numbers, SoP deadlines, the dispatch and docket SMS.

Registration is one transaction: it takes the next daily sequence number for the company,
writes the complaint, its first event and its outgoing SMS (outbox), and commits before the
docket is returned — so a docket a caller hears always exists. A `request_key` (call id + flow
node) makes a retried request return the first docket instead of writing a second complaint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from complaints.docket import make_docket
from complaints.kinds import Area, ComplaintKind, SopLimits, deadline
from store import schema as t
from store.outbox import queue_sms
from store.timeutil import as_utc

PRIORITY = {ComplaintKind.LINE_DAMAGE: 10}


@dataclass(frozen=True, slots=True)
class Registration:
    kind: ComplaintKind
    company: str
    consumer: Mapping[str, Any] | None
    channel: str
    request_key: str | None = None
    call_id: str | None = None
    fault_id: int | None = None
    anonymous: bool = False
    notify_mobile: str | None = None
    language: str = "hi"
    remarks: str | None = None


class SqlComplaints:
    def __init__(
        self,
        engine: Engine,
        *,
        limits: SopLimits,
        holidays: frozenset[date],
        zone: ZoneInfo,
        sms_templates: Mapping[str, Mapping[str, str]],
        field_link: Callable[[int, int | None], str] | None = None,
    ) -> None:
        self._engine = engine
        # Makes the signed field-page link carried by the dispatch SMS (None: no link).
        self._field_link = field_link
        self._limits = limits
        self._holidays = holidays
        self._zone = zone
        self._templates = sms_templates

    def register(self, reg: Registration, now: datetime) -> dict[str, Any]:
        """Register a complaint (or return the one this request already registered)."""
        for _attempt in range(5):
            try:
                with self._engine.begin() as conn:
                    existing = self._existing(conn, reg.request_key)
                    if existing is not None:
                        return existing
                    return self._insert(conn, reg, now)
            except IntegrityError:
                continue  # another process took the same counter row or key: try again
        raise RuntimeError("could not register the complaint after 5 attempts")

    def _existing(self, conn: Connection, key: str | None) -> dict[str, Any] | None:
        if key is None:
            return None
        row = conn.execute(_BY_REQUEST, {"key": key}).first()
        return None if row is None else self._summary(row._mapping)

    def _insert(self, conn: Connection, reg: Registration, now: datetime) -> dict[str, Any]:
        local_day = now.astimezone(self._zone).date()
        seq = next_sequence(conn, reg.company, local_day)
        docket = make_docket(reg.company, local_day, seq)
        area = Area((reg.consumer or {}).get("area", "urban"))
        due = deadline(
            reg.kind, area, now.astimezone(self._zone), limits=self._limits, holidays=self._holidays
        )
        consumer_id = None if reg.anonymous or reg.consumer is None else reg.consumer["id"]
        values = {
            "docket": docket,
            "company": reg.company,
            "kind": reg.kind.value,
            "status": "linked" if reg.fault_id else "open",
            "priority": PRIORITY.get(reg.kind, 0),
            "consumer_id": consumer_id,
            "dc_id": (reg.consumer or {}).get("dc_id"),
            "fault_id": reg.fault_id,
            "anonymous": reg.anonymous,
            "channel": reg.channel,
            "call_id": None if reg.anonymous else reg.call_id,
            "request_key": reg.request_key,
            "registered_at": now,
            # stored in UTC: SQLite keeps no offset, so a local time would read back wrong
            "deadline": due.astimezone(UTC) if due is not None else None,
            "remarks": reg.remarks,
        }
        inserted = conn.execute(_INSERT_COMPLAINT, values).inserted_primary_key
        assert inserted is not None
        complaint_id = inserted[0]
        conn.execute(_INSERT_EVENT, {
            "complaint_id": complaint_id, "at": now, "kind": "registered", "actor": reg.channel,
            "detail": {"fault_id": reg.fault_id} if reg.fault_id else None,
        })  # fmt: skip
        values["id"] = complaint_id
        self._queue_messages(conn, reg, values, now)
        return self._summary(values)

    def _queue_messages(
        self, conn: Connection, reg: Registration, complaint: Mapping[str, Any], now: datetime
    ) -> None:
        deadline_text = _local_text(complaint["deadline"], self._zone)
        if reg.notify_mobile and not reg.anonymous:
            queue_sms(
                conn,
                self._templates,
                kind="docket",
                to=reg.notify_mobile,
                language=reg.language,
                now=now,
                key=f"docket:{complaint['docket']}",
                new_key=True,
                values={"docket": complaint["docket"], "deadline": deadline_text},
            )
        if reg.fault_id or complaint["dc_id"] is None:
            return  # complaints under a known fault are handled with the fault, not dispatched
        mobile = conn.execute(_FIELD_MOBILE, {"dc": complaint["dc_id"]}).scalar()
        if mobile:
            consumer = reg.consumer or {}
            supply = f"{consumer.get('feeder_code', '')}/{consumer.get('transformer_code', '')}"
            link = "-"
            if self._field_link is not None:
                link = self._field_link(complaint["id"], complaint["dc_id"])
            queue_sms(
                conn,
                self._templates,
                kind="field_dispatch",
                to=mobile,
                language="en",
                now=now,
                key=f"dispatch:{complaint['docket']}",
                new_key=True,
                values={
                    "docket": complaint["docket"],
                    "kind": reg.kind.value,
                    "name": consumer.get("name", "-"),
                    "address": consumer.get("address", "-"),
                    "supply": supply,
                    "link": link,
                },
            )

    def _summary(self, row: Mapping[str, Any]) -> dict[str, Any]:
        registered = as_utc(row["registered_at"])
        due = as_utc(row["deadline"])
        limit = None
        if registered and due:
            limit = int((due - registered) / timedelta(minutes=1))
        return {
            "id": row["id"],
            "docket": row["docket"],
            "kind": row["kind"],
            "status": row["status"],
            "deadline": due.isoformat() if due else None,
            "limit_minutes": limit,
            "fault_id": row["fault_id"],
        }


def next_sequence(conn: Connection, company: str, day: date) -> int:
    """The next daily docket sequence for `company` — taken by writing first, so concurrent
    registrations serialise on the counter row (SQLite: the write lock; PostgreSQL: the row)."""
    bumped = conn.execute(_BUMP_COUNTER, {"c": company, "d": day}).scalar()
    if bumped is not None:
        return int(bumped)
    conn.execute(_NEW_COUNTER, {"company": company, "day": day, "last": 1})
    return 1


# Statements of a registration, built once (a caller is waiting to hear the docket).
_COUNTER = t.docket_counters.c
_BUMP_COUNTER = (
    update(t.docket_counters)
    .where(_COUNTER.company == bindparam("c"), _COUNTER.day == bindparam("d"))
    .values(last=_COUNTER.last + 1)
    .returning(_COUNTER.last)
)
_NEW_COUNTER = insert(t.docket_counters)
_BY_REQUEST = select(t.complaints).where(t.complaints.c.request_key == bindparam("key"))
_INSERT_COMPLAINT = insert(t.complaints)
_INSERT_EVENT = insert(t.complaint_events)
_FIELD_MOBILE = select(t.distribution_centres.c.field_mobile).where(
    t.distribution_centres.c.id == bindparam("dc")
)


def _local_text(value: datetime | None, zone: ZoneInfo) -> str:
    if value is None:
        return "-"
    return value.astimezone(zone).strftime("%d-%m-%Y %H:%M")
