"""The storm controller's load: active faults and observed arrivals to operators needed.

The faults' expected call rate (``outages.forecast``), less the share the outage IVR finishes,
plus a normal day's rate, is blended with the rate observed at the queues; the plan never falls
below what is already arriving. Erlang A (abandonment-aware) then gives the operators answering
the target under the occupancy cap, and shrinkage turns them into people to have logged in.

A :class:`StormWarning` (a weather warning or nowcast for the company's area, entered by a
supervisor) counts as fault calls from ``lead_minutes`` before its start until its end: standby
operators need time to come in, and the first hour of a squall is its worst, so the centre is
staffed when the calls start instead of an hour later. Whichever is larger, the faults'
forecast or the warning, makes the plan; storm settings still wait for real faults or calls.
Pure: ``now`` comes with the inputs.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from outages.forecast import blend, expected_calls_per_hour
from routing.staffing import required_agents
from routing.storm_config import StormConfig

if TYPE_CHECKING:
    from routing.storm_inputs import StormInputs


@dataclass(frozen=True, slots=True)
class StormWarning:
    """A storm expected from ``starts`` to ``ends``, bringing ``calls_per_hour`` fault calls
    (before the outage IVR) at its height."""

    starts: datetime
    ends: datetime
    calls_per_hour: float
    note: str = ""
    set_by: str = ""

    def in_force(self, now: datetime, lead_minutes: float) -> bool:
        """From ``lead_minutes`` before the start until the end.

        >>> from datetime import timezone
        >>> w = StormWarning(datetime(2026, 6, 15, 19, tzinfo=timezone.utc),
        ...                  datetime(2026, 6, 15, 23, tzinfo=timezone.utc), 3000.0)
        >>> hours = (17, 18, 22, 23)
        >>> [w.in_force(datetime(2026, 6, 15, h, tzinfo=timezone.utc), 90) for h in hours]
        [False, True, True, False]
        """
        return self.starts - timedelta(minutes=lead_minutes) <= now < self.ends


@dataclass(frozen=True, slots=True)
class Forecast:
    """The load behind a target, in calls per hour and operators."""

    faults: int
    consumers_affected: int
    fault_calls_per_hour: float  # all calls the faults bring, before the IVR
    expected_calls_per_hour: float  # of which reach operators, plus the normal rate
    observed_calls_per_hour: float | None
    planned_calls_per_hour: float
    answering: int  # Erlang A operators for the target under the occupancy cap
    target_operators: int  # people, with shrinkage, capped by max_operators
    warned: bool = False  # a storm warning is in force (standby tiers may be called in)
    warning_calls_per_hour: float = 0.0  # the warning's fault calls, while it is in force


def forecast_load(inputs: StormInputs, config: StormConfig) -> Forecast:
    """The planned call rate and the operators it needs (see the module docstring)."""
    params = config.forecast
    fault_calls = expected_calls_per_hour(
        inputs.faults, inputs.now, propensity=params.propensity, decay_minutes=params.decay_minutes
    )
    warning = inputs.warning
    warned = warning is not None and warning.in_force(inputs.now, config.warning_lead_minutes)
    warning_calls = warning.calls_per_hour if warned and warning is not None else 0.0
    finished = config.ivr_deflection if inputs.outage_ivr else 0.0
    expected = max(fault_calls, warning_calls) * (1.0 - finished) + config.baseline_calls_per_hour
    observed = inputs.observed_calls_per_hour
    planned = expected
    if observed is not None:
        planned = max(observed, blend(expected, observed, params.observed_weight))
    answering = _answering(round(planned), config)
    people = min(config.max_operators, math.ceil(answering / (1.0 - config.shrinkage) - 1e-9))
    active = [fault for fault in inputs.faults if fault.is_active(inputs.now)]
    return Forecast(
        faults=len(active),
        consumers_affected=sum(fault.consumers_affected for fault in active),
        fault_calls_per_hour=fault_calls,
        expected_calls_per_hour=expected,
        observed_calls_per_hour=observed,
        planned_calls_per_hour=planned,
        answering=answering,
        target_operators=people,
        warned=warned,
        warning_calls_per_hour=warning_calls,
    )


@functools.lru_cache(maxsize=4096)
def _answering(calls_per_hour: int, config: StormConfig) -> int:
    # Whole calls per hour are precise enough, and a simulated day asks the same few hundred
    # questions thousands of times.
    return required_agents(
        calls_per_hour, config.aht_s, target_sl=config.target_sl, target_s=config.target_s,
        patience_s=config.patience_s, max_occupancy=config.max_occupancy,
    )  # fmt: skip
