"""The storm controller: active faults and observed calls in, operators and storm settings out.

One call of :func:`decide` per company and round. The rules, in order:

- Load and target: see ``routing.storm_forecast`` (faults' forecast, less what the outage IVR
  finishes, blended with observed arrivals; Erlang A with an occupancy cap, then shrinkage).
- Storm settings (outage news in queue, a lower callback threshold) go on when the pressure -
  the faults' call rate, or arrivals beyond a normal day's rate, whichever is larger - reaches
  ``storm_on_calls_per_hour`` and off, after the dwell time, below ``storm_off_calls_per_hour``.
- Only in storm mode, under a storm warning (``routing.storm_forecast.StormWarning``) or
  with a fixed target are standby operators called in: normal staffing is the roster's job.
  Scale up at once when the target exceeds the staffed operators and those already called
  out: standby operators in tier order (standby-1, then standby-2; within a tier those logged
  in as standby first, who are made ready at once; the others get an SMS call-out).
- Scale down only after ``dwell_minutes`` since the last change, and only those the controller
  brought in, the last first: in storm mode the operators beyond the target plus a
  ``scale_down_margin`` band, out of it all of them. The band and the dwell time keep a noisy
  forecast from flapping.
- A supervisor's :class:`Override` forces the settings on or off, or fixes the target; it acts
  at once, without the dwell time.

Every decision is a value carrying its inputs, its reason and the commands for the edge to
carry out (``routing.storm_decisions``); what a round starts from is in ``routing.storm_inputs``.
Pure: ``now`` is passed in; the caller keeps the returned state for the next round.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from routing.operators import Tier
from routing.storm_config import StormConfig
from routing.storm_decisions import (
    CallOut,
    Change,
    Decision,
    MakeReady,
    StandDown,
    StormCommand,
    SwitchStormSettings,
)
from routing.storm_forecast import Forecast, forecast_load
from routing.storm_inputs import (
    CalledOut,
    Override,
    OverrideMode,
    StormInputs,
    StormMode,
    StormState,
)


def decide(
    inputs: StormInputs,
    state: StormState,
    config: StormConfig,
    override: Override | None = None,
) -> Decision:
    """One round for one company: the decision, its commands and the state to keep."""
    override = override or Override()
    forecast = forecast_load(inputs, config)
    target = _target(forecast, override)
    state = _settle_call_outs(state, inputs, config)
    dwelt = _dwelt(state, inputs.now, config)
    mode_change = _mode_change(state.mode, forecast, override, dwelt, config)
    mode, changes, all_commands = _switch_mode(state.mode, mode_change, config)
    immediate = _overridden(override)
    band = 0 if immediate else math.ceil(target * config.scale_down_margin)
    may_grow = mode is StormMode.STORM or override.fixed_target is not None or forecast.warned
    scaling, commands, reason = _scale(
        inputs, state, target, may_grow=may_grow, may_shrink=dwelt or immediate, band=band
    )
    if scaling is not None:
        changes.append(scaling)
        all_commands.extend(commands)
    new_state = _next_state(state, mode, target, inputs.now, tuple(all_commands), bool(changes))
    return Decision(
        company=inputs.company,
        at=inputs.now,
        changes=tuple(changes),
        target_operators=target,
        staffed_operators=inputs.staffed,
        reason=_reason(forecast, inputs, override, mode_change, reason, config),
        forecast=forecast,
        override=override,
        commands=tuple(all_commands),
        state=new_state,
    )


def _target(forecast: Forecast, override: Override) -> int:
    """The forecast's operators, unless the supervisor fixed a target or forced storm mode off."""
    if override.fixed_target is not None:
        return override.fixed_target
    if override.mode is OverrideMode.FORCE_OFF:
        return 0  # no storm staffing: everyone the controller brought in stands down
    return forecast.target_operators


def _overridden(override: Override) -> bool:
    """A supervisor has taken a hand: the override acts at once, without dwell time or band."""
    return override.mode is not OverrideMode.AUTO or override.fixed_target is not None


def _switch_mode(
    mode: StormMode, mode_change: Change | None, config: StormConfig
) -> tuple[StormMode, list[Change], list[StormCommand]]:
    """The mode after `mode_change`, and the change and the settings command it makes, if any."""
    if mode_change is None:
        return mode, [], []
    mode = StormMode.STORM if mode_change is Change.STORM_ON else StormMode.NORMAL
    on = mode is StormMode.STORM
    switch = SwitchStormSettings(on, config.storm_callback_offer_s if on else None)
    return mode, [mode_change], [switch]


def _dwelt(state: StormState, now: datetime, config: StormConfig) -> bool:
    if state.changed_at is None:
        return True
    return now - state.changed_at >= timedelta(minutes=config.dwell_minutes)


def _settle_call_outs(state: StormState, inputs: StormInputs, config: StormConfig) -> StormState:
    """Called-out operators who logged in become activated; stale call-outs are forgotten."""
    offline = {m.operator_id for m in inputs.pool if not m.logged_in}
    expiry = timedelta(minutes=config.callout_expiry_minutes)
    arrived = [c.operator_id for c in state.called_out if c.operator_id not in offline]
    waiting = tuple(
        c for c in state.called_out if c.operator_id in offline and inputs.now - c.at < expiry
    )
    return replace(state, activated=state.activated + tuple(arrived), called_out=waiting)


def _mode_change(
    mode: StormMode, forecast: Forecast, override: Override, dwelt: bool, config: StormConfig
) -> Change | None:
    if override.mode is OverrideMode.FORCE_ON:
        wanted = StormMode.STORM
    elif override.mode is OverrideMode.FORCE_OFF:
        wanted = StormMode.NORMAL
    elif _pressure(forecast, config) >= config.storm_on_calls_per_hour:
        wanted = StormMode.STORM
    elif _pressure(forecast, config) < config.storm_off_calls_per_hour and dwelt:
        wanted = StormMode.NORMAL
    else:
        wanted = mode
    if wanted is mode:
        return None
    return Change.STORM_ON if wanted is StormMode.STORM else Change.STORM_OFF


def _pressure(forecast: Forecast, config: StormConfig) -> float:
    """Calls per hour beyond a normal day: the faults' forecast, or what arrives beyond the
    normal rate (faults nobody has reported yet), whichever is larger."""
    observed = forecast.observed_calls_per_hour or 0.0
    return max(forecast.fault_calls_per_hour, observed - config.baseline_calls_per_hour)


def _scale(
    inputs: StormInputs,
    state: StormState,
    target: int,
    *,
    may_grow: bool,
    may_shrink: bool,
    band: int,
) -> tuple[Change | None, list[StormCommand], str]:
    if not may_grow:  # standby tiers are for storms; normal staffing is the roster's job
        return _storm_over(inputs, state, target, may_shrink=may_shrink)
    coming = len(state.called_out)
    if target > inputs.staffed + coming:
        return _scale_up(inputs, state, target - inputs.staffed - coming)
    surplus = min(inputs.staffed - target - band, len(state.activated))
    if surplus > 0 and may_shrink:
        leaving = list(reversed(state.activated))[:surplus]
        return Change.SCALE_DOWN, [StandDown(op) for op in leaving], f"stand down {surplus}"
    if surplus > 0:
        return None, [], f"{surplus} could stand down after the dwell time"
    if target > inputs.staffed:
        return None, [], f"{coming} called out, not logged in yet"
    return None, [], "staffing meets the target"


def _storm_over(
    inputs: StormInputs, state: StormState, target: int, *, may_shrink: bool
) -> tuple[Change | None, list[StormCommand], str]:
    """Out of storm mode everyone the controller brought in goes back to standby."""
    count = len(state.activated)
    if count and may_shrink:
        leaving = list(reversed(state.activated))
        return Change.SCALE_DOWN, [StandDown(op) for op in leaving], f"stand down all {count}"
    if count:
        return None, [], f"{count} could stand down after the dwell time"
    if target > inputs.staffed:
        return None, [], f"short of {target - inputs.staffed}, but not in storm mode"
    return None, [], "staffing meets the target"


def _scale_up(
    inputs: StormInputs, state: StormState, need: int
) -> tuple[Change | None, list[StormCommand], str]:
    called = {c.operator_id for c in state.called_out}
    order = {Tier.STANDBY_1: 0, Tier.STANDBY_2: 1, Tier.PRIMARY: 2}
    pool = sorted(
        (m for m in inputs.pool if m.operator_id not in called),
        key=lambda m: (order[m.tier], not m.logged_in, m.operator_id),
    )
    chosen = pool[:need]
    if not chosen:
        return None, [], f"short of {need} operators and no standby operator left"
    commands: list[StormCommand] = [
        MakeReady(m.operator_id, m.tier) if m.logged_in else CallOut(m.operator_id, m.tier)
        for m in chosen
    ]
    ready = sum(isinstance(c, MakeReady) for c in commands)
    short = f"; still short of {need - len(chosen)}" if len(chosen) < need else ""
    text = f"bring in {len(chosen)} ({ready} ready now, {len(chosen) - ready} by SMS){short}"
    return Change.SCALE_UP, commands, text


def _next_state(
    state: StormState,
    mode: StormMode,
    target: int,
    now: datetime,
    commands: Sequence[StormCommand],
    changed: bool,
) -> StormState:
    ready = tuple(c.operator_id for c in commands if isinstance(c, MakeReady))
    called = tuple(CalledOut(c.operator_id, now) for c in commands if isinstance(c, CallOut))
    leaving = {c.operator_id for c in commands if isinstance(c, StandDown)}
    return StormState(
        mode=mode,
        target=target,
        changed_at=now if changed else state.changed_at,
        activated=tuple(op for op in state.activated if op not in leaving) + ready,
        called_out=state.called_out + called,
    )


def _reason(
    forecast: Forecast,
    inputs: StormInputs,
    override: Override,
    mode_change: Change | None,
    scaling: str,
    config: StormConfig,
) -> str:
    f = forecast
    seen = f.observed_calls_per_hour
    observed = "unknown" if seen is None else f"{seen:,.0f}/h"
    finished = config.ivr_deflection if inputs.outage_ivr else 0.0
    parts = [
        f"{f.faults} faults ({f.consumers_affected:,} consumers) bring"
        f" {f.fault_calls_per_hour:,.0f} calls/h; outage IVR finishes {finished:.0%};"
        f" expected {f.expected_calls_per_hour:,.0f}/h at the queues, observed {observed},"
        f" planned {f.planned_calls_per_hour:,.0f}/h",
        f"Erlang A {config.target_sl:.0%} in {config.target_s:g} s (AHT {config.aht_s:g} s,"
        f" patience {config.patience_s:g} s, occupancy <= {config.max_occupancy:.0%}) needs"
        f" {f.answering} answering, {f.target_operators} with {config.shrinkage:.0%} shrinkage",
    ]
    if f.warned and inputs.warning is not None:
        w = inputs.warning
        note = f" ({w.note})" if w.note else ""
        parts.append(f"storm warning {w.starts:%d %b %H:%M}-{w.ends:%H:%M}{note}: plan for"
                     f" {w.calls_per_hour:,.0f} fault calls/h")  # fmt: skip
    if _overridden(override):
        fixed = override.fixed_target
        fixed_text = "" if fixed is None else f", target fixed at {fixed}"
        who = override.set_by or "supervisor"
        parts.append(f"override {override.mode.value}{fixed_text} by {who}")
    if mode_change is not None:
        parts.append(f"storm settings {'on' if mode_change is Change.STORM_ON else 'off'}")
    parts.append(f"staffed {inputs.staffed}: {scaling}")
    return "; ".join(parts)
