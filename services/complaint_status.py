"""What the IVR tells a caller about complaints, and complaints reported by transformer code.

Main menu 7 first offers the latest complaint of the caller's connections (the identified
consumer and every connection registered to the calling mobile), unresolved ones first; the
caller may also key a docket's 13 digits. A keyed docket whose check digit fails is "not a
valid complaint number" (None, so the flow re-asks); one that belongs to another company is
refused (`other_company`), since the caller's company cannot speak for it; an unknown one is
`missing`. A rural transformer is reported by the 10-digit code painted on its pole: the
complaint goes to that transformer's distribution centre, linked to any fault covering it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, case, or_, select

from complaints.docket import Company, ValidDocket, parse_docket
from complaints.kinds import ComplaintKind
from services.complaint_records import UNRESOLVED, by_docket
from store import schema as t
from store.complaints_sql import Registration, SqlComplaints
from store.network import SqlNetwork
from store.timeutil import as_utc


def status_view(row: Row[Any]) -> dict[str, Any]:
    """A complaint as the status prompts read it; `due` only while it is unresolved."""
    deadline = as_utc(row.deadline)
    open_ = row.status in {s.value for s in UNRESOLVED}
    return {
        "id": row.id,
        "docket": row.docket,
        "status": row.status,
        "kind": row.kind,
        "company": row.company,
        "due": deadline.isoformat() if deadline is not None and open_ else None,
        "registered_at": (as_utc(row.registered_at) or deadline or datetime.min).isoformat(),
    }


def latest_complaint(
    engine: Engine, *, consumer_id: int | None, caller: str | None
) -> dict[str, Any] | None:
    """The latest complaint of the caller's connections, unresolved ones first."""
    owners = [t.complaints.c.consumer_id == consumer_id] if consumer_id is not None else []
    if caller:
        owners.append(
            t.complaints.c.consumer_id.in_(
                select(t.consumer_mobiles.c.consumer_id).where(
                    t.consumer_mobiles.c.mobile == caller
                )
            )
        )
    if not owners:
        return None
    unresolved = [s.value for s in UNRESOLVED]
    query = (
        select(t.complaints)
        .where(or_(*owners), t.complaints.c.anonymous.is_(False))
        .order_by(
            case((t.complaints.c.status.in_(unresolved), 0), else_=1),
            t.complaints.c.registered_at.desc(),
            t.complaints.c.id.desc(),
        )
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else status_view(row)


def complaint_by_docket(
    engine: Engine, keyed: str, *, company: str | None
) -> dict[str, Any] | None:
    """A keyed docket: the complaint, `{"other_company": ...}`, `{"missing": True}`, or None
    when it is not a valid complaint number."""
    check = parse_docket(keyed)
    if not isinstance(check, ValidDocket):
        return None
    own = (Company(company),) if company is not None and company in Company.__members__ else None
    with engine.connect() as conn:
        mine = by_docket(conn, check, own)
        if mine is not None and (own is None or mine.company == company):
            return status_view(mine)
        anyone = mine or by_docket(conn, check)
    if anyone is None:
        return {"missing": True}
    return {"other_company": True, "company": anyone.company}


def transformer_by_code(engine: Engine, code: str) -> dict[str, Any] | None:
    """A transformer by its painted code, with its centre, company and supply chain."""
    query = (
        select(
            t.transformers.c.id,
            t.transformers.c.code,
            t.transformers.c.name,
            t.transformers.c.dc_id,
            t.distribution_centres.c.area,
            t.circles.c.company,
            t.feeders.c.code.label("feeder_code"),
            t.substations.c.code.label("substation_code"),
        )
        .select_from(
            t.transformers.join(t.feeders, t.transformers.c.feeder_id == t.feeders.c.id)
            .join(t.substations, t.feeders.c.substation_id == t.substations.c.id)
            .join(t.distribution_centres, t.transformers.c.dc_id == t.distribution_centres.c.id)
            .join(t.divisions, t.distribution_centres.c.division_id == t.divisions.c.id)
            .join(t.circles, t.divisions.c.circle_id == t.circles.c.id)
        )
        .where(t.transformers.c.code == code.strip())
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    data = dict(row._mapping)
    data["transformer_code"] = data["code"]
    return data


def register_by_transformer(
    complaints: SqlComplaints,
    network: SqlNetwork,
    transformer: Mapping[str, Any],
    *,
    now: datetime,
    channel: str,
    reporter: Mapping[str, Any] | None = None,
    kind: ComplaintKind = ComplaintKind.TRANSFORMER,
    request_key: str | None = None,
    call_id: str | None = None,
    notify_mobile: str | None = None,
    language: str = "hi",
) -> dict[str, Any]:
    """Register a complaint about a transformer (from `transformer_by_code`) at its centre.

    The reporter (an identified consumer, if any) is named in the field SMS; the SoP limit is
    that of the transformer's centre (urban/rural)."""
    fault = network.covering_fault(dict(transformer), now)
    who = reporter or {}
    consumer = {
        "id": who.get("id"),
        "company": transformer["company"],
        "dc_id": transformer["dc_id"],
        "area": transformer["area"],
        "name": who.get("name", "-"),
        "address": f"transformer {transformer['code']} ({transformer['name']})",
        "feeder_code": transformer["feeder_code"],
        "transformer_code": transformer["code"],
    }
    return complaints.register(
        Registration(
            kind=kind,
            company=str(transformer["company"]),
            consumer=consumer,
            channel=channel,
            request_key=request_key,
            call_id=call_id,
            fault_id=int(fault.id) if fault is not None else None,
            notify_mobile=notify_mobile,
            language=language,
            remarks=f"reported by transformer code {transformer['code']}",
        ),
        now,
    )
