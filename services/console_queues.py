"""Live queue edits from the console: stored with a version, validated, applied, audited.

An administrator edits a queue's tunables (strategy, timeouts, wrap-up, max length,
announcement frequency, callback threshold, service-level threshold). The edited queue is
validated together with every other queue by the same loader as `config/queues.toml`, so a
console edit can never hold a value the file would refuse. It is stored in the `queues` table
(its full definition as the file's table, plus a version): a save names the version the form
was drawn from, and a save against an older version is refused as stale. The new set is applied
to the own ACD (the routing live state's queue set, and `services.queues` read by the Twilio
wait pages) and carried to Asterisk (`services.asterisk_queues`: its queue file rewritten from
the stored queues, then a `QueueReload` over AMI when a link is up). Other
processes notice the change through a revision counter in Redis (`sync`). Each change writes
one audit entry.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import redis
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from routing.errors import RoutingError
from routing.queues import QueueDefinition, QueueSet, load_queue_definitions
from services.asterisk_queues import update_asterisk
from services.container import Services
from store import schema as t
from store.live import LiveStateUnavailable

log = logging.getLogger(__name__)
REV_KEY = "h1912:queues:rev"
EDITABLE = (
    "strategy",
    "ring_timeout_s",
    "wrapup_s",
    "max_length",
    "announce_frequency_s",
    "callback_offer_s",
    "service_level_s",
)
OPTIONAL = {"callback_offer_s"}  # empty means "off" (`false` in the file)


@dataclass(frozen=True, slots=True)
class SaveResult:
    ok: bool
    version: int
    errors: dict[str, str]
    asterisk: str = ""


def as_table(queue: QueueDefinition) -> dict[str, Any]:
    """A definition in the file's form (`false` for a switched-off optional feature)."""
    table: dict[str, Any] = {"company": queue.company.value, "hazard": queue.hazard}
    if queue.language is not None:
        table["language"] = queue.language.value
    for name in (
        "strategy",
        "weight",
        "caller_priority",
        "ring_timeout_s",
        "wrapup_s",
        "max_length",
        "announce_frequency_s",
        "service_level_s",
    ):
        value = getattr(queue, name)
        table[name] = value.value if hasattr(value, "value") else value
    for name in ("overflow_target", "overflow_after_s", "callback_offer_s"):
        value = getattr(queue, name)
        table[name] = False if value is None else value
    return table


def stored_versions(services: Services) -> dict[str, int]:
    with services.engine.connect() as conn:
        return {
            row.name: int(row.version)
            for row in conn.execute(select(t.queues.c.name, t.queues.c.version))
        }


def stored_set(services: Services, base: QueueSet) -> QueueSet:
    """The file's queues with the stored console edits laid over them."""
    return effective_set(services.engine, base)[0]


def effective_set(engine: Engine, base: QueueSet) -> tuple[QueueSet, dict[str, int]]:
    """The queues in force: `base` (the file's) with every stored console edit laid over it,
    and the version of each edited queue. Raises `RoutingError` if the edits no longer fit
    the file (a queue they overflow to was removed from it)."""
    with engine.connect() as conn:
        rows = {row.name: row for row in conn.execute(select(t.queues))}
    stored = {name: row.definition for name, row in rows.items() if row.definition}
    tables = {q.name: dict(stored.get(q.name) or as_table(q)) for q in base}
    edited = {name: int(rows[name].version) for name in stored if name in tables}
    return load_queue_definitions({"queues": tables}), edited


def parse_form(form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The edited fields as file values, and a message per field that is not a number."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in EDITABLE:
        raw = (form.get(name) or "").strip()
        if name == "strategy":
            values[name] = raw
        elif name in OPTIONAL and raw == "":
            values[name] = False
        else:
            try:
                values[name] = int(raw)
            except ValueError:
                errors[name] = "enter a whole number of seconds / पूर्ण संख्या लिखें"
    return values, errors


def save(
    services: Services,
    name: str,
    form: Mapping[str, str],
    *,
    version: int,
    actor: str,
    now: datetime,
) -> SaveResult:
    """Validate and store one queue's edit; apply it live when stored."""
    current = services.queues
    if name not in current:
        return SaveResult(False, version, {"": f"no queue named {name!r}"})
    values, errors = parse_form(form)
    if errors:
        return SaveResult(False, version, errors)
    tables = {q.name: as_table(q) for q in current}
    before = tables[name]
    tables[name] = {**before, **values}
    try:
        new_set = load_queue_definitions({"queues": tables})
    except RoutingError as exc:  # the message starts with the path: queues.NAME.FIELD: …
        field = str(exc).split(":", 1)[0].rsplit(".", 1)[-1]
        return SaveResult(False, version, {field if field in EDITABLE else "": str(exc)})
    stored = _store(services, name, tables[name], version, now)
    if stored is None:
        return SaveResult(
            False,
            version,
            {
                "": "Someone else changed this queue since you "
                "opened it: reload to see their values."
            },
        )
    changes = {k: [before.get(k), v] for k, v in values.items() if before.get(k) != v}
    with services.engine.begin() as conn:
        conn.execute(
            insert(t.audit_log).values(
                at=now,
                actor=actor,
                action="queue.update",
                subject=name,
                detail={"version": stored, "changes": changes},
            )
        )
    apply(services, new_set)
    try:
        services.redis.incr(REV_KEY)
    except (redis.ConnectionError, redis.TimeoutError):  # stored and applied here; others
        log.warning("queue %s: other processes will see the edit after a restart", name)
    # The queues in force, read from the database (every process's edits), not this process's.
    in_force = partial(stored_set, services, services.queues)
    return SaveResult(True, stored, {}, update_asterisk(services, name, in_force))


def _store(
    services: Services, name: str, table: dict[str, Any], version: int, now: datetime
) -> int | None:
    """Write the definition if `version` is still current; the new version, else None."""
    q = t.queues.c
    with services.engine.begin() as conn:
        if version == 0:
            try:
                conn.execute(
                    insert(t.queues).values(
                        name=name,
                        company=table["company"],
                        definition=table,
                        version=1,
                        updated_at=now,
                    )
                )
            except IntegrityError:
                return None
            return 1
        done = conn.execute(
            update(t.queues)
            .where(q.name == name, q.version == version)
            .values(definition=table, version=version + 1, updated_at=now)
        )
    return version + 1 if done.rowcount == 1 else None


def apply(services: Services, queue_set: QueueSet) -> None:
    """Use a queue set in this process: the ACD's live state and the Twilio wait pages."""
    routing = services.extras.get("routing")
    if routing is not None:
        for queue in queue_set:
            routing.update_queue(queue)
    services.queues = queue_set


def revision(services: Services) -> int:
    """How many queue edits have been saved (any process); moves on every save."""
    try:
        raw = services.redis.get(REV_KEY)
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise LiveStateUnavailable(f"queue revision unreadable: {exc}") from exc
    return int(raw) if raw is not None else 0


def sync(services: Services, base: QueueSet, seen: list[int]) -> None:
    """Re-read the stored edits when another process saved one (`seen` holds the revision)."""
    revision_now = revision(services)
    if revision_now != seen[0]:
        apply(services, stored_set(services, base))
        seen[0] = revision_now
