"""Twilio request signatures: every `/twilio/*` request must carry a valid `X-Twilio-Signature`.

Twilio signs the URL it requested plus the POST parameters with the account's auth token. Behind
a proxy or a tunnel the URL Flask sees differs in scheme and host from the one Twilio used, so
the URL is rebuilt from the configured public base URL plus the request's path and query.
A missing or wrong signature is answered 403 before any view runs. The check is installed once
per application, as a `before_request` on the whole app, so a `/twilio/*` route added by any
module is covered. It can be turned off only by the explicit development setting
`TWILIO_VALIDATE_SIGNATURES=false`, and then a warning is logged at start-up; without an auth
token and with the check on, every Twilio request is refused (and an error logged at start-up)
rather than let through unchecked.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from config.settings import Settings

log = logging.getLogger(__name__)

PREFIX = "/twilio/"
SIGNATURE_HEADER = "X-Twilio-Signature"
_INSTALLED = "helpline.twilio_signatures"


def signed_url(base_url: str, path: str, query: bytes | str) -> str:
    """The URL Twilio requested, as it signed it.

    >>> signed_url("https://ivr.example.in/", "/twilio/voice/gather", b"turn=3")
    'https://ivr.example.in/twilio/voice/gather?turn=3'
    >>> signed_url("https://ivr.example.in", "/twilio/voice", b"")
    'https://ivr.example.in/twilio/voice'
    """
    text = query.decode("latin-1") if isinstance(query, bytes) else query
    return base_url.rstrip("/") + path + (f"?{text}" if text else "")


def is_signed(
    validator: RequestValidator | None, url: str, params: Mapping[str, Any], signature: str | None
) -> bool:
    """True when `signature` is Twilio's signature of `url` and `params`."""
    if validator is None or not signature:
        return False
    return bool(validator.validate(url, params, signature))


def install(app: Flask, settings: Settings) -> None:
    """Refuse unsigned `/twilio/*` requests with 403 (idempotent: once per app)."""
    if app.extensions.get(_INSTALLED):
        return
    app.extensions[_INSTALLED] = True
    if not settings.twilio_validate_signatures:
        log.warning(
            "TWILIO_VALIDATE_SIGNATURES is off: /twilio/* requests are NOT checked; "
            "anyone can drive calls and read replies. Use this only for development."
        )
        return
    token = settings.twilio_auth_token
    if not token:
        log.error(
            "TWILIO_AUTH_TOKEN is not set: every /twilio/* request will be refused (403). "
            "Set it, or TWILIO_VALIDATE_SIGNATURES=false for development only."
        )
    validator = RequestValidator(token) if token else None
    base_url = settings.public_base_url

    @app.before_request
    def check_twilio_signature() -> Response | None:
        if not request.path.startswith(PREFIX):
            return None
        url = signed_url(base_url, request.path, request.query_string)
        if is_signed(validator, url, request.form, request.headers.get(SIGNATURE_HEADER)):
            return None
        log.warning(
            "call %s: refused %s %s (missing or bad Twilio signature for %s)",
            request.form.get("CallSid") or request.form.get("MessageSid") or "-",
            request.method,
            request.path,
            url,
        )
        return Response("forbidden: bad or missing Twilio signature\n", 403, mimetype="text/plain")
