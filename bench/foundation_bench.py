"""Benchmarks of the foundation: seeding, consumer lookup, engine steps.

- `seed --consumers N` wall time and peak memory (a child process, so its peak is its own);
- consumer lookup by IVRS number (the IVR's query: consumer joined to its supply point)
  p50/p99, beside a raw SQLAlchemy Core primary-key lookup on the same database in the same run;
- pure engine steps per second on a whole scripted call.

Run: `python -m bench.foundation_bench [--quick]` (quick: 100,000 consumers instead of 1,000,000).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _percentiles(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]  # noqa: E731
    return {"p50_ms": pick(0.50) * 1000, "p99_ms": pick(0.99) * 1000}


def bench_seed(db: Path, consumers: int) -> dict[str, Any]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "HELPLINE_VAR_DIR": str(db.parent)}
    subprocess.run(
        [sys.executable, str(ROOT / "run_ivr.py"), "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
    )
    code = (
        "import resource, subprocess, sys, time;"
        "t = time.perf_counter();"
        f"r = subprocess.run([sys.executable, {str(ROOT / 'run_ivr.py')!r}, 'seed',"
        f" '--consumers', '{consumers}'], capture_output=True, text=True);"
        "dt = time.perf_counter() - t;"
        "print(r.returncode, dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    if out[0] != "0":
        raise RuntimeError("seed failed")
    return {
        "consumers": consumers,
        "seed_wall_s": float(out[1]),
        "seed_peak_mb": int(out[2]) / 1024,
    }


def bench_lookup(db: Path, n: int) -> dict[str, Any]:
    from sqlalchemy import func, select

    from store import schema as t
    from store.db import make_engine
    from store.network import SqlNetwork

    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        ivrs = [r[0] for r in conn.execute(select(t.consumers.c.ivrs))]
        max_id = conn.execute(select(func.max(t.consumers.c.id))).scalar_one()
    rng = random.Random(1)
    network = SqlNetwork(engine)
    network.consumer_by_ivrs(ivrs[0])
    ours = []
    for key in rng.sample(ivrs, n):
        t0 = time.perf_counter()
        found = network.consumer_by_ivrs(key)
        ours.append(time.perf_counter() - t0)
        assert found is not None
    raw = []
    query = select(t.consumers).where(t.consumers.c.id == 0)
    with engine.connect() as conn:
        for key in (rng.randint(1, max_id) for _ in range(n)):
            t0 = time.perf_counter()
            conn.execute(query.where(t.consumers.c.id == key)).first()
            raw.append(time.perf_counter() - t0)
    engine.dispose()
    a, b = _percentiles(ours), _percentiles(raw)
    return {
        "lookup_p50_ms": a["p50_ms"],
        "lookup_p99_ms": a["p99_ms"],
        "raw_pk_p50_ms": b["p50_ms"],
        "raw_pk_p99_ms": b["p99_ms"],
        "lookups": n,
        "consumers_in_db": len(ivrs),
    }


def bench_engine(calls: int) -> dict[str, Any]:
    from ivr.commands import Lookup, Record
    from ivr.engine import new_session, step
    from ivr.events import CallStarted, DigitsEntered, ResultReturned
    from ivr.flow import load_flow

    with (ROOT / "config/flows/1912.toml").open("rb") as fh:
        flow = load_flow(tomllib.load(fh), name="1912")
    answers = {
        "connections_by_caller": [{"id": 1, "ending": "0002", "company": "WZ"}],
        "active_fault": None,
        "complaint": {"docket": "WZ2611280000123"},
    }
    now = datetime(2026, 11, 28, 12, 0)
    steps = 0
    t0 = time.perf_counter()
    for i in range(calls):
        session = new_session(f"c{i}", caller="", channel="bench", language="hi")
        for event in (
            CallStarted("9000000002"),
            DigitsEntered("2"),
            DigitsEntered("1"),
            DigitsEntered("1"),
        ):
            session, commands = step(flow, session, event, now)
            steps += 1
            while commands and isinstance(commands[-1], (Lookup, Record)):
                name = commands[-1].name
                session, commands = step(
                    flow, session, ResultReturned(name, answers.get(name)), now
                )
                steps += 1
    elapsed = time.perf_counter() - t0
    return {"engine_steps_per_s": steps / elapsed, "engine_calls_per_s": calls / elapsed}


def run(quick: bool = False) -> dict[str, Any]:
    consumers = 100_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite"
        result: dict[str, Any] = {"name": "foundation"}
        result.update(bench_seed(db, consumers))
        result.update(bench_lookup(db, 2_000 if quick else 20_000))
    result.update(bench_engine(500 if quick else 5_000))
    result["goal_lookup_p99_ms"] = 1.0
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    print(json.dumps(run(parser.parse_args().quick), indent=2))
