"""The storm simulator: a stationary case agrees with Erlang A; runs are deterministic; the storm
machinery (outage IVR, redials, standby call-out) does what the scenario says."""

from __future__ import annotations

import math
import statistics
from dataclasses import replace
from datetime import timedelta

import pytest

from routing.erlang_a import erlang_a
from routing.scenarios import ScenarioError, load_scenario, reference_storm, stationary
from routing.simulator import simulate
from routing.storm_config import StormConfig, load_storm_config

STORM = {
    "forecast": {"propensity": 0.12, "decay_minutes": 270.0, "observed_weight": 0.5},
    "demand": {"ivr_deflection": 0.45, "baseline_calls_per_hour": 630.0},
    "service": {"target": "80/20", "aht_s": 150.0, "patience_s": 120.0,
                "max_occupancy": 0.85, "shrinkage": 0.1},
    "control": {"dwell_minutes": 20.0, "scale_down_margin": 0.15,
                "storm_on_calls_per_hour": 300.0, "storm_off_calls_per_hour": 100.0,
                "storm_callback_offer_s": 60, "callout_expiry_minutes": 45.0,
                "max_operators": 100, "interval_s": 30.0},
    "warning": {"lead_minutes": 90.0, "yellow_calls_per_hour": 600.0,
                "orange_calls_per_hour": 1500.0, "red_calls_per_hour": 3000.0},
}  # fmt: skip


@pytest.fixture(scope="module")
def config() -> StormConfig:
    return load_storm_config(STORM)


def batch_mean(values: list[float]) -> tuple[float, float]:
    """Mean and its standard error from (nearly independent) hourly batches."""
    return statistics.fmean(values), statistics.stdev(values) / math.sqrt(len(values))


def test_stationary_case_agrees_with_erlang_a_within_sampling_error() -> None:
    hours, warm_up = 60, 1
    report = simulate(stationary(arrivals_per_hour=600, aht_s=180, patience_s=120,
                                 operators=30, hours=hours, seed=11))  # fmt: skip
    theory = erlang_a(600 * 180 / 3600, 30, 180.0, 120.0, target_s=20.0)
    per_hour = [report.intervals[h * 4 : h * 4 + 4] for h in range(warm_up, hours)]
    abandon, level = [], []
    for batch in per_hour:
        offered = sum(iv.offered for iv in batch)
        answered = sum(iv.answered for iv in batch)
        within = sum(iv.service_level * (iv.answered + iv.abandoned) for iv in batch
                     if iv.service_level is not None)  # fmt: skip
        gone = sum(iv.abandoned for iv in batch)
        abandon.append(gone / offered)
        level.append(within / (answered + gone))
    for name, sample, expected in (("p_abandon", abandon, theory.p_abandon),
                                   ("service level", level, theory.service_level)):  # fmt: skip
        mean, error = batch_mean(sample)
        # Three standard errors: one operator more or fewer would fall outside (the run is
        # seeded, so this does not flicker).
        assert abs(mean - expected) <= 3 * error + 0.002, (name, mean, expected, error)
    totals = report.totals
    assert totals.p_wait == pytest.approx(theory.p_wait, abs=0.03)
    assert totals.asa_s == pytest.approx(theory.asa_s, rel=0.15)
    assert totals.offered == pytest.approx(600 * hours, rel=0.02)
    assert totals.redials == 0 and totals.deflected == 0


def test_the_estimates_callers_hear_are_held_against_the_waits_that_follow() -> None:
    # One queue, its own operators: the case the estimate is built for (M/M/N+M).
    report = simulate(stationary(arrivals_per_hour=600, aht_s=180, patience_s=300,
                                 operators=28, hours=6, seed=7))  # fmt: skip
    told, totals = report.wait_estimates, report.totals
    at_once = round(totals.offered * (1 - totals.p_wait))  # answered with no wait: told nothing
    assert told.answered == totals.answered - at_once
    assert told.hung_up_after_estimate == totals.abandoned  # everyone who gave up had waited
    assert told.mean_wait_s is not None and told.mean_wait_s > 30
    assert told.bias_s is not None and abs(told.bias_s) < 0.2 * told.mean_wait_s
    assert told.median_error_s is not None and told.median_error_s < 0.4 * told.mean_wait_s
    assert told.close_share is not None and told.close_share > 0.9


def test_more_operators_serve_better() -> None:
    def run(operators: int) -> float:
        report = simulate(stationary(arrivals_per_hour=600, aht_s=180, patience_s=120,
                                     operators=operators, hours=8, seed=5))  # fmt: skip
        assert report.totals.abandon_rate is not None
        return report.totals.abandon_rate

    assert run(26) > run(30) > run(36)


def test_a_seed_gives_the_same_run_and_another_seed_another() -> None:
    def run(seed: int) -> dict[str, object]:
        return simulate(stationary(arrivals_per_hour=500, aht_s=180, patience_s=120,
                                   operators=25, hours=3, seed=seed)).as_dict()  # fmt: skip

    assert run(4) == run(4)
    assert run(4) != run(5)


@pytest.fixture(scope="module")
def storm_runs(config: StormConfig) -> dict[str, object]:
    """The first four hours of the reference storm with each switch."""
    runs = {}
    for name, ivr, scaling, warning in (("full", True, True, False), ("no_ivr", False, True, False),
                                        ("no_scaling", True, False, False),
                                        ("warned", True, True, True)):  # fmt: skip
        scenario = replace(reference_storm(config, seed=3, outage_ivr=ivr, scaling=scaling,
                                           warning=warning), hours=4.0)  # fmt: skip
        runs[name] = simulate(scenario)
    sms = replace(reference_storm(config, seed=3, outage_sms=True), hours=4.0)
    runs["sms"] = simulate(sms)
    return runs


def test_reference_storm_is_deterministic(config: StormConfig, storm_runs: dict) -> None:
    again = simulate(replace(reference_storm(config, seed=3), hours=4.0))
    assert again.as_dict() == storm_runs["full"].as_dict()


def test_the_outage_ivr_finishes_fault_calls(storm_runs: dict) -> None:
    full, no_ivr = storm_runs["full"].totals, storm_runs["no_ivr"].totals
    assert full.deflected > 0.3 * full.fresh and no_ivr.deflected == 0
    assert full.fresh == no_ivr.fresh  # the same callers, told or not
    assert full.offered < no_ivr.offered
    assert full.abandon_rate < no_ivr.abandon_rate


def test_scaling_calls_in_standby_operators_after_their_delay(storm_runs: dict) -> None:
    full, fixed = storm_runs["full"], storm_runs["no_scaling"]
    assert fixed.totals.operators_max == 50
    assert full.totals.operators_max > 80
    squall = full.intervals[4]  # 19:00-19:15: only those already in the building can join
    assert squall.start.hour == 19 and squall.operators_max <= 60
    assert full.decisions and full.decisions[0].action.startswith("storm_on")
    assert full.totals.abandon_rate < fixed.totals.abandon_rate


def test_a_storm_warning_has_the_standby_operators_in_before_the_squall(
    storm_runs: dict,
) -> None:
    warned, reactive = storm_runs["warned"], storm_runs["full"]
    assert warned.decisions[0].action == "scale_up" and warned.decisions[0].at.hour == 18
    assert "storm warning" in warned.decisions[0].reason
    squall, unwarned = warned.intervals[4], reactive.intervals[4]
    assert squall.start.hour == 19 and squall.operators > unwarned.operators + 15
    # the first hour of the squall is the busiest: staffed in time, it is served to target
    peak, late = warned.peak_hour, reactive.peak_hour
    assert warned.peak_hour_start == reactive.peak_hour_start
    assert peak.abandon_rate is not None and late.abandon_rate is not None
    assert peak.abandon_rate <= 0.05 < late.abandon_rate
    assert peak.service_level is not None and peak.service_level >= 0.8
    assert peak.operators_max <= 100


def test_outage_sms_keep_told_consumers_from_calling(storm_runs: dict) -> None:
    told, plain = storm_runs["sms"], storm_runs["full"]
    assert plain.totals.not_called == 0 and told.totals.not_called > 0
    # the same people would have called: those told and not calling, plus those who did
    would = told.totals.fresh + told.totals.not_called
    assert abs(would - plain.totals.fresh) < 0.03 * plain.totals.fresh
    assert told.peak_hour_start == plain.peak_hour_start
    first = told.intervals[4]  # 19:00-19:15: the SMS are only starting to arrive
    assert first.not_called < told.intervals[5].not_called
    assert told.peak_hour.offered < plain.peak_hour.offered
    assert told.peak_hour.abandon_rate < plain.peak_hour.abandon_rate
    assert told.outage_sms and not plain.outage_sms


def test_abandoners_redial(storm_runs: dict) -> None:
    fixed = storm_runs["no_scaling"].totals
    assert fixed.redials > 0.3 * fixed.abandoned
    assert fixed.redials < fixed.abandoned  # 60 % call again, some of them more than once


def test_callbacks_are_taken_when_waits_are_long(storm_runs: dict) -> None:
    full = storm_runs["full"].totals
    assert full.callbacks_requested > 0
    assert full.callbacks_done + full.callbacks_failed <= full.callbacks_requested


def test_intervals_cover_the_run(storm_runs: dict) -> None:
    full = storm_runs["full"]
    assert len(full.intervals) == 16
    assert full.intervals[1].start - full.intervals[0].start == timedelta(minutes=15)
    assert sum(iv.calls for iv in full.intervals) == full.totals.calls


def test_scenario_files_are_checked() -> None:
    good = {"arrivals_per_hour": 600, "aht_seconds": 180, "patience_seconds": 120,
            "operators": 30, "hours": 2, "seed": 9, "retrials": False, "outage_ivr": False,
            "scaling": False}  # fmt: skip
    scenario = load_scenario(good)
    assert scenario.seed == 9 and not scenario.scaling and scenario.retrials is None
    for bad, message in (({**good, "retrials": True}, "scenario.retrials: only false"),
                         ({**good, "operators": 2.5}, "scenario.operators: must be a whole"),
                         ({**good, "agents": 3}, "scenario.agents: unknown key"),
                         ({k: v for k, v in good.items() if k != "hours"},
                          "scenario.hours: missing")):  # fmt: skip
        with pytest.raises(ScenarioError, match=message):
            load_scenario(bad)
