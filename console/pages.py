"""The console's entry point: `register(app, services)` adds every console page, `/metrics`,
the session settings and the template helpers to the Flask app.

Also applies the queue edits stored in the database (they override `config/queues.toml`) and,
before each request, picks up an edit another process saved. Templates and static files live
under `console/templates/console/` and `console/static/` (our own small CSS and script; no
third-party front-end code).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, redirect, url_for
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from console import admin, auth, boards, desk, metrics, security, supervision, wallboard
from console.security import current_user
from services import console_queues
from services.console_login import LoginThrottle
from services.container import Services
from services.users import SqlUsers, UserRole
from store.live import LiveStateUnavailable

log = logging.getLogger(__name__)
STATE_LABELS = {
    "offline": "Offline / ऑफ़लाइन",
    "ready": "Ready / तैयार",
    "ringing": "Ringing / घंटी",
    "on-call": "On call / कॉल पर",
    "wrap-up": "Wrap-up / रैप-अप",
    "paused": "Paused / विराम",
    "standby": "Standby / स्टैंडबाय",
    "unknown": "Unknown / अज्ञात",
}


def register(app: Flask, services: Services) -> None:
    security.configure(app, services.settings)
    app.extensions["helpline.users"] = SqlUsers(services.engine)
    app.extensions["helpline.login_throttle"] = LoginThrottle(services.redis)
    app.extensions["helpline.complaints"] = services.records.complaints  # shared with the IVR
    _template_helpers(app, services)
    app.register_blueprint(
        Blueprint(
            "console_static",
            __name__,
            template_folder="templates",
            static_folder="static",
            static_url_path="/console/static",
        )
    )
    app.register_blueprint(auth.blueprint())
    app.register_blueprint(desk.blueprint(services))
    app.register_blueprint(boards.blueprint(services))
    app.register_blueprint(wallboard.blueprint(services))
    app.register_blueprint(admin.blueprint(services))
    app.register_blueprint(supervision.blueprint(services))
    if not any(rule.rule == "/metrics" for rule in app.url_map.iter_rules()):
        metrics.register(app, services)
    if not any(rule.rule == "/" for rule in app.url_map.iter_rules()):
        app.add_url_rule("/", "console_root", lambda: redirect(url_for("console_auth.home")))
    _queue_edits(app, services)


QUEUE_EDITS_CHECK_S = 1.0  # default of app.config["QUEUE_EDITS_CHECK_S"]: how stale another
# process's queue edit may be here


def _queue_edits(app: Flask, services: Services) -> None:
    base = services.queues  # the file's definitions: stored edits are laid over them
    seen = [-1]
    checked = [time.monotonic()]
    try:
        console_queues.sync(services, base, seen)
    except (LiveStateUnavailable, SQLAlchemyError) as exc:
        log.warning("stored queue edits not applied yet (Redis unreachable): %s", exc)

    @app.before_request
    def _pick_up_queue_edits() -> None:
        # Edits saved in this process apply at once; another process's are looked for at most
        # once a second, not on every webhook (a Redis round trip each).
        now = time.monotonic()
        if now - checked[0] < app.config.get("QUEUE_EDITS_CHECK_S", QUEUE_EDITS_CHECK_S):
            return
        checked[0] = now
        try:
            console_queues.sync(services, base, seen)
        except (LiveStateUnavailable, SQLAlchemyError) as exc:
            # The request goes on with the definitions in use; it says so itself if it needs
            # Redis or the database. Webhooks must not fail for this.
            log.warning("queue edits not picked up: %s", exc)


def _template_helpers(app: Flask, services: Services) -> None:
    zone = services.settings.zone

    def local(value: Any, fmt: str = "%H:%M") -> str:
        if value is None or value == "":
            return "–"
        if isinstance(value, int | float):
            value = datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return str(value.astimezone(zone).strftime(fmt))

    def duration(seconds: Any) -> str:
        if seconds is None:
            return "–"
        whole = int(float(seconds))
        return f"{whole // 60}:{whole % 60:02d}"

    def percent(share: Any, digits: int = 0) -> str:
        return "–" if share is None else f"{100 * float(share):.{digits}f}%"

    app.jinja_env.filters.update(local=local, duration=duration, percent=percent)
    app.jinja_env.globals.update(
        state_label=lambda state: STATE_LABELS.get(state or "", state),
        state_labels=STATE_LABELS,
        current_user=current_user,
        roles=UserRole,
        kbd=lambda key: Markup(f"<kbd>{key}</kbd>"),
    )
