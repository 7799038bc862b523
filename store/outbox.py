"""The SMS outbox: messages are written in the same transaction as what caused them, and a
worker sends them later with retries, so no message is lost when a carrier is slow or down."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from store import schema as t


def queue_sms(
    conn: Connection,
    templates: Mapping[str, Mapping[str, str]],
    *,
    kind: str,
    to: str,
    language: str,
    values: Mapping[str, Any],
    now: datetime,
    key: str | None = None,
) -> int | None:
    """Queue an SMS from a template; a repeated `key` queues nothing. Returns the row id."""
    if key is not None:
        found = conn.execute(select(t.outbox.c.id).where(t.outbox.c.request_key == key)).scalar()
        if found is not None:
            return int(found)
    template = templates[kind]
    body = template.get(language, template["en"]).format_map(_Missing(values))
    result = conn.execute(
        insert(t.outbox).values(
            kind=kind,
            to_number=to,
            body=body,
            template_id=template.get("template_id"),
            request_key=key,
            status="queued",
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )
    )
    return int(result.inserted_primary_key[0])


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "-"
