from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outages.errors import OutageError
from outages.faults import Cause, Fault, FaultLevel
from outages.forecast import (
    ForecastParams,
    blend,
    default_forecast_config,
    expected_calls_per_hour,
    load_forecast_params,
)

IST = timezone(timedelta(hours=5, minutes=30))
START = datetime(2026, 7, 1, 19, 0, tzinfo=IST)


def fault(consumers: int, *, started: datetime = START, restored: datetime | None = None) -> Fault:
    return Fault("f", FaultLevel.FEEDER, "F1", Cause.WIND, started, None, restored, True, consumers)


def rate(faults: list[Fault], now: datetime, propensity: float = 0.1, decay: float = 90.0) -> float:
    return expected_calls_per_hour(faults, now, propensity=propensity, decay_minutes=decay)


def test_all_calls_over_a_faults_life_add_up_to_consumers_times_propensity() -> None:
    # Midpoint sum of the hourly rate over 1-minute slices, for 24 hours.
    one = [fault(10_000)]
    total = sum(rate(one, START + timedelta(minutes=m + 0.5)) / 60 for m in range(24 * 60))
    assert total == pytest.approx(10_000 * 0.1, rel=1e-3)


def test_rate_halves_after_decay_times_ln2() -> None:
    half_life = timedelta(minutes=90 * 0.6931471805599453)
    assert rate([fault(500)], START + half_life) == pytest.approx(rate([fault(500)], START) / 2)


@given(st.integers(0, 200_000), st.integers(0, 200_000), st.integers(0, 2000))
def test_additive_over_faults_and_decreasing_in_time(a: int, b: int, minutes: int) -> None:
    now = START + timedelta(minutes=minutes)
    assert rate([fault(a), fault(b)], now) == pytest.approx(
        rate([fault(a)], now) + rate([fault(b)], now)
    )
    assert rate([fault(a)], now + timedelta(minutes=1)) <= rate([fault(a)], now)


def test_restored_and_future_faults_bring_no_calls() -> None:
    now = START + timedelta(hours=1)
    assert rate([fault(1000, restored=now)], now) == 0.0
    assert rate([fault(1000, started=now + timedelta(minutes=1))], now) == 0.0
    assert rate([], now) == 0.0


def test_reference_storm_defaults_are_in_the_published_range() -> None:
    # DOMAIN.md: ~1.3 lakh consumers off; ~3,600 calls/h in hour 1 (with baseline), ~1,500/h by
    # hour 6. Our defaults should give the fault-driven part of that, within a loose margin.
    params = load_forecast_params(default_forecast_config())
    storm = [fault(131_000)]

    def at(hours: float) -> float:
        return expected_calls_per_hour(
            storm,
            START + timedelta(hours=hours),
            propensity=params.propensity,
            decay_minutes=params.decay_minutes,
        )

    assert 2_500 < at(0.5) < 4_000
    assert 700 < at(5.5) < 1_500


def test_blend() -> None:
    assert blend(1000.0, 600.0, 0.0) == 1000.0
    assert blend(1000.0, 600.0, 1.0) == 600.0
    with pytest.raises(OutageError):
        blend(1.0, 2.0, 1.5)


@given(st.floats(0, 1e6), st.floats(0, 1e6), st.floats(0, 1))
def test_blend_lies_between_its_inputs(expected: float, observed: float, weight: float) -> None:
    mixed = blend(expected, observed, weight)
    assert min(expected, observed) - 1e-6 <= mixed <= max(expected, observed) + 1e-6


def test_load_params() -> None:
    assert load_forecast_params({"propensity": 1, "decay_minutes": 30, "observed_weight": 0}) == (
        ForecastParams(1.0, 30.0, 0.0)
    )


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"propensity": 0}, "forecast.propensity"),
        ({"propensity": 1.2}, "forecast.propensity"),
        ({"propensity": "0.1"}, "forecast.propensity"),
        ({"decay_minutes": -5}, "forecast.decay_minutes"),
        ({"decay_minutes": True}, "forecast.decay_minutes"),
        ({"observed_weight": 2}, "forecast.observed_weight"),
        ({"observed_weight": float("nan")}, "forecast.observed_weight"),
        ({"decay": 30}, "forecast.decay"),
    ],
)
def test_bad_params_name_their_path(change: dict[str, object], path: str) -> None:
    config = default_forecast_config() | change
    with pytest.raises(OutageError, match=rf"^{path}:"):
        load_forecast_params(config)


def test_missing_param() -> None:
    config = default_forecast_config()
    del config["propensity"]
    with pytest.raises(OutageError, match=r"^forecast\.propensity: missing"):
        load_forecast_params(config)
