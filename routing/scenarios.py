"""Storm-simulator scenarios: who calls, when, about what, and who answers.

A :class:`Scenario` is a plain value: an arrival profile (a baseline per hour of the day plus
storm surges), call mixes, patience, retrials, the outage IVR, callbacks, the queues and
operators (primary ones logged in from the start, standby tiers called in by the storm
controller), the faults the feed reports, and the controller's settings. Two builders:
:func:`reference_storm` (the reference storm of the domain notes: a 7-lakh-connection city
circle, a squall at 19:00 tripping 85 feeders within 30 minutes plus 300 transformer faults)
and :func:`stationary` (constant arrivals, exponential times, no retrials, no IVR: the
M/M/N+M case Erlang A describes exactly). :func:`load_scenario` validates a scenario table.
Pure: every draw happens later in the simulator, from its seeded generators.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from outages.faults import Cause, Fault, FaultLevel
from routing.errors import RoutingError
from routing.operators import Operator, Tier
from routing.queues import Company, Language, QueueSet, load_queue_definitions
from routing.storm_config import StormConfig
from routing.storm_forecast import StormWarning


class ScenarioError(RoutingError):
    """A scenario table is invalid; the message names the bad key."""


@dataclass(frozen=True, slots=True)
class CallType:
    """One kind of call in a mix, with its share, mean handle time and nature."""

    name: str
    share: float
    aht_s: float  # talk + wrap-up
    fault: bool = False  # about a known fault: the outage IVR may answer it
    hazard: bool = False  # wire down, sparking: highest priority, never deflected


@dataclass(frozen=True, slots=True)
class Surge:
    """Extra calls of a storm: a linear ramp to ``peak_per_hour``, then exponential decay."""

    start_s: float
    ramp_s: float
    peak_per_hour: float
    decay_s: float
    mix: tuple[CallType, ...]

    def rate(self, t: float) -> float:
        """Calls per hour at ``t`` seconds from the scenario start.

        >>> s = Surge(0.0, 1800.0, 1000.0, 3600.0, ())
        >>> s.rate(900.0), s.rate(1800.0), round(s.rate(5400.0), 1)
        (500.0, 1000.0, 367.9)
        """
        since = t - self.start_s
        if since < 0:
            return 0.0
        if since < self.ramp_s:
            return self.peak_per_hour * since / self.ramp_s
        return self.peak_per_hour * math.exp(-(since - self.ramp_s) / self.decay_s)


@dataclass(frozen=True, slots=True)
class Retrials:
    """Of callers who abandon or find the queue full, ``share`` call again after a mean delay."""

    share: float
    mean_delay_s: float
    max_attempts: int  # redials after the first call


@dataclass(frozen=True, slots=True)
class CallbackPolicy:
    """Who takes an offered callback, and how the dial-back goes."""

    accept_share: float
    answer_share: float
    dial_s: float


@dataclass(frozen=True, slots=True)
class OutageSmsEffect:
    """The outage SMS sent to the consumers a fault cuts off: it reaches them ``delay_s`` (a
    uniform range) after the trip, and of those told, ``call_reduction`` no longer call about
    the fault (the domain notes: callers in an outage fell from 68 % to 16 %)."""

    delay_s: tuple[float, float]
    call_reduction: float


OUTAGE_SMS = OutageSmsEffect((300.0, 1200.0), 1.0 - 16.0 / 68.0)


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    start: datetime
    hours: float
    seed: int
    company: Company
    queues: QueueSet
    operators: tuple[Operator, ...]  # primary tier logged in at the start
    standby_logged_in: frozenset[str]  # standby-tier operators in the building (STANDBY)
    callout_delay_s: Mapping[Tier, tuple[float, float]]  # uniform range, SMS to logged in
    hourly_baseline: tuple[float, ...]  # calls/h by local hour of day (24 values)
    baseline_mix: tuple[CallType, ...]
    surges: tuple[Surge, ...]
    languages: Mapping[Language, float]
    patience_s: float
    ivr_s: float  # time in the IVR before the queue (or the end, if finished there)
    identified_share: float  # callers the IVR identifies (needed to tell them of a fault)
    ivr_finish_share: float  # identified fault callers who need no person after the news
    outage_ivr: bool
    retrials: Retrials | None
    callbacks: CallbackPolicy | None
    restoration: tuple[tuple[float, float, float], ...]  # (share, low h, high h) of faults
    faults: tuple[Fault, ...]
    scaling: bool
    storm: StormConfig | None
    control_interval_s: float = 60.0
    warning: StormWarning | None = None  # a weather warning the supervisor entered
    outage_sms: OutageSmsEffect | None = None  # consumers cut off are told by SMS


IST = timezone(timedelta(hours=5, minutes=30))

# Share of a normal day's calls by local hour (quiet 02:00-07:00, peak hour ~7 %).
_DAY_SHAPE = (
    1.2, 0.7, 0.5, 0.4, 0.4, 0.6, 1.4, 3.0, 5.0, 6.6, 7.0, 7.0,
    6.6, 6.4, 6.2, 6.2, 6.4, 6.6, 6.8, 6.6, 5.7, 4.3, 2.6, 1.8,
)  # fmt: skip

STORM_MIX = (
    CallType("etr_enquiry", 0.6375, 90.0, fault=True),
    CallType("no_supply", 0.2125, 120.0),
    CallType("hazard", 0.05, 240.0, hazard=True),
    CallType("other", 0.10, 240.0),
)
NORMAL_MIX = (
    CallType("etr_enquiry", 0.07, 90.0, fault=True),
    CallType("no_supply", 0.43, 150.0),
    CallType("hazard", 0.03, 240.0, hazard=True),
    CallType("billing_other", 0.47, 220.0),
)
RESTORATION = ((0.60, 0.1, 1.0), (0.25, 1.0, 4.0), (0.12, 4.0, 12.0), (0.03, 12.0, 24.0))


def day_profile(calls_per_day: float) -> tuple[float, ...]:
    """Calls per hour for each local hour of a normal day with ``calls_per_day`` calls.

    >>> round(max(day_profile(9000)) / 9000, 3)
    0.07
    """
    total = sum(_DAY_SHAPE)
    return tuple(calls_per_day * share / total for share in _DAY_SHAPE)


def _queues(company: Company, *, wrapup_s: int, callback_offer_s: int | bool) -> QueueSet:
    base = {"wrapup_s": wrapup_s, "max_length": 200, "callback_offer_s": callback_offer_s}
    code = company.value
    return load_queue_definitions({"defaults": base, "queues": {
        f"{code}-hi": {"company": code, "language": "hi"},
        f"{code}-en": {"company": code, "language": "en"},
        f"{code}-hazard": {"company": code, "hazard": True, "weight": 100,
                           "caller_priority": 100, "wrapup_s": 30, "callback_offer_s": False},
    }})  # fmt: skip


def _roster(company: Company, plan: list[tuple[Tier, int, frozenset[Language]]]) -> list[Operator]:
    operators: list[Operator] = []
    for tier, count, languages in plan:
        for _ in range(count):
            n = len(operators) + 1
            op_id = f"{company.value.lower()}-op{n:03d}"
            operators.append(
                Operator(op_id, f"Operator {n}", "", f"PJSIP/{op_id}", languages,
                         frozenset({company}), tier)
            )  # fmt: skip
    return operators


def _reference_faults(start: datetime, seed: int) -> tuple[Fault, ...]:
    """85 feeders (~1.13 lakh connections) within 30 minutes, 300 transformers over 3 hours."""
    rng = random.Random(f"{seed}:faults")
    squall = start + timedelta(hours=1)
    faults = []
    for n in range(385):
        feeder = n < 85
        began = squall + timedelta(seconds=rng.uniform(0, 1800 if feeder else 3 * 3600))
        share, low, high = _pick(rng, RESTORATION)
        restored = began + timedelta(hours=rng.uniform(low, high))
        faults.append(
            Fault(f"F{n + 1}", FaultLevel.FEEDER if feeder else FaultLevel.TRANSFORMER,
                  f"{'FDR' if feeder else 'DTR'}-{n + 1:04d}", Cause.WIND, began, None, restored,
                  True, 1330 if feeder else 60)
        )  # fmt: skip
    return tuple(faults)


def _pick(rng: random.Random, bands: tuple[tuple[float, float, float], ...]) -> tuple[float, ...]:
    draw, total = rng.random(), 0.0
    for band in bands:
        total += band[0]
        if draw < total:
            return band
    return bands[-1]


def reference_storm(
    storm: StormConfig | None,
    *,
    seed: int = 1912,
    outage_ivr: bool = True,
    scaling: bool = True,
    warning: bool = False,
    outage_sms: bool = False,
) -> Scenario:
    """The reference storm day of the domain notes, from 18:00 to 18:00 local time.

    With ``warning``, a supervisor entered a red storm warning for 19:00-23:00 before the
    day starts (a weather nowcast), so the controller may call standby operators in ahead.
    With ``outage_sms``, the consumers each fault cuts off are told by SMS (``OUTAGE_SMS``);
    the reference itself (the domain notes' call figures) is without.
    """
    start = datetime(2026, 6, 15, 18, 0, tzinfo=IST)
    company = Company.WZ
    both, hindi = frozenset({Language.HI, Language.EN}), frozenset({Language.HI})
    operators = _roster(company, [
        (Tier.PRIMARY, 35, both), (Tier.PRIMARY, 15, hindi),
        (Tier.STANDBY_1, 25, both), (Tier.STANDBY_2, 25, hindi),
    ])  # fmt: skip
    in_building = frozenset([op.id for op in operators if op.tier is Tier.STANDBY_1][:10])
    # Calls rise within 15 minutes of the first trips, to 3,600 fresh calls per hour with the
    # 19:00 baseline (~3,200 in the first hour), ~1,500/h in the sixth, the baseline by the 24th.
    baseline = day_profile(9000)
    surge = Surge(3600.0, 900.0, 3600.0 - baseline[19], 6.5 * 3600, STORM_MIX)
    warned = None
    if warning and storm is not None:
        red = storm.warning_calls_per_hour("red") or 0.0
        warned = StormWarning(start + timedelta(hours=1), start + timedelta(hours=5), red,
                              "red: thunderstorm with squall")  # fmt: skip
    return Scenario(
        name="reference", start=start, hours=24.0, seed=seed, company=company,
        queues=_queues(company, wrapup_s=10, callback_offer_s=180),
        operators=tuple(operators), standby_logged_in=in_building,
        callout_delay_s={Tier.STANDBY_1: (600.0, 1800.0), Tier.STANDBY_2: (1200.0, 4500.0)},
        hourly_baseline=baseline, baseline_mix=NORMAL_MIX, surges=(surge,),
        languages={Language.HI: 0.85, Language.EN: 0.15}, patience_s=120.0, ivr_s=45.0,
        identified_share=0.95, ivr_finish_share=0.70, outage_ivr=outage_ivr,
        retrials=Retrials(0.6, 180.0, 5), callbacks=CallbackPolicy(0.5, 0.8, 20.0),
        restoration=RESTORATION, faults=_reference_faults(start, seed),
        scaling=scaling and storm is not None, storm=storm, warning=warned,
        outage_sms=OUTAGE_SMS if outage_sms else None,
    )  # fmt: skip


def stationary(
    *,
    arrivals_per_hour: float,
    aht_s: float,
    patience_s: float,
    operators: int,
    hours: float,
    seed: int,
) -> Scenario:
    """Poisson arrivals, exponential handle time and patience, one queue: M/M/N+M."""
    company = Company.CZ
    queues = load_queue_definitions({"queues": {"main": {
        "company": "CZ", "language": "hi", "wrapup_s": 0, "max_length": 1_000_000,
        "callback_offer_s": False, "service_level_s": 20}}})  # fmt: skip
    roster = _roster(company, [(Tier.PRIMARY, operators, frozenset({Language.HI}))])
    return Scenario(
        name="stationary", start=datetime(2026, 1, 1, tzinfo=IST), hours=hours, seed=seed,
        company=company, queues=queues, operators=tuple(roster),
        standby_logged_in=frozenset(), callout_delay_s={},
        hourly_baseline=(float(arrivals_per_hour),) * 24,
        baseline_mix=(CallType("call", 1.0, float(aht_s)),), surges=(),
        languages={Language.HI: 1.0}, patience_s=float(patience_s), ivr_s=0.0,
        identified_share=1.0, ivr_finish_share=0.0, outage_ivr=False, retrials=None,
        callbacks=None, restoration=RESTORATION, faults=(), scaling=False, storm=None,
    )  # fmt: skip


_STATIONARY_KEYS = {"arrivals_per_hour", "aht_s", "patience_s", "operators", "hours", "seed"}
_SWITCHES = {"retrials", "outage_ivr", "scaling"}


def load_scenario(table: Mapping[str, object], *, where: str = "scenario") -> Scenario:
    """A stationary scenario from a parsed TOML table (switches must be false).

    >>> s = load_scenario({"arrivals_per_hour": 600, "aht_seconds": 180,
    ...                    "patience_seconds": 120, "operators": 30, "hours": 2})
    >>> len(s.operators), s.hourly_baseline[0], s.seed
    (30, 600.0, 1)
    """
    aliases = {"aht_seconds": "aht_s", "patience_seconds": "patience_s"}
    values: dict[str, float | int] = {"seed": 1}
    for key, value in table.items():
        name = aliases.get(key, key)
        if name in _SWITCHES:
            if value is not False:
                raise ScenarioError(f"{where}.{key}: only false is supported in a scenario file")
            continue
        if name not in _STATIONARY_KEYS:
            raise ScenarioError(f"{where}.{key}: unknown key")
        values[name] = _positive(f"{where}.{key}", value, whole=name in ("operators", "seed"))
    missing = sorted(_STATIONARY_KEYS - set(values))
    if missing:
        raise ScenarioError(f"{where}.{missing[0]}: missing")
    return stationary(**values)  # type: ignore[arg-type]


def _positive(path: str, value: object, *, whole: bool) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ScenarioError(f"{path}: must be a number, got {value!r}")
    if whole and not isinstance(value, int):
        raise ScenarioError(f"{path}: must be a whole number, got {value!r}")
    if value < 0 or (value == 0 and not whole):
        raise ScenarioError(f"{path}: must be positive, got {value!r}")
    return value
