"""Console sessions: the signing key, cookie flags, CSRF tokens and the login/role guard.

Rules: every console view is wrapped by :func:`login_required` naming the roles it admits; a
visitor without a session is sent to the login page (a browser) or answered 401 (a script or
an event stream, so the page's own code can send the person to log in); a wrong role gets 403.
Every POST to the console carries the session's CSRF token (form field `csrf_token` or header
`X-CSRF-Token`), compared in constant time. Cookies are HttpOnly and SameSite=Lax, and Secure
when the public URL is https. The signing key comes from `HELPLINE_SECRET_KEY`; unset, one is
generated once under `var/` with a warning.
"""

from __future__ import annotations

import functools
import hmac
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from flask import Flask, Request, abort, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface, SessionMixin

from config.secret import secret_key as shared_secret_key
from config.settings import Settings
from services.users import SqlUsers, User, UserRole

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
SHIFT = timedelta(hours=12)  # a session outlives one shift, not two
TWILIO_PREFIX = "/twilio/"
STAFF = (UserRole.SUPERVISOR, UserRole.ADMIN)
EVERYONE = (UserRole.OPERATOR, UserRole.SUPERVISOR, UserRole.ADMIN)


def secret_key(settings: Settings) -> str:
    """The signing key (see `config.secret`)."""
    return shared_secret_key(settings)


class ConsoleSessions(SecureCookieSessionInterface):
    """Cookie sessions for the console only. Twilio's webhooks never carry the console's
    cookie, so they get Flask's null session: nothing is opened or signed on a call's path,
    and a webhook that tried to store something in a session would fail loudly."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if request.path.startswith(TWILIO_PREFIX):
            return self.make_null_session(app)
        return super().open_session(app, request)


def configure(app: Flask, settings: Settings) -> None:
    app.secret_key = secret_key(settings)
    app.session_interface = ConsoleSessions()
    app.config.update(
        SESSION_COOKIE_NAME="h1912_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=SHIFT,
    )
    app.jinja_env.globals["csrf_token"] = csrf_token


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def check_csrf() -> None:
    """A `before_request` hook of the console blueprints: refuse a POST without the token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if "user" not in session and request.endpoint != "console_auth.login":
        return  # no session (expired): the view's guard sends the person to log in first
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf") or ""
    if not expected or not hmac.compare_digest(str(sent), str(expected)):
        abort(
            400,
            description="The form has expired or did not come from this console. "
            "Reload the page and try again.",
        )


def log_in(user: User) -> None:
    session.clear()  # a new session id's worth: nothing from before the login survives
    session.permanent = True
    session["user"] = user.id
    session["csrf"] = secrets.token_urlsafe(32)


def current_user() -> User | None:
    if "user" in g:
        return g.user  # type: ignore[no-any-return]
    user = None
    user_id = session.get("user")
    if isinstance(user_id, int):
        found = users().get(user_id)
        user = found if found is not None and found.active else None
    g.user = user
    return user


def users() -> SqlUsers:
    return current_app.extensions["helpline.users"]  # type: ignore[no-any-return]


def wants_page() -> bool:
    """A person's browser navigating (redirect to login), not a script or an event stream."""
    if request.headers.get("X-Requested-With") or "text/event-stream" in request.headers.get(
        "Accept", ""
    ):
        return False
    return request.method in ("GET", "HEAD", "POST")


def login_url() -> str:
    """The login page, with the page to come back to (a POST returns to the form's page)."""
    back = request.full_path.rstrip("?") if request.method == "GET" else ""
    if request.method != "GET" and request.referrer:
        ref = urlsplit(request.referrer)
        if ref.netloc == request.host:
            back = ref.path + (f"?{ref.query}" if ref.query else "")
    target = safe_next(back)
    base = url_for("console_auth.login")
    return f"{base}?{urlencode({'next': target})}" if target else base


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (no scheme, no host, no `//`) may be a redirect target."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if "://" in target.split("?", 1)[0]:
        return None
    return target


def login_required(*roles: UserRole) -> Callable[[F], F]:
    admitted = roles or EVERYONE

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                if wants_page():
                    return redirect(login_url())
                abort(401)
            if user.role not in admitted:
                abort(403)
            return view(*args, **kwargs)

        wrapper.console_roles = admitted  # type: ignore[attr-defined]  # read by the tests
        return wrapper  # type: ignore[return-value]

    return decorate
