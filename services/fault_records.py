"""SQL of the fault service: assets in the network, fault rows, ETR history, the message log.

Every function takes the caller's connection, so a fault change, its history row, its audit row,
the SMS it causes and the processed-message entry commit together or not at all. Times are
written in UTC (SQLite keeps no offset) and read back with `as_utc`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Select, func, insert, select, update

from dialplans.callback_records import cancel_pending
from outages.faults import Fault, FaultLevel
from store import schema as t
from store.network import fault_from_row
from store.timeutil import as_utc


@dataclass(frozen=True, slots=True)
class Asset:
    """A substation, feeder or transformer found by its code."""

    code: str
    level: FaultLevel
    asset_id: int
    company: str
    consumers: int


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


_COMPANY = (
    t.substations.join(t.distribution_centres, t.substations.c.dc_id == t.distribution_centres.c.id)
    .join(t.divisions, t.distribution_centres.c.division_id == t.divisions.c.id)
    .join(t.circles, t.divisions.c.circle_id == t.circles.c.id)
)


def _consumer_count(level: FaultLevel, asset_id: int) -> Select[Any]:
    base = select(func.count()).select_from(
        t.consumers.join(t.transformers, t.consumers.c.transformer_id == t.transformers.c.id)
    )
    if level is FaultLevel.TRANSFORMER:
        return base.where(t.transformers.c.id == asset_id)
    if level is FaultLevel.FEEDER:
        return base.where(t.transformers.c.feeder_id == asset_id)
    return base.join(t.feeders, t.transformers.c.feeder_id == t.feeders.c.id).where(
        t.feeders.c.substation_id == asset_id
    )


def find_assets(conn: Connection, code: str) -> list[Asset]:
    """Every asset (at any level) with this exact code, with its company and consumers."""
    found: list[Asset] = []
    substation_of = {
        FaultLevel.SUBSTATION: (t.substations, t.substations.c.id),
        FaultLevel.FEEDER: (t.feeders, t.feeders.c.substation_id),
    }
    for level, (table, sub_col) in substation_of.items():
        row = conn.execute(
            select(table.c.id, sub_col.label("sub")).where(table.c.code == code)
        ).first()
        if row is not None:
            found.append(_asset(conn, code, level, int(row.id), int(row.sub)))
    row = conn.execute(
        select(t.transformers.c.id, t.feeders.c.substation_id.label("sub"))
        .join(t.feeders, t.transformers.c.feeder_id == t.feeders.c.id)
        .where(t.transformers.c.code == code)
    ).first()
    if row is not None:
        found.append(_asset(conn, code, FaultLevel.TRANSFORMER, int(row.id), int(row.sub)))
    return found


def _asset(conn: Connection, code: str, level: FaultLevel, asset_id: int, sub: int) -> Asset:
    company = conn.execute(
        select(t.circles.c.company).select_from(_COMPANY).where(t.substations.c.id == sub)
    ).scalar_one()
    consumers = int(conn.execute(_consumer_count(level, asset_id)).scalar_one())
    return Asset(code, level, asset_id, str(company), consumers)


def consumer_ivrs_under(conn: Connection, asset: Asset) -> list[str]:
    """IVRS numbers of the consumers supplied through the asset."""
    query = _consumer_count(asset.level, asset.asset_id).with_only_columns(t.consumers.c.ivrs)
    return [str(ivrs) for ivrs in conn.execute(query).scalars()]


def cancel_sql_callbacks(conn: Connection, asset: Asset, now: datetime) -> list[tuple[str, str]]:
    """Cancel the pending callbacks booked through Asterisk by consumers supplied through the
    asset, in the restoration's transaction; (number, language) of each, to tell them."""
    consumers = _consumer_count(asset.level, asset.asset_id).with_only_columns(t.consumers.c.id)
    return cancel_pending(conn, consumers.scalar_subquery(), now)


def latest_fault(conn: Connection, asset: Asset) -> Fault | None:
    """The most recent fault on the asset (restored or not)."""
    row = conn.execute(
        select(t.faults)
        .where(t.faults.c.asset_code == asset.code, t.faults.c.level == asset.level.value)
        .order_by(t.faults.c.started_at.desc(), t.faults.c.id.desc())
    ).first()
    return None if row is None else fault_from_row(row)


def insert_fault(
    conn: Connection, fault: Fault, *, company: str, source: str, message_id: str
) -> int:
    result = conn.execute(insert(t.faults).values(
        level=fault.level.value, asset_code=fault.asset_code, company=company,
        cause=fault.cause.value, started_at=_utc(fault.started_at), etr=_utc(fault.etr),
        restored_at=None, force_majeure=fault.force_majeure,
        consumers_affected=fault.consumers_affected, source=source, message_id=message_id,
    ))  # fmt: skip
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def set_etr(conn: Connection, fault_id: int, etr: datetime, *, at: datetime, source: str) -> None:
    conn.execute(update(t.faults).where(t.faults.c.id == fault_id).values(etr=_utc(etr)))
    add_etr_history(conn, fault_id, etr, at=at, source=source)


def add_etr_history(
    conn: Connection, fault_id: int, etr: datetime | None, *, at: datetime, source: str
) -> None:
    conn.execute(insert(t.fault_etr_history).values(
        fault_id=fault_id, etr=_utc(etr), set_at=_utc(at), source=source))  # fmt: skip


def close_fault(conn: Connection, fault_id: int, restored_at: datetime) -> None:
    conn.execute(
        update(t.faults).where(t.faults.c.id == fault_id).values(restored_at=_utc(restored_at))
    )


def stored_result(conn: Connection, message_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(t.fault_messages.c.result).where(t.fault_messages.c.message_id == message_id)
    ).first()
    return None if row is None else dict(row.result)


def record_message(
    conn: Connection, message_id: str, *, sender: str, at: datetime, result: dict[str, Any]
) -> None:
    values = {"message_id": message_id, "sender": sender[:40], "received_at": _utc(at)}
    conn.execute(insert(t.fault_messages).values(**values, result=result))


def audit(
    conn: Connection, *, at: datetime, actor: str, action: str, subject: str, detail: Any
) -> None:
    values = {"at": _utc(at), "actor": actor[:60], "action": action[:60], "subject": subject[:80]}
    conn.execute(insert(t.audit_log).values(**values, detail=detail))


def pending_subscriptions(conn: Connection, fault_id: int) -> list[Any]:
    return list(conn.execute(select(t.restore_subscriptions).where(
        t.restore_subscriptions.c.fault_id == fault_id,
        t.restore_subscriptions.c.notified_at.is_(None),
    ).order_by(t.restore_subscriptions.c.id)))  # fmt: skip


def mark_notified(conn: Connection, ids: Iterable[int], at: datetime) -> None:
    chosen = list(ids)
    if chosen:
        conn.execute(update(t.restore_subscriptions).where(
            t.restore_subscriptions.c.id.in_(chosen)).values(notified_at=_utc(at)))  # fmt: skip


def languages_of(conn: Connection, numbers: Iterable[str]) -> dict[str, str]:
    """Remembered languages of callers, by number."""
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    query = select(t.caller_preferences.c.number, t.caller_preferences.c.language).where(
        t.caller_preferences.c.number.in_(wanted)
    )
    return {row.number: row.language for row in conn.execute(query)}


def active_faults(conn: Connection) -> list[tuple[str, str, Fault]]:
    """(company, source, fault) for every fault not restored, newest first."""
    query = select(t.faults).where(t.faults.c.restored_at.is_(None))
    rows = conn.execute(query.order_by(t.faults.c.started_at.desc(), t.faults.c.id.desc()))
    return [(row.company, row.source, fault_from_row(row)) for row in rows]


def iso(moment: datetime | None) -> str | None:
    utc = as_utc(moment)
    return None if utc is None else utc.isoformat()
