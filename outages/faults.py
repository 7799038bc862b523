"""Faults on the network and which of them covers a consumer's supply.

A fault sits on one asset at one level (substation, feeder or distribution transformer) and is
active from `started_at` until `restored_at`. A consumer's supply point names the three assets
their supply passes through; the fault that "covers" them is the most specific active one, since
that is the one the crew on site is working and whose ETR the caller should hear. Asset codes
are compared after `normalise_asset_code` (upper case, no spaces), the same form every parser
here produces. Pure: values in, values out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class FaultLevel(StrEnum):
    """Where in the network a fault sits; a higher `specificity` covers fewer consumers."""

    SUBSTATION = "substation"
    FEEDER = "feeder"
    TRANSFORMER = "transformer"

    @property
    def specificity(self) -> int:
        """0 for a substation, 1 for a feeder, 2 for a transformer."""
        return _SPECIFICITY[self]


_SPECIFICITY = {FaultLevel.SUBSTATION: 0, FaultLevel.FEEDER: 1, FaultLevel.TRANSFORMER: 2}


class Cause(StrEnum):
    """Cause codes shared by the feed API, field SMS, console and the IVR read-out."""

    TREE = "tree"
    WIND = "wind"
    RAIN = "rain"
    LIGHTNING = "lightning"
    FLOOD = "flood"
    EQUIPMENT = "equipment"
    OVERLOAD = "overload"
    MAINTENANCE = "maintenance"
    ACCIDENT = "accident"
    UNKNOWN = "unknown"

    @property
    def is_natural_event(self) -> bool:
        """True for storms and natural events: the usual grounds for force majeure.

        Whether a fault is finally treated as force majeure is the operator's call (the
        `Fault.force_majeure` flag); this is only the default an edge may offer.
        """
        return self in _NATURAL


_NATURAL = frozenset({Cause.TREE, Cause.WIND, Cause.RAIN, Cause.LIGHTNING, Cause.FLOOD})


def normalise_asset_code(text: str) -> str:
    """The canonical form of an asset code: upper case, no whitespace.

    >>> normalise_asset_code(" bpl-f 023 ")
    'BPL-F023'
    """
    return "".join(text.split()).upper()


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault on one asset. `etr` is the latest estimated restoration time, if any."""

    id: str
    level: FaultLevel
    asset_code: str
    cause: Cause
    started_at: datetime
    etr: datetime | None
    restored_at: datetime | None
    force_majeure: bool
    consumers_affected: int

    def is_active(self, now: datetime) -> bool:
        """Started at or before `now` and not restored by then."""
        if self.started_at > now:
            return False
        return self.restored_at is None or self.restored_at > now


@dataclass(frozen=True, slots=True)
class SupplyPoint:
    """The assets a consumer's supply passes through; unknown feeder/transformer is None."""

    substation_code: str
    feeder_code: str | None = None
    transformer_code: str | None = None

    def asset_at(self, level: FaultLevel) -> str | None:
        """The (normalised) asset code this supply point has at `level`, if known."""
        code = {
            FaultLevel.SUBSTATION: self.substation_code,
            FaultLevel.FEEDER: self.feeder_code,
            FaultLevel.TRANSFORMER: self.transformer_code,
        }[level]
        return None if code is None else normalise_asset_code(code)


def covers(fault: Fault, point: SupplyPoint) -> bool:
    """True when the fault's asset is on this supply point (whether or not it is active)."""
    code = point.asset_at(fault.level)
    return code is not None and code == normalise_asset_code(fault.asset_code)


def covering_fault(point: SupplyPoint, active: Iterable[Fault], now: datetime) -> Fault | None:
    """The most specific active fault covering `point`, or None.

    A transformer fault beats a feeder fault, which beats a substation fault. Between faults at
    the same level (two reports of one outage) the one with the latest ETR wins, so a caller is
    never promised an earlier time than some crew has given; a fault with an ETR beats one
    without (an ETR is the most useful thing to say), then the later start, then the larger id,
    so the answer never depends on the order of `active`. Faults not active at `now` are skipped
    even if passed in.
    """
    candidates = [f for f in active if f.is_active(now) and covers(f, point)]
    if not candidates:
        return None
    return max(candidates, key=_precedence)


def _precedence(fault: Fault) -> tuple[int, float, float, str]:
    # No ETR sorts below any ETR; timestamps keep aware datetimes of any zone comparable.
    etr = float("-inf") if fault.etr is None else fault.etr.timestamp()
    return (fault.level.specificity, etr, fault.started_at.timestamp(), fault.id)
