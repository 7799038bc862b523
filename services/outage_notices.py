"""Proactive outage SMS: everyone a new fault cuts off hears of it before they think of calling.

The fault service calls `OutageNotices` inside its own transaction, so a fault and its notices
commit together (nothing lost, nothing sent for a fault that was not stored):

- `opened`: an "outage" SMS (cause, level and asset, ETR if known, in the language of the
  consumer's record) to every mobile registered on a connection the fault covers, unless the
  mobile was told of an overlapping active fault lately (`outages.notices` has the rules); those
  are recorded as covered.
- `etr_changed`: notices not sent yet get the new ETR in their text; those already told get an
  "ETR updated" SMS when the ETR moved by the configured minutes (if switched on).
- `restored`: notices not sent yet are cancelled; those who were told get "restored" (after the
  subscribers, without a second one), unless another overlapping fault still cuts them off, in
  which case a mobile that only followed that fault silently is now told of it.

All of these are bulk messages: the outbox sends them after urgent ones, at the configured pace.
Idempotency keys: `outage:<fault>:<mobile>`, `etr_updated:<message id>:<mobile>`,
`restored:<fault>:<mobile>` (the last shared with the subscribers' restore SMS).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from config.settings import OutageSms
from outages.faults import Fault
from outages.notices import NoticeRules, most_specific, notice_values, overlapping
from services import outage_notice_records as nrec
from services.fault_records import Asset
from store.outbox import Recipient, queue_bulk_sms, render_sms

log = logging.getLogger(__name__)

CANCELLED = "fault restored before this notice was sent"


@dataclass(frozen=True, slots=True)
class NoticeReport:
    """What one fault change did to the outage SMS (all zero when nothing)."""

    queued: int = 0  # SMS queued (outage, ETR updated, restored, hand-over)
    covered: int = 0  # mobiles told lately of an overlapping fault: no second SMS
    refreshed: int = 0  # unsent notices given the new ETR
    cancelled: int = 0  # unsent notices cancelled at restoration
    held: int = 0  # restored, but still cut off by another fault: no "restored" SMS

    def __bool__(self) -> bool:
        return any((self.queued, self.covered, self.refreshed, self.cancelled, self.held))

    def as_dict(self) -> dict[str, int]:
        return {"queued": self.queued, "covered": self.covered, "refreshed": self.refreshed,
                "cancelled": self.cancelled, "held": self.held}  # fmt: skip


class OutageNotices:
    def __init__(
        self,
        *,
        config: OutageSms,
        templates: Mapping[str, Mapping[str, str]],
        zone: ZoneInfo,
    ) -> None:
        self._config = config
        self._templates = templates
        self._zone = zone
        self._rules = NoticeRules(
            levels=config.levels,
            repeat_after=timedelta(hours=config.repeat_after_hours),
            etr_change=timedelta(minutes=config.etr_change_minutes),
            etr_updates=config.etr_updates,
        )

    def opened(self, conn: Connection, fault: Fault, asset: Asset, now: datetime) -> NoticeReport:
        """Outage SMS for a fault just stored (`fault.id` is its row id)."""
        if not (self._config.enabled and self._rules.notifies(fault.level)):
            return NoticeReport()
        targets = nrec.mobiles_under(conn, asset)
        if not targets:
            return NoticeReport()
        others = self._overlapping(conn, asset, fault)
        told = nrec.told_since(conn, [int(f.id) for f in others], self._rules.quiet_since(now))
        fresh = [(mobile, lang) for mobile, lang in targets if mobile not in told]
        ids = self._queue(conn, "outage", fault, fresh, now, key=f"outage:{fault.id}")
        rows = [
            {"fault_id": int(fault.id), "mobile": mobile, "language": language,
             "outage_sms_id": ids.get(mobile), "latest_sms_id": ids.get(mobile),
             "told_etr": nrec.utc(fault.etr) if mobile in ids else None,
             "created_at": nrec.utc(now)}
            for mobile, language in targets
        ]  # fmt: skip
        nrec.insert_notices(conn, rows)
        return NoticeReport(queued=len(fresh), covered=len(targets) - len(fresh))

    def etr_changed(
        self, conn: Connection, fault: Fault, *, change_id: str, now: datetime
    ) -> NoticeReport:
        """A fault's new ETR: into the unsent notices, and to those told when it moved enough."""
        fault_id = int(fault.id)
        refreshed = 0
        for language in nrec.LANGUAGES:
            values = self._values(fault, language, now)
            for kind in ("outage", "etr_updated"):
                if kind in self._templates:
                    body, _ = render_sms(self._templates, kind, language, values)
                    refreshed += nrec.refresh_unsent(conn, fault_id, kind=kind,
                                                     language=language, body=body)  # fmt: skip
        nrec.mark_unsent_told(conn, fault_id, fault.etr)
        if not (self._config.enabled and self._rules.etr_updates):
            return NoticeReport(refreshed=refreshed)
        moved = [
            f for f in nrec.followers(conn, fault_id, told_only=True)
            if self._rules.etr_moved(f.told_etr, fault.etr)
        ]  # fmt: skip
        targets = [(f.mobile, f.language) for f in moved]
        ids = self._queue(conn, "etr_updated", fault, targets, now, key=f"etr_updated:{change_id}")
        nrec.set_latest(conn, ((f.id, ids[f.mobile], fault.etr) for f in moved))
        return NoticeReport(queued=len(moved), refreshed=refreshed)

    def restored(
        self,
        conn: Connection,
        fault: Fault,
        asset: Asset,
        now: datetime,
        *,
        subscribers: Iterable[str],
    ) -> NoticeReport:
        """Cancel what was not sent; "restored" to those told (not again to `subscribers`, who
        have theirs already), or word of the fault that still cuts them off."""
        fault_id = int(fault.id)
        cancelled = nrec.cancel_unsent(conn, fault_id, reason=CANCELLED)
        mine = nrec.followers(conn, fault_id)
        if not mine:
            return NoticeReport(cancelled=cancelled)
        others = self._overlapping(conn, asset, fault)
        elsewhere = nrec.notices_of_same_mobiles(conn, fault_id, [int(f.id) for f in others])
        handed = self._hand_over(conn, elsewhere, others, now)
        still = {mobile for _, _, mobile, _, _ in elsewhere}
        skip = {_national(number) for number in subscribers}
        done = [
            (f.mobile, f.language) for f in mine
            if f.mobile not in still and _was_told(f) and _national(f.mobile) not in skip
        ]  # fmt: skip
        self._queue(conn, "restored", fault, done, now, key=f"restored:{fault_id}")
        return NoticeReport(queued=len(done) + handed, cancelled=cancelled, held=len(still))

    def _hand_over(
        self,
        conn: Connection,
        elsewhere: list[tuple[int, int, str, str, int | None]],
        others: list[Fault],
        now: datetime,
    ) -> int:
        """Mobiles only covered by the remaining faults are now told of the most specific."""
        by_id = {int(f.id): f for f in others}
        plan = _hand_over_plan(elsewhere, by_id)
        for fault_id, notices in plan.items():
            fault = by_id[fault_id]
            targets = [(mobile, language) for _, mobile, language in notices]
            ids = self._queue(conn, "outage", fault, targets, now, key=f"outage:{fault_id}")
            changes = ((notice_id, ids[mobile], fault.etr) for notice_id, mobile, _ in notices)
            nrec.set_latest(conn, changes, first=True)
        return sum(len(notices) for notices in plan.values())

    def _overlapping(self, conn: Connection, asset: Asset, fault: Fault) -> list[Fault]:
        place = nrec.place_of_asset(conn, asset)
        active = [(f, p) for f, p in nrec.active_places(conn) if f.id != fault.id]
        return overlapping(place, active)

    def _queue(
        self,
        conn: Connection,
        kind: str,
        fault: Fault,
        targets: list[tuple[str, str]],
        now: datetime,
        *,
        key: str,
    ) -> dict[str, int]:
        """Queue `kind` about `fault` to (mobile, language) targets; outbox ids by mobile."""
        if not targets:
            return {}
        values = {language: self._values(fault, language, now) for language in nrec.LANGUAGES}
        recipients = [Recipient(f"{key}:{mobile}", mobile, lang) for mobile, lang in targets]
        ids = queue_bulk_sms(conn, self._templates, kind=kind, recipients=recipients,
                             values=values, now=now)  # fmt: skip
        log.info("fault %s: %d %s SMS queued", fault.id, len(targets), kind)
        return {r.to: ids[r.key] for r in recipients}

    def _values(self, fault: Fault, language: str, now: datetime) -> dict[str, str]:
        return notice_values(fault, language, words=self._config.words, now=now, zone=self._zone)


def _hand_over_plan(
    elsewhere: list[tuple[int, int, str, str, int | None]], faults: Mapping[int, Fault]
) -> dict[int, list[tuple[int, str, str]]]:
    """(notice id, mobile, language) to tell, by fault: for each mobile with no outage SMS on
    any of the remaining faults, its notice on the most specific of them."""
    told = {mobile for _, _, mobile, _, sms in elsewhere if sms is not None}
    covered: dict[str, list[tuple[int, int, str]]] = {}
    for notice_id, fault_id, mobile, language, _ in elsewhere:
        if mobile not in told:
            covered.setdefault(mobile, []).append((notice_id, fault_id, language))
    plan: dict[int, list[tuple[int, str, str]]] = {}
    for mobile, notices in covered.items():
        target = most_specific(faults[fault_id] for _, fault_id, _ in notices)
        for notice_id, fault_id, language in notices:
            if target is not None and fault_id == int(target.id):
                plan.setdefault(fault_id, []).append((notice_id, mobile, language))
    return plan


def _was_told(follower: nrec.Follower) -> bool:
    """Whether the mobile may have had word of the outage: covered (told of another fault), or
    its outage SMS went, or a worker had taken it before the cancellation."""
    if follower.outage_sms_id is None:
        return True
    return follower.status == "sent" or (follower.status == "cancelled" and follower.attempts > 0)


def _national(number: str) -> str:
    """The last ten digits: "+919000000002" and "9000000002" are one mobile."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return digits[-10:]
