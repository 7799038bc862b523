"""Erlang B and Erlang C: blocking of lines and waiting of patient callers.

Offered load A = calls per second × average handle time (AHT), in Erlangs. Erlang B gives the
share of calls that find every line busy and are lost; Erlang C the share of callers who wait
when nobody hangs up, which is stable only with more operators than Erlangs (at or below the
load every caller waits, for ever). Rules: never a factorial (they overflow near 170
operators): Erlang B by its recursion B(k) = A·B(k-1) / (k + A·B(k-1)), and Erlang C and the
service level derived from it. Inputs are checked by ``routing.staffing_inputs``; every
figure is returned as a value. Pure: stdlib only.
"""

from __future__ import annotations

import math

from routing.staffing_inputs import (
    require_count,
    require_fraction,
    require_non_negative,
    require_positive,
)


def erlang_b(load: float, lines: int) -> float:
    """Probability that a call finds all `lines` busy and is lost (Erlang B).

    >>> round(erlang_b(10.0, 10), 4)
    0.2146
    """
    a, n = require_non_negative("load", load), require_count("lines", lines)
    blocking = 1.0
    for k in range(1, n + 1):
        blocking = a * blocking / (k + a * blocking)
    return blocking


def wait_from_blocking(a: float, n: int, blocking: float) -> float:
    """Erlang C's P(wait) from Erlang B's blocking of the same load; needs n > a (unchecked)."""
    return min(1.0, n * blocking / (n - a * (1.0 - blocking)))


def service_level_from_blocking(a: float, n: int, blocking: float, t_over_aht: float) -> float:
    """Erlang C's share answered within t (in AHT units) from Erlang B; needs n > a (unchecked)."""
    wait = wait_from_blocking(a, n, blocking)
    return max(0.0, 1.0 - wait * math.exp(-(n - a) * t_over_aht))


def erlang_c(load: float, agents: int) -> float:
    """Probability that a patient caller has to wait (Erlang C); 1.0 when agents <= load > 0.

    >>> round(erlang_c(10.0, 14), 4)
    0.1741
    """
    a, n = require_non_negative("load", load), require_count("agents", agents)
    if a == 0:
        return 0.0
    if n <= a:
        return 1.0
    return wait_from_blocking(a, n, erlang_b(a, n))


def service_level(load: float, agents: int, aht_s: float, target_s: float) -> float:
    """Fraction of calls answered within `target_s` seconds (Erlang C; 0.0 when unstable).

    >>> round(service_level(10.0, 14, 180.0, 20.0), 4)
    0.8884
    """
    a, n = require_non_negative("load", load), require_count("agents", agents)
    aht, t = require_positive("aht_s", aht_s), require_non_negative("target_s", target_s)
    if a == 0:
        return 1.0
    if n <= a:
        return 0.0
    return service_level_from_blocking(a, n, erlang_b(a, n), t / aht)


def asa(load: float, agents: int, aht_s: float) -> float:
    """Average speed of answer in seconds (Erlang C); infinite when agents <= load.

    >>> round(asa(10.0, 14, 180.0), 2)
    7.84
    """
    a, n = require_non_negative("load", load), require_count("agents", agents)
    aht = require_positive("aht_s", aht_s)
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
    a, n = require_non_negative("load", load), require_count("agents", agents)
    return 0.0 if n == 0 else min(1.0, a / n)


def lines_for_blocking(load: float, target_blocking: float) -> int:
    """Fewest lines whose Erlang B blocking is at most `target_blocking`.

    >>> lines_for_blocking(10.0, 0.02)
    17
    """
    a = require_non_negative("load", load)
    target = require_fraction("target_blocking", target_blocking)
    lines, blocking = 0, 1.0
    while a > 0 and blocking > target:
        lines += 1
        blocking = a * blocking / (lines + a * blocking)
    return lines
