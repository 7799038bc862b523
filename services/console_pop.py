"""What an operator sees when a call reaches them (the screen pop), and a consumer's record.

`screen_pop` joins the call's IVR session (Redis: language, the node it stopped at, its
outcome, what the caller keyed and heard) with the consumer's records (SQL: supply point,
active faults with ETR, recent complaints and calls). Everything is returned as plain dicts
for the templates; times stay timezone-aware (the page shows them in the helpline's zone). A
call the IVR could not identify still pops, with the caller's number and no consumer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from outages.faults import Fault
from services.container import Services
from store import schema as t
from store.timeutil import as_utc

RECENT = 5


def screen_pop(services: Services, call_id: str, now: datetime) -> dict[str, Any]:
    """The pop for a call: {"call": …, "consumer": … or None, plus the consumer's records}."""
    session = services.calls.current(call_id)
    call: dict[str, Any] = {"id": call_id, "known": session is not None}
    consumer_id: int | None = None
    if session is not None:
        caller = session.vars.get("caller")
        number = caller.get("number") if isinstance(caller, dict) else session.caller
        call |= {
            "caller": number or session.caller,
            "channel": session.channel,
            "language": session.language,
            "node": session.node,
            "outcome": session.outcome.describe() if session.outcome else None,
            "trail": ivr_trail(session.vars),
        }
        registered = session.vars.get("complaint")
        if isinstance(registered, dict) and registered.get("docket"):
            call["docket"] = registered["docket"]  # the caller already heard this docket
        consumer = session.vars.get("consumer")
        if isinstance(consumer, dict) and isinstance(consumer.get("id"), int):
            consumer_id = consumer["id"]
        elif call["caller"]:
            matches = services.network.consumers_by_mobile(str(call["caller"]))
            call["matches"] = matches
            if len(matches) == 1:
                consumer_id = matches[0]["id"]
    card = consumer_card(services, consumer_id, now) if consumer_id is not None else {}
    return {"call": call, **card}


def ivr_trail(variables: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What the caller did in the IVR, as (label, value) lines an operator can read."""
    lines: list[tuple[str, str]] = []
    if isinstance(variables.get("consumer"), dict):
        ivrs = variables["consumer"].get("ivrs", "")
        lines.append(("Identified as / पहचान", f"IVRS {ivrs}"))
    if variables.get("ivrs"):
        lines.append(("Keyed IVRS / डाला गया IVRS", str(variables["ivrs"])))
    fault = variables.get("fault")
    if isinstance(fault, dict):
        lines.append(
            (
                "Heard fault news / फॉल्ट सूचना सुनी",
                f"{fault.get('cause', '')} on {fault.get('asset_code', '')}",
            )
        )
    complaint = variables.get("complaint")
    if isinstance(complaint, dict) and complaint.get("docket"):
        lines.append(("Complaint registered in IVR / IVR में शिकायत", str(complaint["docket"])))
    if variables.get("subscription"):
        lines.append(("Asked for SMS on restoration / बहाली SMS", "yes"))
    shown = {"caller", "connections", "consumer", "ivrs", "fault", "complaint", "subscription"}
    for key, value in variables.items():
        if key not in shown and isinstance(value, str | int | float) and str(value):
            lines.append((key.replace("_", " "), str(value)))
    return lines


def consumer_card(services: Services, consumer_id: int, now: datetime) -> dict[str, Any]:
    """A consumer with mobiles, supply point, active faults, recent complaints and calls."""
    consumer = services.network.consumer(consumer_id)
    if consumer is None:
        return {}
    with services.engine.connect() as conn:
        mobiles = [
            row.mobile
            for row in conn.execute(
                select(t.consumer_mobiles.c.mobile)
                .where(t.consumer_mobiles.c.consumer_id == consumer_id)
                .order_by(t.consumer_mobiles.c.mobile)
            )
        ]
        supply = _supply_point(conn, consumer["transformer_code"])
        complaints = [
            dict(row._mapping)
            for row in conn.execute(
                select(
                    t.complaints.c.id,
                    t.complaints.c.docket,
                    t.complaints.c.kind,
                    t.complaints.c.status,
                    t.complaints.c.registered_at,
                    t.complaints.c.deadline,
                    t.complaints.c.remarks,
                    t.complaints.c.priority,
                )
                .where(t.complaints.c.consumer_id == consumer_id)
                .order_by(t.complaints.c.registered_at.desc())
                .limit(RECENT)
            )
        ]
        who = [t.calls.c.consumer_id == consumer_id]
        if mobiles:
            who.append(t.calls.c.caller.in_(mobiles))
        calls = [
            dict(row._mapping)
            for row in conn.execute(
                select(
                    t.calls.c.call_id,
                    t.calls.c.started_at,
                    t.calls.c.outcome,
                    t.calls.c.docket,
                    t.calls.c.queue,
                    t.calls.c.operator_id,
                )
                .where(or_(*who))
                .order_by(t.calls.c.started_at.desc())
                .limit(RECENT)
            )
        ]
    for row in complaints:
        row["registered_at"], row["deadline"] = (
            as_utc(row["registered_at"]),
            as_utc(row["deadline"]),
        )
    for row in calls:
        row["started_at"] = as_utc(row["started_at"])
    codes = [consumer["substation_code"], consumer["feeder_code"], consumer["transformer_code"]]
    faults = [f for f in services.network.active_faults(codes) if f.is_active(now)]
    return {
        "consumer": consumer | {"mobiles": mobiles},
        "supply": supply,
        "faults": [fault_row(f) for f in faults],
        "complaints": complaints,
        "calls": calls,
    }


def _supply_point(conn: Any, transformer_code: str) -> dict[str, Any]:
    query = (
        select(
            t.distribution_centres.c.name.label("dc"),
            t.distribution_centres.c.code.label("dc_code"),
            t.substations.c.name.label("substation"),
            t.substations.c.code.label("substation_code"),
            t.feeders.c.name.label("feeder"),
            t.feeders.c.code.label("feeder_code"),
            t.transformers.c.name.label("transformer"),
            t.transformers.c.code.label("transformer_code"),
        )
        .select_from(
            t.transformers.join(t.feeders, t.transformers.c.feeder_id == t.feeders.c.id)
            .join(t.substations, t.feeders.c.substation_id == t.substations.c.id)
            .join(t.distribution_centres, t.transformers.c.dc_id == t.distribution_centres.c.id)
        )
        .where(t.transformers.c.code == transformer_code)
    )
    row = conn.execute(query).first()
    return {} if row is None else dict(row._mapping)


def fault_row(fault: Fault) -> dict[str, Any]:
    return {
        "id": int(fault.id),
        "level": fault.level.value,
        "asset_code": fault.asset_code,
        "cause": fault.cause.value,
        "started_at": fault.started_at,
        "etr": fault.etr,
        "consumers_affected": fault.consumers_affected,
        "force_majeure": fault.force_majeure,
    }
