"""What one round of the storm controller returns: its changes, its commands, the decision.

A :class:`Decision` carries the company and time, the changes it makes (:class:`Change`;
with none it holds), the target and staffed operators, a readable reason, the forecast and
override it was based on, the commands for the edge to carry out and the state to keep for
the next round.
Commands are imperative values (``StormCommand``): :class:`MakeReady` (a standby operator
already logged in takes calls), :class:`CallOut` (an offline one is asked by SMS to log in),
:class:`StandDown` (one the controller brought in goes back to standby) and
:class:`SwitchStormSettings` (outage news in queue and the storm callback threshold, on or
off). :meth:`Decision.inputs` gives the figures behind a decision, JSON-ready, for the
decisions log and the audit trail. Pure: stdlib and the pure packages only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from routing.operators import Tier
from routing.queues import Company
from routing.storm_forecast import Forecast
from routing.storm_inputs import Override, StormState


class Change(StrEnum):
    """What a decision changes; a decision without changes holds."""

    STORM_ON = "storm_on"
    STORM_OFF = "storm_off"
    SCALE_UP = "scale_up"
    SCALE_DOWN = "scale_down"


@dataclass(frozen=True, slots=True)
class MakeReady:
    """A standby operator already logged in starts taking calls now."""

    operator_id: str
    tier: Tier


@dataclass(frozen=True, slots=True)
class CallOut:
    """An offline standby operator is asked by SMS to log in."""

    operator_id: str
    tier: Tier


@dataclass(frozen=True, slots=True)
class StandDown:
    """An operator the controller brought in goes back to standby."""

    operator_id: str


@dataclass(frozen=True, slots=True)
class SwitchStormSettings:
    """Storm settings on (outage news in queue, callbacks offered sooner) or off."""

    on: bool
    callback_offer_s: int | None


StormCommand = MakeReady | CallOut | StandDown | SwitchStormSettings


@dataclass(frozen=True, slots=True)
class Decision:
    company: Company
    at: datetime
    changes: tuple[Change, ...]
    target_operators: int
    staffed_operators: int
    reason: str
    forecast: Forecast
    override: Override
    commands: tuple[StormCommand, ...]
    state: StormState

    @property
    def action(self) -> str:
        """The changes joined by "+", or "hold"."""
        return "+".join(change.value for change in self.changes) or "hold"

    def inputs(self) -> dict[str, object]:
        """The figures behind the decision, JSON-ready."""
        f = self.forecast
        return {
            "faults": f.faults,
            "consumers_affected": f.consumers_affected,
            "fault_calls_per_hour": round(f.fault_calls_per_hour, 1),
            "warning_calls_per_hour": round(f.warning_calls_per_hour, 1),
            "expected_calls_per_hour": round(f.expected_calls_per_hour, 1),
            "observed_calls_per_hour": _rounded(f.observed_calls_per_hour),
            "planned_calls_per_hour": round(f.planned_calls_per_hour, 1),
            "answering": f.answering,
            "target": self.target_operators,
            "staffed": self.staffed_operators,
            "mode": self.state.mode.value,
            "override": self.override.mode.value,
            "fixed_target": self.override.fixed_target,
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
