"""Benchmark: the Erlang C staffing search over 1 to 100,000 calls an hour, beside pyworkforce.

Sweeps log-spaced call rates (AHT 180 s, target 80 % answered in 20 s), times our
`required_agents` and, when pyworkforce 0.5.1 is importable, its `ErlangC.required_positions`
on the same inputs, and checks that both give the same number of operators. Without pyworkforce
it says so and reports our figures only. `run(quick)` returns the JSON-ready summary that
`make bench` collects; run as a script it also prints a small table.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable
from importlib import metadata
from typing import Any

from routing.staffing import SECONDS_PER_HOUR, required_agents

AHT_S = 180.0
TARGET_SL = 0.8
TARGET_S = 20.0


def _rates(quick: bool) -> list[float]:
    points = 11 if quick else 41  # 1 to 100,000 calls/h, evenly spaced in log
    return [round(10 ** (5 * i / (points - 1)), 3) for i in range(points)]


def _timed(solve: Callable[[float], int], rate: float, repeats: int) -> tuple[int, float]:
    """(answer, best time in milliseconds over `repeats` runs)."""
    best, answer = math.inf, 0
    for _ in range(repeats):
        start = time.perf_counter()
        answer = solve(rate)
        best = min(best, time.perf_counter() - start)
    return answer, best * 1000


def _ours(rate: float) -> int:
    return required_agents(rate, AHT_S, target_sl=TARGET_SL, target_s=TARGET_S)


def _pyworkforce() -> tuple[Callable[[float], int] | None, str]:
    """pyworkforce's solver in our units (it counts in minutes per interval), or why not."""
    try:
        from pyworkforce.queuing import ErlangC
    except ImportError as exc:
        return None, f"pyworkforce not importable ({exc}); our figures only"

    def solve(rate: float) -> int:
        erlang = ErlangC(transactions=rate, aht=AHT_S / 60, asa=TARGET_S / 60, interval=60)
        return int(erlang.required_positions(service_level=TARGET_SL)["raw_positions"])

    return solve, f"pyworkforce {metadata.version('pyworkforce')}"


def run(quick: bool) -> dict[str, Any]:
    repeats = 1 if quick else 5
    theirs, note = _pyworkforce()
    rows: list[dict[str, Any]] = []
    for rate in _rates(quick):
        ours, ours_ms = _timed(_ours, rate, repeats)
        row: dict[str, Any] = {
            "calls_per_hour": rate,
            "load_erl": round(rate * AHT_S / SECONDS_PER_HOUR, 4),
            "ours": ours,
            "ours_ms": round(ours_ms, 4),
        }
        if theirs is not None:
            answer, their_ms = _timed(theirs, rate, repeats)
            row.update(pyworkforce=answer, pyworkforce_ms=round(their_ms, 4))
        rows.append(row)
    compared = [r for r in rows if "pyworkforce" in r]
    return {
        "name": "erlang_sweep",
        "aht_s": AHT_S,
        "target": f"{TARGET_SL:.0%}/{TARGET_S:g}s",
        "points": len(rows),
        "compared_with": note,
        "agree": all(r["ours"] == r["pyworkforce"] for r in compared) if compared else None,
        "mismatches": [r for r in compared if r["ours"] != r["pyworkforce"]],
        "ours_total_ms": round(sum(r["ours_ms"] for r in rows), 3),
        "pyworkforce_total_ms": (
            round(sum(r["pyworkforce_ms"] for r in compared), 3) if compared else None
        ),
        "rows": rows,
    }


def _table(result: dict[str, Any]) -> str:
    lines = [f"{'calls/h':>10} {'load Erl':>10} {'ours':>6} {'ms':>8} {'pywf':>6} {'pywf ms':>9}"]
    for r in result["rows"]:
        theirs = f"{r['pyworkforce']:>6} {r['pyworkforce_ms']:>9.3f}" if "pyworkforce" in r else ""
        lines.append(
            f"{r['calls_per_hour']:>10g} {r['load_erl']:>10.2f} {r['ours']:>6} "
            f"{r['ours_ms']:>8.3f} {theirs}".rstrip()
        )
    lines.append(f"compared with: {result['compared_with']}; agree: {result['agree']}")
    return "\n".join(lines)


if __name__ == "__main__":
    outcome = run(quick="--quick" in sys.argv[1:])
    print(_table(outcome))
    print(json.dumps({k: v for k, v in outcome.items() if k != "rows"}, indent=2))
