"""API bearer tokens: created once, shown once, stored only as a hash.

Tokens are 32 random bytes (URL-safe text). Because they carry that much entropy, a SHA-256
digest stored in a unique column is enough to make a stolen table useless and lets a request
be checked with one indexed lookup; passwords, which people choose, use Argon2 instead.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Engine, insert, select, update

from store import schema as t


class Role(StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    FEED = "feed"  # an outage/SCADA system posting fault-status messages


@dataclass(frozen=True, slots=True)
class Principal:
    token_id: int
    role: Role
    operator_id: str | None
    label: str | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SqlTokens:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(
        self, role: Role, now: datetime, *, operator_id: str | None = None, label: str | None = None
    ) -> str:
        if role is Role.OPERATOR and not operator_id:
            raise ValueError("an operator token needs --operator ID")
        token = "h1912_" + secrets.token_urlsafe(32)
        with self._engine.begin() as conn:
            if (
                operator_id is not None
                and conn.execute(
                    select(t.operators.c.id).where(t.operators.c.id == operator_id)
                ).first()
                is None
            ):
                raise ValueError(f"unknown operator {operator_id!r}")
            conn.execute(
                insert(t.api_tokens).values(
                    token_hash=_digest(token),
                    role=role.value,
                    operator_id=operator_id,
                    label=label,
                    created_at=now,
                )
            )
        return token

    def verify(self, token: str) -> Principal | None:
        if not token:
            return None
        with self._engine.connect() as conn:
            row = conn.execute(
                select(t.api_tokens).where(
                    t.api_tokens.c.token_hash == _digest(token), t.api_tokens.c.revoked_at.is_(None)
                )
            ).first()
        if row is None:
            return None
        return Principal(row.id, Role(row.role), row.operator_id, row.label)

    def revoke(self, token_id: int, now: datetime) -> bool:
        with self._engine.begin() as conn:
            done = conn.execute(
                update(t.api_tokens).where(t.api_tokens.c.id == token_id).values(revoked_at=now)
            )
        return bool(done.rowcount)
