"""Who may open what: every route of the app, enumerated from its URL map, for every role.

Without a login every console page sends the browser to the login page (and a script gets
401); every `/api/*` endpoint answers 401 without a bearer token; only `/healthz`, `/metrics`,
the signature-checked Twilio endpoints and static files answer anyone. A logged-in user gets
403 on a page whose roles exclude theirs, and the login itself is rate-limited and CSRF-checked.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from services.users import SqlUsers, UserRole
from webhooks.app import create_app

SAMPLE_ARGS = {
    "call_id": "no-such-call",
    "consumer_id": "1",
    "name": "CZ-hi",
    "operator_id": "cz-op01",
    "fault_id": "1",
    "action": "etr",
    "filename": "console.css",
    "docket": "CZ0",
    "feedback_id": "1",
}
OPEN_PREFIXES = (
    "/healthz",
    "/metrics",
    "/twilio/",
    "/static/",
    "/console/static/",
    "/console/login",
)


@pytest.fixture
def app(services: Any) -> Any:
    services.extras["routing"].sync_operators()
    app = create_app(services)
    app.config["CONSOLE_STREAM_S"] = 0.3
    SqlUsers(services.engine).add("super1", "super1-demo", UserRole.SUPERVISOR, datetime.now(UTC))
    return app


def log_in(client: Any, username: str, password: str) -> Any:
    client.get("/console/login")
    with client.session_transaction() as session:
        token = session["csrf"]
    return client.post(
        "/console/login", data={"username": username, "password": password, "csrf_token": token}
    )


def url_of(rule: Any) -> str:
    return re.sub(
        r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: SAMPLE_ARGS.get(m.group(1), "x1"), rule.rule
    )


def console_rules(app: Any) -> list[Any]:
    return [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith("console_")
        and r.endpoint not in ("console_static.static", "console_auth.login", "console_root")
    ]


def test_every_console_page_redirects_to_login_without_a_session(app: Any) -> None:
    client = app.test_client()
    rules = console_rules(app)
    assert len(rules) >= 20
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url_of(rule), method=method)
            assert response.status_code == 302, (rule.rule, method, response.status_code)
            assert response.headers["Location"].startswith("/console/login"), rule.rule
            scripted = client.open(
                url_of(rule), method=method, headers={"X-Requested-With": "fetch"}
            )
            assert scripted.status_code == 401, (rule.rule, method)


def test_every_api_endpoint_answers_401_without_a_token(app: Any) -> None:
    client = app.test_client()
    api = [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/")]
    assert api
    for rule in api:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            assert client.open(url_of(rule), method=method).status_code == 401, rule.rule


def test_no_other_route_is_open_by_accident(app: Any) -> None:
    client = app.test_client()
    for rule in app.url_map.iter_rules():
        path = url_of(rule)
        if rule.endpoint.startswith("console_") or path.startswith("/api/"):
            continue
        if path.startswith(OPEN_PREFIXES) or path == "/":
            continue
        if "GET" in rule.methods:  # e.g. a signed field-team page: refused without its signature
            assert client.get(path).status_code != 200, rule.rule


@pytest.mark.parametrize(
    "username,password,role",
    [
        ("operator1", "operator1-demo", UserRole.OPERATOR),
        ("super1", "super1-demo", UserRole.SUPERVISOR),
        ("admin", "admin-demo", UserRole.ADMIN),
    ],
)
def test_each_role_opens_exactly_its_pages(
    app: Any, username: str, password: str, role: UserRole
) -> None:
    client = app.test_client()
    assert log_in(client, username, password).status_code == 302
    checked = 0
    for rule in console_rules(app):
        if "GET" not in rule.methods or rule.endpoint == "console_auth.home":
            continue
        admitted = app.view_functions[rule.endpoint].console_roles
        response = client.get(url_of(rule))
        if role in admitted:
            assert response.status_code not in (302, 401, 403), (rule.rule, response.status_code)
            assert response.status_code < 500, (rule.rule, response.get_data(as_text=True))
        else:
            assert response.status_code == 403, (rule.rule, role)
        checked += 1
    assert checked >= 15


def test_operator_is_refused_admin_pages(app: Any) -> None:
    client = app.test_client()
    log_in(client, "operator1", "operator1-demo")
    for path in (
        "/console/admin/",
        "/console/admin/queues",
        "/console/admin/queues/CZ-hi",
        "/console/admin/operators",
        "/console/admin/users",
        "/console/admin/storm",
        "/console/admin/sop",
        "/console/admin/faults",
    ):
        assert client.get(path).status_code == 403, path


def test_open_endpoints_answer_without_login(app: Any) -> None:
    client = app.test_client()
    assert client.get("/healthz").status_code in (200, 503)
    assert client.get("/metrics").status_code == 200
    with client.get("/console/static/console.css") as static:
        assert static.status_code == 200


def test_a_post_without_the_csrf_token_is_refused(app: Any) -> None:
    client = app.test_client()
    log_in(client, "operator1", "operator1-demo")
    refused = client.post("/console/desk/state", data={"action": "ready"})
    assert refused.status_code == 400
    live = app.config["SERVICES"].extras["routing"].live_view()
    assert live["operators"]["cz-op01"]["state"] == "offline"
    bad_login = app.test_client().post(
        "/console/login",
        data={"username": "admin", "password": "admin-demo", "csrf_token": "forged"},
    )
    assert bad_login.status_code == 400


def test_wrong_passwords_lock_the_username_with_a_clear_message(app: Any) -> None:
    client = app.test_client()
    for _ in range(4):
        assert log_in(client, "admin", "wrong-password").status_code == 401
    locked = log_in(client, "admin", "wrong-password")
    assert locked.status_code == 429 and "locked for 15 minute" in locked.get_data(as_text=True)
    # even the right password is refused while locked, from another address too
    other = app.test_client()
    other.get("/console/login", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    with other.session_transaction() as session:
        token = session["csrf"]
    again = other.post(
        "/console/login",
        data={"username": "admin", "password": "admin-demo", "csrf_token": token},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert again.status_code == 429
    assert log_in(app.test_client(), "operator1", "operator1-demo").status_code == 302


def test_session_cookie_flags_and_safe_redirects(app: Any) -> None:
    client = app.test_client()
    response = log_in(client, "admin", "admin-demo")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the test's public URL is http
    client2 = app.test_client()
    client2.get("/console/login")
    with client2.session_transaction() as session:
        token = session["csrf"]
    away = client2.post(
        "/console/login?next=//evil.example/x",
        data={"username": "admin", "password": "admin-demo", "csrf_token": token},
    )
    assert away.headers["Location"] == "/console/"
    assert client2.post("/console/logout", data={"csrf_token": _csrf(client2)}).status_code == 302
    assert client2.get("/console/desk").status_code == 302


def test_twilio_webhooks_never_open_the_console_session(app: Any) -> None:
    """A webhook gets Flask's null session even when a console cookie comes along, so a
    call's path neither reads nor signs one; the console keeps its own."""
    from flask import request
    from flask.sessions import NullSession

    client = app.test_client()
    log_in(client, "admin", "admin-demo")
    cookie = client.get_cookie("h1912_session")
    assert cookie is not None
    headers = {"Cookie": f"h1912_session={cookie.value}"}
    with app.test_request_context("/twilio/voice", method="POST", headers=headers):
        assert isinstance(app.session_interface.open_session(app, request), NullSession)
    with app.test_request_context("/console/desk", headers=headers):
        opened = app.session_interface.open_session(app, request)
        assert not isinstance(opened, NullSession)
        assert opened.get("user")


def _csrf(client: Any) -> str:
    with client.session_transaction() as session:
        return str(session["csrf"])


def test_cookies_are_secure_behind_https_and_disabled_logins_are_refused(services: Any) -> None:
    import dataclasses

    services.settings = dataclasses.replace(
        services.settings, public_base_url="https://1912.example.in"
    )
    app = create_app(services)
    client = app.test_client()
    response = log_in(client, "operator1", "operator1-demo")
    assert "Secure" in response.headers["Set-Cookie"]
    SqlUsers(services.engine).set_active("operator1", False)
    assert client.get("/console/desk").status_code == 302  # the live session ends too
    assert log_in(app.test_client(), "operator1", "operator1-demo").status_code == 401
