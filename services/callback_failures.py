"""Giving up on a callback: its record and the consumer's SMS, in one transaction.

When a callback has had all its tries (or cannot be placed at all), the routing live state has
already dropped it. This keeps it in SQL `callbacks` (status failed, the tries made, and why)
for the reports, and queues the `callback_failed` SMS ("we tried N times to call you back") to
the number that was dialled, in the consumer's language, through the outbox. The SMS key names
the callback request (consumer and when they asked), so a repeated status webhook or a second
worker never queues it twice, while a later request that fails again gets its own message.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Engine, insert, select

from routing.callbacks import Callback
from store import schema as t
from store.outbox import queue_sms

log = logging.getLogger(__name__)


def sms_key(callback: Callback) -> str:
    """The outbox key of the "could not reach you" SMS for one callback request."""
    return f"callback_failed:{callback.consumer_id}:{callback.requested_at!r}"


def give_up_callback(
    engine: Engine,
    templates: Mapping[str, Mapping[str, str]],
    callback: Callback,
    *,
    call_id: str,
    reason: str,
    now: datetime,
) -> None:
    """Record the dropped callback (``callback.attempts`` = tries made) and queue its SMS."""
    consumer = select(t.consumers.c.id).where(t.consumers.c.ivrs == callback.consumer_id)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(t.callbacks).values(
                    call_id=call_id or f"callback:{callback.consumer_id}",
                    consumer_id=consumer.scalar_subquery(),
                    number=callback.phone[:20],
                    queue=callback.queue,
                    priority=callback.priority,
                    joined_at=datetime.fromtimestamp(callback.joined, now.tzinfo),
                    status="failed",
                    attempts=callback.attempts,
                    created_at=datetime.fromtimestamp(callback.requested_at, now.tzinfo),
                    closed_at=now,
                    reason=reason[:80],
                )
            )
            queue_sms(conn, templates, kind="callback_failed", to=callback.phone,
                      language=callback.language or "hi",
                      values={"attempts": callback.attempts}, now=now,
                      key=sms_key(callback))  # fmt: skip
    except Exception:  # the live state is already settled: the loss is logged for follow-up
        log.exception(
            "callback %s: could not record the failed callback nor queue its SMS",
            callback.consumer_id,
        )
