from datetime import datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outages.etr import (
    GRACE,
    PAST_WINDOW,
    EtrProblem,
    check_etr,
    parse_clock,
    resolve_clock_etr,
)

IST = timezone(timedelta(hours=5, minutes=30))
NOW = datetime(2026, 7, 1, 14, 0, tzinfo=IST)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:30", time(14, 30)),
        ("9:05", time(9, 5)),
        ("09.05", time(9, 5)),
        ("0730", time(7, 30)),
        (" 23:59 ", time(23, 59)),
        ("00:00", time(0, 0)),
    ],
)
def test_clock_forms(text: str, expected: time) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize("text", ["24:00", "12:60", "1:5", "730", "12345", "ab:cd", "", "12:30pm"])
def test_not_clock_times(text: str) -> None:
    assert parse_clock(text) is None


def test_later_today() -> None:
    assert resolve_clock_etr(time(16, 15), NOW) == NOW.replace(hour=16, minute=15)


def test_slightly_late_is_kept_as_given() -> None:
    assert resolve_clock_etr(time(13, 30), NOW) == NOW.replace(hour=13, minute=30)


def test_earlier_today_is_in_the_past() -> None:
    assert resolve_clock_etr(time(13, 29), NOW) is EtrProblem.IN_THE_PAST
    assert resolve_clock_etr(time(8, 0), NOW) is EtrProblem.IN_THE_PAST


def test_well_before_now_means_tomorrow() -> None:
    assert resolve_clock_etr(time(7, 59), NOW) == NOW.replace(hour=7, minute=59) + timedelta(1)
    midnight = NOW.replace(hour=23, minute=50)
    assert resolve_clock_etr(time(1, 30), midnight) == datetime(2026, 7, 2, 1, 30, tzinfo=IST)


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)),
    st.times(),
)
def test_resolution_rules_hold_for_any_time(naive_now: datetime, clock: time) -> None:
    now = naive_now.replace(tzinfo=IST)
    clock = clock.replace(second=0, microsecond=0)
    result = resolve_clock_etr(clock, now)
    if isinstance(result, EtrProblem):
        today = datetime.combine(now.date(), clock, tzinfo=IST)
        assert now - PAST_WINDOW <= today < now - GRACE
    else:
        assert result.time() == clock
        assert now - GRACE <= result < now + timedelta(days=1)


def test_full_etr_limits() -> None:
    assert check_etr(NOW - timedelta(minutes=29), NOW) is None
    assert check_etr(NOW - timedelta(minutes=31), NOW) is EtrProblem.IN_THE_PAST
    assert check_etr(NOW + timedelta(days=13), NOW) is None
    assert check_etr(NOW + timedelta(days=15), NOW) is EtrProblem.TOO_FAR_AHEAD
