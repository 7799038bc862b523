"""Feedback calls after resolution: answers, unanswered attempts, and the list operators work from.

A resolved complaint has at most one pending feedback call (`feedback_calls`: scheduled →
dialling → answered, or back to scheduled for a retry, or given up). The consumer's answer is
recorded once: 1 (satisfied) closes the complaint, 2 (not satisfied) reopens and escalates it,
no key at all is kept as `no_answer`. An attempt nobody answers is retried at the policy's
interval within calling hours, and given up (`unreached`) after the last attempt or once too long
after resolution. A repeated answer or status report changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, select, update

from complaints.feedback import next_feedback_attempt
from services.complaint_config import LifecycleConfig
from services.complaint_lifecycle import close, reopen
from services.complaint_records import ComplaintStatus, add_event, complaint
from store import schema as t
from store.timeutil import as_utc

ANSWERED = frozenset({"satisfied", "not_satisfied", "no_answer"})
STALE_DIALLING = timedelta(minutes=30)  # a call with no status report by then has failed


class FeedbackAnswer(StrEnum):
    """What came of a feedback call that was picked up."""

    SATISFIED = "satisfied"
    NOT_SATISFIED = "not_satisfied"
    NO_ANSWER = "no_answer"  # picked up, but no key pressed after the question was repeated


def record_answer(
    conn: Connection,
    feedback_id: int,
    answer: FeedbackAnswer,
    *,
    now: datetime,
    actor: str,
    config: LifecycleConfig,
    operator_id: str | None = None,
) -> dict[str, Any] | None:
    """Record the consumer's answer once; None when there is no such feedback call."""
    now = now.astimezone(UTC)
    row = conn.execute(
        select(t.feedback_calls).where(t.feedback_calls.c.id == feedback_id).with_for_update()
    ).first()
    if row is None:
        return None
    target = complaint(conn, row.complaint_id)
    assert target is not None
    if row.outcome in ANSWERED or row.outcome == "cancelled":
        return {"docket": target.docket, "outcome": row.outcome, "recorded": False}
    values: dict[str, Any] = {"status": "answered", "outcome": answer.value}
    if operator_id is not None:  # a call made by hand is an attempt too
        values.update(operator_id=operator_id[:40], attempts=row.attempts + 1, last_attempt_at=now)
    conn.execute(update(t.feedback_calls).where(t.feedback_calls.c.id == row.id).values(values))
    add_event(
        conn,
        target.id,
        "feedback",
        actor=actor,
        now=now,
        detail={"outcome": answer.value, "feedback_call": row.id},
    )
    reopened = False
    if answer is FeedbackAnswer.SATISFIED:
        close(conn, target, now=now, actor=actor)
    elif answer is FeedbackAnswer.NOT_SATISFIED:
        reopened = reopen(conn, target, now=now, actor=actor, reason="feedback", config=config)
    return {
        "docket": target.docket,
        "outcome": answer.value,
        "recorded": True,
        "reopened": reopened,
    }


def attempt_failed(
    conn: Connection,
    feedback_id: int,
    *,
    now: datetime,
    config: LifecycleConfig,
    manual: bool = False,
    operator_id: str | None = None,
) -> str | None:
    """An attempt nobody answered: schedule the retry or give up. Returns the new status, or
    None when the call was not being dialled (a repeated report changes nothing)."""
    now = now.astimezone(UTC)
    row = conn.execute(
        select(t.feedback_calls).where(t.feedback_calls.c.id == feedback_id).with_for_update()
    ).first()
    if row is None or (row.status != "dialling" and not (manual and row.status == "scheduled")):
        return None
    attempts = row.attempts + 1 if manual else row.attempts
    last = now if manual else as_utc(row.last_attempt_at)
    target = complaint(conn, row.complaint_id)
    resolved_at = as_utc(target.resolved_at) if target is not None else None
    values: dict[str, Any] = {"attempts": attempts, "last_attempt_at": last}
    if operator_id is not None:
        values["operator_id"] = operator_id[:40]
    retry = None
    if resolved_at is not None and target is not None and target.status == "resolved":
        retry = next_feedback_attempt(
            resolved_at.astimezone(config.zone),
            attempts,
            last,
            now.astimezone(config.zone),
            policy=config.policy,
        )
    if retry is None:
        values.update(status="given_up", outcome="unreached")
    else:
        values.update(status="scheduled", due_at=retry.astimezone(UTC))
    conn.execute(update(t.feedback_calls).where(t.feedback_calls.c.id == row.id).values(values))
    return str(values["status"])


def stale_dialling(conn: Connection, now: datetime) -> list[int]:
    """Calls left `dialling` with no status report (a lost callback or a crash)."""
    limit = now.astimezone(UTC) - STALE_DIALLING
    return [
        r[0]
        for r in conn.execute(
            select(t.feedback_calls.c.id).where(
                t.feedback_calls.c.status == "dialling", t.feedback_calls.c.last_attempt_at < limit
            )
        )
    ]


def local_day_start(now: datetime, config: LifecycleConfig) -> datetime:
    local = now.astimezone(config.zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def placed_today(conn: Connection, now: datetime, config: LifecycleConfig) -> dict[str, int]:
    """Feedback calls attempted since local midnight, by company (automatic and by hand)."""
    query = (
        select(t.complaints.c.company, func.count())
        .select_from(
            t.feedback_calls.join(
                t.complaints, t.complaints.c.id == t.feedback_calls.c.complaint_id
            )
        )
        .where(t.feedback_calls.c.last_attempt_at >= local_day_start(now, config))
        .group_by(t.complaints.c.company)
    )
    return {str(company): int(n) for company, n in conn.execute(query)}


def pending_feedback(
    engine: Engine, *, now: datetime, company: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Scheduled feedback calls, soonest first: what an operator calling by hand works from."""
    query = (
        select(
            t.feedback_calls,
            t.complaints.c.docket,
            t.complaints.c.company,
            t.complaints.c.kind,
            t.complaints.c.resolved_at,
            t.consumers.c.name.label("consumer"),
        )
        .select_from(
            t.feedback_calls.join(
                t.complaints, t.complaints.c.id == t.feedback_calls.c.complaint_id
            ).outerjoin(
                t.consumers,
                and_(
                    t.consumers.c.id == t.complaints.c.consumer_id,
                    t.complaints.c.anonymous.is_(False),
                ),
            )
        )
        .where(
            t.feedback_calls.c.status == "scheduled",
            t.complaints.c.status == ComplaintStatus.RESOLVED.value,
        )
        .order_by(t.feedback_calls.c.due_at, t.feedback_calls.c.id)
        .limit(limit)
    )
    if company:
        query = query.where(t.complaints.c.company == company)
    now = now.astimezone(UTC)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        {
            "id": r.id,
            "docket": r.docket,
            "company": r.company,
            "kind": r.kind,
            "consumer": r.consumer,
            "number": r.number,
            "attempts": r.attempts,
            "due_at": as_utc(r.due_at),
            "overdue": (as_utc(r.due_at) or now) <= now,
            "resolved_at": as_utc(r.resolved_at),
        }
        for r in rows
    ]


def feedback_context(conn: Connection, feedback_id: int) -> dict[str, Any] | None:
    """What the feedback flow speaks of; None when the call has nothing left to ask."""
    row = conn.execute(
        select(
            t.feedback_calls.c.id,
            t.feedback_calls.c.outcome,
            t.complaints.c.docket,
            t.complaints.c.kind,
        )
        .select_from(
            t.feedback_calls.join(
                t.complaints, t.complaints.c.id == t.feedback_calls.c.complaint_id
            )
        )
        .where(t.feedback_calls.c.id == feedback_id)
    ).first()
    if row is None or row.outcome in ANSWERED or row.outcome == "cancelled":
        return None
    return {"id": row.id, "docket": row.docket, "kind": row.kind}
