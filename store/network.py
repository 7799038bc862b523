"""Reading the network and consumer records: who is calling, where their supply comes from,
what is broken there, their bill and their applications.

Every answer is a plain dict ready for the IVR session (JSON), with times as ISO strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, and_, bindparam, or_, select

from outages.faults import Cause, Fault, FaultLevel, SupplyPoint, covering_fault
from store import schema as t
from store.timeutil import as_utc

_CONSUMER_COLUMNS = (
    t.consumers.c.id,
    t.consumers.c.ivrs,
    t.consumers.c.company,
    t.consumers.c.name,
    t.consumers.c.name_hi,
    t.consumers.c.address,
    t.consumers.c.area,
    t.consumers.c.category,
    t.consumers.c.language,
    t.transformers.c.code.label("transformer_code"),
    t.feeders.c.code.label("feeder_code"),
    t.substations.c.code.label("substation_code"),
    t.transformers.c.dc_id.label("dc_id"),
)
_JOINED = (
    t.consumers.join(t.transformers, t.consumers.c.transformer_id == t.transformers.c.id)
    .join(t.feeders, t.transformers.c.feeder_id == t.feeders.c.id)
    .join(t.substations, t.feeders.c.substation_id == t.substations.c.id)
)


def _consumer(row: Row[Any]) -> dict[str, Any]:
    data = dict(row._mapping)
    data["ending"] = data["ivrs"][-4:]
    return data


class SqlNetwork:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._by_ivrs = select(*_CONSUMER_COLUMNS).select_from(_JOINED)
        # The lookups on a caller's path, built once (each call asks them).
        self._ivrs_query = self._by_ivrs.where(t.consumers.c.ivrs == bindparam("ivrs"))
        self._mobile_query = (
            self._by_ivrs.join(
                t.consumer_mobiles, t.consumer_mobiles.c.consumer_id == t.consumers.c.id
            )
            .where(t.consumer_mobiles.c.mobile == bindparam("mobile"))
            .order_by(t.consumers.c.ivrs)
        )
        self._faults_query = select(t.faults).where(
            and_(t.faults.c.restored_at.is_(None),
                 t.faults.c.asset_code.in_(bindparam("codes", expanding=True)))
        )  # fmt: skip

    def consumer_by_ivrs(self, ivrs: str) -> dict[str, Any] | None:
        with self._engine.connect() as conn:
            row = conn.execute(self._ivrs_query, {"ivrs": ivrs}).first()
        return None if row is None else _consumer(row)

    def consumer(self, consumer_id: int) -> dict[str, Any] | None:
        with self._engine.connect() as conn:
            row = conn.execute(self._by_ivrs.where(t.consumers.c.id == consumer_id)).first()
        return None if row is None else _consumer(row)

    def consumers_by_mobile(self, mobile: str) -> list[dict[str, Any]]:
        with self._engine.connect() as conn:
            return [_consumer(row) for row in conn.execute(self._mobile_query, {"mobile": mobile})]

    def active_faults(self, codes: list[str]) -> list[Fault]:
        with self._engine.connect() as conn:
            return [fault_from_row(row) for row in conn.execute(self._faults_query,
                                                                {"codes": codes})]  # fmt: skip

    def covering_fault(self, consumer: dict[str, Any], now: datetime) -> Fault | None:
        point = SupplyPoint(
            substation_code=consumer["substation_code"],
            feeder_code=consumer["feeder_code"],
            transformer_code=consumer["transformer_code"],
        )
        codes = [consumer["substation_code"], consumer["feeder_code"], consumer["transformer_code"]]
        return covering_fault(point, self.active_faults(codes), now)

    def bill(self, consumer_id: int) -> dict[str, Any] | None:
        query = select(t.consumers.c.bill_amount_paise, t.consumers.c.bill_due).where(
            t.consumers.c.id == consumer_id
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or not row.bill_amount_paise or row.bill_due is None:
            return None
        return {"amount_paise": row.bill_amount_paise, "due_date": row.bill_due.isoformat()}

    def application(self, number: str) -> dict[str, Any] | None:
        query = select(t.applications).where(t.applications.c.number == number)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return {
            "number": row.number,
            "status": row.status,
            "updated_on": row.updated_on.isoformat(),
        }

    def search_consumers(self, text: str, limit: int = 20) -> list[dict[str, Any]]:
        like = f"%{text}%"
        query = (
            self._by_ivrs.outerjoin(
                t.consumer_mobiles, t.consumer_mobiles.c.consumer_id == t.consumers.c.id
            )
            .where(
                or_(
                    t.consumers.c.ivrs == text,
                    t.consumer_mobiles.c.mobile == text,
                    t.consumers.c.name.ilike(like),
                )
            )
            .distinct()
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [_consumer(row) for row in conn.execute(query)]


def fault_from_row(row: Row[Any]) -> Fault:
    started = as_utc(row.started_at)
    assert started is not None
    return Fault(
        id=str(row.id),
        level=FaultLevel(row.level),
        asset_code=row.asset_code,
        cause=Cause(row.cause),
        started_at=started,
        etr=as_utc(row.etr),
        restored_at=as_utc(row.restored_at),
        force_majeure=bool(row.force_majeure),
        consumers_affected=int(row.consumers_affected),
    )


def fault_as_dict(fault: Fault) -> dict[str, Any]:
    return {
        "id": int(fault.id),
        "level": fault.level.value,
        "asset_code": fault.asset_code,
        "cause": fault.cause.value,
        "started_at": fault.started_at.isoformat(),
        "etr": fault.etr.isoformat() if fault.etr else None,
        "force_majeure": fault.force_majeure,
        "consumers_affected": fault.consumers_affected,
    }
