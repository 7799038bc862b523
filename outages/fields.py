"""Reading typed fields out of a JSON-like mapping, collecting every problem as it goes.

The feed API hands us plain dicts; a peer that sends a bad one deserves to hear about all its
mistakes at once, each named by the path of the field, rather than the first one only. So
`FieldReader` never raises: each getter returns the value or None and appends a `MessageError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from outages.etr import check_etr, parse_clock, resolve_clock_etr

E = TypeVar("E", bound=StrEnum)

# Tolerated clock difference between a feed and us for times that must not lie in the future.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class MessageError:
    """One thing wrong with a message: the field path and what is wrong with it."""

    path: str
    message: str


class FieldReader:
    """Typed access to `payload`; problems go to `errors` (shared with the caller)."""

    def __init__(self, payload: Mapping[str, object], errors: list[MessageError]) -> None:
        self._payload = payload
        self.errors = errors

    def _fail(self, path: str, message: str) -> None:
        self.errors.append(MessageError(path, message))

    def text(self, key: str, *, required: bool = True) -> str | None:
        """A non-blank string, stripped."""
        value = self._payload.get(key)
        if value is None:
            if required:
                self._fail(key, "is required")
            return None
        if not isinstance(value, str) or not value.strip():
            self._fail(key, f"must be a non-empty string, got {value!r}")
            return None
        return value.strip()

    def choice(self, key: str, kind: type[E], *, required: bool = True) -> E | None:
        """One of an enumeration's values, case-insensitive."""
        value = self.text(key, required=required)
        if value is None:
            return None
        try:
            return kind(value.lower())
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            self._fail(key, f"must be one of {allowed}; got {value!r}")
            return None

    def boolean(self, key: str, *, default: bool) -> bool:
        """A JSON boolean (not a string or a number)."""
        value = self._payload.get(key, default)
        if not isinstance(value, bool):
            self._fail(key, f"must be true or false, got {value!r}")
            return default
        return value

    def count(self, key: str) -> int | None:
        """An optional whole number >= 0."""
        value = self._payload.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self._fail(key, f"must be a whole number >= 0, got {value!r}")
            return None
        return value

    def etr(self, key: str, now: datetime, *, required: bool) -> datetime | None:
        """An ETR: ISO 8601 with an offset, or HH:MM local to `now`; checked against `now`."""
        value = self.text(key, required=required)
        if value is None:
            return None
        clock = parse_clock(value)
        if clock is not None:
            resolved = resolve_clock_etr(clock, now)
            if isinstance(resolved, datetime):
                return resolved
            self._fail(key, f"{resolved.value} ({value})")
            return None
        etr = self._aware(key, value, "ISO 8601 with an offset or HH:MM")
        if etr is None:
            return None
        problem = check_etr(etr, now)
        if problem is not None:
            self._fail(key, f"{problem.value} ({value})")
            return None
        return etr

    def past_instant(self, key: str, now: datetime) -> datetime | None:
        """An optional ISO 8601 time with an offset that is not in the future."""
        value = self.text(key, required=False)
        if value is None:
            return None
        instant = self._aware(key, value, "ISO 8601 with an offset")
        if instant is not None and instant > now + CLOCK_SKEW:
            self._fail(key, f"is in the future ({value})")
            return None
        return instant

    def _aware(self, key: str, value: str, form: str) -> datetime | None:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self._fail(key, f"must be {form}, got {value!r}")
            return None
        if parsed.tzinfo is None:
            self._fail(key, f"needs a UTC offset such as +05:30, got {value!r}")
            return None
        return parsed

    def unknown_keys(self, allowed: frozenset[str]) -> None:
        """Report every key not in `allowed` (catches typos such as "eta")."""
        for key in sorted(set(self._payload) - allowed):
            self._fail(key, "is not a field of this message")
