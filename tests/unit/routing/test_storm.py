"""The storm controller on scripted fault sequences: scale up, hold, scale down, no flapping,
overrides; and the storm file's validation."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from outages.faults import Cause, Fault, FaultLevel
from routing.operators import Tier
from routing.queues import Company
from routing.storm import decide
from routing.storm_config import StormConfig, StormConfigError, load_storm_config
from routing.storm_decisions import (
    CallOut,
    Change,
    Decision,
    MakeReady,
    StandDown,
    SwitchStormSettings,
)
from routing.storm_forecast import StormWarning, forecast_load
from routing.storm_inputs import (
    Override,
    OverrideMode,
    PoolMember,
    StormInputs,
    StormMode,
    StormState,
)

T0 = datetime(2026, 6, 15, 13, 30, tzinfo=UTC)  # 19:00 in India

TABLE: dict[str, dict[str, object]] = {
    "forecast": {"propensity": 0.12, "decay_minutes": 270.0, "observed_weight": 0.5},
    "demand": {"ivr_deflection": 0.65, "baseline_calls_per_hour": 300.0},
    "service": {"target": "80/20", "aht_s": 150.0, "patience_s": 120.0,
                "max_occupancy": 0.85, "shrinkage": 0.1},
    "control": {"dwell_minutes": 20.0, "scale_down_margin": 0.15,
                "storm_on_calls_per_hour": 300.0, "storm_off_calls_per_hour": 100.0,
                "storm_callback_offer_s": 60, "callout_expiry_minutes": 45.0,
                "max_operators": 100, "interval_s": 30.0},
    "warning": {"lead_minutes": 90.0, "yellow_calls_per_hour": 600.0,
                "orange_calls_per_hour": 1500.0, "red_calls_per_hour": 3000.0},
}  # fmt: skip


@pytest.fixture
def config() -> StormConfig:
    return load_storm_config(TABLE)


def feeders(count: int, at: datetime = T0, consumers: int = 1330) -> tuple[Fault, ...]:
    return tuple(
        Fault(f"F{n}", FaultLevel.FEEDER, f"FDR-{n}", Cause.WIND, at, None, None, True, consumers)
        for n in range(count)
    )


def pool(in_building: int = 3, standby1: int = 10, standby2: int = 10) -> tuple[PoolMember, ...]:
    first = [PoolMember(f"s1-{n:02d}", Tier.STANDBY_1, n < in_building) for n in range(standby1)]
    second = [PoolMember(f"s2-{n:02d}", Tier.STANDBY_2, False) for n in range(standby2)]
    return tuple(second + first)  # listed out of order on purpose


def inputs(
    *, at: datetime = T0, faults: tuple[Fault, ...] = (), observed: float | None = None,
    staffed: int = 20, members: tuple[PoolMember, ...] | None = None,
) -> StormInputs:  # fmt: skip
    return StormInputs(Company.WZ, at, faults, observed, staffed,
                       pool() if members is None else members)  # fmt: skip


def brought_in(decision: Decision) -> list[str]:
    return [c.operator_id for c in decision.commands if isinstance(c, MakeReady | CallOut)]


def test_quiet_evening_holds(config: StormConfig) -> None:
    decision = decide(inputs(observed=250.0), StormState(), config)
    assert decision.changes == () and decision.commands == ()
    assert decision.action == "hold" and decision.target_operators <= 20


def test_normal_mode_never_calls_in_standby_even_when_short(config: StormConfig) -> None:
    night = decide(inputs(observed=250.0, staffed=0), StormState(), config)
    assert night.target_operators > 0 and night.changes == () and night.commands == ()
    assert "not in storm mode" in night.reason


def test_arrivals_far_beyond_normal_mean_a_storm_even_unreported(config: StormConfig) -> None:
    decision = decide(inputs(observed=300.0 + 400.0), StormState(), config)
    assert decision.changes[0] is Change.STORM_ON and Change.SCALE_UP in decision.changes


def test_faults_switch_storm_on_and_call_in_standby_in_tier_order(config: StormConfig) -> None:
    decision = decide(inputs(faults=feeders(40), observed=400.0), StormState(), config)
    assert decision.changes == (Change.STORM_ON, Change.SCALE_UP)
    assert isinstance(decision.commands[0], SwitchStormSettings)
    assert decision.commands[0].on and decision.commands[0].callback_offer_s == 60
    chosen = brought_in(decision)
    need = decision.target_operators - 20
    assert len(chosen) == min(need, 20) > 3
    tiers = [c.tier for c in decision.commands if isinstance(c, MakeReady | CallOut)]
    assert tiers == sorted(tiers, key=[Tier.STANDBY_1, Tier.STANDBY_2].index)
    # those already logged in as standby come first and are made ready at once
    assert [type(c) for c in decision.commands[1:4]] == [MakeReady] * 3
    assert decision.state.activated == ("s1-00", "s1-01", "s1-02")
    assert {c.operator_id for c in decision.state.called_out} == set(chosen[3:])
    assert decision.state.mode is StormMode.STORM


def test_called_out_operators_are_not_called_again_while_they_come(config: StormConfig) -> None:
    faults = feeders(20)
    first = decide(inputs(faults=faults, observed=400.0), StormState(), config)
    called = {c.operator_id for c in first.state.called_out}
    assert called
    later = inputs(at=T0 + timedelta(minutes=5), faults=faults, observed=400.0, staffed=23)
    second = decide(later, first.state, config)
    assert not called & set(brought_in(second))


def test_a_called_out_operator_who_logs_in_becomes_one_to_stand_down_later(
    config: StormConfig,
) -> None:
    first = decide(inputs(faults=feeders(20), observed=400.0), StormState(), config)
    arrived = first.state.called_out[0].operator_id
    remaining = tuple(m for m in pool() if m.operator_id != arrived)
    second = decide(inputs(at=T0 + timedelta(minutes=10), faults=feeders(20), observed=400.0,
                           staffed=24, members=remaining), first.state, config)  # fmt: skip
    assert arrived in second.state.activated
    assert arrived not in {c.operator_id for c in second.state.called_out}


def test_scale_down_waits_for_the_dwell_time_then_stands_down_the_last_first(
    config: StormConfig,
) -> None:
    state = StormState(StormMode.STORM, 40, T0, activated=("a", "b", "c", "d", "e"))
    calm = inputs(at=T0 + timedelta(minutes=10), observed=200.0, staffed=25)
    early = decide(calm, state, config)
    assert Change.SCALE_DOWN not in early.changes
    assert "after the dwell time" in early.reason
    later = decide(replace(calm, now=T0 + timedelta(minutes=21)), state, config)
    assert Change.SCALE_DOWN in later.changes and Change.STORM_OFF in later.changes
    leaving = [c.operator_id for c in later.commands if isinstance(c, StandDown)]
    assert leaving == ["e", "d", "c", "b", "a"]  # the storm is over: all of them
    assert later.state.mode is StormMode.NORMAL
    assert not set(leaving) & set(later.state.activated)


def test_the_band_keeps_operators_a_little_above_target(config: StormConfig) -> None:
    state = StormState(StormMode.STORM, 30, T0 - timedelta(hours=1), activated=("a", "b", "c"))
    steady = inputs(observed=500.0, staffed=0)
    target = forecast_load(steady, config).target_operators
    band = -(-target * 15 // 100)
    just_above = decide(replace(steady, staffed=target + band), state, config)
    assert Change.SCALE_DOWN not in just_above.changes
    beyond = decide(replace(steady, staffed=target + band + 2), state, config)
    assert [type(c) for c in beyond.commands] == [StandDown, StandDown]


def test_a_noisy_rate_does_not_flap(config: StormConfig) -> None:
    """Observed rate swinging around a boundary every round: no reversal within the dwell."""
    state, staffed = StormState(), 20
    members = list(pool(in_building=10, standby1=10, standby2=0))
    history: list[tuple[datetime, Change]] = []
    for minute in range(0, 180):
        now = T0 + timedelta(minutes=minute)
        observed = 900.0 if minute % 2 else 700.0
        decision = decide(inputs(at=now, observed=observed, staffed=staffed,
                                 members=tuple(members)), state, config)  # fmt: skip
        for command in decision.commands:
            if isinstance(command, MakeReady):
                staffed += 1
                members = [m for m in members if m.operator_id != command.operator_id]
            elif isinstance(command, StandDown):
                staffed -= 1
                members.append(PoolMember(command.operator_id, Tier.STANDBY_1, True))
        history += [(now, c) for c in decision.changes if c in (Change.SCALE_UP, Change.SCALE_DOWN)]
        state = decision.state
    assert history and history[0][1] is Change.SCALE_UP
    for (when, change), (later, next_change) in zip(history, history[1:], strict=False):
        if next_change is not change:
            assert later - when >= timedelta(minutes=20), history
    assert len(history) <= 4, history


def test_override_on_without_faults_and_off_during_a_storm(config: StormConfig) -> None:
    forced = decide(inputs(observed=200.0), StormState(),
                    config, Override(OverrideMode.FORCE_ON, set_by="admin:asha"))  # fmt: skip
    assert forced.changes == (Change.STORM_ON,)
    assert "override on" in forced.reason and "admin:asha" in forced.reason
    storm = StormState(StormMode.STORM, 60, T0, activated=("a", "b", "c"))
    off = decide(inputs(at=T0 + timedelta(minutes=1), faults=feeders(40), observed=2000.0,
                        staffed=60), storm, config, Override(OverrideMode.FORCE_OFF))  # fmt: skip
    assert Change.STORM_OFF in off.changes and Change.SCALE_DOWN in off.changes
    assert [c.operator_id for c in off.commands if isinstance(c, StandDown)] == ["c", "b", "a"]
    assert brought_in(off) == []


def test_fixed_target_applies_at_once_in_both_directions(config: StormConfig) -> None:
    up = decide(inputs(observed=200.0), StormState(), config, Override(fixed_target=25))
    assert up.target_operators == 25 and len(brought_in(up)) == 5
    state = replace(up.state, activated=("x", "y", "z"), called_out=())
    down = decide(inputs(at=T0 + timedelta(minutes=1), faults=feeders(40), observed=3000.0,
                         staffed=25), state, config, Override(fixed_target=23))  # fmt: skip
    assert [c.operator_id for c in down.commands if isinstance(c, StandDown)] == ["z", "y"]


def test_no_standby_left_is_said(config: StormConfig) -> None:
    decision = decide(inputs(faults=feeders(60), observed=3000.0, members=()), StormState(), config)
    assert Change.SCALE_UP not in decision.changes
    assert "no standby operator left" in decision.reason


def test_forecast_blends_and_never_plans_below_what_arrives(config: StormConfig) -> None:
    faults = feeders(85)
    blind = forecast_load(inputs(faults=faults), config)
    assert blind.planned_calls_per_hour == blind.expected_calls_per_hour
    assert blind.fault_calls_per_hour == pytest.approx(85 * 1330 * 0.12 * 60 / 270)
    expected = blind.fault_calls_per_hour * 0.35 + 300.0
    assert blind.expected_calls_per_hour == pytest.approx(expected)
    low = forecast_load(inputs(faults=faults, observed=0.0), config)
    assert low.planned_calls_per_hour == pytest.approx(expected / 2)
    high = forecast_load(inputs(faults=faults, observed=5000.0), config)
    assert high.planned_calls_per_hour == 5000.0 and high.target_operators == 100
    no_ivr = forecast_load(replace(inputs(faults=faults), outage_ivr=False), config)
    assert no_ivr.target_operators > blind.target_operators


def test_restored_and_future_faults_bring_no_calls(config: StormConfig) -> None:
    restored = replace(feeders(1)[0], restored_at=T0 - timedelta(minutes=1))
    future = feeders(1, at=T0 + timedelta(hours=1))[0]
    load = forecast_load(inputs(faults=(restored, future)), config)
    assert load.fault_calls_per_hour == 0.0 and load.faults == 0


def test_decision_inputs_are_json(config: StormConfig) -> None:
    decision = decide(inputs(faults=feeders(10), observed=500.0), StormState(), config)
    data = json.loads(json.dumps(decision.inputs()))
    assert data["faults"] == 10 and data["consumers_affected"] == 13300
    assert data["target"] == decision.target_operators and data["staffed"] == 20


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("control", "dwell_minutes", -1), "control.dwell_minutes: must be in [0"),
        (("control", "dwel_minutes", 5), "control.dwel_minutes: unknown setting"),
        (("service", "target", "80-20"), "service.target: target must look like 80/20"),
        (("service", "max_occupancy", 0), "service.max_occupancy: must be in (0"),
        (("control", "max_operators", 2.5), "control.max_operators: must be a whole number"),
        (("forecast", "propensity", 2), "forecast.propensity: must be in"),
        (("control", "storm_off_calls_per_hour", 500.0), "must not exceed storm_on"),
        (("warning", "red_calls_per_hour", -1), "warning.red_calls_per_hour: must be in [0"),
        (("warning", "purple_calls_per_hour", 9), "warning.purple_calls_per_hour: unknown"),
    ],
)
def test_the_storm_file_is_checked_with_paths(edit: tuple[str, str, object], message: str) -> None:
    section, key, value = edit
    table = {name: dict(values) for name, values in TABLE.items()}
    table[section][key] = value
    with pytest.raises(StormConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_storm_config(table)


def test_a_missing_section_or_key_is_named() -> None:
    with pytest.raises(StormConfigError, match=r"^demand: missing table"):
        load_storm_config({k: v for k, v in TABLE.items() if k != "demand"})
    service = {k: v for k, v in TABLE["service"].items() if k != "aht_s"}
    with pytest.raises(StormConfigError, match=r"^service.aht_s: missing"):
        load_storm_config({**TABLE, "service": service})


RED = StormWarning(T0 + timedelta(hours=2), T0 + timedelta(hours=6), 3000.0, "red", "sup:1")


def warned(at: datetime, **kwargs: object) -> StormInputs:
    return replace(inputs(at=at, observed=250.0, **kwargs), warning=RED)  # type: ignore[arg-type]


def test_a_warning_calls_standby_in_its_lead_time_before_any_fault(config: StormConfig) -> None:
    early = decide(warned(RED.starts - timedelta(minutes=91)), StormState(), config)
    assert early.commands == () and not early.forecast.warned
    lead = decide(warned(RED.starts - timedelta(minutes=89)), StormState(), config)
    assert lead.forecast.warned and lead.forecast.warning_calls_per_hour == 3000.0
    assert lead.changes == (Change.SCALE_UP,)  # staffing only: storm settings wait for calls
    assert lead.state.mode is StormMode.NORMAL
    assert len(brought_in(lead)) == 20  # the whole pool: a red warning needs more than 40
    assert "storm warning" in lead.reason and "3,000 fault calls/h" in lead.reason
    quiet = decide(inputs(at=RED.starts - timedelta(minutes=89), observed=250.0), StormState(),
                   config)  # fmt: skip
    assert quiet.target_operators < lead.target_operators


def test_the_larger_of_warning_and_faults_makes_the_plan(config: StormConfig) -> None:
    plain = decide(warned(RED.starts), StormState(), config).forecast
    small = decide(warned(RED.starts, faults=feeders(5)), StormState(), config).forecast
    big = decide(warned(RED.starts, faults=feeders(400)), StormState(), config).forecast
    assert small.fault_calls_per_hour < 3000.0 < big.fault_calls_per_hour
    assert small.expected_calls_per_hour == plain.expected_calls_per_hour
    assert big.expected_calls_per_hour > plain.expected_calls_per_hour


def test_after_a_warning_that_brought_no_storm_everyone_stands_down(config: StormConfig) -> None:
    lead = decide(warned(RED.starts - timedelta(minutes=60)), StormState(), config)
    ready = [c.operator_id for c in lead.commands if isinstance(c, MakeReady)]
    state = lead.state
    after = RED.ends + timedelta(minutes=1)
    over = decide(warned(after, staffed=20 + len(ready)), state, config)
    assert not over.forecast.warned
    assert over.changes == (Change.SCALE_DOWN,)
    assert sorted(c.operator_id for c in over.commands if isinstance(c, StandDown)) == ready
