"""The Flask application factory. Nothing is built at import time: `create_app(services)`.

Blueprints of the front-ends (Twilio webhooks, the JSON API, the console) are registered here;
`GET /healthz` reports whether the database and Redis answer.
"""

from __future__ import annotations

import importlib
import logging
import threading
from typing import Any

from flask import Flask, jsonify

from services.container import Services
from store.db import DatabaseUnavailable, schema_status
from store.live import LiveStateUnavailable
from store.live import ping as redis_ping

log = logging.getLogger(__name__)

# Modules whose `register(app, services)` adds their routes (Twilio, JSON API, console…).
BLUEPRINT_MODULES: list[str] = [
    "webhooks.api",
    "webhooks.twilio_voice",
    "webhooks.twilio_sms",
    "console.pages",
    "webhooks.field_page",
    "webhooks.twilio_feedback",
    "webhooks.faults_api",
]


def create_app(services: Services) -> Flask:
    app = Flask("helpline1912")
    app.config["SERVICES"] = services
    # Set on shutdown so long-lived responses (Server-Sent Events) end promptly.
    app.extensions["helpline.stopping"] = threading.Event()
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    @app.get("/healthz")
    def healthz() -> Any:
        checks: dict[str, Any] = {}
        healthy = True
        try:
            current, head = schema_status(services.engine)
            checks["database"] = {"ok": current == head, "revision": current, "head": head}
            healthy &= current == head
        except DatabaseUnavailable as exc:
            checks["database"] = {"ok": False, "error": str(exc)}
            healthy = False
        try:
            redis_ping(services.redis)
            checks["redis"] = {"ok": True}
        except LiveStateUnavailable as exc:
            checks["redis"] = {"ok": False, "error": str(exc)}
            healthy = False
        body = {"status": "ok" if healthy else "degraded", **checks}
        return jsonify(body), 200 if healthy else 503

    for module in BLUEPRINT_MODULES:
        importlib.import_module(module).register(app, services)
    app.register_error_handler(Exception, _last_resort)
    return app


def _last_resort(exc: Exception) -> Any:
    """Errors no blueprint handled (e.g. in a before-request hook): Twilio still gets valid
    TwiML that puts the caller in an operator queue, the API gets JSON; never a bare 500."""
    from flask import current_app, request
    from werkzeug.exceptions import HTTPException

    if isinstance(exc, HTTPException):
        return exc
    log.exception("%s %s failed", request.method, request.path, exc_info=exc)
    if request.path.startswith("/twilio/"):
        front = current_app.extensions.get("helpline.twilio_voice")
        handler = current_app.extensions.get("helpline.twilio_error_handler")
        if handler is not None:
            return handler(exc)
        from twilio.twiml.voice_response import VoiceResponse

        response = VoiceResponse()
        if front is not None:
            response.enqueue(front.last_resort_queue)
        return current_app.response_class(str(response), mimetype="text/xml")
    if request.path.startswith("/api/"):
        return jsonify({"error": "internal error; it has been logged"}), 500
    return "Something went wrong; it has been logged.", 500
