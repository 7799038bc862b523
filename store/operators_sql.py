"""Operators in SQL: who they are, how to reach them, their skills and standby tier."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from routing.operators import Operator, Tier
from routing.queues import Company, Language
from store import schema as t


class SqlOperators:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def all(self, *, active_only: bool = True) -> list[Operator]:
        query = select(t.operators).order_by(t.operators.c.id)
        if active_only:
            query = query.where(t.operators.c.active.is_(True))
        with self._engine.connect() as conn:
            return [operator_from_row(row._mapping) for row in conn.execute(query)]

    def get(self, operator_id: str) -> Operator | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(t.operators).where(t.operators.c.id == operator_id)).first()
        return None if row is None else operator_from_row(row._mapping)

    def is_active(self, operator_id: str) -> bool:
        """False for a deactivated (or unknown) operator: they may not log in."""
        query = select(t.operators.c.active).where(t.operators.c.id == operator_id)
        with self._engine.connect() as conn:
            return bool(conn.execute(query).scalar())


def operator_from_row(row: Any) -> Operator:
    companies = {Company(c) for c in (row["skills"] or []) if c in Company.__members__}
    companies.add(Company(row["company"]))
    return Operator(
        id=row["id"],
        name=row["name"],
        phone=row["phone"] or "",
        sip_interface=row["sip_interface"] or "",
        languages=frozenset(Language(x) for x in row["languages"]),
        companies=frozenset(companies),
        tier=Tier(row["tier"]),
    )
