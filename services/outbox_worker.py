"""The SMS outbox worker: sends what `store.outbox.queue_sms` queued, with bounded retries.

`run_once(now)` takes the due messages (status `queued`, `next_attempt_at` reached), urgent
ones first (`store.outbox.SmsPriority`), claims each with a guarded update (the attempt count
must still be what we read and the row still queued, so two workers never send the same row and
a cancelled one is not sent) that also pushes `next_attempt_at` a lease ahead, in case we die
mid-send; then sends it. Success marks it `sent` with the provider's id. A transient failure
(network, Twilio 5xx or 429) schedules the next attempt with exponential backoff; a permanent
one (other 4xx: a bad number, a blocked sender) or the last allowed attempt marks it `failed`.
`run_forever` loops `run_once` until told to stop. The sender is a port: `TwilioSms` sends
through `twilio.rest.Client(...).messages.create`.

Bulk messages (outage notices to thousands of consumers) must never hold up a docket: each round
sends every due urgent message before at most `bulk_chunk` bulk ones, so an urgent message
waits behind one chunk at most; and bulk messages are paced at `bulk_per_second` for the whole
install, since that is what the SMS provider and the DLT sender allow: given a Redis client,
every worker takes its turns from one token bucket there, on the Redis server's clock
(`store.sms_pace`), so several workers on several machines send that much together. When Redis
cannot be reached a worker paces itself on its own clock for a while and says so in the log at
most once a minute: outage notices must not stop because Redis is away (`services.bulk_pace`).
Urgent messages are never paced.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import redis
from sqlalchemy import Engine, select, update

from services.bulk_pace import BulkPace
from store import schema as t
from store.outbox import SmsPriority

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # a claimed row is retried after this if its worker vanished


class SendFailed(Exception):
    """The carrier refused or could not be reached; `permanent` when retrying is pointless."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmsSender(Protocol):
    def send(self, *, to: str, body: str, sender: str | None) -> str:
        """Send one SMS; return the carrier's message id or raise `SendFailed`."""
        ...


class TwilioSms:
    """`SmsSender` over the Twilio Messages API (`from_` number or a messaging service)."""

    def __init__(
        self,
        client: Any,
        *,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
    ) -> None:
        if not (from_number or messaging_service_sid):
            raise ValueError("TwilioSms needs a from number or a messaging service SID")
        self._client = client
        self._from = from_number
        self._service = messaging_service_sid

    def send(self, *, to: str, body: str, sender: str | None) -> str:
        from twilio.base.exceptions import TwilioException, TwilioRestException  # type: ignore[import-untyped]

        del sender  # DLT sender ids are bound to the messaging service / number in India
        origin = (
            {"messaging_service_sid": self._service} if self._service else {"from_": self._from}
        )
        try:
            message = self._client.messages.create(to=_e164(to), body=body, **origin)
        except TwilioRestException as exc:
            transient = exc.status >= 500 or exc.status == 429
            raise SendFailed(
                f"twilio {exc.status} {exc.code}: {exc.msg}", permanent=not transient
            ) from exc
        except (TwilioException, OSError) as exc:
            raise SendFailed(f"twilio unreachable: {exc}", permanent=False) from exc
        return str(message.sid)


@dataclass(frozen=True, slots=True)
class RunReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    bulk_sent: int = 0  # of `sent`
    bulk_waiting: bool = False  # due bulk messages left for the next round (pace or chunk)


def backoff(attempt: int, *, base_s: float = 30.0, cap_s: float = 3600.0) -> timedelta:
    """Wait before attempt `attempt + 1`: doubles from `base_s`, capped.

    >>> [int(backoff(n).total_seconds()) for n in (1, 2, 3, 10)]
    [30, 60, 120, 3600]
    """
    return timedelta(seconds=min(cap_s, base_s * 2 ** max(0, attempt - 1)))


class OutboxWorker:
    def __init__(
        self,
        engine: Engine,
        sender: SmsSender,
        *,
        max_attempts: int = 6,
        batch: int = 50,
        bulk_per_second: float = 20.0,
        bulk_chunk: int = 20,
        redis_client: redis.Redis | None = None,
        prefix: str = "h1912:",
    ) -> None:
        """`bulk_per_second`: the pace of bulk messages (`[outage_sms] bulk_per_second`), shared
        by every worker through `redis_client` (under the install's key `prefix`) when given,
        else this worker's own."""
        self._engine = engine
        self._sender = sender
        self._max_attempts = max_attempts
        self._batch = batch
        self._bulk_chunk = bulk_chunk
        self._pace = BulkPace(bulk_per_second, redis_client=redis_client, prefix=prefix)

    def run_once(self, now: datetime) -> RunReport:
        """Send every due urgent message, then what the pace allows of the bulk ones (one chunk
        at most); what happened to them."""
        counts = {"sent": 0, "retrying": 0, "failed": 0}
        for row in self._due(now, SmsPriority.URGENT, self._batch):
            self._claim_and_send(row, now, counts)
        bulk = self._due(now, SmsPriority.BULK, self._bulk_chunk + 1)  # one more: any waiting?
        allowed = self._pace.take(min(len(bulk), self._bulk_chunk), now)
        sent_before = counts["sent"]
        tried = sum(self._claim_and_send(row, now, counts) for row in bulk[:allowed])
        self._pace.give_back(allowed - tried)  # rows another worker claimed first
        return RunReport(**counts, bulk_sent=counts["sent"] - sent_before,
                         bulk_waiting=len(bulk) > allowed)  # fmt: skip

    def _claim_and_send(self, row: Any, now: datetime, counts: dict[str, int]) -> bool:
        attempt = self._claim(row.id, row.attempts, now)
        if attempt is None:
            return False  # another worker took it, or it was cancelled
        counts[self._send(row, attempt, now)] += 1
        return True

    def _due(self, now: datetime, priority: SmsPriority, limit: int) -> list[Any]:
        if limit <= 0:
            return []
        query = (
            select(t.outbox)
            .where(
                t.outbox.c.status == "queued",
                t.outbox.c.priority == int(priority),
                t.outbox.c.next_attempt_at <= now,
            )
            .order_by(t.outbox.c.next_attempt_at, t.outbox.c.id)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return list(conn.execute(query))

    def _claim(self, row_id: int, attempts: int, now: datetime) -> int | None:
        with self._engine.begin() as conn:
            done = conn.execute(
                update(t.outbox)
                .where(
                    t.outbox.c.id == row_id,
                    t.outbox.c.status == "queued",
                    t.outbox.c.attempts == attempts,
                )
                .values(attempts=attempts + 1, next_attempt_at=now + LEASE)
            )
        return attempts + 1 if done.rowcount == 1 else None

    def _send(self, row: Any, attempt: int, now: datetime) -> str:
        try:
            provider_id = self._sender.send(to=row.to_number, body=row.body, sender=row.sender)
        except SendFailed as exc:
            final = exc.permanent or attempt >= self._max_attempts
            values: dict[str, Any] = {"error": str(exc)[:500]}
            if final:
                values["status"] = "failed"
            else:
                values["next_attempt_at"] = now + backoff(attempt)
            log.warning(
                "sms %s (%s): attempt %d failed%s: %s",
                row.id,
                row.kind,
                attempt,
                "; giving up" if final else "",
                exc,
            )
            self._update(row.id, values)
            return "failed" if final else "retrying"
        self._update(
            row.id, {"status": "sent", "sent_at": now, "provider_id": provider_id, "error": None}
        )
        return "sent"

    def _update(self, row_id: int, values: dict[str, Any]) -> None:
        with self._engine.begin() as conn:
            conn.execute(update(t.outbox).where(t.outbox.c.id == row_id).values(**values))

    def run_forever(
        self, clock: Callable[[], datetime], stop: threading.Event, *, interval_s: float = 2.0
    ) -> None:
        """Loop until `stop` is set; a failing round is logged and the loop goes on."""
        log.info("SMS outbox worker running (every %.0f s)", interval_s)
        while not stop.is_set():
            pause = interval_s
            try:
                report = self.run_once(clock())
                if report.sent or report.failed:
                    log.info(
                        "outbox: %d sent (%d bulk), %d retrying, %d failed%s",
                        report.sent,
                        report.bulk_sent,
                        report.retrying,
                        report.failed,
                        "; bulk waiting" if report.bulk_waiting else "",
                    )
                if report.bulk_waiting:  # come back as soon as the pace allows another chunk
                    pause = min(interval_s, self._pace.wait_s(self._bulk_chunk))
            except Exception:  # the database may be away for a moment; try again later
                log.exception("outbox round failed")
            stop.wait(pause)


def _e164(number: str) -> str:
    """Stored numbers are national (10-digit mobiles); Twilio wants E.164.

    >>> _e164("9000000002"), _e164("+919000000002")
    ('+919000000002', '+919000000002')
    """
    return number if number.startswith("+") else "+91" + number.lstrip("0")
