"""Expected call rate from the faults on the network: the storm controller's input.

Model: of the `consumers_affected` by an active fault, a share `propensity` will phone at all,
and their calls arrive with an exponential delay of mean `decay_minutes` after the fault
starts. So one fault adds `consumers × propensity × 60 / decay_minutes × exp(-t / decay_minutes)`
calls per hour at `t` minutes after its start, and over its whole life exactly
`consumers × propensity` calls. A restored fault adds nothing more (its callers' questions are
answered by the restoration itself). `blend` mixes this forecast with the rate actually seen,
which catches what the feed does not know (unreported faults, a slow feed).

The defaults (*assumed*, keep them in configuration) fit the reference storm of DOMAIN.md: some
1.3 lakh consumers off supply giving ~3,200 fault calls in the first hour and ~1,100 by the
sixth, which needs a propensity near 0.12 and a mean delay near 270 minutes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from outages.errors import OutageError
from outages.faults import Fault


@dataclass(frozen=True, slots=True)
class ForecastParams:
    """`propensity` in (0, 1]; `decay_minutes` > 0; `observed_weight` in [0, 1] for `blend`."""

    propensity: float
    decay_minutes: float
    observed_weight: float


def default_forecast_config() -> dict[str, object]:
    """The `[forecast]` table with the assumed defaults described in the module docstring."""
    return {"propensity": 0.12, "decay_minutes": 270.0, "observed_weight": 0.5}


def load_forecast_params(table: Mapping[str, object], *, path: str = "forecast") -> ForecastParams:
    """Validate a `[forecast]` table; raises `OutageError` naming the bad value's path."""
    unknown = sorted(set(table) - {"propensity", "decay_minutes", "observed_weight"})
    if unknown:
        raise OutageError(f"{path}.{unknown[0]}: unknown setting")
    return ForecastParams(
        propensity=_number(table, "propensity", path, low=0.0, high=1.0, low_open=True),
        decay_minutes=_number(table, "decay_minutes", path, low=0.0, low_open=True),
        observed_weight=_number(table, "observed_weight", path, low=0.0, high=1.0),
    )


def _number(
    table: Mapping[str, object],
    key: str,
    path: str,
    *,
    low: float,
    high: float = math.inf,
    low_open: bool = False,
) -> float:
    where = f"{path}.{key}"
    if key not in table:
        raise OutageError(f"{where}: missing")
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise OutageError(f"{where}: must be a number, got {value!r}")
    too_low = value <= low if low_open else value < low
    if too_low or value > high:
        bracket = "(" if low_open else "["
        raise OutageError(f"{where}: must be in {bracket}{low}, {high}], got {value!r}")
    return float(value)


def expected_calls_per_hour(
    faults: Iterable[Fault], now: datetime, *, propensity: float, decay_minutes: float
) -> float:
    """Calls per hour the active faults are expected to bring in at `now`.

    >>> from datetime import timedelta, timezone
    >>> from outages.faults import Cause, FaultLevel
    >>> start = datetime(2026, 7, 1, 19, 0, tzinfo=timezone.utc)
    >>> fault = Fault("f1", FaultLevel.FEEDER, "F1", Cause.WIND, start, None, None, True, 1000)
    >>> expected_calls_per_hour([fault], start, propensity=0.1, decay_minutes=60)
    100.0
    >>> later = start + timedelta(minutes=60)
    >>> round(expected_calls_per_hour([fault], later, propensity=0.1, decay_minutes=60), 2)
    36.79
    """
    if decay_minutes <= 0:
        raise OutageError(f"decay_minutes must be > 0, got {decay_minutes}")
    peak_per_consumer = propensity * 60.0 / decay_minutes
    total = 0.0
    for fault in faults:
        if not fault.is_active(now):
            continue
        minutes = (now - fault.started_at).total_seconds() / 60.0
        total += fault.consumers_affected * peak_per_consumer * math.exp(-minutes / decay_minutes)
    return total


def blend(expected: float, observed: float, weight: float) -> float:
    """`weight` of the observed rate plus the rest of the expected one; `weight` in [0, 1].

    >>> blend(1000.0, 600.0, 0.25)
    900.0
    """
    if not 0.0 <= weight <= 1.0:
        raise OutageError(f"blend weight must be in [0, 1], got {weight}")
    return (1.0 - weight) * expected + weight * observed
