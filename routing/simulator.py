"""The storm simulator: a discrete-event run of a scenario through the real routing code.

A virtual clock (float seconds from the scenario start) and a heap of timed events drive the
same code the live system runs: :func:`routing.acd.plan` / :func:`routing.acd.match` choose
who answers whom, every operator change goes through :func:`routing.operators.transition`
(a rejected one is a bug here and raises), :func:`routing.wait.estimate_wait` and
:func:`routing.callbacks.should_offer` decide callback offers, and :func:`routing.storm.decide`
scales the operators. What is modelled: arrivals (a baseline by hour of day plus storm surges,
drawn by thinning), IVR time, identification and the outage IVR's deflection of fault calls,
queueing with each queue's length limit, exponential patience and abandonment, redials (a share
of those who abandon or find the queue full call again after a mean delay, up to a number of
times, unless their supply is back), callbacks (offered when the estimate reaches the queue's
threshold; cancelled when the caller's fault is restored), operators answering at once when
offered, wrap-up, and standby operators joining after an SMS call-out delay.

Every random draw comes from generators seeded by the scenario's seed, one per purpose, so two
runs of one scenario agree exactly and variants (no outage IVR, no scaling) see the same
callers. This module runs the loop over the event agenda (``routing.sim_events``) and follows
callers and the controller; the operators' side of each call is ``routing.sim_answering``,
operators' states ``routing.sim_operators``, the queues ``routing.sim_queues``, the callers
``routing.sim_callers``, the counts and the controller's loop ``routing.sim_runtime``. Every
mutable record is engine-internal and never leaves the run. Pure: stdlib only.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import replace
from datetime import timedelta
from typing import cast

from routing.acd import CallerKind
from routing.callbacks import should_offer
from routing.metrics import Counter
from routing.operators import LoggedIn, MadeReady, OperatorState
from routing.queues import QueueDefinition, QueueSet
from routing.scenarios import Scenario
from routing.sim_answering import Answering
from routing.sim_callers import (
    CALLBACK,
    FINISHED_IN_IVR,
    GONE,
    NOT_CALLING,
    WAITING,
    CallerSource,
    SimCall,
)
from routing.sim_events import (
    ABANDON,
    ARRIVE,
    CANCEL,
    FRESH_CALL,
    JOIN,
    REDIAL,
    TICK,
    Agenda,
)
from routing.sim_operators import OperatorFloor
from routing.sim_queues import WaitingLines
from routing.sim_report import (
    BLOCKED,
    CALLBACKS_REQUESTED,
    CALLS,
    DEFLECTED,
    FRESH,
    NOT_CALLED,
    REDIALS,
    DecisionRecord,
    SimulationReport,
    build_report,
)
from routing.sim_runtime import Counters, StormLoop
from routing.storm_decisions import CallOut, MakeReady, StandDown, SwitchStormSettings
from routing.wait import QueueLoad, WaitEstimate, estimate_wait, served_first, shared_ahead


class Simulation:
    """One run of a scenario; call :meth:`run` once."""

    def __init__(self, scenario: Scenario) -> None:
        self.s = scenario
        seed = scenario.seed
        purposes = ("arrivals", "callers", "patience", "redials", "callbacks", "acd", "ops")
        self._rng = {name: random.Random(f"{seed}:{name}") for name in purposes}
        self._end = scenario.hours * 3600.0
        self._agenda = Agenda()
        self.counters = Counters(self._end)
        self._callers = CallerSource(scenario, times=self._rng["arrivals"],
                                     attributes=self._rng["callers"])  # fmt: skip
        self._queues: QueueSet = scenario.queues
        self._lines = WaitingLines(scenario.queues)
        self._served_first = {q.name: served_first(self._queues, q.name) for q in self._queues}
        self._floor = OperatorFloor(scenario)
        self._answering = Answering(scenario, floor=self._floor, lines=self._lines,
                                    counters=self.counters, agenda=self._agenda,
                                    rng=self._rng)  # fmt: skip
        self._storm_callback_s: int | None = None
        self._storm = StormLoop(scenario) if scenario.scaling else None
        self._decisions: list[DecisionRecord] = []
        self.events = 0

    # ------------------------------------------------------------------ the loop

    def run(self) -> SimulationReport:
        self._floor.log_in_roster()
        self._agenda.push(self._callers.next_arrival(0.0), FRESH_CALL, None)
        self._agenda.push(0.0, TICK, None)
        answering = self._answering
        # One handler per event kind, in the order of the kinds in routing.sim_events.
        handlers = (self._fresh, self._redial, self._join_event, self._abandon, answering.ended,
                    answering.freed, self._tick, self._arrive, answering.dialled,
                    self._cancel)  # fmt: skip
        heap, end = self._agenda.heap, self._end
        while heap:
            t, _, kind, obj = heapq.heappop(heap)
            if t > end:
                break
            self.events += 1
            handlers[kind](t, obj)
        s = self.s
        header = {"scenario": s.name, "seed": s.seed, "outage_ivr": s.outage_ivr,
                  "scaling": s.scaling, "hours": s.hours,
                  "warning": _warning_text(s), "outage_sms": s.outage_sms is not None}  # fmt: skip
        counters = self.counters
        return build_report(start=s.start, intervals=counters.intervals, header=header,
                            events=self.events, decisions=self._decisions, told=counters.told,
                            hung_up_after_estimate=counters.hung_up_after_estimate)  # fmt: skip

    # ------------------------------------------------------------------ callers

    def _fresh(self, t: float, _: object) -> None:
        self._agenda.push(self._callers.next_arrival(t), FRESH_CALL, None)
        call, fate = self._callers.caller(t)
        if fate == NOT_CALLING:
            self.counters.add(t, NOT_CALLED)
            return
        self.counters.add(t, CALLS, FRESH)
        if fate == FINISHED_IN_IVR:
            self.counters.add(t, DEFLECTED)
            return
        self._after_ivr(call, t)

    def _after_ivr(self, call: SimCall, t: float) -> None:
        if self.s.ivr_s > 0:
            self._agenda.push(t + self.s.ivr_s, JOIN, call)
        else:
            self._join(call, t)

    def _redial(self, t: float, call: object) -> None:
        assert isinstance(call, SimCall)
        if call.restored_at is not None and call.restored_at <= t:
            return  # supply is back: no reason to call again
        call.attempt += 1
        self.counters.add(t, CALLS, REDIALS)
        self._after_ivr(call, t)

    def _join_event(self, t: float, call: object) -> None:
        assert isinstance(call, SimCall)
        self._join(call, t)

    def _join(self, call: SimCall, t: float) -> None:
        queue = self._queues[call.queue]
        call.told = None
        self.counters.joined(t)
        if self._lines.live[queue.name] >= queue.max_length:
            self.counters.add(t, BLOCKED)
            self._retry(call, t)
            return
        self.counters.add(t, Counter.OFFERED)
        self._lines.enter(call, queue.name, t)
        self._answering.dispatch(t)
        if call.state != WAITING:
            return  # answered at once: no wait to estimate
        estimate = self._estimate(queue.name, call.priority, t)  # what the wait page says
        if self._offer_callback(call, queue, t, estimate):
            return
        call.told = estimate
        patience = self._rng["patience"].expovariate(1.0 / self.s.patience_s)
        self._agenda.push(t + patience, ABANDON, (call, call.key))

    def _offer_callback(
        self, call: SimCall, queue: QueueDefinition, t: float, estimate: WaitEstimate
    ) -> bool:
        policy = self.s.callbacks
        if policy is None or not call.identified or queue.callback_offer_s is None:
            return False
        if self._storm_callback_s is not None:
            queue = replace(queue, callback_offer_s=self._storm_callback_s)
        if (
            not should_offer(queue, estimate)
            or self._rng["callbacks"].random() >= policy.accept_share
        ):
            return False
        assert call.entry is not None
        call.entry = replace(call.entry, kind=CallerKind.CALLBACK)
        call.state = CALLBACK
        self.counters.add(t, CALLBACKS_REQUESTED)
        if call.restored_at is not None:
            self._agenda.push(max(t, call.restored_at), CANCEL, call)
        return True

    def _estimate(self, queue: str, priority: int, t: float) -> WaitEstimate:
        """The wait the live system would estimate for the last caller of `queue` at `t`."""
        answered, abandoned = self.counters.recent(queue, t)
        lines = self._lines
        load = QueueLoad(0, self._floor.serving[queue], list(lines.handles[queue]),
                         answered, abandoned)  # fmt: skip
        first = {name: lines.live[name] if whole else lines.placed_before(name, priority)
                 for name, whole in self._served_first[queue]}  # fmt: skip
        also = shared_ahead(queue, first, self._floor.serving_ids)
        return estimate_wait(lines.live[queue], load, also_ahead=also)

    def _abandon(self, t: float, item: object) -> None:
        call, key = cast(tuple[SimCall, int], item)
        if call.state != WAITING or call.key != key:
            return
        self._lines.leave(call, GONE)
        if call.told is not None and call.entry is not None:
            self.counters.hung_up_after_estimate.append(call.entry.joined)
        self.counters.add(t, Counter.ABANDONED)
        self.counters.queue_outcome(call.queue, t, abandoned=True)
        self._retry(call, t)

    def _retry(self, call: SimCall, t: float) -> None:
        policy, rng = self.s.retrials, self._rng["redials"]
        if policy is None or call.attempt >= policy.max_attempts or rng.random() >= policy.share:
            return
        self._agenda.push(t + rng.expovariate(1.0 / policy.mean_delay_s), REDIAL, call)

    def _cancel(self, t: float, call: object) -> None:
        assert isinstance(call, SimCall)
        if call.state == CALLBACK:
            self._lines.leave(call, GONE)
            self.counters.add(t, Counter.CALLBACKS_CANCELLED)

    # ------------------------------------------------------------------ storm and sampling

    def _tick(self, t: float, _: object) -> None:
        self._agenda.push(t + self.s.control_interval_s, TICK, None)
        self.counters.sample(t, self._floor.staffed(), self._lines.waiting())
        if self._storm is None:
            return
        pool = self._storm.pool(self._floor.views.values())
        decision = self._storm.decide(t, self.counters, self._floor.staffed(), pool)
        if decision.changes:
            at = self.s.start + timedelta(seconds=t)
            record = DecisionRecord(at, decision.action, decision.target_operators,
                                    decision.staffed_operators, decision.reason)  # fmt: skip
            self._decisions.append(record)
        for command in decision.commands:
            self._carry_out(command, t)

    def _carry_out(self, command: object, t: float) -> None:
        floor = self._floor
        if isinstance(command, MakeReady):
            floor.change(command.operator_id, MadeReady(), t)
            floor.recount_serving()
            self._answering.release(command.operator_id, t)
        elif isinstance(command, CallOut) and command.operator_id not in floor.arriving:
            floor.arriving.add(command.operator_id)
            low, high = self.s.callout_delay_s.get(command.tier, (0.0, 0.0))
            self._agenda.push(t + self._rng["ops"].uniform(low, high), ARRIVE, command.operator_id)
        elif isinstance(command, StandDown):
            floor.stand_down.add(command.operator_id)
            if command.operator_id in floor.free:  # idle: stands down now, else when free
                del floor.free[command.operator_id]
                self._answering.release(command.operator_id, t)
        elif isinstance(command, SwitchStormSettings):
            self._storm_callback_s = command.callback_offer_s

    def _arrive(self, t: float, op_id: object) -> None:
        """A called-out operator logs in, unless already in (then nothing changes)."""
        floor, op = self._floor, str(op_id)
        floor.arriving.discard(op)
        if floor.state_of(op) is OperatorState.OFFLINE:
            floor.change(op, LoggedIn(), t)
            floor.recount_serving()
            self._answering.release(op, t)


def _warning_text(s: Scenario) -> str | None:
    w = s.warning
    if w is None:
        return None
    span = f"{w.starts:%H:%M}-{w.ends:%H:%M}"
    return f"{w.note or 'storm warning'} {span}, {w.calls_per_hour:,.0f} fault calls/h"


def simulate(scenario: Scenario) -> SimulationReport:
    """Run ``scenario`` to its end and report (deterministic for the scenario's seed)."""
    return Simulation(scenario).run()
