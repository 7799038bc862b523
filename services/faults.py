"""The fault service: one path for fault-status messages from every source.

The feed API, field SMS and the console all hand a parsed message (`outages.messages`) to
`FaultService.apply`, which in one transaction: refuses a message id it has already processed
(answering the stored result), finds the asset in the network (its level, company and the
consumers it supplies), lets the pure `outages.messages.apply` decide, then stores the fault,
its ETR history and an audit row. A restoration also cancels the waiting callbacks of the
consumers it covers (live state), queues the "restored" SMS to everyone who asked for one and
a "callback cancelled" SMS to each cancelled callback, and resolves the complaints linked to
the fault. Opening a fault, changing its ETR and restoring it also send the proactive outage SMS
to the consumers it cuts off (`services.outage_notices`), in the same transaction. Every call
returns a `FaultResult` saying what changed; a peer's mistake (bad
fields, unknown asset, restore of an unknown fault) changes nothing and is recorded nowhere,
so a corrected message with the same id goes through.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from config.settings import OutageSms
from outages.faults import Fault
from outages.fields import MessageError
from outages.messages import (
    EtrChanged,
    FaultClosed,
    FaultMessage,
    FaultOpened,
    Rejected,
    Unchanged,
    apply,
    parse_fault_message,
)
from services import fault_records as rec
from services.outage_notices import NoticeReport, OutageNotices
from store.live import LiveStateUnavailable
from store.outbox import queue_sms

log = logging.getLogger(__name__)


class FaultOutcome(StrEnum):
    OPENED = "opened"
    ETR_CHANGED = "etr_changed"
    RESTORED = "restored"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"
    INVALID = "invalid"
    UNKNOWN_ASSET = "unknown_asset"
    REJECTED = "rejected"

    @property
    def changed(self) -> bool:
        return self in (FaultOutcome.OPENED, FaultOutcome.ETR_CHANGED, FaultOutcome.RESTORED)

    @property
    def refused(self) -> bool:
        return self in (FaultOutcome.INVALID, FaultOutcome.UNKNOWN_ASSET, FaultOutcome.REJECTED)


@dataclass(frozen=True, slots=True)
class FaultResult:
    """What a message did. `errors` name the fields at fault; `fault` is the stored fault."""

    outcome: FaultOutcome
    message: str
    fault: dict[str, Any] | None = None
    errors: tuple[MessageError, ...] = ()
    callbacks_cancelled: int = 0
    sms_queued: int = 0  # every SMS the message queued, outage notices included
    complaints_resolved: tuple[int, ...] = field(default=())
    notices: NoticeReport = field(default=NoticeReport())

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "message": self.message,
            "fault": self.fault,
            "errors": [{"path": e.path, "message": e.message} for e in self.errors],
            "callbacks_cancelled": self.callbacks_cancelled,
            "sms_queued": self.sms_queued,
            "complaints_resolved": list(self.complaints_resolved),
            "outage_sms": self.notices.as_dict(),
        }

    @classmethod
    def replayed(cls, stored: Mapping[str, Any]) -> FaultResult:
        """A repeat of an already processed message: its first answer, marked duplicate."""
        first = stored.get("outcome", "unchanged")
        return cls(FaultOutcome.DUPLICATE, f"message already processed ({first})",
                   fault=stored.get("fault"))  # fmt: skip


def fault_view(fault: Fault, *, company: str, source: str | None = None) -> dict[str, Any]:
    """A fault as JSON."""
    return {
        "id": int(fault.id), "level": fault.level.value, "asset_code": fault.asset_code,
        "company": company, "cause": fault.cause.value,
        "started_at": rec.iso(fault.started_at), "etr": rec.iso(fault.etr),
        "restored_at": rec.iso(fault.restored_at), "force_majeure": fault.force_majeure,
        "consumers_affected": fault.consumers_affected, "source": source,
    }  # fmt: skip


class FaultService:
    def __init__(
        self,
        *,
        engine: Engine,
        templates: Mapping[str, Mapping[str, str]],
        clock: Callable[[], datetime],
        zone: ZoneInfo,
        extras: Mapping[str, Any],
        outage_sms: OutageSms,
    ) -> None:
        self._engine = engine
        self._templates = templates
        self._clock = clock
        self._zone = zone
        self._extras = extras  # the routing service is looked up late: it may be added after us
        self._notices = OutageNotices(config=outage_sms, templates=templates, zone=zone)

    def local_now(self) -> datetime:
        return self._clock().astimezone(self._zone)

    def submit(self, payload: Mapping[str, object], *, source: str, actor: str) -> FaultResult:
        """Parse a feed/console JSON message, then apply it."""
        parsed = parse_fault_message(payload, self.local_now())
        if isinstance(parsed, list):
            problems = "; ".join(f"{e.path}: {e.message}" for e in parsed)
            return FaultResult(FaultOutcome.INVALID, problems, errors=tuple(parsed))
        return self.apply(parsed, source=source, actor=actor)

    def find_asset(self, code: str) -> list[rec.Asset]:
        with self._engine.connect() as conn:
            return rec.find_assets(conn, code)

    def apply(self, message: FaultMessage, *, source: str, actor: str) -> FaultResult:
        """Apply one parsed message (idempotent by its message id)."""
        try:
            with self._engine.begin() as conn:
                return self._apply(conn, message, source, actor)
        except IntegrityError:
            # The same message id processed concurrently by another worker: a duplicate.
            with self._engine.connect() as conn:
                stored = rec.stored_result(conn, message.message_id)
            if stored is None:
                raise
            return FaultResult.replayed(stored)

    def _apply(
        self, conn: Connection, message: FaultMessage, source: str, actor: str
    ) -> FaultResult:
        stored = rec.stored_result(conn, message.message_id)
        if stored is not None:
            return FaultResult.replayed(stored)
        asset = _choose_asset(rec.find_assets(conn, message.asset_code), message)
        if isinstance(asset, FaultResult):
            return asset
        now = self._clock()
        current = rec.latest_fault(conn, asset)
        decided = apply(message, current, now, consumers_affected=asset.consumers)
        if isinstance(decided, Rejected):
            return FaultResult(FaultOutcome.REJECTED, decided.reason)
        result = self._carry_out(conn, decided, asset, source=source, actor=actor, now=now)
        rec.record_message(conn, message.message_id, sender=actor, at=now, result=result.as_dict())
        log.info("fault message %s from %s: %s", message.message_id, actor, result.outcome.value)
        return result

    def _carry_out(
        self,
        conn: Connection,
        decided: FaultOpened | EtrChanged | FaultClosed | Unchanged,
        asset: rec.Asset,
        *,
        source: str,
        actor: str,
        now: datetime,
    ) -> FaultResult:
        company = asset.company
        if isinstance(decided, Unchanged):
            return FaultResult(FaultOutcome.UNCHANGED, decided.reason.value)
        if isinstance(decided, FaultOpened):
            fault = decided.fault
            # A new fault's id is its report's message id until the row numbers it.
            fault_id = rec.insert_fault(conn, fault, company=company, source=source,
                                        message_id=fault.id)  # fmt: skip
            rec.add_etr_history(conn, fault_id, fault.etr, at=now, source=source)
            stored = _with_id(fault, fault_id)
            notices = self._notices.opened(conn, stored, asset, now)
            self._audit(conn, now, actor, "fault_reported", stored, company, source, notices)
            text = f"fault {fault_id} opened on {asset.level.value} {asset.code}"
            return FaultResult(FaultOutcome.OPENED, text, fault_view(stored, company=company),
                               sms_queued=notices.queued, notices=notices)  # fmt: skip
        fault_id = int(decided.fault.id)
        if isinstance(decided, EtrChanged):
            rec.set_etr(conn, fault_id, decided.change.new, at=now, source=source)
            notices = self._notices.etr_changed(conn, decided.fault, now=now,
                                                change_id=decided.change.message_id)  # fmt: skip
            self._audit(conn, now, actor, "fault_etr_changed", decided.fault, company, source,
                        notices)  # fmt: skip
            view = fault_view(decided.fault, company=company)
            return FaultResult(FaultOutcome.ETR_CHANGED, f"ETR of fault {fault_id} changed", view,
                               sms_queued=notices.queued, notices=notices)  # fmt: skip
        return self._restore(conn, decided.fault, asset, source=source, actor=actor, now=now)

    def _restore(
        self, conn: Connection, fault: Fault, asset: rec.Asset, *, source: str, actor: str,
        now: datetime,
    ) -> FaultResult:  # fmt: skip
        fault_id = int(fault.id)
        assert fault.restored_at is not None
        rec.close_fault(conn, fault_id, fault.restored_at)
        subscribers = self._notify_subscribers(conn, fault_id, asset.code, now)
        notices = self._notices.restored(conn, fault, asset, now, subscribers=subscribers)
        self._audit(conn, now, actor, "fault_restored", fault, asset.company, source, notices)
        cancelled = self._cancel_callbacks(conn, fault_id, asset, now)
        resolved = _resolve_linked(conn, fault_id, now=now, actor=actor)
        return FaultResult(
            FaultOutcome.RESTORED, f"fault {fault_id} restored",
            fault_view(fault, company=asset.company), callbacks_cancelled=cancelled,
            sms_queued=len(subscribers) + cancelled + notices.queued,
            complaints_resolved=tuple(resolved), notices=notices,
        )  # fmt: skip

    def _notify_subscribers(
        self, conn: Connection, fault_id: int, code: str, now: datetime
    ) -> list[str]:
        """The "restored" SMS to those who asked for one (urgent: they are waiting for it)."""
        rows = rec.pending_subscriptions(conn, fault_id)
        languages = rec.languages_of(conn, (row.mobile for row in rows))
        for row in rows:
            queue_sms(conn, self._templates, kind="restored", to=row.mobile,
                      language=languages.get(row.mobile, "hi"), values={"asset": code},
                      now=now, key=f"restored:{fault_id}:{row.mobile}")  # fmt: skip
        rec.mark_notified(conn, (row.id for row in rows), now)
        return [row.mobile for row in rows]

    def _cancel_callbacks(
        self, conn: Connection, fault_id: int, asset: rec.Asset, now: datetime
    ) -> int:
        """Callbacks made pointless by the restoration are cancelled, each with an SMS: those
        booked through Asterisk (rows in `callbacks`) and those in the live queues (Twilio)."""
        booked = rec.cancel_sql_callbacks(conn, asset, now)
        for number, language in booked:
            key = f"callback_cancelled:{fault_id}:{number}"
            queue_sms(conn, self._templates, kind="callback_cancelled", to=number,
                      language=language, values={"asset": asset.code},
                      now=now, key=key)  # fmt: skip
        return len(booked) + self._cancel_live_callbacks(conn, fault_id, asset, now)

    def _cancel_live_callbacks(
        self, conn: Connection, fault_id: int, asset: rec.Asset, now: datetime
    ) -> int:
        routing = self._extras.get("routing")
        if routing is None:
            return 0
        consumers = rec.consumer_ivrs_under(conn, asset)
        try:
            cancelled = routing.live.cancel_callbacks(
                now.timestamp(), fault_id=str(fault_id), consumers=consumers
            )
        except LiveStateUnavailable as exc:  # the restore stands; the callbacks just ring later
            log.warning("fault %s restored but callbacks not cancelled: %s", fault_id, exc)
            return 0
        for callback in cancelled:
            key = f"callback_cancelled:{fault_id}:{callback.consumer_id}"
            queue_sms(conn, self._templates, kind="callback_cancelled", to=callback.phone,
                      language=callback.language or "hi", values={"asset": asset.code},
                      now=now, key=key)  # fmt: skip
        return len(cancelled)

    def _audit(
        self, conn: Connection, now: datetime, actor: str, action: str, fault: Fault,
        company: str, source: str, notices: NoticeReport,
    ) -> None:  # fmt: skip
        detail = fault_view(fault, company=company, source=source)
        if notices:  # what the outage SMS did, for the administrator reading the audit log
            detail["outage_sms"] = notices.as_dict()
        rec.audit(conn, at=now, actor=actor, action=action, subject=f"fault:{fault.id}",
                  detail=detail)  # fmt: skip

    def active(self, company: str | None = None) -> list[dict[str, Any]]:
        """Active faults as JSON, newest first."""
        with self._engine.connect() as conn:
            rows = rec.active_faults(conn)
        return [fault_view(f, company=c, source=s) for c, s, f in rows if company in (None, c)]


def _with_id(fault: Fault, fault_id: int) -> Fault:
    return replace(fault, id=str(fault_id))


def _choose_asset(found: list[rec.Asset], message: FaultMessage) -> rec.Asset | FaultResult:
    code, level = message.asset_code, message.level
    matching = [a for a in found if level is None or a.level is level]
    if len(matching) == 1:
        return matching[0]
    if not found:
        problem = "no substation, feeder or transformer has this code"
    elif not matching:
        problem = f"{code} is a {found[0].level.value}, not a {level.value if level else '-'}"
    else:
        problem = f"{code} names several assets; say which level"
    error = MessageError("asset_code" if not matching else "level", problem)
    return FaultResult(FaultOutcome.UNKNOWN_ASSET, f"{error.path}: {problem}", errors=(error,))


def _resolve_linked(conn: Connection, fault_id: int, *, now: datetime, actor: str) -> list[int]:
    """Resolve the complaints linked to the fault (the complaint lifecycle's rule), if present."""
    try:
        from services.complaint_lifecycle import resolve_linked_to_fault
    except ImportError:  # an installation without the complaint lifecycle
        return []
    return list(resolve_linked_to_fault(conn, fault_id, now=now, actor=actor))
