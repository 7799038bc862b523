"""Staffing mathematics: published reference values, an independent numerical check of the
Erlang A service level, and properties (monotone, bounded, finite at storm loads)."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.erlang import asa, erlang_b, erlang_c, lines_for_blocking, occupancy, service_level
from routing.erlang_a import erlang_a
from routing.errors import RoutingError
from routing.staffing import format_staffing_table, parse_target, required_agents, staffing_table
from routing.staffing_inputs import StaffingError

loads = st.floats(min_value=0.01, max_value=500.0)
targets = st.floats(min_value=0.05, max_value=0.95)


# --- published values --------------------------------------------------------------------------


def test_erlang_b_textbook_values() -> None:
    # Erlang B tables: A = 10 Erl on 10 lines blocks 21.46 %.
    assert erlang_b(10.0, 10) == pytest.approx(0.2146, abs=5e-5)
    # pyworkforce, pyworkforce/queuing/tests/test_erlang_b.py: exact B(1, A=1) = 1/2,
    # B(2, A=1) = 0.2, and 17 lines keep A = 10 Erl under 2 % blocking.
    assert erlang_b(1.0, 1) == pytest.approx(0.5)
    assert erlang_b(1.0, 2) == pytest.approx(0.2)
    assert lines_for_blocking(10.0, 0.02) == 17


def test_erlang_c_matches_the_cran_erlangc_readme() -> None:
    # CRAN package ErlangC 0.1.0, README: 100 calls in 30 min, AHT 180 s, target 20 s, 14 agents.
    load = 100 / 1800 * 180
    assert load == pytest.approx(10.0)
    assert erlang_c(load, 14) == pytest.approx(0.1741319, abs=5e-8)
    assert service_level(load, 14, 180, 20) == pytest.approx(0.88835, abs=5e-6)
    assert asa(load, 14, 180) == pytest.approx(7.83593701177724, rel=1e-9)
    assert occupancy(load, 14) == pytest.approx(0.7142857, abs=5e-8)
    # Same README, the first row of calculate_agents' search (11 agents).
    assert erlang_c(load, 11) == pytest.approx(0.6821182, abs=5e-8)
    assert service_level(load, 11, 180, 20) == pytest.approx(0.3896138, abs=5e-8)
    # ... and its answer: 14 agents for 80 % in 20 s with occupancy at most 85 %.
    assert required_agents(200, 180, target_sl=0.8, target_s=20, max_occupancy=0.85) == 14


def test_acceptance_200_calls_an_hour_need_14_operators() -> None:
    assert required_agents(200, 180, target_sl=0.8, target_s=20) == 14
    assert service_level(10.0, 13, 180, 20) < 0.8 <= service_level(10.0, 14, 180, 20)


def test_occupancy_cap_matches_pyworkforce() -> None:
    # pyworkforce, pyworkforce/queuing/tests/test_erlang.py (test_over_occupancy_erlangc):
    # A = 10, 80 % in 20 s, occupancy at most 70 % -> 15 positions, SL 0.941, P(wait) 0.102.
    assert required_agents(200, 180, target_sl=0.8, target_s=20, max_occupancy=0.7) == 15
    assert round(service_level(10.0, 15, 180, 20), 3) == 0.941
    assert round(occupancy(10.0, 15), 3) == 0.667
    assert round(erlang_c(10.0, 15), 3) == 0.102


def test_erlang_a_matches_pyworkforce() -> None:
    # pyworkforce, pyworkforce/queuing/tests/test_abandonment.py (test_erlanga_regression_metrics):
    # 100 calls in 30 min, AHT 3 min, mean patience 5 min, 14 positions, target 20 s. Its
    # "average speed of answer" is Lq/λ over all offered calls, our mean_wait_s.
    result = erlang_a(10.0, 14, 180.0, 300.0, target_s=20.0)
    assert round(result.p_wait, 5) == 0.14526
    assert round(result.p_abandon, 6) == 0.013984
    assert round(result.occupancy, 6) == 0.704297
    assert round(result.mean_wait_s / 60, 6) == 0.069919
    assert round(result.service_level, 6) == 0.916792


# --- Erlang A against an independent method ----------------------------------------------------


def _service_level_by_ode(load: float, agents: int, aht: float, patience: float, t: float) -> float:
    """SL by integrating the tagged caller's backward equations (RK4), on our stationary law.

    G_j(s) = P(answered within s | j waiting ahead); dG_j/ds = a_j·(G_{j-1} - G_j) - θ·G_j with
    a_j = N·μ + j·θ and G_{-1} = 1. The stationary law is the chain's, built here from scratch.
    """
    mu, theta, lam = 1 / aht, 1 / patience, load / aht
    weights, k = [1.0], 0
    while k < agents + 150:
        k += 1
        weights.append(weights[-1] * lam / (min(k, agents) * mu + max(k - agents, 0) * theta))
    total = sum(weights)
    probs = [w / total for w in weights]
    queue = probs[agents:]

    def slope(g: list[float]) -> list[float]:
        return [
            (agents * mu + j * theta) * ((1.0 if j == 0 else g[j - 1]) - g[j]) - theta * g[j]
            for j in range(len(g))
        ]

    g, steps = [0.0] * len(queue), 1500
    h = t / steps
    for _ in range(steps):
        k1 = slope(g)
        k2 = slope([x + h / 2 * d for x, d in zip(g, k1, strict=True)])
        k3 = slope([x + h / 2 * d for x, d in zip(g, k2, strict=True)])
        k4 = slope([x + h * d for x, d in zip(g, k3, strict=True)])
        g = [
            x + h / 6 * (a + 2 * b + 2 * c + d)
            for x, a, b, c, d in zip(g, k1, k2, k3, k4, strict=True)
        ]
    return sum(probs[:agents]) + sum(p * x for p, x in zip(queue, g, strict=True))


@pytest.mark.parametrize(
    ("load", "agents", "aht", "patience", "t"),
    [(10.0, 14, 180.0, 300.0, 20.0), (12.0, 9, 180.0, 60.0, 30.0), (3.0, 4, 120.0, 20.0, 40.0)],
)
def test_erlang_a_service_level_agrees_with_ode(
    load: float, agents: int, aht: float, patience: float, t: float
) -> None:
    expected = _service_level_by_ode(load, agents, aht, patience, t)
    assert erlang_a(load, agents, aht, patience, target_s=t).service_level == pytest.approx(
        expected, abs=1e-9
    )


@pytest.mark.parametrize(
    ("load", "agents", "patience"), [(10.0, 14, 300.0), (12.0, 9, 60.0), (3.0, 4, 20.0)]
)
def test_erlang_a_waits_agree_with_first_step_analysis(
    load: float, agents: int, patience: float
) -> None:
    # A caller with j waiting ahead leaves state j at rate r_j = N·μ + j·θ + θ, moving on with
    # probability (r_j - θ)/r_j. First-step recursions (in seconds):
    #   answered_j = (r_j - θ)/r_j · answered_{j-1},                      answered_{-1} = 1
    #   wait_answered_j = (r_j - θ)/r_j · (answered_{j-1}/r_j + wait_answered_{j-1}),   0
    #   wait_j = 1/r_j + (r_j - θ)/r_j · wait_{j-1},                      wait_{-1} = 0
    aht = 180.0
    mu, theta, lam = 1 / aht, 1 / patience, load / aht
    weights = [1.0]
    for k in range(1, agents + 150):
        weights.append(weights[-1] * lam / (min(k, agents) * mu + max(k - agents, 0) * theta))
    probs = [w / sum(weights) for w in weights]
    answered, wait_answered, wait = 1.0, 0.0, 0.0
    total_answered, total_wait_answered, total_wait = sum(probs[:agents]), 0.0, 0.0
    for j, prob in enumerate(probs[agents:]):
        rate = agents * mu + (j + 1) * theta
        move = (rate - theta) / rate
        wait_answered = move * (answered / rate + wait_answered)
        answered, wait = move * answered, 1 / rate + move * wait
        total_answered += prob * answered
        total_wait_answered += prob * wait_answered
        total_wait += prob * wait
    result = erlang_a(load, agents, aht, patience)
    assert result.p_abandon == pytest.approx(1 - total_answered, rel=1e-9)
    assert result.asa_s == pytest.approx(total_wait_answered / total_answered, rel=1e-9)
    assert result.mean_wait_s == pytest.approx(total_wait, rel=1e-9)  # Little: Lq / λ


@settings(max_examples=60, deadline=None)
@given(
    load=loads,
    spare=st.integers(min_value=-20, max_value=20),
    patience=st.floats(min_value=5.0, max_value=3000.0),
)
def test_erlang_a_service_level_ends(load: float, spare: int, patience: float) -> None:
    agents = max(0, round(load) + spare)
    at_once = erlang_a(load, agents, 180.0, patience, target_s=0.0)
    forever = erlang_a(load, agents, 180.0, patience, target_s=1e9)
    # Within 0 s only those who never wait; within "forever" every call that is not abandoned.
    assert at_once.service_level == pytest.approx(1 - at_once.p_wait, abs=1e-12)
    assert forever.service_level == pytest.approx(1 - forever.p_abandon, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(load=loads, spare=st.integers(min_value=0, max_value=20), t=st.floats(0.0, 120.0))
def test_erlang_a_approaches_erlang_c_as_patience_grows(load: float, spare: int, t: float) -> None:
    # Half an operator of slack at least: right at the load even a patience of years matters.
    agents = math.ceil(load + 0.5) + spare
    patient = erlang_a(load, agents, 180.0, 1e9, target_s=t)
    assert patient.p_wait == pytest.approx(erlang_c(load, agents), abs=1e-4)
    assert patient.service_level == pytest.approx(service_level(load, agents, 180.0, t), abs=1e-4)
    assert patient.asa_s == pytest.approx(asa(load, agents, 180.0), rel=1e-3, abs=1e-6)
    assert patient.p_abandon < 1e-4


def test_erlang_a_without_patience_is_erlang_c() -> None:
    result = erlang_a(10.0, 14, 180.0, None, target_s=20.0)
    assert result.p_wait == erlang_c(10.0, 14)
    assert result.service_level == service_level(10.0, 14, 180.0, 20.0)
    assert result.asa_s == asa(10.0, 14, 180.0)
    assert result.p_abandon == 0.0
    unstable = erlang_a(10.0, 8, 180.0, None)
    assert unstable.service_level == 0.0 and math.isinf(unstable.asa_s)


@settings(max_examples=40, deadline=None)
@given(
    load=st.floats(min_value=20.0, max_value=400.0),
    short=st.floats(min_value=0.3, max_value=0.95),
    patience=st.floats(min_value=10.0, max_value=600.0),
)
def test_erlang_a_overload_is_finite_and_abandonment_grows_with_load(
    load: float, short: float, patience: float
) -> None:
    agents = max(1, math.floor(load * short))
    lighter = erlang_a(load, agents, 300.0, patience)
    heavier = erlang_a(load * 1.2, agents, 300.0, patience)
    for result in (lighter, heavier):
        for share in (result.p_wait, result.p_abandon, result.service_level, result.occupancy):
            assert 0.0 <= share <= 1.0
        assert math.isfinite(result.asa_s) and math.isfinite(result.mean_queue_length)
    assert heavier.p_abandon > lighter.p_abandon
    # Throughput cannot exceed the operators: abandonment makes up the excess load.
    assert lighter.p_abandon >= 1 - agents / load - 1e-9


@settings(max_examples=40, deadline=None)
@given(load=loads, patience=st.floats(min_value=5.0, max_value=3000.0), t=st.floats(0.0, 120.0))
def test_erlang_a_improves_with_every_operator(load: float, patience: float, t: float) -> None:
    base = max(0, math.floor(load) - 3)
    results = [erlang_a(load, n, 180.0, patience, target_s=t) for n in range(base, base + 8)]
    for fewer, more in zip(results, results[1:], strict=False):
        assert more.service_level >= fewer.service_level - 1e-12
        assert more.p_abandon <= fewer.p_abandon + 1e-12
        assert more.p_wait <= fewer.p_wait + 1e-12


# --- Erlang B and C properties -----------------------------------------------------------------


@settings(deadline=None)
@given(load=loads, lines=st.integers(min_value=0, max_value=600))
def test_erlang_b_and_c_are_probabilities_and_fall_with_agents(load: float, lines: int) -> None:
    b, b_more = erlang_b(load, lines), erlang_b(load, lines + 1)
    assert 0.0 <= b_more <= b <= 1.0
    c, c_more = erlang_c(load, lines), erlang_c(load, lines + 1)
    assert 0.0 <= c_more <= c <= 1.0
    assert c >= b - 1e-15  # waiting callers include those who would have been blocked


@settings(deadline=None)
@given(load=loads, spare=st.integers(min_value=1, max_value=50), t=st.floats(0.0, 300.0))
def test_service_level_rises_and_asa_falls_with_agents(load: float, spare: int, t: float) -> None:
    agents = math.floor(load) + spare
    assert 0.0 <= service_level(load, agents, 180, t) <= service_level(load, agents + 1, 180, t)
    assert asa(load, agents + 1, 180) <= asa(load, agents, 180)
    assert service_level(load, math.floor(load), 180, t) == 0.0  # unstable without a spare


@settings(deadline=None)
@given(
    calls=st.floats(min_value=1.0, max_value=100_000.0),
    aht=st.floats(min_value=30.0, max_value=900.0),
    target=targets,
    t=st.floats(min_value=0.0, max_value=120.0),
)
def test_required_agents_is_the_fewest_meeting_the_target(
    calls: float, aht: float, target: float, t: float
) -> None:
    n = required_agents(calls, aht, target_sl=target, target_s=t)
    load = calls * aht / 3600
    assert service_level(load, n, aht, t) >= target
    assert service_level(load, n - 1, aht, t) < target


@settings(max_examples=25, deadline=None)
@given(
    calls=st.floats(min_value=1.0, max_value=5_000.0),
    target=targets,
    patience=st.floats(min_value=10.0, max_value=1000.0),
)
def test_required_agents_with_patience_is_the_fewest(
    calls: float, target: float, patience: float
) -> None:
    n = required_agents(calls, 180, target_sl=target, target_s=20, patience_s=patience)
    load = calls * 180 / 3600
    assert erlang_a(load, n, 180, patience).service_level >= target
    assert erlang_a(load, n - 1, 180, patience).service_level < target


def test_occupancy_cap_is_respected_with_patience() -> None:
    capped = required_agents(3600, 300, patience_s=120, max_occupancy=0.85)
    assert erlang_a(300.0, capped, 300, 120).occupancy <= 0.85
    assert erlang_a(300.0, capped - 1, 300, 120).occupancy > 0.85
    assert capped > required_agents(3600, 300, patience_s=120)


@settings(deadline=None)
@given(load=st.floats(min_value=0.1, max_value=2000.0), target=st.floats(1e-6, 0.5))
def test_lines_for_blocking_is_the_fewest(load: float, target: float) -> None:
    lines = lines_for_blocking(load, target)
    assert erlang_b(load, lines) <= target < erlang_b(load, lines - 1)


# --- storm-sized loads -------------------------------------------------------------------------


def test_no_overflow_at_100000_calls_an_hour() -> None:
    load = 100_000 * 300 / 3600  # 8,333 Erlangs
    n = required_agents(100_000, 300)
    assert load < n < load + 3 * math.sqrt(load)  # square-root staffing
    assert 0.0 < erlang_b(load, n) < erlang_c(load, n) < 1.0
    assert 0.8 <= service_level(load, n, 300, 20) < 1.0
    for agents in (6000, n):  # badly short, and enough
        result = erlang_a(load, agents, 300.0, 120.0)
        for share in (result.p_wait, result.p_abandon, result.service_level, result.occupancy):
            assert 0.0 <= share <= 1.0
        assert math.isfinite(result.asa_s)
    assert erlang_a(load, 6000, 300.0, 120.0).p_abandon == pytest.approx(1 - 6000 / load, abs=0.01)
    with_patience = required_agents(100_000, 300, patience_s=120)
    assert with_patience < n


def test_no_calls_need_no_operators() -> None:
    assert required_agents(0, 180) == 0
    assert lines_for_blocking(0.0, 0.01) == 0
    assert erlang_c(0.0, 3) == 0.0 and service_level(0.0, 0, 180, 20) == 1.0


# --- table, text and parsing -------------------------------------------------------------------


def test_staffing_table_rows_around_the_requirement() -> None:
    rows = staffing_table(200, 180, target_sl=0.8, target_s=20, around=3)
    assert [r.agents for r in rows] == list(range(11, 18))
    assert [r.meets_target for r in rows] == [False, False, False, True, True, True, True]
    assert rows[3].service_level == pytest.approx(0.88835, abs=5e-6)
    assert all(r.p_abandon == 0.0 for r in rows)
    abandoning = staffing_table(200, 180, target_sl=0.8, target_s=20, patience_s=120)
    assert all(r.p_abandon > 0 for r in abandoning)
    assert staffing_table(2, 180, target_sl=0.8, target_s=20)[0].agents == 1


def test_format_staffing_table() -> None:
    text = format_staffing_table(200, 180, target_sl=0.8, target_s=20)
    lines = text.splitlines()
    assert (
        lines[0] == "required operators: 14 (80% in 20 s; 200 calls/h, AHT 180 s, load 10.00 Erl)"
    )
    table = [line.removesuffix("  <- required") for line in lines[1:]]
    assert len({len(line) for line in table}) == 1  # aligned columns
    assert len(table) == 8  # header + 7 rows
    marked = [line for line in lines if line.endswith("<- required")]
    assert len(marked) == 1 and marked[0].split()[:2] == ["14", "88.8%"]
    with_patience = format_staffing_table(200, 180, target_sl=0.8, target_s=20, patience_s=120)
    assert "patience 120 s" in with_patience.splitlines()[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("80/20", (0.8, 20.0)), (" 90 / 15 ", (0.9, 15.0)), ("80%/20s", (0.8, 20.0)),
     ("95.5/10", (0.955, 10.0)), ("50/0", (0.5, 0.0))],
)  # fmt: skip
def test_parse_target(text: str, expected: tuple[float, float]) -> None:
    assert parse_target(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text", ["", "80", "80-20", "abc/20", "0/20", "100/20", "80/-5", "80/20/5"]
)
def test_parse_target_rejects_bad_text(text: str) -> None:
    with pytest.raises(StaffingError, match="target"):
        parse_target(text)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: erlang_b(-1.0, 3), "load"),
        (lambda: erlang_b(float("nan"), 3), "load"),
        (lambda: erlang_c(5.0, -1), "agents"),
        (lambda: service_level(5.0, 8, 0.0, 20.0), "aht_s"),
        (lambda: service_level(5.0, 8, 180.0, -1.0), "target_s"),
        (lambda: asa(5.0, 8, -180.0), "aht_s"),
        (lambda: erlang_a(5.0, 8, 180.0, 0.0), "patience_s"),
        (lambda: required_agents(-5, 180), "calls_per_hour"),
        (lambda: required_agents(100, 0), "aht_s"),
        (lambda: required_agents(100, 180, target_sl=1.2), "target_sl"),
        (lambda: required_agents(100, 180, target_sl=0.0), "target_sl"),
        (lambda: required_agents(100, 180, max_occupancy=1.5), "max_occupancy"),
        (lambda: required_agents(100, 180, max_occupancy=0.0), "max_occupancy"),
        (lambda: required_agents(100, 180, patience_s=-1.0), "patience_s"),
        (lambda: erlang_a(5.0, 2, 180.0, 1e12), "patience_s"),
        (lambda: lines_for_blocking(5.0, 1.0), "target_blocking"),
        (lambda: staffing_table(100, 180, target_sl=0.8, target_s=20, around=-1), "around"),
    ],
)
def test_bad_inputs_raise_staffing_error_naming_the_input(
    call: Callable[[], object], name: str
) -> None:
    with pytest.raises(StaffingError, match=name) as caught:
        call()
    assert isinstance(caught.value, RoutingError)
