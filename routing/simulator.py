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
callers. The in-flight call record is mutable on purpose: it is engine-internal, hot, and never
leaves this module. Pure: stdlib only.
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from dataclasses import replace
from datetime import timedelta
from typing import cast

from routing import acd
from routing.acd import CallerKind, ConnectCaller, OperatorView, WaitingCaller
from routing.callbacks import should_offer
from routing.errors import RoutingError
from routing.metrics import Counter
from routing.operators import (
    Answered,
    CallerLeft,
    HungUp,
    LoggedIn,
    MadeReady,
    Offered,
    OperatorEvent,
    OperatorState,
    OperatorStatus,
    StoodBy,
    Tier,
    transition,
)
from routing.queues import QueueDefinition, QueueSet
from routing.scenarios import Scenario
from routing.sim_callers import (
    CALLBACK,
    FINISHED_IN_IVR,
    GONE,
    NOT_CALLING,
    SERVED,
    WAITING,
    CallerSource,
    SimCall,
)
from routing.sim_report import (
    BLOCKED,
    CALLBACKS_DONE,
    CALLBACKS_FAILED,
    CALLBACKS_REQUESTED,
    CALLS,
    DEFLECTED,
    FRESH,
    IMMEDIATE,
    NOT_CALLED,
    REDIALS,
    DecisionRecord,
    SimulationReport,
    build_report,
)  # fmt: skip
from routing.sim_runtime import Counters, StormLoop
from routing.storm import CallOut, MakeReady, StandDown, SwitchStormSettings
from routing.wait import QueueLoad, estimate_wait

# Event kinds (plain ints: the heap compares tuples millions of times).
FRESH_CALL, REDIAL, JOIN, ABANDON, END, FREE, TICK, ARRIVE, DIALLED, CANCEL = range(10)
_QUEUED = (WAITING, CALLBACK)
_TAKING_CALLS = {OperatorState.READY, OperatorState.RINGING, OperatorState.ON_CALL,
                 OperatorState.WRAP_UP, OperatorState.PAUSED}  # fmt: skip


class SimulationError(RoutingError):
    """The simulation reached a state the routing rules forbid (a bug, not an outcome)."""


class Simulation:
    """One run of a scenario; call :meth:`run` once."""

    def __init__(self, scenario: Scenario) -> None:
        self.s = scenario
        seed = scenario.seed
        purposes = ("arrivals", "callers", "patience", "redials", "callbacks", "acd", "ops")
        self._rng = {name: random.Random(f"{seed}:{name}") for name in purposes}
        self._end = scenario.hours * 3600.0
        self._heap: list[tuple[float, int, int, object]] = []
        self._seq = 0
        self.counters = Counters(self._end)
        self._by_id: dict[str, SimCall] = {}
        self._callers = CallerSource(scenario, times=self._rng["arrivals"],
                                     attributes=self._rng["callers"])  # fmt: skip
        self._queues: QueueSet = scenario.queues
        self._waiting: dict[str, deque[SimCall]] = {q.name: deque() for q in scenario.queues}
        self._live = dict.fromkeys(self._waiting, 0)
        self._handles: dict[str, deque[float]] = {q: deque(maxlen=50) for q in self._waiting}
        self._views: dict[str, OperatorView] = {}
        self._free: dict[str, None] = {}
        self._serving = dict.fromkeys(self._waiting, 0)
        self._rr: dict[str, int] = {}
        self._stand_down: set[str] = set()
        self._arriving: set[str] = set()
        self._storm_callback_s: int | None = None
        self._storm = StormLoop(scenario) if scenario.scaling else None
        self._decisions: list[DecisionRecord] = []
        self.events = 0

    # ------------------------------------------------------------------ the loop

    def run(self) -> SimulationReport:
        self._roster()
        self._push(self._callers.next_arrival(0.0), FRESH_CALL, None)
        self._push(0.0, TICK, None)
        handlers = (self._fresh, self._redial, self._join_event, self._abandon, self._ended,
                    self._freed, self._tick, self._arrive, self._dialled, self._cancel)  # fmt: skip
        heap, end = self._heap, self._end
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
        return build_report(start=s.start, intervals=self.counters.intervals, header=header,
                            events=self.events, decisions=self._decisions)  # fmt: skip

    def _push(self, t: float, kind: int, obj: object) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (t, self._seq, kind, obj))

    # ------------------------------------------------------------------ operators

    def _roster(self) -> None:
        for position, op in enumerate(self.s.operators):
            self._views[op.id] = OperatorView(
                op, OperatorStatus(OperatorState.OFFLINE, 0.0), position
            )
            if op.tier is Tier.PRIMARY:
                self._change(op.id, LoggedIn(), 0.0)
                self._free[op.id] = None
            elif op.id in self.s.standby_logged_in:
                self._change(op.id, StoodBy(), 0.0)
        self._recount_serving()

    def _change(self, op_id: str, event: OperatorEvent, t: float) -> OperatorStatus:
        view = self._views[op_id]
        status = transition(view.status, event, t)
        if not isinstance(status, OperatorStatus):
            raise SimulationError(f"{op_id}: {status.message}")
        self._views[op_id] = OperatorView(view.operator, status, view.position)
        return status

    def _recount_serving(self) -> None:
        working = [v.operator for v in self._views.values() if v.status.state in _TAKING_CALLS]
        for queue in self._queues:
            self._serving[queue.name] = sum(op.serves(queue) for op in working)

    def staffed(self) -> int:
        return sum(v.status.state in _TAKING_CALLS for v in self._views.values())

    def _release(self, op_id: str, t: float) -> None:
        """An operator free again: stands down if asked to, else takes the next caller."""
        if op_id in self._stand_down:
            self._stand_down.discard(op_id)
            self._change(op_id, StoodBy(), t)
            self._recount_serving()
            return
        self._free[op_id] = None
        self._dispatch(t)

    # ------------------------------------------------------------------ callers

    def _fresh(self, t: float, _: object) -> None:
        self._push(self._callers.next_arrival(t), FRESH_CALL, None)
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
            self._push(t + self.s.ivr_s, JOIN, call)
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
        self.counters.joined(t)
        if self._live[queue.name] >= queue.max_length:
            self.counters.add(t, BLOCKED)
            self._retry(call, t)
            return
        self.counters.add(t, Counter.OFFERED)
        call.entry = WaitingCaller(str(call.n), CallerKind.CALL, queue.name, call.priority, t)
        call.state, call.key = WAITING, call.key + 1
        self._waiting[queue.name].append(call)
        self._by_id[call.entry.id] = call
        self._live[queue.name] += 1
        self._dispatch(t)
        if call.state != WAITING:
            return
        if self._offer_callback(call, queue, t):
            return
        patience = self._rng["patience"].expovariate(1.0 / self.s.patience_s)
        self._push(t + patience, ABANDON, (call, call.key))

    def _offer_callback(self, call: SimCall, queue: QueueDefinition, t: float) -> bool:
        policy = self.s.callbacks
        if policy is None or not call.identified or queue.callback_offer_s is None:
            return False
        if self._storm_callback_s is not None:
            queue = replace(queue, callback_offer_s=self._storm_callback_s)
        answered, abandoned = self.counters.recent(queue.name, t)
        load = QueueLoad(0, self._serving[queue.name], list(self._handles[queue.name]),
                         answered, abandoned)  # fmt: skip
        estimate = estimate_wait(self._live[queue.name], load)
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
            self._push(max(t, call.restored_at), CANCEL, call)
        return True

    def _leave_queue(self, call: SimCall, state: int) -> None:
        call.state = state
        self._live[call.queue] -= 1
        del self._by_id[str(call.n)]

    def _abandon(self, t: float, item: object) -> None:
        call, key = cast(tuple[SimCall, int], item)
        if call.state != WAITING or call.key != key:
            return
        self._leave_queue(call, GONE)
        self.counters.add(t, Counter.ABANDONED)
        self.counters.queue_outcome(call.queue, t, abandoned=True)
        self._retry(call, t)

    def _retry(self, call: SimCall, t: float) -> None:
        policy, rng = self.s.retrials, self._rng["redials"]
        if policy is None or call.attempt >= policy.max_attempts or rng.random() >= policy.share:
            return
        self._push(t + rng.expovariate(1.0 / policy.mean_delay_s), REDIAL, call)

    def _cancel(self, t: float, call: object) -> None:
        assert isinstance(call, SimCall)
        if call.state == CALLBACK:
            self._leave_queue(call, GONE)
            self.counters.add(t, Counter.CALLBACKS_CANCELLED)

    # ------------------------------------------------------------------ assignment

    def _heads(self, limit: int) -> list[WaitingCaller]:
        """The first ``limit`` entries of each queue (later ones cannot be reached this round)."""
        heads: list[WaitingCaller] = []
        for name, line in self._waiting.items():
            if not self._live[name]:
                line.clear()
                continue
            while line and line[0].state not in _QUEUED:
                line.popleft()
            taken = 0
            for call in line:
                if call.state in _QUEUED:
                    heads.append(call.entry)  # type: ignore[arg-type]
                    taken += 1
                    if taken >= limit:
                        break
        return heads

    def _dispatch(self, t: float) -> None:
        if not self._free or not any(self._live.values()):
            return
        waiting = self._heads(len(self._free))
        views = [self._views[op_id] for op_id in self._free]
        the_plan = acd.plan(self._queues, waiting, views, t, rr_positions=self._rr,
                            rng=self._rng["acd"])  # fmt: skip
        for action in acd.match(the_plan):
            self._assign(action, t)

    def _assign(self, action: acd.Action, t: float) -> None:
        call = self._find(action.caller)
        op_id = action.operator_id
        del self._free[op_id]
        self._leave_queue(call, SERVED)
        self._change(op_id, Offered(action.caller.id, call.queue), t)
        self._rr[call.queue] = self._views[op_id].position
        if isinstance(action, ConnectCaller):
            self._answer(op_id, call, t, action.caller.joined)
        else:
            policy = self.s.callbacks
            assert policy is not None
            self._push(t + policy.dial_s, DIALLED, (op_id, call))

    def _find(self, caller: WaitingCaller) -> SimCall:
        call = self._by_id.get(caller.id)
        if call is None:
            raise SimulationError(f"caller {caller.id} is not waiting in {caller.queue}")
        return call

    def _answer(self, op_id: str, call: SimCall, t: float, joined: float) -> None:
        self._change(op_id, Answered(), t)
        wait = t - joined
        queue = self._queues[call.queue]
        self.counters.answered(t, wait, within=wait <= queue.service_level_s)
        if wait == 0:
            self.counters.add(t, IMMEDIATE)
        self.counters.queue_outcome(call.queue, t, abandoned=False)
        self._push(t + call.handle_s, END, (op_id, call))

    def _dialled(self, t: float, item: object) -> None:
        op_id, call = cast(tuple[str, SimCall], item)
        policy = self.s.callbacks
        assert policy is not None
        if self._rng["callbacks"].random() < policy.answer_share:
            self._change(op_id, Answered(), t)
            self.counters.add(t, CALLBACKS_DONE)
            self._push(t + call.handle_s, END, (op_id, call))
            return
        self.counters.add(t, CALLBACKS_FAILED)
        self._change(op_id, CallerLeft(), t)
        self._release(op_id, t)

    def _ended(self, t: float, item: object) -> None:
        op_id, call = cast(tuple[str, SimCall], item)
        wrapup = self._queues[call.queue].wrapup_s
        self._change(op_id, HungUp(wrapup), t)
        self.counters.handled(t, call.handle_s + wrapup)
        self._handles[call.queue].append(call.handle_s + wrapup)
        call.state = GONE
        if wrapup:
            self._push(t + wrapup, FREE, op_id)
        else:
            self._release(op_id, t)

    def _freed(self, t: float, op_id: object) -> None:
        self._release(str(op_id), t)

    # ------------------------------------------------------------------ storm and sampling

    def _tick(self, t: float, _: object) -> None:
        self._push(t + self.s.control_interval_s, TICK, None)
        self.counters.sample(t, self.staffed(), sum(self._live.values()))
        if self._storm is None:
            return
        pool = self._storm.pool(self._views.values())
        decision = self._storm.decide(t, self.counters, self.staffed(), pool)
        if decision.changes:
            at = self.s.start + timedelta(seconds=t)
            record = DecisionRecord(at, decision.action, decision.target_operators,
                                    decision.staffed_operators, decision.reason)  # fmt: skip
            self._decisions.append(record)
        for command in decision.commands:
            self._carry_out(command, t)

    def _carry_out(self, command: object, t: float) -> None:
        if isinstance(command, MakeReady):
            self._change(command.operator_id, MadeReady(), t)
            self._recount_serving()
            self._release(command.operator_id, t)
        elif isinstance(command, CallOut) and command.operator_id not in self._arriving:
            self._arriving.add(command.operator_id)
            low, high = self.s.callout_delay_s.get(command.tier, (0.0, 0.0))
            self._push(t + self._rng["ops"].uniform(low, high), ARRIVE, command.operator_id)
        elif isinstance(command, StandDown):
            self._stand_down.add(command.operator_id)
            if command.operator_id in self._free:  # idle: stands down now, else when free
                del self._free[command.operator_id]
                self._release(command.operator_id, t)
        elif isinstance(command, SwitchStormSettings):
            self._storm_callback_s = command.callback_offer_s

    def _arrive(self, t: float, op_id: object) -> None:
        self._arriving.discard(str(op_id))
        if self._views[str(op_id)].status.state is OperatorState.OFFLINE:
            self._change(str(op_id), LoggedIn(), t)
            self._recount_serving()
            self._release(str(op_id), t)


def _warning_text(s: Scenario) -> str | None:
    w = s.warning
    if w is None:
        return None
    span = f"{w.starts:%H:%M}-{w.ends:%H:%M}"
    return f"{w.note or 'storm warning'} {span}, {w.calls_per_hour:,.0f} fault calls/h"


def simulate(scenario: Scenario) -> SimulationReport:
    """Run ``scenario`` to its end and report (deterministic for the scenario's seed)."""
    return Simulation(scenario).run()
