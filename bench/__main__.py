"""Run every benchmark and print one table; also written to `bench/results.json`.

`python -m bench [--quick] [--only NAME ...]`. Each benchmark module has `run(quick) -> dict`
and measures its figure beside a ceiling in the same run (raw Redis, raw SQL, a bare endpoint,
a reference library), so the numbers mean something on any machine.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MODULES = [
    "bench.foundation_bench",
    "bench.staffing_bench",
    "bench.routing_bench",
    "bench.twilio_bench",
    "bench.agi_bench",
    "bench.storm_bench",
]
OUT = Path(__file__).resolve().parent / "results.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (under 3 minutes)")
    parser.add_argument("--only", nargs="*", help="run only these modules (short names)")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "benchmarks": {},
    }
    failed = False
    for name in MODULES:
        short = name.split(".")[-1]
        if args.only and short not in args.only:
            continue
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # that benchmark is not part of this checkout
            raise
        started = time.perf_counter()
        print(f"running {short} …", file=sys.stderr, flush=True)
        try:
            figures = module.run(args.quick)
        except Exception:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            figures = {"error": traceback.format_exc().splitlines()[-1]}
            failed = True
        figures["wall_s"] = round(time.perf_counter() - started, 2)
        results["benchmarks"][short] = figures
    OUT.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(render(results))
    return 1 if failed else 0


def render(results: dict[str, Any]) -> str:
    lines = [f"{'benchmark':<20} {'figure':<34} {'value':>14}", "-" * 70]
    for bench, figures in results["benchmarks"].items():
        for key, value in figures.items():
            if isinstance(value, (dict, list)):
                continue
            shown = f"{value:,.3f}" if isinstance(value, float) else str(value)
            lines.append(f"{bench:<20} {key:<34} {shown:>14}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
