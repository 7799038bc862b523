"""Storm controller settings: the administrator's ``config/storm.toml`` as a validated value.

Sections: ``[forecast]`` (the fault-driven call forecast, see ``outages.forecast``),
``[demand]`` (what the outage IVR finishes, the normal rate reaching operators), ``[service]``
(the target such as "80/20", handle time, patience, occupancy cap, shrinkage) and
``[control]`` (hysteresis, thresholds, call-out expiry). :func:`load_storm_config` checks every
value and names the path of the first bad one (``control.dwell_minutes: must be >= 0``), so a
bad edit stops start-up, never a storm. Pure: stdlib and the pure packages only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from outages.errors import OutageError
from outages.forecast import ForecastParams, load_forecast_params
from routing.errors import RoutingError
from routing.staffing import parse_target
from routing.staffing_inputs import StaffingError


class StormConfigError(RoutingError):
    """The storm file is invalid; the message starts with the path of the bad value."""


@dataclass(frozen=True, slots=True)
class StormConfig:
    """Everything the controller needs besides its inputs; see config/storm.toml for meanings."""

    forecast: ForecastParams
    ivr_deflection: float  # share of fault calls the outage IVR finishes without an operator
    baseline_calls_per_hour: float  # calls reaching a company's operators on a normal day
    target_sl: float
    target_s: float
    aht_s: float
    patience_s: float
    max_occupancy: float
    shrinkage: float
    dwell_minutes: float
    scale_down_margin: float
    storm_on_calls_per_hour: float
    storm_off_calls_per_hour: float
    storm_callback_offer_s: int
    callout_expiry_minutes: float
    max_operators: int
    interval_s: float
    warning_lead_minutes: float = 90.0
    # (level, fault calls per hour at the height of a storm of that warning level)
    warning_levels: tuple[tuple[str, float], ...] = ()

    def warning_calls_per_hour(self, level: str) -> float | None:
        """The calls a warning of ``level`` (yellow, orange, red) brings; None if unknown."""
        return dict(self.warning_levels).get(level.strip().lower())


_Check = Callable[[str, object], object]


def _number(low: float, high: float = math.inf, *, open_low: bool = False) -> _Check:
    def check(path: str, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise StormConfigError(f"{path}: must be a number, got {value!r}")
        if (value <= low if open_low else value < low) or value > high:
            left = "(" if open_low else "["
            raise StormConfigError(f"{path}: must be in {left}{low:g}, {high:g}], got {value!r}")
        return float(value)

    return check


def _whole(low: int) -> _Check:
    def check(path: str, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int):
            raise StormConfigError(f"{path}: must be a whole number, got {value!r}")
        if value < low:
            raise StormConfigError(f"{path}: must be >= {low}, got {value!r}")
        return value

    return check


def _target(path: str, value: object) -> object:
    if not isinstance(value, str):
        raise StormConfigError(f'{path}: must be text such as "80/20", got {value!r}')
    try:
        return parse_target(value)
    except StaffingError as exc:
        raise StormConfigError(f"{path}: {exc}") from None


_SECTIONS: dict[str, dict[str, _Check]] = {
    "demand": {
        "ivr_deflection": _number(0.0, 1.0),
        "baseline_calls_per_hour": _number(0.0),
    },
    "service": {
        "target": _target,
        "aht_s": _number(0.0, open_low=True),
        "patience_s": _number(0.0, open_low=True),
        "max_occupancy": _number(0.0, 1.0, open_low=True),
        "shrinkage": _number(0.0, 0.9),
    },
    "control": {
        "dwell_minutes": _number(0.0),
        "scale_down_margin": _number(0.0, 0.9),
        "storm_on_calls_per_hour": _number(0.0),
        "storm_off_calls_per_hour": _number(0.0),
        "storm_callback_offer_s": _whole(0),
        "callout_expiry_minutes": _number(0.0, open_low=True),
        "max_operators": _whole(1),
        "interval_s": _number(1.0),
    },
    "warning": {
        "lead_minutes": _number(0.0),
        "yellow_calls_per_hour": _number(0.0),
        "orange_calls_per_hour": _number(0.0),
        "red_calls_per_hour": _number(0.0),
    },
}


def _section(data: Mapping[str, object], name: str) -> dict[str, object]:
    table = data.get(name)
    if not isinstance(table, Mapping):
        raise StormConfigError(f"{name}: missing table [{name}]")
    checks = _SECTIONS[name]
    for key in table:
        if key not in checks:
            raise StormConfigError(f"{name}.{key}: unknown setting")
    values: dict[str, object] = {}
    for key, check in checks.items():
        if key not in table:
            raise StormConfigError(f"{name}.{key}: missing")
        values[key] = check(f"{name}.{key}", table[key])
    return values


def load_storm_config(data: Mapping[str, object]) -> StormConfig:
    """Validate the parsed storm file; raise :class:`StormConfigError` naming the bad path."""
    for key in data:
        if key not in ("forecast", *_SECTIONS):
            raise StormConfigError(f"{key}: unknown section")
    forecast_table = data.get("forecast")
    if not isinstance(forecast_table, Mapping):
        raise StormConfigError("forecast: missing table [forecast]")
    try:
        forecast = load_forecast_params(forecast_table, path="forecast")
    except OutageError as exc:
        raise StormConfigError(str(exc)) from None
    demand, service, control, warning = (_section(data, name) for name in _SECTIONS)
    target = service.pop("target")
    assert isinstance(target, tuple)
    target_sl, target_s = float(target[0]), float(target[1])
    if control["storm_off_calls_per_hour"] > control["storm_on_calls_per_hour"]:  # type: ignore[operator]
        raise StormConfigError(
            "control.storm_off_calls_per_hour: must not exceed storm_on_calls_per_hour"
        )
    levels = tuple(
        (level, float(warning[f"{level}_calls_per_hour"]))  # type: ignore[arg-type]
        for level in ("yellow", "orange", "red")
    )
    return StormConfig(
        forecast=forecast, target_sl=target_sl, target_s=target_s,
        warning_lead_minutes=float(warning["lead_minutes"]),  # type: ignore[arg-type]
        warning_levels=levels, **demand, **service, **control,  # type: ignore[arg-type]
    )  # fmt: skip
