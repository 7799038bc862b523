"""The `callbacks` rows as the callback placer and the answered call back use them (SQL).

A call back asked for after app_queue turned the caller away runs pending → dialling → done;
an unanswered try goes back to pending with `next_attempt_at` (not dialled before it), and
after the last try to failed, with the `callback_failed` SMS queued in the same transaction
(once: its outbox key is the callback's id); a restoration cancels pending ones
(`cancel_pending`).
Every change is one transaction conditioned on the row's current status, so two processes
never dial the same row and a repeated AMI report changes nothing twice. `last_attempt_at`
is when the latest try was dialled: a row dialling for too long is a lost outcome.

The language a call back is greeted in is the one of the call that asked for it, else the
number's remembered language, else the flow's default.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, or_, select, update

from routing.callbacks import RetryPolicy, next_try
from routing.queues import MAX_PRIORITY
from store import schema as t
from store.outbox import queue_sms
from store.timeutil import as_utc

log = logging.getLogger(__name__)

FAILED_SMS = "callback_failed"
CALL_OUTCOME = "callback"  # the `calls` row of an answered call back leg
PER_QUEUE = 50  # due call backs read per queue and pass: more than its operators can take


def queue_priority(priority: int) -> int:
    """The app_queue priority an answered call back enters its queue with.

    app_queue serves higher priorities first and, within one priority, callers in the order they
    entered `Queue()`. The consumer enters it again only now, behind callers who joined after
    they first did; one step up puts them ahead of every caller of their own priority. Those
    all joined later, since a call back is dialled only when nobody who joined before it waits
    in its queue; callers of a higher priority (hazards, 100 apart) stay ahead of it.

    >>> queue_priority(0), queue_priority(100), queue_priority(MAX_PRIORITY)
    (1, 101, 1000)
    """
    return min(priority + 1, MAX_PRIORITY)


@dataclass(frozen=True, slots=True)
class DueCallback:
    """A pending call back whose time has come."""

    id: int
    number: str
    queue: str
    priority: int
    joined: float  # epoch seconds: when the consumer first joined the queue (their place)
    attempts: int  # tries made before this one
    language: str


@dataclass(frozen=True, slots=True)
class AnsweredCallback:
    """What the greeting and the queue need of a call back the consumer picked up."""

    id: int
    number: str
    queue: str
    priority: int  # the callback's own priority; `queue_priority` raises it for app_queue
    language: str
    offer_counted: bool = False  # the first call waited in the queue: counted as offered there


class SqlCallbacks:
    """Reads and moves `callbacks` rows; see the module docstring for the rules."""

    def __init__(
        self,
        engine: Engine,
        *,
        policy: RetryPolicy,
        templates: Mapping[str, Mapping[str, str]],
        default_language: str = "hi",
    ) -> None:
        self._engine = engine
        self._policy = policy
        self._templates = templates
        self._default_language = default_language

    def due(
        self, now: datetime, queues: Collection[str], *, per_queue: int = PER_QUEUE
    ) -> list[DueCallback]:
        """Pending call backs of `queues` that may be dialled now, at most `per_queue` of each
        (a backlog in one queue hides none of another's): higher priority first, then their
        place."""
        c = t.callbacks.c
        rows: list[Any] = []
        with self._engine.connect() as conn:
            for queue in sorted(set(queues)):
                rows += conn.execute(_due(now).where(c.queue == queue).limit(per_queue)).all()
        rows.sort(key=lambda row: (-row.priority, _epoch(row.joined_at), row.id))
        return [self._due(row) for row in rows]

    def due_elsewhere(self, now: datetime, queues: Collection[str]) -> list[DueCallback]:
        """Due call backs for a queue not in `queues` (removed from the configuration)."""
        query = _due(now).where(t.callbacks.c.queue.not_in(sorted(set(queues)))).limit(PER_QUEUE)
        with self._engine.connect() as conn:
            return [self._due(row) for row in conn.execute(query)]

    def _due(self, row: Any) -> DueCallback:
        return DueCallback(
            id=row.id,
            number=row.number,
            queue=row.queue,
            priority=row.priority,
            joined=_epoch(row.joined_at),
            attempts=row.attempts,
            language=self._language(row),
        )

    def holding_queues(self, now: datetime, answered_within: timedelta) -> list[str]:
        """The queue of every call back that holds an operator: being dialled, or answered
        within `answered_within` (the consumer is hearing the greeting, not yet in the queue)."""
        c = t.callbacks.c
        answered_lately = (c.status == "done") & (c.closed_at >= now - answered_within)
        query = select(c.queue).where(or_(c.status == "dialling", answered_lately))
        with self._engine.connect() as conn:
            return [str(queue) for queue in conn.execute(query).scalars()]

    def claim(self, callback_id: int, now: datetime) -> bool:
        """pending → dialling, one more try, committed before the call is placed; False when
        another process took it first."""
        c = t.callbacks.c
        with self._engine.begin() as conn:
            done = conn.execute(
                update(t.callbacks)
                .where(c.id == callback_id, c.status == "pending")
                .values(status="dialling", attempts=c.attempts + 1, last_attempt_at=now)
            )
        return done.rowcount == 1

    def answered(
        self, callback_id: int, now: datetime, *, call_id: str | None = None
    ) -> AnsweredCallback | None:
        """The consumer picked up: the row is done (if it was pending or dialling). With the
        answered leg's `call_id`, a `calls` row is opened for it (queued at the consumer's
        original place) for the queue events, the screen's history and a new callback offer.
        None when there is no such call back."""
        c = t.callbacks.c
        with self._engine.begin() as conn:
            row = _read(conn, c.id == callback_id)
            if row is None:
                return None
            conn.execute(
                update(t.callbacks)
                .where(c.id == callback_id, c.status.in_(("pending", "dialling")))
                .values(status="done", closed_at=now, reason="answered")
            )
            answered = AnsweredCallback(
                row.id,
                row.number,
                row.queue,
                row.priority,
                self._language(row),
                offer_counted=bool(row.offer_counted),
            )
            if call_id:
                _open_leg(conn, call_id, row, answered, now)
        return answered

    def unanswered(self, callback_id: int, now: datetime, reason: str) -> str | None:
        """A try nobody answered: pending again after the policy's pause, or failed (with the
        SMS) after the last try. The new status, or None when the row was not being dialled
        (a repeated or late report changes nothing)."""
        c = t.callbacks.c
        with self._engine.begin() as conn:
            row = _read(conn, c.id == callback_id, lock=True)
            if row is None or row.status != "dialling":
                return None
            retry = next_try(row.attempts, now.timestamp(), self._policy)
            if retry is None:
                return "failed" if self._fail(conn, row, now, reason) else None
            again = datetime.fromtimestamp(retry, now.tzinfo)
            moved = conn.execute(
                update(t.callbacks)
                .where(c.id == callback_id, c.status == "dialling")
                .values(status="pending", next_attempt_at=again, reason=reason[:80])
            )
        return "pending" if moved.rowcount == 1 else None

    def give_up(self, callback_id: int, now: datetime, reason: str) -> bool:
        """A pending call back that cannot be placed at all (its queue no longer exists)."""
        c = t.callbacks.c
        with self._engine.begin() as conn:
            row = _read(conn, c.id == callback_id, c.status == "pending")
            return row is not None and self._fail(conn, row, now, reason)

    def stale(self, now: datetime, older_than: timedelta) -> list[int]:
        """Call backs left dialling with no outcome since before `now - older_than`."""
        c = t.callbacks.c
        query = select(c.id).where(
            c.status == "dialling",
            or_(c.last_attempt_at.is_(None), c.last_attempt_at < now - older_than),
        )
        with self._engine.connect() as conn:
            return [int(i) for i in conn.execute(query).scalars()]

    def _fail(self, conn: Connection, row: Any, now: datetime, reason: str) -> bool:
        """failed, with the SMS; False when another process moved the row first."""
        c = t.callbacks.c
        moved = conn.execute(
            update(t.callbacks)
            .where(c.id == row.id, c.status == row.status)
            .values(status="failed", closed_at=now, next_attempt_at=None, reason=reason[:80])
        )
        if moved.rowcount != 1:
            return False
        queue_sms(
            conn,
            self._templates,
            kind=FAILED_SMS,
            to=row.number,
            language=self._language(row),
            values={"attempts": row.attempts},
            now=now,
            key=f"{FAILED_SMS}:{row.id}",
        )
        return True

    def _language(self, row: Any) -> str:
        return str(row.call_language or row.remembered_language or self._default_language)


def _due(now: datetime) -> Any:
    """Pending rows whose time has come, in the order they are served."""
    c = t.callbacks.c
    return (
        _with_language(select(t.callbacks))
        .where(c.status == "pending")
        .where(or_(c.next_attempt_at.is_(None), c.next_attempt_at <= now))
        .order_by(c.priority.desc(), c.joined_at, c.id)
    )


def _read(conn: Connection, *where: Any, lock: bool = False) -> Any:
    """One callback row with its languages (locked against other writers with `lock`)."""
    query = _with_language(select(t.callbacks)).where(*where)
    if lock:
        query = query.with_for_update(of=t.callbacks)
    return conn.execute(query).first()


def cancel_pending(
    conn: Connection, consumer_ids: Any, now: datetime, *, default_language: str = "hi"
) -> list[tuple[str, str]]:
    """Cancel the pending call backs of these consumers (`consumer_ids`: a subquery of
    consumer ids) in the caller's transaction; the (number, language) of each, to tell them.
    One being dialled is left to finish."""
    c = t.callbacks.c
    rows = conn.execute(
        _with_language(select(c.id, c.number)).where(
            c.status == "pending", c.consumer_id.in_(consumer_ids)
        )
    ).all()
    if rows:
        conn.execute(
            update(t.callbacks)
            .where(c.id.in_([row.id for row in rows]), c.status == "pending")
            .values(status="cancelled", closed_at=now, reason="supply restored")
        )
    language = (str(r.call_language or r.remembered_language or default_language) for r in rows)
    return [(str(row.number), lang) for row, lang in zip(rows, language, strict=True)]


def _with_language(query: Any) -> Any:
    """The query with the language of the call that asked and the number's remembered one."""
    joined = t.callbacks.outerjoin(t.calls, t.calls.c.call_id == t.callbacks.c.call_id).outerjoin(
        t.caller_preferences, t.caller_preferences.c.number == t.callbacks.c.number
    )
    return query.add_columns(
        t.calls.c.language.label("call_language"),
        t.caller_preferences.c.language.label("remembered_language"),
    ).select_from(joined)


def _open_leg(
    conn: Connection, call_id: str, row: Any, answered: AnsweredCallback, now: datetime
) -> None:
    exists = conn.execute(select(t.calls.c.id).where(t.calls.c.call_id == call_id)).first()
    if exists is not None:
        return  # a repeated AGI request for the same leg
    conn.execute(
        insert(t.calls).values(
            call_id=call_id,
            channel="asterisk",
            caller=row.number[:20],
            consumer_id=row.consumer_id,
            language=answered.language,
            started_at=now,
            outcome=CALL_OUTCOME,
            queue=row.queue,
            priority=queue_priority(row.priority),
            queued_at=row.joined_at,
        )
    )


def _epoch(value: datetime) -> float:
    moment = as_utc(value)
    assert moment is not None
    return moment.timestamp()
