"""The console in headless Chromium: an operator's shift, a live queue edit, the wallboard.

The operator logs in, goes Ready; a terminal-phone call asks for an operator and is routed to
them; the screen pop appears within a second (pushed by SSE) and a complaint is registered
from it. An administrator changes a queue's wrap-up and the live ACD uses it. The wallboard
counts a new waiting caller without a reload. A complaint typed when the session has expired
survives the trip through the login page.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from store import schema as t


def console_complaints(services: Any) -> list[Any]:
    with services.engine.connect() as conn:
        return list(conn.execute(select(t.complaints).where(t.complaints.c.channel == "console")))


def test_operator_goes_ready_sees_the_pop_and_registers_a_complaint(
    page: Any, live_server: str, services: Any, login: Any, route_call: Any
) -> None:
    login(page, live_server, "operator1", "operator1-demo")
    page.wait_for_url("**/console/desk")
    page.keyboard.press("F2")  # Ready
    page.wait_for_selector("#state.state-ready")
    page.wait_for_timeout(300)  # the event stream is open

    call_id = route_call()
    routed = time.monotonic()
    page.wait_for_selector("#consumer-card", timeout=3000)
    popped = time.monotonic() - routed
    assert popped < 1.0, f"the pop took {popped:.2f} s"
    assert page.inner_text("#state") == "Ringing / घंटी"
    assert "Ramesh Sharma" in page.inner_text("#pop")
    assert "CZ01F001" in page.inner_text("#pop")
    assert page.get_attribute(".pop", "data-call") == call_id

    page.select_option("#kind", "no_supply")
    page.fill("#remarks", "no light since the storm")
    page.keyboard.press("Control+Enter")
    docket = page.wait_for_selector("#docket").inner_text()
    rows = console_complaints(services)
    assert [row.docket for row in rows] == [docket]
    assert rows[0].call_id == call_id and "no light since the storm" in rows[0].remarks


def test_admin_changes_wrapup_and_the_live_state_uses_it(
    page: Any, live_server: str, services: Any, login: Any
) -> None:
    login(page, live_server, "admin", "admin-demo")
    page.goto(f"{live_server}/console/admin/queues/CZ-hi")
    page.fill("#wrapup_s", "abc")
    page.click("#save")
    assert "whole number" in page.inner_text("#queue-form")
    page.fill("#wrapup_s", "45")
    page.click("#save")
    page.wait_for_selector("text=the ACD uses it now")
    live = services.extras["routing"].live
    assert live.queues["CZ-hi"].wrapup_s == 45
    assert services.queues["CZ-hi"].wrapup_s == 45


def test_wallboard_updates_without_a_reload(
    page: Any, live_server: str, services: Any, login: Any
) -> None:
    login(page, live_server, "operator1", "operator1-demo")
    page.goto(f"{live_server}/console/wallboard?company=CZ")
    cell = '[data-waiting="CZ-hi"]'
    assert page.inner_text(cell) == "0"
    page.evaluate("window.__same_page = true")
    services.extras["routing"].join("call-wallboard", "CZ-hi", 0)
    page.wait_for_function(
        f"document.querySelector('{cell}').textContent.trim() === '1'", timeout=6000
    )
    assert page.evaluate("window.__same_page") is True  # updated in place, not reloaded


def test_a_complaint_typed_as_the_session_expires_survives_login(
    page: Any, live_server: str, services: Any, login: Any, route_call: Any
) -> None:
    login(page, live_server, "operator1", "operator1-demo")
    page.wait_for_url("**/console/desk")
    page.click("#btn-ready")
    page.wait_for_selector("#state.state-ready")
    page.wait_for_timeout(300)
    route_call()
    page.wait_for_selector("#consumer-card")
    page.select_option("#kind", "transformer")
    page.fill("#remarks", "transformer hums and smokes")
    page.context.clear_cookies()  # the session is gone
    page.click("#register")
    page.wait_for_url("**/console/login**")
    assert console_complaints(services) == []
    page.fill("input[name=username]", "operator1")
    page.fill("input[name=password]", "operator1-demo")
    page.click("button[type=submit]")
    page.wait_for_selector("#complaint-form")
    assert page.input_value("#remarks") == "transformer hums and smokes"
    assert page.input_value("#kind") == "transformer"
    page.click("#register")
    page.wait_for_selector("#docket")
    assert len(console_complaints(services)) == 1
