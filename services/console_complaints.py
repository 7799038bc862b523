"""Complaints from the operator's desk: register one (once per form) or add to one.

The form carries a `request_key` minted when it was drawn (and kept with the draft in the
browser), so a double click, a resubmission after a lost reply or after logging in again
registers once and shows the same docket. Registration goes through `SqlComplaints.register`
(docket, SoP deadline, field SMS, docket SMS to the caller's mobile, committed before the
docket is shown). A hazard flag raises the complaint's priority and is recorded as an event.
Bad input comes back as field messages, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from complaints.kinds import ComplaintKind
from services.container import Services
from store import schema as t
from store.complaints_sql import Registration, SqlComplaints

REQUEST_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_REMARKS = 500
HAZARD_PRIORITY = 10
KIND_LABELS = {
    ComplaintKind.NO_SUPPLY: "No supply / बिजली बंद",
    ComplaintKind.TRANSFORMER: "Transformer failure / ट्रांसफार्मर खराब",
    ComplaintKind.LINE_DAMAGE: "Line damage, hazard / तार टूटा, खतरा",
    ComplaintKind.BROKEN_POLE: "Broken pole / खंभा टूटा",
    ComplaintKind.BILL: "Bill / बिल",
    ComplaintKind.THEFT: "Theft / बिजली चोरी",
    ComplaintKind.METER: "Meter / मीटर",
    ComplaintKind.NEW_CONNECTION: "New connection / नया कनेक्शन",
    ComplaintKind.OTHER: "Other / अन्य",
}


@dataclass(frozen=True, slots=True)
class DeskComplaint:
    kind: ComplaintKind
    remarks: str
    hazard: bool
    request_key: str
    consumer_id: int | None
    call_id: str | None


@dataclass(frozen=True, slots=True)
class Checked:
    value: DeskComplaint | None
    errors: dict[str, str] = field(default_factory=dict)


def check_form(form: Mapping[str, str]) -> Checked:
    errors: dict[str, str] = {}
    try:
        kind = ComplaintKind(form.get("kind", ""))
    except ValueError:
        errors["kind"] = "choose the kind of complaint / शिकायत का प्रकार चुनें"
        kind = ComplaintKind.OTHER
    remarks = (form.get("remarks") or "").strip()
    if len(remarks) > MAX_REMARKS:
        errors["remarks"] = f"at most {MAX_REMARKS} characters (now {len(remarks)})"
    key = form.get("request_key", "")
    if not REQUEST_KEY.match(key):
        errors[""] = "the form is incomplete: reload the page"
    raw_consumer = (form.get("consumer_id") or "").strip()
    consumer_id = int(raw_consumer) if raw_consumer.isdigit() else None
    if raw_consumer and consumer_id is None:
        errors[""] = "the consumer reference is not valid"
    if kind is ComplaintKind.OTHER and not remarks and "kind" not in errors:
        errors["remarks"] = "say what the complaint is about / विवरण लिखें"
    call_id = (form.get("call_id") or "").strip() or None
    if errors:
        return Checked(None, errors)
    hazard = form.get("hazard") in ("on", "1", "yes") or kind.is_hazard
    return Checked(DeskComplaint(kind, remarks, hazard, key, consumer_id, call_id))


def register(
    services: Services,
    complaints: SqlComplaints,
    entry: DeskComplaint,
    *,
    operator_id: str | None,
    company: str,
    now: datetime,
) -> dict[str, Any]:
    """Register (idempotently, by request key) and return the complaint's summary."""
    consumer = services.network.consumer(entry.consumer_id) if entry.consumer_id else None
    session = services.calls.current(entry.call_id) if entry.call_id else None
    mobile, language = None, "hi"
    if session is not None:
        caller = session.vars.get("caller") or {}
        mobile = caller.get("number") if caller.get("kind") == "mobile" else None
        language = session.language
    fault_id = None
    if consumer is not None and entry.kind is ComplaintKind.NO_SUPPLY:
        fault = services.network.covering_fault(consumer, now)
        fault_id = int(fault.id) if fault is not None else None
    remarks = entry.remarks + (f" [operator {operator_id}]" if operator_id else "")
    summary = complaints.register(
        Registration(
            kind=entry.kind,
            company=(consumer or {}).get("company") or company,
            consumer=consumer,
            channel="console",
            request_key=f"console:{entry.request_key}",
            call_id=entry.call_id,
            fault_id=fault_id,
            notify_mobile=mobile,
            language=language,
            remarks=remarks or None,
        ),
        now,
    )
    if entry.hazard and not entry.kind.is_hazard:
        flag_hazard(services, summary["id"], actor=operator_id or "console", now=now)
    return summary


def flag_hazard(services: Services, complaint_id: int, *, actor: str, now: datetime) -> None:
    with services.engine.begin() as conn:
        done = conn.execute(
            update(t.complaints)
            .where(t.complaints.c.id == complaint_id, t.complaints.c.priority < HAZARD_PRIORITY)
            .values(priority=HAZARD_PRIORITY)
        )
        if done.rowcount:
            conn.execute(
                insert(t.complaint_events).values(
                    complaint_id=complaint_id, at=now, kind="hazard_flagged", actor=actor
                )
            )


def add_note(
    services: Services, docket: str, note: str, *, hazard: bool, actor: str, now: datetime
) -> tuple[dict[str, Any] | None, str]:
    """Add an operator's note to a complaint; (the complaint, "") or (None, the reason)."""
    note = note.strip()
    if not note and not hazard:
        return None, "write a note / टिप्पणी लिखें"
    if len(note) > MAX_REMARKS:
        return None, f"at most {MAX_REMARKS} characters"
    with services.engine.begin() as conn:
        row = conn.execute(select(t.complaints).where(t.complaints.c.docket == docket)).first()
        if row is None:
            return None, f"no complaint with docket {docket}"
        if note:
            text = f"{row.remarks}\n{note}" if row.remarks else note
            conn.execute(
                update(t.complaints).where(t.complaints.c.id == row.id).values(remarks=text[-4000:])
            )
            conn.execute(
                insert(t.complaint_events).values(
                    complaint_id=row.id, at=now, kind="note", actor=actor, detail={"note": note}
                )
            )
    if hazard:
        flag_hazard(services, row.id, actor=actor, now=now)
    return {"id": row.id, "docket": row.docket, "kind": row.kind, "status": row.status}, ""
