"""Console accounts: people who log in to the console, their role and their password hash.

Passwords are hashed with Argon2id (argon2-cffi's `PasswordHasher`, its recommended
parameters); a hash made with older parameters is replaced at the next successful login. An
unknown username costs the same hashing work as a known one, so response times do not reveal
which accounts exist. Roles: `operator` (tied to one operator of the routing service),
`supervisor` and `admin`. Expected refusals are values (`None`); a bad new account raises
`UserError` with a message fit for the person who typed it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from store import schema as t

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")
MIN_PASSWORD = 8


class UserError(ValueError):
    """A new account or password was refused; the message says why."""


class UserRole(StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    role: UserRole
    operator_id: str | None
    active: bool


def _user(row: object) -> User:
    m = row._mapping  # type: ignore[attr-defined]
    return User(m["id"], m["username"], UserRole(m["role"]), m["operator_id"], bool(m["active"]))


class SqlUsers:
    def __init__(self, engine: Engine, hasher: PasswordHasher | None = None) -> None:
        self._engine = engine
        self._hasher = hasher or PasswordHasher()
        # Verified against when the username is unknown, to spend the same time.
        self._decoy = self._hasher.hash("decoy password, never valid")

    def add(
        self,
        username: str,
        password: str,
        role: UserRole,
        now: datetime,
        *,
        operator_id: str | None = None,
    ) -> User:
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise UserError("a username is 3-60 characters: lower-case letters, digits, . _ -")
        _check_password(password)
        if role is UserRole.OPERATOR and not operator_id:
            raise UserError("an operator login needs --operator ID (e.g. cz-op01)")
        with self._engine.begin() as conn:
            if (
                operator_id is not None
                and conn.execute(
                    select(t.operators.c.id).where(t.operators.c.id == operator_id)
                ).first()
                is None
            ):
                raise UserError(f"unknown operator {operator_id!r}")
            try:
                inserted = conn.execute(
                    insert(t.users).values(
                        username=username,
                        password_hash=self._hasher.hash(password),
                        role=role.value,
                        operator_id=operator_id,
                        active=True,
                        created_at=now,
                    )
                ).inserted_primary_key
            except IntegrityError:
                raise UserError(f"the username {username!r} is taken") from None
        assert inserted is not None
        return User(int(inserted[0]), username, role, operator_id, True)

    def authenticate(self, username: str, password: str, now: datetime) -> User | None:
        """The active user with this password, or None; records the login time."""
        with self._engine.connect() as conn:
            row = conn.execute(
                select(t.users).where(t.users.c.username == username.strip().lower())
            ).first()
        if row is None or not row.active:
            self._verify(self._decoy, password)
            return None
        if not self._verify(row.password_hash, password):
            return None
        values: dict[str, object] = {"last_login_at": now}
        if self._hasher.check_needs_rehash(row.password_hash):
            values["password_hash"] = self._hasher.hash(password)
        with self._engine.begin() as conn:
            conn.execute(update(t.users).where(t.users.c.id == row.id).values(**values))
        return _user(row)

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def get(self, user_id: int) -> User | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(t.users).where(t.users.c.id == user_id)).first()
        return None if row is None else _user(row)

    def all(self) -> list[User]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(t.users).order_by(t.users.c.username)).all()
        return [_user(row) for row in rows]

    def set_password(self, username: str, password: str) -> bool:
        _check_password(password)
        with self._engine.begin() as conn:
            done = conn.execute(
                update(t.users)
                .where(t.users.c.username == username)
                .values(password_hash=self._hasher.hash(password))
            )
        return bool(done.rowcount)

    def set_active(self, username: str, active: bool) -> bool:
        with self._engine.begin() as conn:
            done = conn.execute(
                update(t.users).where(t.users.c.username == username).values(active=active)
            )
        return bool(done.rowcount)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > 256:
        raise UserError("a password may have at most 256 characters")
