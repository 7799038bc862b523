"""Bookkeeping of a simulation run: raw counters, weighted draws and the storm-controller loop.

:class:`Counters` accumulates per-interval raw counts (names of ``routing.metrics.Counter`` and
``routing.sim_report``), the per-minute queue arrivals the controller observes (as the live
service reads its Redis counters: the last 15 minutes) and recent answers and abandonments per
queue for the wait estimate. :class:`StormLoop` feeds :func:`routing.storm.decide` the
scenario's faults active at the virtual time, the observed rate, the staffed operators and the
standby pool, and keeps the controller's state between rounds. Engine-internal accumulators
are mutable by design. Pure: stdlib only.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import TypeVar

from routing.acd import OperatorView
from routing.metrics import INTERVAL_S, Counter
from routing.operators import OperatorState, Tier
from routing.scenarios import Scenario
from routing.sim_report import SAMPLES, STAFFED_MAX, STAFFED_SUM, WAITING_MAX, WAITING_SUM
from routing.storm import decide
from routing.storm_decisions import Decision
from routing.storm_inputs import PoolMember, StormInputs, StormState
from routing.wait import WaitEstimate
from routing.wait_accuracy import ToldWait

T = TypeVar("T")
_OBSERVE_MINUTES = 15


def pick_weighted(rng: random.Random, pairs: Sequence[tuple[T, float]]) -> T:
    """One item drawn with probability proportional to its weight.

    >>> pick_weighted(random.Random(1), [("a", 0.0), ("b", 1.0)])
    'b'
    """
    draw = rng.random() * sum(weight for _, weight in pairs)
    for item, weight in pairs:
        draw -= weight
        if draw < 0:
            return item
    return pairs[-1][0]


def restoration_delay(rng: random.Random, bands: Sequence[tuple[float, float, float]]) -> float:
    """Seconds until a fault is restored: a band (share, low h, high h), uniform inside it."""
    low, high = pick_weighted(rng, [((lo, hi), share) for share, lo, hi in bands])
    return rng.uniform(low, high) * 3600.0


class Counters:
    """Raw counts per 15-minute interval, plus what the controller and estimates read."""

    def __init__(self, end_s: float) -> None:
        size = max(1, math.ceil(end_s / INTERVAL_S))
        self.intervals: list[dict[str, float]] = [{} for _ in range(size)]
        self._minutes = [0] * (int(end_s // 60) + 2)
        self._outcomes: dict[tuple[str, int], list[int]] = {}
        self.told: list[ToldWait] = []  # callers answered on the line after an estimate
        self.hung_up_after_estimate: list[float] = []  # when those who hung up first joined

    def _at(self, t: float) -> dict[str, float]:
        return self.intervals[min(int(t // INTERVAL_S), len(self.intervals) - 1)]

    def add(self, t: float, *names: str) -> None:
        counters = self._at(t)
        for name in names:
            counters[name] = counters.get(name, 0) + 1

    def answered(self, t: float, wait: float, *, within: bool) -> None:
        c = self._at(t)
        c[Counter.ANSWERED] = c.get(Counter.ANSWERED, 0) + 1
        c[Counter.WITHIN_SL] = c.get(Counter.WITHIN_SL, 0) + int(within)
        c[Counter.WAIT_SUM] = c.get(Counter.WAIT_SUM, 0.0) + wait

    def estimate_kept(self, joined: float, told: WaitEstimate, waited: float) -> None:
        """A caller told ``told`` on joining at ``joined`` was answered after ``waited``."""
        self.told.append(ToldWait(joined, told.seconds, told.confident, waited))

    def handled(self, t: float, handle_s: float) -> None:
        c = self._at(t)
        c[Counter.HANDLED] = c.get(Counter.HANDLED, 0) + 1
        c[Counter.HANDLE_SUM] = c.get(Counter.HANDLE_SUM, 0.0) + handle_s

    def sample(self, t: float, staffed: int, waiting: int) -> None:
        c = self._at(t)
        c[SAMPLES] = c.get(SAMPLES, 0) + 1
        c[STAFFED_SUM] = c.get(STAFFED_SUM, 0) + staffed
        c[STAFFED_MAX] = max(c.get(STAFFED_MAX, 0), staffed)
        c[WAITING_SUM] = c.get(WAITING_SUM, 0) + waiting
        c[WAITING_MAX] = max(c.get(WAITING_MAX, 0), waiting)

    def joined(self, t: float) -> None:
        """A caller reached the queues (joined, or found one full)."""
        self._minutes[int(t // 60)] += 1

    def observed_per_hour(self, t: float) -> float | None:
        """Queue arrivals per hour over the last 15 minutes; None before 15 minutes have run."""
        minute = int(t // 60)
        if minute < _OBSERVE_MINUTES:
            return None
        return sum(self._minutes[minute - _OBSERVE_MINUTES : minute]) * 60.0 / _OBSERVE_MINUTES

    def queue_outcome(self, queue: str, t: float, *, abandoned: bool) -> None:
        key = (queue, int(t // INTERVAL_S))
        counts = self._outcomes.setdefault(key, [0, 0])
        counts[int(abandoned)] += 1

    def recent(self, queue: str, t: float) -> tuple[int, int]:
        """(answered, abandoned) in ``queue`` over this and the previous interval."""
        now = int(t // INTERVAL_S)
        answered = abandoned = 0
        for index in (now - 1, now):
            counts = self._outcomes.get((queue, index))
            if counts is not None:
                answered, abandoned = answered + counts[0], abandoned + counts[1]
        return answered, abandoned


class StormLoop:
    """The storm controller as the simulator runs it, one decision per control round."""

    def __init__(self, scenario: Scenario) -> None:
        if scenario.storm is None:
            raise ValueError("scaling needs the scenario's storm settings")
        self._scenario = scenario
        self._config = scenario.storm
        self.state = StormState()

    def pool(self, views: Iterable[OperatorView]) -> tuple[PoolMember, ...]:
        """Standby-tier operators not taking calls (standing by, or offline)."""
        idle = (OperatorState.STANDBY, OperatorState.OFFLINE)
        return tuple(
            PoolMember(v.operator.id, v.operator.tier, v.status.state is OperatorState.STANDBY)
            for v in views
            if v.operator.tier is not Tier.PRIMARY and v.status.state in idle
        )

    def decide(
        self, t: float, counters: Counters, staffed: int, pool: tuple[PoolMember, ...]
    ) -> Decision:
        s = self._scenario
        now = s.start + timedelta(seconds=t)
        active = tuple(fault for fault in s.faults if fault.is_active(now))
        inputs = StormInputs(
            s.company,
            now,
            active,
            counters.observed_per_hour(t),
            staffed,
            pool,
            s.outage_ivr,
            s.warning,
        )
        decision = decide(inputs, self.state, self._config)
        self.state = decision.state
        return decision
