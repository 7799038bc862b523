"""Ring strategies: Asterisk meanings, penalty tiers first (except wrandom), determinism."""

from __future__ import annotations

import random
from collections import Counter

from routing.operators import Operator, OperatorState, OperatorStatus, Tier
from routing.queues import Company, Language, Strategy
from routing.strategies import Candidate, rank


def cand(
    op_id: str,
    position: int,
    *,
    calls: int = 0,
    last_end: float | None = None,
    tier: Tier = Tier.PRIMARY,
) -> Candidate:
    op = Operator(op_id, op_id, "", "", frozenset({Language.HI}), frozenset({Company.CZ}), tier)
    status = OperatorStatus(OperatorState.READY, 0.0, calls_taken=calls, last_call_end=last_end)
    return Candidate(op, status, position)


def ranked(strategy: Strategy, cands: list[Candidate], last: int | None = None, seed: int = 1):
    return rank(strategy, cands, last_position=last, rng=random.Random(seed))


def test_leastrecent_prefers_longest_idle_and_never_used() -> None:
    cands = [cand("a", 0, last_end=50.0), cand("b", 1, last_end=10.0), cand("c", 2)]
    assert ranked(Strategy.LEASTRECENT, cands) == ["c", "b", "a"]


def test_fewestcalls_ties_fall_back_to_listed_order() -> None:
    cands = [cand("a", 2, calls=3), cand("b", 1, calls=1), cand("c", 0, calls=1)]
    assert ranked(Strategy.FEWESTCALLS, cands) == ["c", "b", "a"]


def test_linear_follows_listed_order() -> None:
    assert ranked(Strategy.LINEAR, [cand("x", 5), cand("y", 1), cand("z", 3)]) == ["y", "z", "x"]


def test_rrmemory_resumes_after_the_last_one_even_if_busy() -> None:
    cands = [cand("a", 0), cand("b", 1), cand("d", 3)]  # position 2 is on a call
    assert ranked(Strategy.RRMEMORY, cands, last=2) == ["d", "a", "b"]
    assert ranked(Strategy.RRMEMORY, cands, last=3) == ["a", "b", "d"]
    assert ranked(Strategy.RRMEMORY, cands, last=None) == ["a", "b", "d"]


def test_penalty_tiers_come_before_the_strategy() -> None:
    cands = [
        cand("standby", 0, last_end=1.0, tier=Tier.STANDBY_1),
        cand("primary", 1, last_end=99.0),
        cand("deep", 2, tier=Tier.STANDBY_2),
    ]
    for strategy in (Strategy.LEASTRECENT, Strategy.LINEAR, Strategy.RANDOM, Strategy.RRMEMORY):
        assert ranked(strategy, cands) == ["primary", "standby", "deep"]


def test_random_is_uniform_and_seeded() -> None:
    cands = [cand(x, i) for i, x in enumerate("abcd")]
    firsts = Counter(ranked(Strategy.RANDOM, cands, seed=s)[0] for s in range(4000))
    assert set(firsts) == set("abcd") and min(firsts.values()) > 850
    assert ranked(Strategy.RANDOM, cands, seed=3) == ranked(Strategy.RANDOM, cands, seed=3)


def test_wrandom_weights_by_penalty_without_strict_tiers() -> None:
    cands = [cand("p", 0), cand("s2", 1, tier=Tier.STANDBY_2)]
    firsts = Counter(ranked(Strategy.WRANDOM, cands, seed=s)[0] for s in range(3000))
    # P(standby-2 first) = P(3u > v) for u, v uniform = 1/6.
    assert 0.12 < firsts["s2"] / 3000 < 0.21
