"""Complaint kinds and their Standards-of-Performance (SoP) time limits.

The kinds mirror the companies' services. SoP limits are configuration (the `[sop]` table of
`config/complaints.toml`, one sub-table per kind), validated strictly by `load_sop_limits`. Each
limit is given in `_hours` or `_days` per area, e.g. `urban_hours = 4`, `rural_days = 3`;
optional `urban_holiday_*` / `rural_holiday_*` apply when the complaint is registered on a
holiday; an optional `above_amount` sub-table (`rupees` plus its own urban/rural limits) applies
to bill complaints above that amount. A kind with no entry has no SoP limit (`deadline` returns
None). Limits run on the clock, round the clock, from registration, as the regulations state
them in hours and days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from complaints.errors import ComplaintError
from complaints.validation import positive_number, reject_unknown, required, table


class ComplaintKind(StrEnum):
    """What a complaint is about."""

    NO_SUPPLY = "no_supply"  # supply failure / "fuse off call"
    TRANSFORMER = "transformer"  # distribution transformer failure
    LINE_DAMAGE = "line_damage"  # wire down, sparking, accident: a hazard
    BROKEN_POLE = "broken_pole"
    BILL = "bill"
    THEFT = "theft"
    METER = "meter"
    NEW_CONNECTION = "new_connection"
    OTHER = "other"

    @property
    def is_hazard(self) -> bool:
        """Hazards go first in every queue and are never deflected by the IVR."""
        return self is ComplaintKind.LINE_DAMAGE


class Area(StrEnum):
    """Urban and rural supply have different SoP limits."""

    URBAN = "urban"
    RURAL = "rural"


@dataclass(frozen=True, slots=True)
class AmountBand:
    """Limits for amounts strictly above `above_paise`."""

    above_paise: int
    urban: timedelta
    rural: timedelta


@dataclass(frozen=True, slots=True)
class SopLimit:
    """The limits of one kind."""

    urban: timedelta
    rural: timedelta
    urban_holiday: timedelta | None = None
    rural_holiday: timedelta | None = None
    above_amount: AmountBand | None = None

    def limit(self, area: Area, *, holiday: bool, amount_paise: int | None) -> timedelta:
        """The limit that applies; an unknown amount takes the lower band (the stricter one)."""
        band = self.above_amount
        if band is not None and amount_paise is not None and amount_paise > band.above_paise:
            return band.urban if area is Area.URBAN else band.rural
        if area is Area.URBAN:
            return self.urban_holiday if holiday and self.urban_holiday is not None else self.urban
        return self.rural_holiday if holiday and self.rural_holiday is not None else self.rural


@dataclass(frozen=True, slots=True)
class SopLimits:
    """Limits by kind; kinds absent have no SoP limit."""

    by_kind: Mapping[ComplaintKind, SopLimit]


def default_sop_config() -> dict[str, object]:
    """The `[sop]` table holding DOMAIN.md's published limits."""
    return {
        "no_supply": {"urban_hours": 4, "urban_holiday_hours": 5, "rural_hours": 24},
        "transformer": {"urban_hours": 24, "rural_hours": 72},
        "broken_pole": {"urban_hours": 12, "rural_days": 3},
        "bill": {
            "urban_days": 4,
            "rural_days": 8,
            "above_amount": {"rupees": 20000, "urban_days": 5, "rural_days": 10},
        },
    }


_STEMS = ("urban", "rural", "urban_holiday", "rural_holiday")
_KIND_KEYS = frozenset({f"{s}_{u}" for s in _STEMS for u in ("hours", "days")} | {"above_amount"})
_BAND_KEYS = frozenset({"rupees", "urban_hours", "urban_days", "rural_hours", "rural_days"})


def load_sop_limits(config: Mapping[str, object], *, path: str = "sop") -> SopLimits:
    """Validate the `[sop]` table; raises `ComplaintError` starting with the bad value's path."""
    by_kind: dict[ComplaintKind, SopLimit] = {}
    for name, value in table(config, path).items():
        try:
            kind = ComplaintKind(name)
        except ValueError:
            known = ", ".join(k.value for k in ComplaintKind)
            raise ComplaintError(f"{path}.{name}: unknown complaint kind; known: {known}") from None
        by_kind[kind] = _load_limit(table(value, f"{path}.{name}"), f"{path}.{name}")
    return SopLimits(by_kind)


def _load_limit(values: Mapping[str, object], path: str) -> SopLimit:
    reject_unknown(values, _KIND_KEYS, path)
    band = None
    if "above_amount" in values:
        band = _load_band(table(values["above_amount"], f"{path}.above_amount"), path)
    return SopLimit(
        urban=_duration(values, "urban", path),
        rural=_duration(values, "rural", path),
        urban_holiday=_optional_duration(values, "urban_holiday", path),
        rural_holiday=_optional_duration(values, "rural_holiday", path),
        above_amount=band,
    )


def _load_band(values: Mapping[str, object], kind_path: str) -> AmountBand:
    path = f"{kind_path}.above_amount"
    reject_unknown(values, _BAND_KEYS, path)
    rupees = positive_number(required(values, "rupees", path), f"{path}.rupees")
    return AmountBand(
        above_paise=round(rupees * 100),
        urban=_duration(values, "urban", path),
        rural=_duration(values, "rural", path),
    )


def _optional_duration(values: Mapping[str, object], stem: str, path: str) -> timedelta | None:
    if f"{stem}_hours" not in values and f"{stem}_days" not in values:
        return None
    return _duration(values, stem, path)


def _duration(values: Mapping[str, object], stem: str, path: str) -> timedelta:
    hours_key, days_key = f"{stem}_hours", f"{stem}_days"
    if hours_key in values and days_key in values:
        raise ComplaintError(f"{path}.{days_key}: give {hours_key} or {days_key}, not both")
    if days_key in values:
        return timedelta(days=positive_number(values[days_key], f"{path}.{days_key}"))
    if hours_key not in values:
        raise ComplaintError(f"{path}.{hours_key}: missing (or give {days_key})")
    return timedelta(hours=positive_number(values[hours_key], f"{path}.{hours_key}"))


def deadline(
    kind: ComplaintKind,
    area: Area,
    registered_at: datetime,
    *,
    limits: SopLimits,
    holidays: frozenset[date],
    amount_paise: int | None = None,
) -> datetime | None:
    """When the SoP limit for this complaint runs out, or None if its kind has no limit.

    A holiday limit applies when the complaint is registered on a date in `holidays` (the
    local date of `registered_at`).

    >>> from datetime import timezone
    >>> limits = load_sop_limits(default_sop_config())
    >>> at = datetime(2026, 8, 15, 10, 0, tzinfo=timezone.utc)
    >>> deadline(ComplaintKind.NO_SUPPLY, Area.URBAN, at, limits=limits,
    ...          holidays=frozenset({at.date()})).isoformat()
    '2026-08-15T15:00:00+00:00'
    """
    limit = limits.by_kind.get(kind)
    if limit is None:
        return None
    holiday = registered_at.date() in holidays
    return registered_at + limit.limit(area, holiday=holiday, amount_paise=amount_paise)
