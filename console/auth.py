"""Logging in and out of the console, and the landing page that sends each role to its desk.

A login is refused with one message for any wrong username/password pair (no hint which was
wrong); failures are counted per username and per address (`services.console_login`) and a
lock-out says how long it lasts. Redis being down fails closed: no one can log in, and the page
says why.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from console.security import check_csrf, current_user, log_in, login_required, safe_next, users
from services.console_login import LoginThrottle
from services.users import UserRole
from store.live import LiveStateUnavailable

log = logging.getLogger(__name__)


def blueprint() -> Blueprint:
    bp = Blueprint("console_auth", __name__, url_prefix="/console")
    bp.before_request(check_csrf)

    @bp.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        target = safe_next(request.values.get("next"))
        if request.method == "GET":
            if current_user() is not None:
                return redirect(target or url_for("console_auth.home"))
            return render_template("console/login.html", next=target, error=None, username="")
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        error, status = _attempt(username, password)
        if error is None:
            return redirect(target or url_for("console_auth.home"))
        page = render_template("console/login.html", next=target, error=error, username=username)
        return page, status

    @bp.post("/logout")
    @login_required()
    def logout() -> Any:
        session.clear()
        return redirect(url_for("console_auth.login"))

    @bp.get("/")
    @login_required()
    def home() -> Any:
        user = current_user()
        assert user is not None
        if user.role is UserRole.OPERATOR:
            return redirect(url_for("console_desk.desk"))
        if user.role is UserRole.ADMIN:
            return redirect(url_for("console_admin.index"))
        return redirect(url_for("console_wallboard.wallboard"))

    return bp


def _attempt(username: str, password: str) -> tuple[str | None, int]:
    """Try a login; (None, 200) on success, else the message for the form and its status."""
    if not username or not password:
        return "Enter your username and password. / उपयोगकर्ता नाम और पासवर्ड लिखें।", 400
    throttle: LoginThrottle = current_app.extensions["helpline.login_throttle"]
    address = request.remote_addr or "unknown"
    try:
        wait = throttle.locked_for(username, address)
        if wait:
            return _locked_message(wait), 429
        user = users().authenticate(username, password, current_app.config["SERVICES"].clock())
        if user is None:
            locked = throttle.failed(username, address)
            log.info("console login failed for %r from %s", username, address)
            if locked:
                return _locked_message(locked), 429
            return "Wrong username or password. / गलत उपयोगकर्ता नाम या पासवर्ड।", 401
        throttle.succeeded(username)
    except LiveStateUnavailable:
        log.error("console login refused: Redis (login counters) unreachable")
        return "Login is unavailable right now (live state down). Try again shortly.", 503
    log_in(user)
    return None, 200


def _locked_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return (
        f"Too many failed logins: locked for {minutes} minute(s). Ask a supervisor if you "
        f"forgot your password. / बहुत सारे गलत प्रयास: {minutes} मिनट बाद फिर कोशिश करें।"
    )
