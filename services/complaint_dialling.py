"""Placing due feedback calls through a dialler port: Twilio REST, Asterisk AMI Originate, or none.

`place_due` claims each due call (scheduled → dialling, one conditional UPDATE, so two servers
never ring the same consumer), hands it to the dialler and paces the calls. It places no more
calls per company and local day than the configured target; the rest stay scheduled, in the
operators' list, as do all calls when no dialler exists. A call whose placing fails counts as
an unanswered attempt. The outcome of a placed call comes back later: the feedback flow records
the answer, the carrier's status report an unanswered call.

Dialler port (`FeedbackDialler`): `place(call) -> bool`, True when the carrier accepted the
call. The Twilio dialler asks Twilio to fetch `/twilio/feedback?feedback=<id>` when the
consumer answers and to report the end to `/twilio/feedback/status?feedback=<id>`. The AMI
dialler calls `originate(number=..., flow="feedback", variables={...})` on the object in
`services.extras["ami"]`; the dialplan side runs the `feedback` flow for the call after
`bind_feedback_call(services, call_id, feedback_id)`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlencode

from sqlalchemy import Engine, select, update

from complaints.feedback import next_feedback_attempt
from services.complaint_config import LifecycleConfig
from services.complaint_feedback import attempt_failed, placed_today, stale_dialling
from services.complaint_records import contact_language
from store import schema as t
from store.timeutil import as_utc

log = logging.getLogger(__name__)

FEEDBACK_PATH = "/twilio/feedback"
FEEDBACK_STATUS_PATH = "/twilio/feedback/status"


@dataclass(frozen=True, slots=True)
class DueCall:
    """A feedback call to place now."""

    id: int
    complaint_id: int
    docket: str
    company: str
    number: str
    language: str


class FeedbackDialler(Protocol):
    def place(self, call: DueCall) -> bool: ...


class AmiOriginator(Protocol):
    def originate(self, *, number: str, flow: str, variables: Mapping[str, str]) -> bool: ...


@dataclass(frozen=True, slots=True)
class PlacingReport:
    placed: int = 0
    failed: int = 0
    held_by_target: int = 0
    deferred: int = 0  # outside calling hours now (rescheduled) or too late (given up)
    no_dialler: int = 0


def e164(number: str) -> str:
    """A stored Indian number as carriers dial it.

    >>> e164("9000000002"), e164("07552551234")
    ('+919000000002', '+917552551234')
    """
    digits = number.lstrip("+")
    if digits.startswith("0"):
        digits = digits[1:]
    return f"+91{digits}" if len(digits) == 10 else f"+{digits}"


class TwilioFeedbackDialler:
    """Outbound feedback calls with Twilio's REST API (`calls.create`)."""

    def __init__(self, client: Any, *, base_url: str, caller_id: str) -> None:
        self._client = client
        self._base = base_url.rstrip("/")
        self._caller_id = caller_id

    def place(self, call: DueCall) -> bool:
        query = urlencode({"feedback": call.id})
        self._client.calls.create(
            to=e164(call.number),
            from_=self._caller_id,
            method="POST",
            url=f"{self._base}{FEEDBACK_PATH}?{query}",
            status_callback=f"{self._base}{FEEDBACK_STATUS_PATH}?{query}",
            status_callback_method="POST",
        )
        return True


class AmiFeedbackDialler:
    """Outbound feedback calls through Asterisk (the AMI link's `originate`)."""

    def __init__(self, ami: AmiOriginator) -> None:
        self._ami = ami

    def place(self, call: DueCall) -> bool:
        return bool(
            self._ami.originate(
                number=call.number,
                flow="feedback",
                variables={
                    "FEEDBACK_ID": str(call.id),
                    "DOCKET": call.docket,
                    "LANGUAGE": call.language,
                },
            )
        )


def dialler_for(services: Any) -> FeedbackDialler | None:
    """Twilio when its REST client and a caller id exist, else AMI when offered, else None."""
    rest = services.extras.get("twilio_rest")
    caller_id = services.settings.twilio_caller_id
    if rest is not None and caller_id:
        return TwilioFeedbackDialler(
            rest, base_url=services.settings.public_base_url, caller_id=caller_id
        )
    ami = services.extras.get("ami")
    if ami is not None and callable(getattr(ami, "originate", None)):
        return AmiFeedbackDialler(ami)
    return None


def _due(engine: Engine, now: datetime, limit: int) -> list[Any]:
    query = (
        select(
            t.feedback_calls,
            t.complaints.c.docket,
            t.complaints.c.company,
            t.complaints.c.status.label("complaint_status"),
            t.complaints.c.resolved_at,
            t.complaints.c.consumer_id,
        )
        .select_from(
            t.feedback_calls.join(
                t.complaints, t.complaints.c.id == t.feedback_calls.c.complaint_id
            )
        )
        .where(t.feedback_calls.c.status == "scheduled", t.feedback_calls.c.due_at <= now)
        .order_by(t.feedback_calls.c.due_at, t.feedback_calls.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return list(conn.execute(query).all())


def _still_callable(engine: Engine, row: Any, now: datetime, config: LifecycleConfig) -> bool:
    """False (after rescheduling or giving up) when the call should not be placed now."""
    resolved_at = as_utc(row.resolved_at)
    when = None
    if row.complaint_status == "resolved" and resolved_at is not None:
        when = next_feedback_attempt(
            resolved_at.astimezone(config.zone),
            row.attempts,
            as_utc(row.last_attempt_at),
            now.astimezone(config.zone),
            policy=config.policy,
        )
    if when is not None and when <= now:
        return True
    values: dict[str, Any] = (
        {"due_at": when.astimezone(UTC)}
        if when is not None
        else {"status": "given_up", "outcome": "unreached"}
    )
    with engine.begin() as conn:
        conn.execute(
            update(t.feedback_calls)
            .where(t.feedback_calls.c.id == row.id, t.feedback_calls.c.status == "scheduled")
            .values(values)
        )
    return False


def _claim(engine: Engine, row: Any, now: datetime) -> DueCall | None:
    with engine.begin() as conn:
        claimed = conn.execute(
            update(t.feedback_calls)
            .where(
                t.feedback_calls.c.id == row.id,
                t.feedback_calls.c.status == "scheduled",
            )
            .values(status="dialling", attempts=row.attempts + 1, last_attempt_at=now)
        ).rowcount
        if claimed != 1:
            return None  # another server took it
        language = contact_language(conn, row.number, row)
    return DueCall(row.id, row.complaint_id, row.docket, row.company, row.number, language)


def place_due(
    engine: Engine,
    dialler: FeedbackDialler | None,
    config: LifecycleConfig,
    now: datetime,
    *,
    sleep: Callable[[float], None] = time.sleep,
    limit: int = 200,
) -> PlacingReport:
    """One round of feedback calls; see the module docstring."""
    now = now.astimezone(UTC)
    with engine.begin() as conn:
        for stale in stale_dialling(conn, now):
            attempt_failed(conn, stale, now=now, config=config)
    due = _due(engine, now, limit)
    if dialler is None:
        return PlacingReport(no_dialler=len(due))
    with engine.connect() as conn:
        counts = placed_today(conn, now, config)
    placed = failed = held = deferred = 0
    for row in due:
        if counts.get(row.company, 0) >= config.target_for(row.company):
            held += 1
            continue
        if not _still_callable(engine, row, now, config):
            deferred += 1
            continue
        call = _claim(engine, row, now)
        if call is None:
            continue
        counts[call.company] = counts.get(call.company, 0) + 1
        if _place(dialler, call):
            placed += 1
        else:
            failed += 1
            with engine.begin() as conn:
                attempt_failed(conn, call.id, now=now, config=config)
        if config.pace_s:
            sleep(config.pace_s)
    return PlacingReport(placed, failed, held, deferred)


def _place(dialler: FeedbackDialler, call: DueCall) -> bool:
    try:
        return dialler.place(call)
    except Exception as exc:  # the carrier refused or is unreachable: an unanswered attempt
        log.warning("feedback call %s (%s): placing failed: %s", call.id, call.docket, exc)
        return False
