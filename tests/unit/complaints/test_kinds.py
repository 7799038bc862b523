import re
from datetime import date, datetime, timedelta, timezone

import pytest

from complaints.errors import ComplaintError
from complaints.kinds import (
    Area,
    ComplaintKind,
    deadline,
    default_sop_config,
    load_sop_limits,
)

IST = timezone(timedelta(hours=5, minutes=30))
AT = datetime(2026, 7, 1, 22, 15, tzinfo=IST)
LIMITS = load_sop_limits(default_sop_config())
NO_HOLIDAYS: frozenset[date] = frozenset()


def limit(
    kind: ComplaintKind,
    area: Area,
    *,
    holidays: frozenset[date] = NO_HOLIDAYS,
    amount_paise: int | None = None,
) -> timedelta | None:
    result = deadline(kind, area, AT, limits=LIMITS, holidays=holidays, amount_paise=amount_paise)
    return None if result is None else result - AT


@pytest.mark.parametrize(
    ("kind", "area", "hours"),
    [
        (ComplaintKind.NO_SUPPLY, Area.URBAN, 4),
        (ComplaintKind.NO_SUPPLY, Area.RURAL, 24),
        (ComplaintKind.TRANSFORMER, Area.URBAN, 24),
        (ComplaintKind.TRANSFORMER, Area.RURAL, 72),
        (ComplaintKind.BROKEN_POLE, Area.URBAN, 12),
        (ComplaintKind.BROKEN_POLE, Area.RURAL, 72),
        (ComplaintKind.BILL, Area.URBAN, 4 * 24),
        (ComplaintKind.BILL, Area.RURAL, 8 * 24),
    ],
)
def test_published_limits(kind: ComplaintKind, area: Area, hours: int) -> None:
    assert limit(kind, area) == timedelta(hours=hours)


def test_holiday_extends_urban_supply_failure_only() -> None:
    holidays = frozenset({AT.date()})
    assert limit(ComplaintKind.NO_SUPPLY, Area.URBAN, holidays=holidays) == timedelta(hours=5)
    assert limit(ComplaintKind.NO_SUPPLY, Area.RURAL, holidays=holidays) == timedelta(hours=24)
    assert limit(ComplaintKind.TRANSFORMER, Area.URBAN, holidays=holidays) == timedelta(hours=24)
    tomorrow = frozenset({AT.date() + timedelta(days=1)})
    assert limit(ComplaintKind.NO_SUPPLY, Area.URBAN, holidays=tomorrow) == timedelta(hours=4)


@pytest.mark.parametrize(
    ("paise", "urban_days", "rural_days"),
    [(None, 4, 8), (1_999_999, 4, 8), (2_000_000, 4, 8), (2_000_001, 5, 10), (9_000_000, 5, 10)],
)
def test_bill_amount_bands(paise: int | None, urban_days: int, rural_days: int) -> None:
    assert limit(ComplaintKind.BILL, Area.URBAN, amount_paise=paise) == timedelta(days=urban_days)
    assert limit(ComplaintKind.BILL, Area.RURAL, amount_paise=paise) == timedelta(days=rural_days)


def test_kinds_without_a_limit_have_no_deadline() -> None:
    for kind in (ComplaintKind.THEFT, ComplaintKind.NEW_CONNECTION, ComplaintKind.OTHER):
        assert limit(kind, Area.URBAN) is None


def test_only_line_damage_is_a_hazard() -> None:
    assert [k for k in ComplaintKind if k.is_hazard] == [ComplaintKind.LINE_DAMAGE]


def test_fractional_hours_and_days() -> None:
    limits = load_sop_limits({"meter": {"urban_hours": 1.5, "rural_days": 0.5}})
    registered = AT
    urban = deadline(
        ComplaintKind.METER, Area.URBAN, registered, limits=limits, holidays=NO_HOLIDAYS
    )
    rural = deadline(
        ComplaintKind.METER, Area.RURAL, registered, limits=limits, holidays=NO_HOLIDAYS
    )
    assert (urban, rural) == (AT + timedelta(minutes=90), AT + timedelta(hours=12))


@pytest.mark.parametrize(
    ("config", "path"),
    [
        ({"fuse_off": {"urban_hours": 4, "rural_hours": 24}}, "sop.fuse_off"),
        ({"no_supply": "4h"}, "sop.no_supply"),
        ({"no_supply": {"rural_hours": 24}}, "sop.no_supply.urban_hours"),
        ({"no_supply": {"urban_hours": "4", "rural_hours": 24}}, "sop.no_supply.urban_hours"),
        ({"no_supply": {"urban_hours": True, "rural_hours": 24}}, "sop.no_supply.urban_hours"),
        ({"no_supply": {"urban_hours": 0, "rural_hours": 24}}, "sop.no_supply.urban_hours"),
        ({"no_supply": {"urban_hours": 4, "rural_days": -1}}, "sop.no_supply.rural_days"),
        (
            {"no_supply": {"urban_hours": 4, "urban_days": 1, "rural_hours": 24}},
            "sop.no_supply.urban_days",
        ),
        ({"no_supply": {"urban_hours": 4, "rural_hours": 24, "x": 1}}, "sop.no_supply.x"),
        (
            {
                "bill": {
                    "urban_days": 4,
                    "rural_days": 8,
                    "above_amount": {"urban_days": 5, "rural_days": 10},
                }
            },
            "sop.bill.above_amount.rupees",
        ),
        (
            {
                "bill": {
                    "urban_days": 4,
                    "rural_days": 8,
                    "above_amount": {"rupees": 20000, "urban_days": 5},
                }
            },
            "sop.bill.above_amount.rural_hours",
        ),
    ],
)
def test_bad_config_names_the_path(config: dict[str, object], path: str) -> None:
    with pytest.raises(ComplaintError, match="^" + re.escape(path) + ":"):
        load_sop_limits(config)


def test_defaults_cover_the_published_table() -> None:
    assert set(LIMITS.by_kind) == {
        ComplaintKind.NO_SUPPLY,
        ComplaintKind.TRANSFORMER,
        ComplaintKind.BROKEN_POLE,
        ComplaintKind.BILL,
    }
