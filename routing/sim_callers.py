"""Who calls in a simulated storm: arrival times, and each caller's nature and needs.

:class:`CallerSource` draws fresh arrivals from the scenario's rate (a baseline by hour of day
plus surges) by thinning against its highest rate, and for each caller the kind of call (from
the baseline or the storm mix, in proportion to their rates at that moment), language,
whether the IVR identifies them, when their fault is restored (fault calls), the queue and
priority the IVR would choose (``routing.queues.choose_queue``), the handle time, and whether
the outage IVR finishes the call. :class:`SimCall` is the in-flight record the engine updates;
mutable on purpose (hot, engine-internal). Pure: the generators are passed in, seeded.
"""

from __future__ import annotations

import math
import random

from routing.acd import WaitingCaller
from routing.queues import QueueSet, choose_queue
from routing.scenarios import CallType, Scenario
from routing.sim_runtime import pick_weighted, restoration_delay
from routing.wait import WaitEstimate

# States of a call in flight.
IN_IVR, WAITING, CALLBACK, SERVED, GONE = range(5)
# What becomes of a fresh caller: queues (after the IVR), finished in the outage IVR, or never
# calls (told of the fault by SMS first).
TO_QUEUE, FINISHED_IN_IVR, NOT_CALLING = range(3)


class SimCall:
    __slots__ = ("n", "type", "queue", "priority", "attempt", "restored_at", "identified",
                 "handle_s", "state", "key", "entry", "told")  # fmt: skip

    def __init__(self, n: int, kind: CallType, restored_at: float | None, identified: bool):
        self.n, self.type, self.restored_at, self.identified = n, kind, restored_at, identified
        self.queue, self.priority, self.attempt, self.handle_s = "", 0, 0, 0.0
        self.state, self.key = IN_IVR, 0
        self.entry: WaitingCaller | None = None
        self.told: WaitEstimate | None = None  # the wait estimate heard while on the line


class CallerSource:
    """Fresh callers of one scenario, from two seeded generators (times, attributes)."""

    def __init__(
        self, scenario: Scenario, *, times: random.Random, attributes: random.Random
    ) -> None:
        self._s = scenario
        self._times, self._attributes = times, attributes
        self._end = scenario.hours * 3600.0
        self._bound = max(scenario.hourly_baseline) + sum(s.peak_per_hour for s in scenario.surges)
        start = scenario.start
        self._day_offset = start.hour * 3600 + start.minute * 60
        mixes = [scenario.baseline_mix, *(surge.mix for surge in scenario.surges[:1])]
        self._mix = [[(kind, kind.share) for kind in mix] for mix in mixes]
        self._languages = list(scenario.languages.items())
        self._queues: QueueSet = scenario.queues
        self._routes: dict[tuple[str, bool], tuple[str, int]] = {}
        self.count = 0
        # (tripped, restored, consumers) per fault, seconds from the start: who has been told
        self._faults = [
            ((f.started_at - start).total_seconds(),
             math.inf if f.restored_at is None else (f.restored_at - start).total_seconds(),
             f.consumers_affected)
            for f in scenario.faults
        ]  # fmt: skip

    def rate(self, t: float) -> tuple[float, float]:
        """(all calls per hour, of which the surges') at ``t`` seconds from the start."""
        s = self._s
        hour = int((self._day_offset + t) // 3600) % len(s.hourly_baseline)
        surge = sum(x.rate(t) for x in s.surges)
        return s.hourly_baseline[hour] + surge, surge

    def next_arrival(self, t: float) -> float:
        """The next fresh arrival after ``t`` (past the end if there is none before it)."""
        rng, bound = self._times, self._bound
        while True:
            t += rng.expovariate(bound / 3600.0)
            if t > self._end or rng.random() * bound <= self.rate(t)[0]:
                return t

    def told_by_sms(self, t: float) -> float:
        """The share of the consumers cut off at ``t`` whose outage SMS has reached them."""
        effect = self._s.outage_sms
        if effect is None:
            return 0.0
        low, high = effect.delay_s
        told = cut_off = 0.0
        for tripped, restored, consumers in self._faults:
            if tripped <= t < restored:
                cut_off += consumers
                told += consumers * min(1.0, max(0.0, (t - tripped - low) / (high - low)))
        return told / cut_off if cut_off else 0.0

    def caller(self, t: float) -> tuple[SimCall, int]:
        """A new caller arriving at ``t``, and what becomes of them: ``TO_QUEUE``,
        ``FINISHED_IN_IVR`` (the outage IVR finished the call) or ``NOT_CALLING``."""
        rng, s = self._attributes, self._s
        total, surge = self.rate(t)
        stormy = surge > 0 and len(self._mix) > 1 and rng.random() * total < surge
        kind = pick_weighted(rng, self._mix[1 if stormy else 0])
        identified = rng.random() < s.identified_share
        restored = t + restoration_delay(rng, s.restoration) if kind.fault else None
        self.count += 1
        call = SimCall(self.count, kind, restored, identified)
        language = pick_weighted(rng, self._languages)
        call.queue, call.priority = self._route(str(language), kind.hazard)
        wrapup = self._queues[call.queue].wrapup_s
        call.handle_s = max(1.0, rng.expovariate(1.0 / max(1.0, kind.aht_s - wrapup)))
        sms = s.outage_sms
        if kind.fault and sms is not None:
            told_share = self.told_by_sms(t) * sms.call_reduction
            if rng.random() < told_share:
                return call, NOT_CALLING
        told = kind.fault and identified and s.outage_ivr
        return call, FINISHED_IN_IVR if told and rng.random() < s.ivr_finish_share else TO_QUEUE

    def _route(self, language: str, hazard: bool) -> tuple[str, int]:
        key = (language, hazard)
        if key not in self._routes:
            self._routes[key] = choose_queue(
                self._queues, company=self._s.company, language=language, hazard=hazard
            )
        return self._routes[key]
