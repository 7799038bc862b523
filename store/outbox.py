"""The SMS outbox: messages are written in the same transaction as what caused them, and a
worker sends them later with retries, so no message is lost when a carrier is slow or down.

Each message has a priority: urgent ones (a docket, a reply, a cancelled callback: one person
is waiting for it) leave before bulk ones (notices to everyone a fault cuts off), which the
worker also paces. `queue_sms` queues one message; `queue_bulk_sms` queues one text to many
recipients with a few multi-row inserts, the text rendered once per language.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select

from store import schema as t

_KEYS_PER_QUERY = 500  # bound parameters per lookup; SQLite allows a few thousand at most


class SmsPriority(IntEnum):
    """Lower values leave the outbox first."""

    URGENT = 0
    BULK = 1


@dataclass(frozen=True, slots=True)
class Recipient:
    """One addressee of a bulk message; `key` makes queueing it again a no-op."""

    key: str
    to: str
    language: str


# Built once: a docket's SMS is on the path of a caller waiting to hear the docket.
_BY_KEY = select(t.outbox.c.id).where(t.outbox.c.request_key == bindparam("key"))
_INSERT = insert(t.outbox)


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
    priority: SmsPriority = SmsPriority.URGENT,
    new_key: bool = False,
) -> int | None:
    """Queue an SMS from a template; a repeated `key` queues nothing. Returns the row id.

    `new_key`: the key was made from something created in this same transaction (a new
    docket), so it cannot have been queued before and is not looked for (the unique index
    still guards it)."""
    if key is not None and not new_key:
        found = conn.execute(_BY_KEY, {"key": key}).scalar()
        if found is not None:
            return int(found)
    body, template_id = render_sms(templates, kind, language, values)
    result = conn.execute(_INSERT, _row(kind, to, body, template_id, key, now=now,
                                        priority=priority))  # fmt: skip
    inserted = result.inserted_primary_key
    assert inserted is not None
    return int(inserted[0])


def queue_bulk_sms(
    conn: Connection,
    templates: Mapping[str, Mapping[str, str]],
    *,
    kind: str,
    recipients: Sequence[Recipient],
    values: Mapping[str, Mapping[str, Any]],
    now: datetime,
    priority: SmsPriority = SmsPriority.BULK,
) -> dict[str, int]:
    """Queue one message per recipient; `values` are per language. Returns the row id of
    every recipient's key, whether queued now or before (a repeated key queues nothing)."""
    ids = _existing(conn, [r.key for r in recipients])
    texts: dict[str, tuple[str, str | None]] = {}
    rows = []
    for recipient in recipients:
        if recipient.key in ids:
            continue
        language = recipient.language
        if language not in texts:
            texts[language] = render_sms(templates, kind, language, values.get(language, {}))
        body, template_id = texts[language]
        rows.append(_row(kind, recipient.to, body, template_id, recipient.key, now=now,
                         priority=priority))  # fmt: skip
        ids[recipient.key] = -1  # a key twice in one call is queued once
    if rows:
        # One multi-row INSERT ... RETURNING per thousand rows or so (SQLAlchemy batches it).
        returning = insert(t.outbox).returning(t.outbox.c.id, t.outbox.c.request_key)
        for row_id, key in conn.execute(returning, rows):
            ids[str(key)] = int(row_id)
    return ids


def render_sms(
    templates: Mapping[str, Mapping[str, str]],
    kind: str,
    language: str,
    values: Mapping[str, Any],
) -> tuple[str, str | None]:
    """(body, DLT template id) of a message kind in a language (English when it has none)."""
    template = templates[kind]
    body = template.get(language, template["en"]).format_map(_Missing(values))
    return body, template.get("template_id")


def _row(
    kind: str,
    to: str,
    body: str,
    template_id: str | None,
    key: str | None,
    *,
    now: datetime,
    priority: SmsPriority,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "to_number": to,
        "body": body,
        "template_id": template_id,
        "request_key": key,
        "status": "queued",
        "priority": int(priority),
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }


def _existing(conn: Connection, keys: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(set(keys)), _KEYS_PER_QUERY):
        query = select(t.outbox.c.request_key, t.outbox.c.id).where(
            t.outbox.c.request_key.in_(chunk)
        )
        found.update({str(key): int(row_id) for key, row_id in conn.execute(query)})
    return found


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "-"
