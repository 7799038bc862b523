"""Staffing mathematics: how many operators (and trunk lines) a call load needs.

Offered load A = calls per second × average handle time (AHT), in Erlangs. Erlang B gives the
blocking of lines, Erlang C the waiting of patient callers (stable only with more operators than
Erlangs), Erlang A (M/M/N+M) adds exponential patience, so it stays finite in a storm when the
load exceeds the operators. Rules: pure, stdlib only; never a factorial (they overflow near 170
operators): Erlang B by its recursion, Erlang A by a log-space birth–death chain, so 100,000 calls
an hour neither overflows nor underflows. Out-of-range inputs raise `StaffingError` naming the
input; every figure is returned as a value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from routing.errors import RoutingError

SECONDS_PER_HOUR = 3600.0
# Terms smaller than this fraction of the largest one are dropped from a sum; the stopping rules
# below bound what is dropped by a geometric series, so the error stays near this size.
_NEGLIGIBLE = 1e-17
_LOG_NEGLIGIBLE = math.log(_NEGLIGIBLE)
# A queue this long means patience of months with load > operators: not a staffing question,
# and holding the chain would exhaust memory.
_MAX_QUEUE_STATES = 1_000_000


class StaffingError(RoutingError):
    """A staffing input is out of range or malformed; the message names the input."""


def _non_negative(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise StaffingError(f"{name} must be a finite number, got {value!r}")
    if value < 0:
        raise StaffingError(f"{name} must not be negative, got {value!r}")
    return float(value)


def _positive(name: str, value: float) -> float:
    if _non_negative(name, value) == 0:
        raise StaffingError(f"{name} must be greater than 0, got {value!r}")
    return float(value)


def _fraction(name: str, value: float, *, one_allowed: bool = False) -> float:
    share = _non_negative(name, value)
    if share == 0 or share > 1 or (share == 1 and not one_allowed):
        bounds = "(0, 1]" if one_allowed else "(0, 1)"
        raise StaffingError(f"{name} must lie in {bounds}, got {value!r}")
    return share


def _count(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StaffingError(f"{name} must be a whole number >= 0, got {value!r}")
    return value


# --- Erlang B and C ---------------------------------------------------------------------------


def erlang_b(load: float, lines: int) -> float:
    """Probability that a call finds all `lines` busy and is lost (Erlang B).

    >>> round(erlang_b(10.0, 10), 4)
    0.2146
    """
    a, n = _non_negative("load", load), _count("lines", lines)
    blocking = 1.0
    for k in range(1, n + 1):
        blocking = a * blocking / (k + a * blocking)
    return blocking


def _wait_from_blocking(a: float, n: int, blocking: float) -> float:
    return min(1.0, n * blocking / (n - a * (1.0 - blocking)))


def _sl_from_blocking(a: float, n: int, blocking: float, t_over_aht: float) -> float:
    wait = _wait_from_blocking(a, n, blocking)
    return max(0.0, 1.0 - wait * math.exp(-(n - a) * t_over_aht))


def erlang_c(load: float, agents: int) -> float:
    """Probability that a patient caller has to wait (Erlang C); 1.0 when agents <= load > 0.

    >>> round(erlang_c(10.0, 14), 4)
    0.1741
    """
    a, n = _non_negative("load", load), _count("agents", agents)
    if a == 0:
        return 0.0
    if n <= a:
        return 1.0
    return _wait_from_blocking(a, n, erlang_b(a, n))


def service_level(load: float, agents: int, aht_s: float, target_s: float) -> float:
    """Fraction of calls answered within `target_s` seconds (Erlang C; 0.0 when unstable).

    >>> round(service_level(10.0, 14, 180.0, 20.0), 4)
    0.8884
    """
    a, n = _non_negative("load", load), _count("agents", agents)
    aht, t = _positive("aht_s", aht_s), _non_negative("target_s", target_s)
    if a == 0:
        return 1.0
    if n <= a:
        return 0.0
    return _sl_from_blocking(a, n, erlang_b(a, n), t / aht)


def asa(load: float, agents: int, aht_s: float) -> float:
    """Average speed of answer in seconds (Erlang C); infinite when agents <= load.

    >>> round(asa(10.0, 14, 180.0), 2)
    7.84
    """
    a, n, aht = _non_negative("load", load), _count("agents", agents), _positive("aht_s", aht_s)
    if a == 0:
        return 0.0
    if n <= a:
        return math.inf
    return erlang_c(a, n) * aht / (n - a)


def occupancy(load: float, agents: int) -> float:
    """Share of operator time spent on calls, min(load / agents, 1); 0.0 with no operators.

    >>> round(occupancy(10.0, 14), 4)
    0.7143
    """
    a, n = _non_negative("load", load), _count("agents", agents)
    return 0.0 if n == 0 else min(1.0, a / n)


def lines_for_blocking(load: float, target_blocking: float) -> int:
    """Fewest lines whose Erlang B blocking is at most `target_blocking`.

    >>> lines_for_blocking(10.0, 0.02)
    17
    """
    a, target = _non_negative("load", load), _fraction("target_blocking", target_blocking)
    lines, blocking = 0, 1.0
    while a > 0 and blocking > target:
        lines += 1
        blocking = a * blocking / (lines + a * blocking)
    return lines


# --- Erlang A ---------------------------------------------------------------------------------


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
    wait = _wait_from_blocking(a, n, blocking)
    mean_wait = wait * aht / (n - a)
    return ErlangAResult(
        a, n, t, wait, 0.0, _sl_from_blocking(a, n, blocking, t / aht),
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
    a, n = _non_negative("load", load), _count("agents", agents)
    aht, t = _positive("aht_s", aht_s), _non_negative("target_s", target_s)
    if patience_s is None:
        return _erlang_c_result(a, n, aht, t)
    theta = aht / _positive("patience_s", patience_s)
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


# --- searching for the fewest operators -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Goal:
    service_level: float
    within_s: float
    max_occupancy: float | None


def _fewest_for_occupancy(a: float, cap: float) -> int:
    n = max(1, math.ceil(a / cap))
    while n > 1 and a / (n - 1) <= cap:  # float rounding in a / cap may overshoot by one
        n -= 1
    while a / n > cap:
        n += 1
    return n


def _erlang_c_agents(a: float, aht: float, goal: _Goal) -> int:
    """Walk up from just above the load; each step extends the Erlang B recursion in O(1)."""
    n = math.floor(a) + 1
    if goal.max_occupancy is not None:
        n = max(n, _fewest_for_occupancy(a, goal.max_occupancy))
    blocking = erlang_b(a, n)
    while _sl_from_blocking(a, n, blocking, goal.within_s / aht) < goal.service_level:
        n += 1
        blocking = a * blocking / (n + a * blocking)
    return n


def _erlang_a_agents(a: float, aht: float, patience: float, goal: _Goal) -> int:
    """Gallop up from the load, then bisect (the level improves with every operator added)."""

    def meets(n: int) -> bool:
        r = erlang_a(a, n, aht, patience, target_s=goal.within_s)
        cap = goal.max_occupancy
        return r.service_level >= goal.service_level and (cap is None or r.occupancy <= cap)

    # Answered calls never exceed N/A of those offered, so fewer than SL·A operators must fail.
    failing = math.ceil(goal.service_level * a) - 1
    passing, step = max(failing + 1, math.ceil(a)), max(1, math.isqrt(math.ceil(a)))
    while not meets(passing):
        failing, passing, step = passing, passing + step, step * 2
    while passing - failing > 1:
        middle = (failing + passing) // 2
        failing, passing = (failing, middle) if meets(middle) else (middle, passing)
    return passing


def required_agents(
    calls_per_hour: float,
    aht_s: float,
    *,
    target_sl: float = 0.8,
    target_s: float = 20.0,
    patience_s: float | None = None,
    max_occupancy: float | None = None,
) -> int:
    """Fewest operators answering `target_sl` of calls within `target_s` seconds.

    Erlang C when `patience_s` is None, Erlang A otherwise; `max_occupancy` adds a cap.

    >>> required_agents(200, 180, target_sl=0.8, target_s=20)
    14
    """
    rate, aht = _non_negative("calls_per_hour", calls_per_hour), _positive("aht_s", aht_s)
    cap = None
    if max_occupancy is not None:
        cap = _fraction("max_occupancy", max_occupancy, one_allowed=True)
    goal = _Goal(_fraction("target_sl", target_sl), _non_negative("target_s", target_s), cap)
    patience = None if patience_s is None else _positive("patience_s", patience_s)
    load = rate * aht / SECONDS_PER_HOUR
    if load == 0:
        return 0
    if patience is None:
        return _erlang_c_agents(load, aht, goal)
    return _erlang_a_agents(load, aht, patience, goal)


# --- the staffing table the CLI prints --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StaffingRow:
    """One staffing level of the table; shares of offered calls, times in seconds."""

    agents: int
    service_level: float
    asa_s: float
    p_wait: float
    p_abandon: float
    occupancy: float
    meets_target: bool


def _required_and_rows(
    rate: float, aht: float, goal: _Goal, patience: float | None, around: int
) -> tuple[int, list[StaffingRow]]:
    required = required_agents(
        rate, aht, target_sl=goal.service_level, target_s=goal.within_s, patience_s=patience
    )
    load = rate * aht / SECONDS_PER_HOUR
    first = max(min(required, 1), required - _count("around", around))
    rows = []
    for n in range(first, required + around + 1):
        r = erlang_a(load, n, aht, patience, target_s=goal.within_s)
        rows.append(
            StaffingRow(n, r.service_level, r.asa_s, r.p_wait, r.p_abandon, r.occupancy,
                        r.service_level >= goal.service_level)
        )  # fmt: skip
    return required, rows


def staffing_table(
    calls_per_hour: float,
    aht_s: float,
    *,
    target_sl: float,
    target_s: float,
    patience_s: float | None = None,
    around: int = 3,
) -> list[StaffingRow]:
    """Rows for the required operators ± `around` (Erlang A with patience, else Erlang C).

    >>> [row.agents for row in staffing_table(200, 180, target_sl=0.8, target_s=20, around=1)]
    [13, 14, 15]
    """
    goal = _Goal(target_sl, target_s, None)
    return _required_and_rows(calls_per_hour, aht_s, goal, patience_s, around)[1]


def _g(value: float) -> str:
    return f"{value:g}"


def _percent(share: float) -> str:
    return f"{100 * share:.1f}%"


def format_staffing_table(
    calls_per_hour: float,
    aht_s: float,
    *,
    target_sl: float,
    target_s: float,
    patience_s: float | None = None,
    around: int = 3,
) -> str:
    """The text `run_ivr.py staffing` prints: a headline, then an aligned table.

    >>> print(format_staffing_table(200, 180, target_sl=0.8, target_s=20).splitlines()[0])
    required operators: 14 (80% in 20 s; 200 calls/h, AHT 180 s, load 10.00 Erl)
    """
    goal = _Goal(target_sl, target_s, None)
    required, rows = _required_and_rows(calls_per_hour, aht_s, goal, patience_s, around)
    patience = "" if patience_s is None else f", patience {_g(patience_s)} s"
    load = calls_per_hour * aht_s / SECONDS_PER_HOUR
    headline = (
        f"required operators: {required} ({_g(100 * target_sl)}% in {_g(target_s)} s; "
        f"{_g(calls_per_hour)} calls/h, AHT {_g(aht_s)} s{patience}, load {load:.2f} Erl)"
    )
    header = ["operators", f"in {_g(target_s)} s", "ASA (s)", "P(wait)", "abandoned", "occupancy"]
    cells = [
        [str(r.agents), _percent(r.service_level), f"{r.asa_s:.1f}", _percent(r.p_wait),
         _percent(r.p_abandon), _percent(r.occupancy)]
        for r in rows
    ]  # fmt: skip
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
    lines = [headline, "  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    for row, line in zip(rows, cells, strict=True):
        mark = "  <- required" if row.agents == required else ""
        lines.append("  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)) + mark)
    return "\n".join(lines)


_TARGET = re.compile(r"\s*(\d+(?:\.\d*)?)\s*%?\s*/\s*(\d+(?:\.\d*)?)\s*s?\s*")


def parse_target(text: str) -> tuple[float, float]:
    """'80/20' (80 % of calls answered within 20 s) → (0.8, 20.0).

    >>> parse_target("80/20")
    (0.8, 20.0)
    """
    match = _TARGET.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise StaffingError(f"target must look like 80/20 (percent / seconds), got {text!r}")
    percent, seconds = float(match[1]), float(match[2])
    if not 0 < percent < 100:
        raise StaffingError(f"target percent must lie between 0 and 100, got {text!r}")
    return percent / 100, seconds
