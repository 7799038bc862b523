"""Fault-status messages from the outage feed: parse them, then decide what each one changes.

A message is a flat JSON object with a `message_id` (required: the edge stores seen ids, so a
repeat is harmless) and an `action`:

- `report`: `asset_code`, `level`, `cause` required; `etr` (ISO 8601 with offset, or HH:MM
  local), `force_majeure` (default false), `started_at` (default: now) and
  `consumers_affected` (default: counted by the edge from the network) optional. An outage's
  first trip rarely comes with an ETR, so a report may omit it.
- `update_etr`: `asset_code`, `etr` required; `level` optional.
- `restore`: `asset_code` required; `level`, `restored_at` (default: now) optional.

`parse_fault_message` returns a message or every problem found, each naming its field; unknown
fields are problems too. `apply` is the pure decision: given the message and the fault the edge
found for that asset (the latest one, restored or not), what changes. Nothing here raises for a
peer's mistake. ETR rules live in `outages.etr`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from outages.errors import OutageError
from outages.faults import Cause, Fault, FaultLevel, normalise_asset_code
from outages.fields import FieldReader, MessageError


class FaultAction(StrEnum):
    """What a message asks for."""

    REPORT = "report"
    UPDATE_ETR = "update_etr"
    RESTORE = "restore"


_COMMON = frozenset({"message_id", "action", "asset_code", "level"})
_FIELDS = {
    FaultAction.REPORT: _COMMON
    | {"cause", "etr", "force_majeure", "started_at", "consumers_affected"},
    FaultAction.UPDATE_ETR: _COMMON | {"etr"},
    FaultAction.RESTORE: _COMMON | {"restored_at"},
}


@dataclass(frozen=True, slots=True)
class FaultReported:
    """A new fault on an asset (or a repeat report of a known one)."""

    message_id: str
    asset_code: str
    level: FaultLevel
    cause: Cause
    etr: datetime | None
    force_majeure: bool
    started_at: datetime | None
    consumers_affected: int | None


@dataclass(frozen=True, slots=True)
class EtrUpdated:
    """A new ETR for the fault on an asset."""

    message_id: str
    asset_code: str
    level: FaultLevel | None
    etr: datetime


@dataclass(frozen=True, slots=True)
class FaultRestored:
    """Supply on an asset is back; `restored_at` None means "now"."""

    message_id: str
    asset_code: str
    level: FaultLevel | None
    restored_at: datetime | None


FaultMessage = FaultReported | EtrUpdated | FaultRestored


@dataclass(frozen=True, slots=True)
class _Head:
    # The fields every action shares, read before the action's own.
    message_id: str
    asset_code: str
    level: FaultLevel | None


def parse_fault_message(
    payload: Mapping[str, object], now: datetime
) -> FaultMessage | list[MessageError]:
    """The message in `payload`, or every problem with it. `now` must be time-zone aware.

    >>> from datetime import timezone
    >>> now = datetime(2026, 7, 1, 19, 0, tzinfo=timezone.utc)
    >>> parse_fault_message({"message_id": "m1", "action": "restore"}, now)
    [MessageError(path='asset_code', message='is required')]
    """
    if now.tzinfo is None:
        raise OutageError("parse_fault_message needs a time-zone aware `now`")
    errors: list[MessageError] = []
    read = FieldReader(payload, errors)
    message_id = read.text("message_id")
    action = read.choice("action", FaultAction)
    if action is None:
        return errors  # without an action we cannot tell which fields belong
    read.unknown_keys(_FIELDS[action])
    asset_code = read.text("asset_code")
    level = read.choice("level", FaultLevel, required=action is FaultAction.REPORT)
    head = _Head(message_id or "", normalise_asset_code(asset_code or ""), level)
    if action is FaultAction.REPORT:
        message: FaultMessage | None = _report(head, read, now)
    elif action is FaultAction.UPDATE_ETR:
        etr = read.etr("etr", now, required=True)
        message = None if etr is None else EtrUpdated(*_head_fields(head), etr)
    else:
        message = FaultRestored(*_head_fields(head), read.past_instant("restored_at", now))
    if errors or message is None:
        return errors
    return message


def _head_fields(head: _Head) -> tuple[str, str, FaultLevel | None]:
    return head.message_id, head.asset_code, head.level


def _report(head: _Head, read: FieldReader, now: datetime) -> FaultReported | None:
    # Every field is read before giving up, so the peer hears of all its mistakes at once.
    cause = read.choice("cause", Cause)
    etr = read.etr("etr", now, required=False)
    force_majeure = read.boolean("force_majeure", default=False)
    started_at = read.past_instant("started_at", now)
    consumers = read.count("consumers_affected")
    if head.level is None or cause is None:
        return None
    return FaultReported(
        head.message_id,
        head.asset_code,
        head.level,
        cause,
        etr,
        force_majeure,
        started_at,
        consumers,
    )


class UnchangedReason(StrEnum):
    """Why a valid message changes nothing (all harmless)."""

    DUPLICATE_MESSAGE = "message already processed"
    ALREADY_ACTIVE = "fault already reported with this ETR"
    SAME_ETR = "ETR unchanged"
    ALREADY_RESTORED = "fault already restored"


@dataclass(frozen=True, slots=True)
class EtrChange:
    """One entry of a fault's ETR history."""

    previous: datetime | None
    new: datetime
    changed_at: datetime
    message_id: str


@dataclass(frozen=True, slots=True)
class FaultOpened:
    """A new fault to store."""

    fault: Fault


@dataclass(frozen=True, slots=True)
class EtrChanged:
    """The fault with its new ETR, and the history entry to append."""

    fault: Fault
    change: EtrChange


@dataclass(frozen=True, slots=True)
class FaultClosed:
    """The fault, now restored."""

    fault: Fault


@dataclass(frozen=True, slots=True)
class Unchanged:
    """Nothing to do."""

    reason: UnchangedReason


@dataclass(frozen=True, slots=True)
class Rejected:
    """The message contradicts what we know (e.g. "restore of an unknown fault")."""

    reason: str


Outcome = FaultOpened | EtrChanged | FaultClosed | Unchanged | Rejected


def apply(
    message: FaultMessage,
    current: Fault | None,
    now: datetime,
    *,
    seen_message_ids: Collection[str] = frozenset(),
    new_fault_id: str | None = None,
    consumers_affected: int = 0,
) -> Outcome:
    """What `message` changes, given `current`, the latest fault on its asset (or None).

    A report for an asset whose latest fault is restored opens a new fault with id
    `new_fault_id` (default: the message id) and the message's consumer count or else
    `consumers_affected`; a report for a still-active fault only updates its ETR if it brings a
    different one. An ETR update or restore of an already restored fault is a late message and
    changes nothing; of an unknown fault it is rejected.
    """
    if message.message_id in seen_message_ids:
        return Unchanged(UnchangedReason.DUPLICATE_MESSAGE)
    if isinstance(message, FaultReported):
        return _apply_report(message, current, now, new_fault_id, consumers_affected)
    if current is None:
        what = "ETR update" if isinstance(message, EtrUpdated) else "restore"
        return Rejected(f"{what} of an unknown fault")
    if current.restored_at is not None:
        return Unchanged(UnchangedReason.ALREADY_RESTORED)
    if isinstance(message, EtrUpdated):
        return _change_etr(current, message.etr, message.message_id, now, UnchangedReason.SAME_ETR)
    restored_at = message.restored_at if message.restored_at is not None else now
    if restored_at < current.started_at:
        return Rejected("restore time is before the fault started")
    return FaultClosed(replace(current, restored_at=restored_at))


def _apply_report(
    message: FaultReported,
    current: Fault | None,
    now: datetime,
    new_fault_id: str | None,
    consumers_affected: int,
) -> Outcome:
    if current is not None and current.restored_at is None:
        if message.etr is None:
            return Unchanged(UnchangedReason.ALREADY_ACTIVE)
        return _change_etr(
            current, message.etr, message.message_id, now, UnchangedReason.ALREADY_ACTIVE
        )
    count = message.consumers_affected
    fault = Fault(
        id=new_fault_id if new_fault_id is not None else message.message_id,
        level=message.level,
        asset_code=message.asset_code,
        cause=message.cause,
        started_at=message.started_at if message.started_at is not None else now,
        etr=message.etr,
        restored_at=None,
        force_majeure=message.force_majeure,
        consumers_affected=count if count is not None else consumers_affected,
    )
    return FaultOpened(fault)


def _change_etr(
    fault: Fault, etr: datetime, message_id: str, now: datetime, same: UnchangedReason
) -> Outcome:
    if fault.etr == etr:
        return Unchanged(same)
    change = EtrChange(previous=fault.etr, new=etr, changed_at=now, message_id=message_id)
    return EtrChanged(replace(fault, etr=etr), change)
