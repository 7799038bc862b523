"""Rules for telling consumers of an outage by SMS: who is told, when again, and about what.

The rules, kept deliberately few:

- **Overlap.** A fault's *place* is the path of asset codes from its substation down to its
  asset: (substation,), (substation, feeder) or (substation, feeder, transformer). Two faults
  overlap when one place starts with the other (a substation and a feeder under it, a feeder and
  one of its transformers): some consumers are cut off by both.
- **One outage SMS per outage.** When a fault opens, a mobile that was told of an overlapping
  fault that is still active, within `repeat_after`, gets no second outage SMS; it is recorded
  as *covered* and follows the new fault silently. After `repeat_after` a new fault tells it
  again (a reminder that its supply is still off).
- **ETR updates.** A mobile told of a fault hears its ETR again only when the ETR moved by at
  least `etr_change` (either way) from the ETR it last heard, or when a first ETR is given.
- **Hand-over.** When a fault ends, a mobile still under another active overlapping fault gets
  no "restored" SMS (its supply is not back). If it was only covered by that other fault, it
  now gets that fault's outage SMS (the most specific one, as the IVR would tell it), so nobody
  is left without word of an outage that continues.

Pure: values in, values out; times are time-zone aware.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from outages.faults import Fault, FaultLevel, normalise_asset_code

Place = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NoticeRules:
    """The administrator's choices (`[outage_sms]`), as the rules above use them."""

    levels: frozenset[FaultLevel]
    repeat_after: timedelta
    etr_change: timedelta
    etr_updates: bool = True

    def notifies(self, level: FaultLevel) -> bool:
        """Whether a new fault at this level sends outage SMS."""
        return level in self.levels

    def quiet_since(self, now: datetime) -> datetime:
        """Notices given from this moment on make a second outage SMS unnecessary."""
        return now - self.repeat_after

    def etr_moved(self, told: datetime | None, new: datetime | None) -> bool:
        """Whether `new` is worth an "ETR updated" SMS to someone who last heard `told`.

        >>> from datetime import timezone
        >>> rules = NoticeRules(frozenset(), timedelta(hours=6), timedelta(minutes=30))
        >>> at = datetime(2026, 7, 1, 18, 0, tzinfo=timezone.utc)
        >>> [rules.etr_moved(at, at + timedelta(minutes=m)) for m in (29, 30, -45)]
        [False, True, True]
        >>> rules.etr_moved(None, at), rules.etr_moved(at, None)
        (True, False)
        """
        if new is None:
            return False
        return told is None or abs(new - told) >= self.etr_change


def place_of(substation: str, feeder: str | None = None, transformer: str | None = None) -> Place:
    """The place of an asset from the codes above it (normalised, top first).

    >>> place_of("bpl-ss 1", "BPL01F001")
    ('BPL-SS1', 'BPL01F001')
    """
    codes = (substation, feeder, transformer)
    return tuple(normalise_asset_code(code) for code in codes if code is not None)


def overlaps(a: Place, b: Place) -> bool:
    """True when one place lies on the path of the other.

    >>> overlaps(("S1",), ("S1", "F1")), overlaps(("S1", "F1"), ("S1", "F2"))
    (True, False)
    """
    shorter, longer = sorted((a, b), key=len)
    return bool(shorter) and longer[: len(shorter)] == shorter


def overlapping(place: Place, others: Iterable[tuple[Fault, Place]]) -> list[Fault]:
    """The faults among `others` whose places overlap `place`."""
    return [fault for fault, other in others if overlaps(place, other)]


def most_specific(faults: Iterable[Fault]) -> Fault | None:
    """The fault a consumer under all of `faults` should hear of: transformer before feeder
    before substation; then the later ETR (no ETR last), then the larger id, so the answer
    does not depend on the order given."""
    return max(faults, key=_precedence, default=None)


def _precedence(fault: Fault) -> tuple[int, float, int, str]:
    etr = float("-inf") if fault.etr is None else fault.etr.timestamp()
    return (fault.level.specificity, etr, len(fault.id), fault.id)


def etr_text(etr: datetime | None, now: datetime, zone: tzinfo, unknown: str) -> str:
    """An ETR as an SMS says it: local "HH:MM", with "DD-MM" when not today; else `unknown`.

    >>> from datetime import timezone
    >>> now = datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)
    >>> etr_text(now + timedelta(hours=6), now, timezone.utc, "-")
    '18:00'
    >>> etr_text(now + timedelta(hours=13), now, timezone.utc, "-")
    '01:00 02-07'
    """
    if etr is None:
        return unknown
    local, today = etr.astimezone(zone), now.astimezone(zone).date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%H:%M %d-%m")


def notice_values(
    fault: Fault,
    language: str,
    *,
    words: Mapping[str, Mapping[str, str]],
    now: datetime,
    zone: tzinfo,
) -> dict[str, str]:
    """What the outage and ETR templates are filled with, in `language`; a word missing from
    `words` is said as its code."""

    def word(name: str) -> str:
        return words.get(name, {}).get(language, name)

    return {
        "level": word(fault.level.value),
        "asset": fault.asset_code,
        "cause": word(fault.cause.value),
        "etr": etr_text(fault.etr, now, zone, word("etr_unknown")),
    }
