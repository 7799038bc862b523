"""Erlang A (M/M/N+M): staffing figures when callers hang up after an exponential patience.

Erlang C assumes every caller waits for ever, so it has no answer once the load exceeds the
operators, which is exactly the case in a storm. Erlang A adds an abandonment rate θ = 1 /
mean patience, which keeps the queue finite at any load: :func:`erlang_a` gives P(wait),
P(abandon), the service level, ASA, occupancy and the mean queue in one
:class:`ErlangAResult`. Rules: the stationary law comes from a birth–death chain kept in log
space (`_stationary`), so 100,000 calls an hour neither overflows nor underflows; the queue
tail is cut where what is dropped is below `_NEGLIGIBLE` of the largest term; a queue longer
than `_MAX_QUEUE_STATES` raises :class:`routing.staffing_inputs.StaffingError` instead of
exhausting memory. With no patience given the result is Erlang C's. Pure: stdlib only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from routing.erlang import erlang_b, occupancy, service_level_from_blocking, wait_from_blocking
from routing.staffing_inputs import (
    StaffingError,
    require_count,
    require_non_negative,
    require_positive,
)

# Terms smaller than this fraction of the largest one are dropped from a sum; the stopping rules
# below bound what is dropped by a geometric series, so the error stays near this size.
_NEGLIGIBLE = 1e-17
_LOG_NEGLIGIBLE = math.log(_NEGLIGIBLE)
# A queue this long means patience of months with load > operators: not a staffing question,
# and holding the chain would exhaust memory.
_MAX_QUEUE_STATES = 1_000_000


@dataclass(frozen=True, slots=True)
class ErlangAResult:
    """Steady state of one staffing level. Shares are of all offered calls; times in seconds."""

    load: float
    agents: int
    target_s: float
    p_wait: float  # an arriving caller finds every operator busy
    p_abandon: float  # hangs up before an answer (0 for Erlang C)
    service_level: float  # answered within target_s; abandoned calls count as not answered
    asa_s: float  # mean wait of the answered calls
    mean_wait_s: float  # mean time in queue of all offered calls, abandoned ones included
    occupancy: float
    mean_queue_length: float
    queue_states: int  # chain states kept from N on (where the tail was cut); 0 for Erlang C


@dataclass(frozen=True, slots=True)
class _Chain:
    """Normalised stationary law: P(n < N) and P(n = N + j) for j = 0 .. len(queue) - 1."""

    below: float
    queue: tuple[float, ...]


def _stationary(a: float, n: int, theta: float) -> _Chain:
    """Birth–death chain in AHT units: births at rate A, deaths at min(k, N) + max(k - N, 0)·θ.

    Log-weights keep huge loads finite (tiny terms underflow to 0, harmlessly). The queue is cut
    at the first state past which the whole tail, bounded by a geometric series because the death
    rates only grow from there on, is below _NEGLIGIBLE of the largest term.
    """
    log_a = math.log(a)
    logs = [0.0]
    for k in range(1, n + 1):
        logs.append(logs[-1] + log_a - math.log(k))
    peak = max(logs)
    while True:
        next_rate = n + (len(logs) - n) * theta
        ratio = a / next_rate
        if ratio < 1 and logs[-1] + math.log(ratio / (1 - ratio)) < peak + _LOG_NEGLIGIBLE:
            break
        if len(logs) - n > _MAX_QUEUE_STATES:
            raise StaffingError("patience_s is too long for a load this far above the agents")
        logs.append(logs[-1] + log_a - math.log(next_rate))
        peak = max(peak, logs[-1])
    weights = [math.exp(x - peak) for x in logs]
    total = math.fsum(weights)
    return _Chain(math.fsum(weights[:n]) / total, tuple(w / total for w in weights[n:]))


def _tail_of_phases(size: float, theta_t: float, top: int) -> list[float]:
    """[P(Y >= u) for u = 0 .. top], Y negative binomial (see erlang_a), summed from Y = 0 up.

    P(Y = k) = Γ(size + k) / (Γ(size)·k!) · exp(-size·θt) · (1 - exp(-θt))^k, stepped in logs
    so that exp(-size·θt) may underflow without harm; 1 - P(Y < u) is exact to about 1e-16.
    """
    log_pmf, log_grow = -size * theta_t, math.log(-math.expm1(-theta_t))
    survival, below = [1.0], 0.0
    for k in range(top):
        below += math.exp(log_pmf)
        survival.append(max(0.0, 1.0 - below))
        log_pmf += math.log((size + k) / (k + 1)) + log_grow
    return survival


def _answered_within(chain: _Chain, n: int, theta: float, t: float) -> float:
    """P(answered within t) over all offered calls; t in AHT units (method: see erlang_a)."""
    if n == 0 or t == 0:
        return chain.below
    reach = _tail_of_phases(n / theta + 1.0, theta * t, len(chain.queue))
    answered = chain.below
    for j, prob in enumerate(chain.queue):
        answered += prob * n / (n + (j + 1) * theta) * reach[j + 1]
    return min(1.0, answered)


def _delayed_sums(chain: _Chain, n: int, theta: float) -> tuple[float, float, float]:
    """(P(delayed, then answered), E[wait; delayed, then answered], mean queue) in AHT units."""
    answered = answered_wait = queue_length = 0.0
    tilted_mean = 0.0  # Σ 1/(N + mθ), m = 1 .. j + 1: mean of the tilted phase sum
    for j, prob in enumerate(chain.queue):
        tilted_mean += 1.0 / (n + (j + 1) * theta)
        share = n / (n + (j + 1) * theta)  # P(answered | j ahead)
        answered += prob * share
        answered_wait += prob * share * tilted_mean
        queue_length += j * prob
    return answered, answered_wait, queue_length


def _erlang_c_result(a: float, n: int, aht: float, t: float) -> ErlangAResult:
    if a == 0:
        return ErlangAResult(a, n, t, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0)
    if n <= a:
        inf = math.inf
        return ErlangAResult(a, n, t, 1.0, 0.0, 0.0, inf, inf, occupancy(a, n), inf, 0)
    blocking = erlang_b(a, n)
    wait = wait_from_blocking(a, n, blocking)
    mean_wait = wait * aht / (n - a)
    return ErlangAResult(
        a, n, t, wait, 0.0, service_level_from_blocking(a, n, blocking, t / aht),
        mean_wait, mean_wait, a / n, wait * a / (n - a), 0,
    )  # fmt: skip


def erlang_a(
    load: float, agents: int, aht_s: float, patience_s: float | None, *, target_s: float = 20.0
) -> ErlangAResult:
    """Erlang A (M/M/N+M): operators `agents`, exponential patience of mean `patience_s`.

    Stable at any load; `patience_s=None` gives Erlang C. The stationary law comes from the
    birth–death chain (`_stationary` says where the queue tail is cut); p_abandon = θ·Lq/λ.
    Service level = calls answered within target_s / all offered calls: a caller who hangs up
    counts as not answered, however soon. It is exact. A caller finding j waiting ahead is
    answered after phases of rates N·μ + k·θ (k = j .. 0) unless his patience τ ~ Exp(θ) ends
    first, so P(answered by t) = E[exp(-θS); S <= t]. Tilting each phase by exp(-θx) turns this
    into N·μ / (N·μ + (j+1)·θ) times P(S' <= t), the phases of S' having rates N·μ + m·θ
    (m = 1 .. j+1). 1 - exp(-θS') is Beta(j+1, N·μ/θ + 1) (compare Laplace transforms), and a
    Beta law with a whole first parameter is a negative binomial tail: P(S' <= t) = P(Y >= j+1)
    with Y as in `_tail_of_phases`. One table of that tail serves every j.

    >>> r = erlang_a(10.0, 14, 180.0, 300.0, target_s=20.0)
    >>> round(r.p_wait, 4), round(r.p_abandon, 4), round(r.service_level, 4)
    (0.1453, 0.014, 0.9168)
    """
    a, n = require_non_negative("load", load), require_count("agents", agents)
    aht, t = require_positive("aht_s", aht_s), require_non_negative("target_s", target_s)
    if patience_s is None:
        return _erlang_c_result(a, n, aht, t)
    theta = aht / require_positive("patience_s", patience_s)
    if a == 0:
        return _erlang_c_result(a, n, aht, t)
    chain = _stationary(a, n, theta)
    delayed_answered, answered_wait, queue_length = _delayed_sums(chain, n, theta)
    answered = chain.below + delayed_answered
    abandon = min(1.0, theta * queue_length / a)
    return ErlangAResult(
        load=a,
        agents=n,
        target_s=t,
        p_wait=min(1.0, math.fsum(chain.queue)),
        p_abandon=abandon,
        service_level=_answered_within(chain, n, theta, t / aht),
        asa_s=answered_wait / answered * aht if answered > 0 else math.inf,
        mean_wait_s=queue_length / a * aht,
        occupancy=0.0 if n == 0 else min(1.0, a * (1.0 - abandon) / n),
        mean_queue_length=queue_length,
        queue_states=len(chain.queue),
    )
