"""SQL of the outage SMS: who a fault cuts off, where faults sit, and the notice rows.

A notice row (`outage_notices`) says a mobile was told of a fault (`outage_sms_id`: its outage
SMS) or follows it silently, covered by an earlier notice (`outage_sms_id` NULL); its
`latest_sms_id` is the last SMS about that fault (outage or ETR update), `told_etr` the ETR
it carried. Every function takes the fault service's connection, so notices commit with the
fault change that caused them. Statements work on whole sets of rows (one UPDATE with a
sub-select, one multi-row INSERT), never a statement per consumer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, exists, insert, select, union, update

from outages.faults import Fault, FaultLevel
from outages.notices import Place, place_of
from services.fault_records import Asset
from store import schema as t
from store.network import fault_from_row
from store.timeutil import as_utc

n = t.outage_notices
LANGUAGES = ("hi", "en")


@dataclass(frozen=True, slots=True)
class Follower:
    """A notice row with the state of its outage SMS (None when covered)."""

    id: int
    mobile: str
    language: str
    outage_sms_id: int | None
    status: str | None
    attempts: int
    told_etr: datetime | None


def utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


def mobiles_under(conn: Connection, asset: Asset) -> list[tuple[str, str]]:
    """(mobile, language) of everyone the asset supplies; a mobile on several connections is
    listed once, in the language of its first connection (Hindi when the record has none)."""
    supply = t.consumers.join(
        t.transformers, t.consumers.c.transformer_id == t.transformers.c.id
    ).join(t.consumer_mobiles, t.consumer_mobiles.c.consumer_id == t.consumers.c.id)
    query = select(t.consumer_mobiles.c.mobile, t.consumers.c.language)
    if asset.level is FaultLevel.TRANSFORMER:
        query = query.select_from(supply).where(t.transformers.c.id == asset.asset_id)
    elif asset.level is FaultLevel.FEEDER:
        query = query.select_from(supply).where(t.transformers.c.feeder_id == asset.asset_id)
    else:
        with_feeders = supply.join(t.feeders, t.transformers.c.feeder_id == t.feeders.c.id)
        query = query.select_from(with_feeders).where(t.feeders.c.substation_id == asset.asset_id)
    found: dict[str, str] = {}
    for mobile, language in conn.execute(query.order_by(t.consumers.c.id)):
        found.setdefault(str(mobile), language if language in LANGUAGES else "hi")
    return list(found.items())


def place_of_asset(conn: Connection, asset: Asset) -> Place:
    """The asset's place: its code with those of the feeder and substation above it."""
    if asset.level is FaultLevel.SUBSTATION:
        return place_of(asset.code)
    if asset.level is FaultLevel.FEEDER:
        row = conn.execute(
            select(t.substations.c.code)
            .join(t.feeders, t.feeders.c.substation_id == t.substations.c.id)
            .where(t.feeders.c.id == asset.asset_id)
        ).one()
        return place_of(row.code, asset.code)
    row = conn.execute(
        select(t.substations.c.code.label("sub"), t.feeders.c.code.label("feeder"))
        .select_from(_transformer_path())
        .where(t.transformers.c.id == asset.asset_id)
    ).one()
    return place_of(row.sub, row.feeder, asset.code)


def _transformer_path() -> Any:
    return t.transformers.join(t.feeders, t.transformers.c.feeder_id == t.feeders.c.id).join(
        t.substations, t.feeders.c.substation_id == t.substations.c.id
    )


def active_places(conn: Connection) -> list[tuple[Fault, Place]]:
    """Every active fault whose asset is in the network, with its place (three queries)."""
    active = t.faults.c.restored_at.is_(None)
    found: list[tuple[Fault, Place]] = []
    subs = select(t.faults).where(active, t.faults.c.level == FaultLevel.SUBSTATION.value)
    found += [(fault_from_row(row), place_of(row.asset_code)) for row in conn.execute(subs)]
    feeders = (
        select(t.faults, t.substations.c.code.label("sub"))
        .join(t.feeders, t.feeders.c.code == t.faults.c.asset_code)
        .join(t.substations, t.feeders.c.substation_id == t.substations.c.id)
        .where(active, t.faults.c.level == FaultLevel.FEEDER.value)
    )
    found += [(fault_from_row(r), place_of(r.sub, r.asset_code)) for r in conn.execute(feeders)]
    transformers = (
        select(t.faults, t.substations.c.code.label("sub"), t.feeders.c.code.label("feeder"))
        .select_from(t.faults.join(_transformer_path(),
                                   t.transformers.c.code == t.faults.c.asset_code))
        .where(active, t.faults.c.level == FaultLevel.TRANSFORMER.value)
    )  # fmt: skip
    for row in conn.execute(transformers):
        found.append((fault_from_row(row), place_of(row.sub, row.feeder, row.asset_code)))
    return found


def told_since(conn: Connection, fault_ids: Sequence[int], since: datetime) -> set[str]:
    """Mobiles with an outage SMS about one of the faults queued since then and not cancelled
    or failed (sent, or about to be)."""
    if not fault_ids:
        return set()
    query = (
        select(n.c.mobile)
        .join(t.outbox, t.outbox.c.id == n.c.outage_sms_id)
        .where(
            n.c.fault_id.in_(fault_ids),
            t.outbox.c.created_at >= utc(since),
            t.outbox.c.status.in_(("queued", "sent")),
        )
    )
    return {str(mobile) for mobile in conn.execute(query).scalars()}


def insert_notices(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Rows of `fault_id, mobile, language, outage_sms_id, latest_sms_id, told_etr,
    created_at` (times in UTC)."""
    if rows:
        conn.execute(insert(n), list(rows))


def refresh_unsent(conn: Connection, fault_id: int, *, kind: str, language: str, body: str) -> int:
    """Give the not yet sent SMS of this kind about the fault a new text (a new ETR)."""
    latest = select(n.c.latest_sms_id).where(n.c.fault_id == fault_id, n.c.language == language)
    result = conn.execute(
        update(t.outbox)
        .where(t.outbox.c.id.in_(latest), t.outbox.c.kind == kind, _unsent())
        .values(body=body)
    )
    return int(result.rowcount or 0)


def mark_unsent_told(conn: Connection, fault_id: int, etr: datetime | None) -> None:
    """Notices whose latest SMS is still unsent will carry `etr` (see `refresh_unsent`)."""
    unsent = exists().where(t.outbox.c.id == n.c.latest_sms_id, _unsent())
    conn.execute(update(n).where(n.c.fault_id == fault_id, unsent).values(told_etr=utc(etr)))


def _unsent() -> Any:
    # Not sent and not claimed by a worker: its text may still change, or it may be cancelled.
    return and_(t.outbox.c.status == "queued", t.outbox.c.attempts == 0)


def followers(conn: Connection, fault_id: int, *, told_only: bool = False) -> list[Follower]:
    """The fault's notice rows with their outage SMS state (`told_only`: only rows whose
    outage SMS was sent or is being sent)."""
    query = (
        select(n.c.id, n.c.mobile, n.c.language, n.c.outage_sms_id, n.c.told_etr,
               t.outbox.c.status, t.outbox.c.attempts)
        .outerjoin(t.outbox, t.outbox.c.id == n.c.outage_sms_id)
        .where(n.c.fault_id == fault_id)
        .order_by(n.c.id)
    )  # fmt: skip
    if told_only:
        query = query.where(t.outbox.c.status.in_(("queued", "sent")))
    return [
        Follower(int(r.id), str(r.mobile), str(r.language), r.outage_sms_id, r.status,
                 int(r.attempts or 0), as_utc(r.told_etr))
        for r in conn.execute(query)
    ]  # fmt: skip


def set_latest(
    conn: Connection, changes: Iterable[tuple[int, int, datetime | None]], *, first: bool = False
) -> None:
    """(notice id, SMS id, ETR told) for notices just sent an SMS; `first`: it is their
    outage SMS (a covered mobile being told)."""
    values: dict[str, Any] = {"latest_sms_id": bindparam("sms"), "told_etr": bindparam("etr")}
    if first:
        values["outage_sms_id"] = bindparam("sms")
    params = [{"notice": i, "sms": sms, "etr": utc(etr)} for i, sms, etr in changes]
    if params:
        conn.execute(update(n).where(n.c.id == bindparam("notice")).values(values), params)


def cancel_unsent(conn: Connection, fault_id: int, *, reason: str) -> int:
    """Cancel every notice SMS about the fault not sent yet (a worker sending one right now
    still marks it sent). Returns how many were cancelled."""
    ids = union(
        select(n.c.outage_sms_id).where(n.c.fault_id == fault_id),
        select(n.c.latest_sms_id).where(n.c.fault_id == fault_id),
    )
    result = conn.execute(
        update(t.outbox)
        .where(t.outbox.c.id.in_(select(ids.subquery())), t.outbox.c.status == "queued")
        .values(status="cancelled", error=reason)
    )
    return int(result.rowcount or 0)


def notices_of_same_mobiles(
    conn: Connection, fault_id: int, other_ids: Sequence[int]
) -> list[tuple[int, int, str, str, int | None]]:
    """(notice id, fault id, mobile, language, outage SMS id) of the notices on `other_ids`
    held by mobiles that also have one on `fault_id`."""
    if not other_ids:
        return []
    mine = n.alias("mine")
    query = (
        select(n.c.id, n.c.fault_id, n.c.mobile, n.c.language, n.c.outage_sms_id)
        .join(mine, and_(mine.c.mobile == n.c.mobile, mine.c.fault_id == fault_id))
        .where(n.c.fault_id.in_(other_ids))
        .order_by(n.c.id)
    )
    return [(int(r.id), int(r.fault_id), str(r.mobile), str(r.language), r.outage_sms_id)
            for r in conn.execute(query)]  # fmt: skip
