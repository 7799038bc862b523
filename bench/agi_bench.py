"""Benchmark: FastAGI turn latency with 200 concurrent calls, and AMI events applied per second.

FastAGI: 200 scripted Asterisk peers (`dialplans.agi_peer`) call our FastAGI server at once,
each keying English, confirming the connection and "no supply" (a docket is committed in the
last turn). The callers run in a separate process and pause 2-5 s before each key (1-2 s with
`--quick`), as a person listening to a prompt would: the peer "plays" files instantly, so
without the pause 200 calls would be compressed into a burst far denser than 200 people
calling (a main menu alone takes 15 s to hear). A turn's latency is the time from the peer's
reply carrying the keys to the next AGI command: the whole engine turn (the Redis session
scripts, lookups, the docket's SQL transaction, rendering to file names), reported per turn as
well. The server is wired as `run_ivr.py serve` wires it: call records go to a batched call
log (written off the turns; a call handed to a queue waits for its own), the docket is committed
inside its turn, SQLite's WAL is checkpointed by a thread of its own. The same peers then call a
bare panoramisk FastAGI route that sends exactly the commands one IVR call of the run sent
(every prompt file, every question) and does nothing else, in the same run, as the ceiling: the
difference is the engine's turn. Goal: p99 ≤ 10 ms. The database is a temporary SQLite file, or
with `DATABASE_URL` set to PostgreSQL a temporary schema in that database (created, seeded and
dropped again); Redis is an embedded server, or `REDIS_URL` (keys under unique call ids).

AMI: the recorded Asterisk 22 traffic (`tests/fixtures/asterisk-22/`) replayed in a loop:
parsed by panoramisk's `Message.from_line`, translated, and applied by the mirror through the
ordered dispatcher (worker threads, in order per call) to in-memory ports; beside it, parsing
alone.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.databases import bench_database

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "asterisk-22"
KEYS = ("2", "1", "1")
ARRIVALS_S = 2.0  # the 200 calls arrive within this many seconds
CALLER = "9000000002"


@contextmanager
def _services() -> Iterator[Any]:
    import run_ivr
    from config.settings import load_settings
    from store.db import make_engine, upgrade
    from store.seed import seed

    with (
        tempfile.TemporaryDirectory() as folder,
        bench_database(folder, "agi_bench") as database_url,
    ):
        env = {"DATABASE_URL": database_url, "HELPLINE_VAR_DIR": folder}
        if os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = os.environ["REDIS_URL"]
        settings = load_settings(env)
        engine = make_engine(settings.database_url)
        upgrade(engine)
        companies = {
            c.code: (c.name_en, c.name_hi, c.headquarters) for c in settings.companies.values()
        }
        seed(
            engine,
            consumers=300,
            seed=7,
            now=datetime.now(UTC),
            companies=companies,
            progress=False,
        )
        engine.dispose()
        services = run_ivr.build_services(settings)
        try:
            yield services
        finally:
            services.engine.dispose()
            services.redis.close()


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "p50_ms": round(pick(0.50) * 1000, 2),
        "p99_ms": round(pick(0.99) * 1000, 2),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
        "turns": len(ordered),
    }


def _bare_route(script: list[str]) -> Any:
    """The ceiling: the commands an IVR call sent, sent again with no engine behind them."""

    async def route(request: Any) -> None:
        for command in script:
            await request.send_command(command)

    return route


# Turn latencies by turn, calls completed, and the commands one completed call was sent.
_Placed = tuple[list[list[float]], int, list[str]]


async def _calls(port: int, sessions: int, prefix: str, think: tuple[float, float]) -> _Placed:
    from dialplans import agi_peer

    rng = random.Random(1912)

    async def one(n: int) -> agi_peer.PeerLog:
        await asyncio.sleep(rng.uniform(0, ARRIVALS_S))
        return await agi_peer.call(
            "127.0.0.1",
            port,
            uniqueid=f"{prefix}.{n}",
            caller=CALLER,
            answers=KEYS,
            think_s=lambda: rng.uniform(*think),
        )

    logs = await asyncio.gather(*(one(n) for n in range(sessions)))
    done = [log for log in logs if log.variables.get("HELPLINE_ACTION") == "hangup"]
    by_turn = [
        [log.turn_latencies[i] for log in logs if len(log.turn_latencies) > i]
        for i in range(len(KEYS))
    ]
    return by_turn, len(done), done[0].commands if done else []


def _callers(port: int, sessions: int, prefix: str, think: tuple[float, float]) -> _Placed:
    """The scripted callers, run in a separate process so they do not share our CPU."""
    return asyncio.run(_calls(port, sessions, prefix, think))


async def _place(port: int, sessions: int, prefix: str, think: tuple[float, float]) -> _Placed:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool, _callers, port, sessions, prefix, think)


async def _agi(services: Any, sessions: int, think: tuple[float, float]) -> dict[str, Any]:
    from panoramisk.fast_agi import Application

    from dialplans.agi import FastAgiServer
    from dialplans.frontends import ivr_over_agi
    from services.call_log import BatchedCallLog
    from store.db import WalCheckpointer

    checkpoints = WalCheckpointer(services.engine)
    checkpoints.start()
    runner = ivr_over_agi(
        services,
        call_log=BatchedCallLog(services.records.call_log),
    )
    server = FastAgiServer(runner)
    _, port = await server.start("127.0.0.1", 0)
    try:
        ivr, completed, script = await _place(port, sessions, f"{int(time.time())}", think)
    finally:
        await server.close()
        checkpoints.stop()
    bare_app = Application(loop=asyncio.get_running_loop())
    bare_app.add_route("1912", _bare_route(script))
    bare = await asyncio.start_server(bare_app.handler, "127.0.0.1", 0)
    try:
        ceiling, _, _ = await _place(bare.sockets[0].getsockname()[1], sessions, "bare", think)
    finally:
        bare.close()
        await bare.wait_closed()
    return {
        "database": services.engine.dialect.name,
        "sessions": sessions,
        "completed_calls": completed,
        "ivr": _percentiles([x for turn in ivr for x in turn]),
        "ivr_by_turn": [_percentiles(turn)["p99_ms"] for turn in ivr],
        "bare": _percentiles([x for turn in ceiling for x in turn]),
    }


class _Ports:
    """In-memory live state, call log and directory: the mirror's own cost is measured."""

    def __init__(self) -> None:
        self.count = 0

    def __getattr__(self, name: str) -> Any:
        def port(*args: Any, **kwargs: Any) -> None:
            self.count += 1

        return port

    def priority_of(self, call_id: str) -> int | None:
        return 0

    def operator_for(self, interface: str) -> str | None:
        return interface.rsplit("/", 1)[-1]


def _recorded_messages() -> list[str]:
    chunks: list[str] = []
    for path in sorted(FIXTURES.glob("ami-*.txt")):
        for chunk in path.read_bytes().decode().split("\r\n\r\n"):
            lines = [x for x in chunk.split("\r\n") if x and not x.startswith("#")]
            if lines:
                chunks.append("\r\n".join(lines))
    return chunks


async def _ami(seconds: float) -> dict[str, Any]:
    from panoramisk.message import Message

    from dialplans.dispatch import OrderedDispatcher
    from dialplans.events import Ignored, translate
    from dialplans.mirror import QueueMirror

    chunks = _recorded_messages()
    if not chunks:
        return {"skipped": f"no recordings in {FIXTURES}"}
    started = time.perf_counter()
    parsed = 0
    while time.perf_counter() - started < seconds / 2:
        parsed += sum(Message.from_line(c) is not None for c in chunks)
    parse_rate = parsed / (time.perf_counter() - started)

    ports = _Ports()
    mirror = QueueMirror(
        operators=ports,
        live=ports,
        calls=ports,  # type: ignore[arg-type]
        clock=lambda: datetime.now(UTC),
    )
    dispatcher = OrderedDispatcher(mirror.apply)
    dispatcher.start()
    events = used = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds / 2:
        for chunk in chunks:
            message = Message.from_line(chunk)
            if message is None or "event" not in message:
                continue
            events += 1
            fact = translate(message)
            if not isinstance(fact, Ignored):
                used += 1
                dispatcher.submit(fact)
        await dispatcher.drain()
    elapsed = time.perf_counter() - started
    await dispatcher.close()
    return {
        "events_per_s": round(events / elapsed),
        "queue_facts_applied_per_s": round(mirror.applied / elapsed),
        "parse_only_messages_per_s": round(parse_rate),
        "events": events,
        "queue_facts": used,
    }


def run(quick: bool) -> dict[str, Any]:
    """Measure; latencies in milliseconds, rates per second."""
    with _services() as services:
        think = (1.0, 2.0) if quick else (2.0, 5.0)
        agi = asyncio.run(_agi(services, sessions=200, think=think))
    ami = asyncio.run(_ami(seconds=2.0 if quick else 6.0))
    return {
        "agi_database": agi["database"],
        "agi_sessions": agi["sessions"],
        "agi_completed_calls": agi["completed_calls"],
        "agi_turn_p50_ms": agi["ivr"]["p50_ms"],
        "agi_turn_p99_ms": agi["ivr"]["p99_ms"],
        "agi_turns": agi["ivr"]["turns"],
        # language → identify; confirm → outage check; "no supply" → docket written (SQL)
        "agi_turn_p99_ms_by_turn": agi["ivr_by_turn"],
        "bare_turn_p50_ms": agi["bare"]["p50_ms"],
        "bare_turn_p99_ms": agi["bare"]["p99_ms"],
        "agi_p99_goal_met": agi["ivr"]["p99_ms"] <= 10.0,
        "ami": ami,
    }


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv[1:]), indent=2))
