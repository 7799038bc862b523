"""What one round of the storm controller starts from: the inputs, the kept state, overrides.

:class:`StormInputs` is what the edge (the storm service, or the simulator) gathers for one
company at ``now``: its active faults, the arrivals observed lately, the operators taking
calls and the standby pool (:class:`PoolMember`). :class:`StormState` is what the controller
remembers between rounds (one per company): the mode, the last target, when something last
changed (for the dwell time), whom it brought in and whom it has called out by SMS
(:class:`CalledOut`). :class:`Override` is a supervisor's choice, which acts at once. All are
frozen values: ``routing.storm.decide`` returns a new state instead of changing the old one.
Pure: stdlib and the pure packages only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from outages.faults import Fault
from routing.operators import Tier
from routing.queues import Company
from routing.storm_forecast import StormWarning


class StormMode(StrEnum):
    NORMAL = "normal"
    STORM = "storm"


class OverrideMode(StrEnum):
    AUTO = "auto"
    FORCE_ON = "on"
    FORCE_OFF = "off"


@dataclass(frozen=True, slots=True)
class PoolMember:
    """A standby-tier operator not taking calls: logged in as standby, or offline."""

    operator_id: str
    tier: Tier
    logged_in: bool


@dataclass(frozen=True, slots=True)
class StormInputs:
    """What the edge gathered for one company at ``now``."""

    company: Company
    now: datetime
    faults: tuple[Fault, ...]  # the company's active faults
    observed_calls_per_hour: float | None  # arrivals at its queues lately; None: not known
    staffed: int  # logged in and taking calls (ready, busy, wrapping up or paused)
    pool: tuple[PoolMember, ...]
    outage_ivr: bool = True  # False: every fault call reaches the queues
    warning: StormWarning | None = None  # the company's storm warning, if one is set


@dataclass(frozen=True, slots=True)
class CalledOut:
    operator_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class StormState:
    """What the controller remembers between rounds (one per company)."""

    mode: StormMode = StormMode.NORMAL
    target: int = 0
    changed_at: datetime | None = None
    activated: tuple[str, ...] = ()  # brought in by the controller, in the order they came
    called_out: tuple[CalledOut, ...] = ()  # sent an SMS, not logged in yet


@dataclass(frozen=True, slots=True)
class Override:
    """A supervisor's choice: force storm settings on/off, and/or a fixed operator target."""

    mode: OverrideMode = OverrideMode.AUTO
    fixed_target: int | None = None
    set_by: str = ""
