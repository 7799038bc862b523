"""Browser-test fixtures: the app on a real HTTP server in a thread, and headless Chromium.

The system's Chromium (Debian package `chromium`) is driven by Playwright for Python; no browser
is downloaded. Without /usr/bin/chromium or the playwright package the tests are skipped with
the reason.
"""

from __future__ import annotations

import io
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip(
            "browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip(
            "browser tests need Playwright for Python (pip install playwright; "
            "no `playwright install`: the system chromium is used)"
        )
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(services: Any) -> Iterator[str]:
    """The whole app (webhooks, API, console) on 127.0.0.1, on a free port, in a thread."""
    from webhooks.app import create_app

    services.extras["routing"].sync_operators()
    app = create_app(services)
    app.config["CONSOLE_STREAM_S"] = 30.0
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="test-http", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    app.extensions["helpline.stopping"].set()  # open event streams end at their next poll
    server.shutdown()
    thread.join(5)
    for handler in [t for t in threading.enumerate() if "process_request" in t.name]:
        handler.join(5)  # request threads finish before the test's database pool is disposed


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(8000)
    yield page
    context.close()


def log_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def routed_call(services: Any) -> str:
    """A terminal-phone call that asks for an operator: caller 9000000001 keys 1, 1, 0."""
    from services.terminal_phone import run_call

    out = io.StringIO()
    run_call(services, caller="9000000001", keys=["1", "1", "0"], out=out, read_line=lambda: None)
    assert "queued queue=CZ-hi" in out.getvalue(), out.getvalue()
    status = services.extras["routing"].live.operator_status(
        "cz-op01", services.clock().timestamp()
    )
    assert status.caller, "the call was not routed to cz-op01"
    return str(status.caller.partition(":")[2])


@pytest.fixture
def login() -> Any:
    return log_in


@pytest.fixture
def route_call(services: Any) -> Any:
    return lambda: routed_call(services)
