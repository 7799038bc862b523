"""Webhook requests signed as Twilio signs them, for tests that drive the app's Twilio endpoints
through Flask's test client.

Twilio signs the URL it was given (the helpline's public base URL, path and query) together with
the form fields, using the account's auth token; behind a proxy the app sees another host, so it
checks the signature against its configured public URL, never the local one. `sign` does what
Twilio does with the real `RequestValidator`, so the app's own check is what the tests exercise.
`TOKEN`, `ACCOUNT` and `BASE` are the account and public URL the tests configure the app with;
pass `token=` or `base=` to sign as someone else would (a forger, a request seen unproxied).

Test modules import it as `tests.integration.twilio_signing` (pytest's importlib mode makes the
`tests` folders importable as packages).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT = "AC" + "1" * 32
BASE = "https://helpline.example.in"


def sign(
    url: str, data: dict[str, str], *, token: str = TOKEN, base: str = BASE
) -> tuple[str, str]:
    """The local path (with its query) to post to, and the `X-Twilio-Signature` Twilio would
    send for `data` posted to `url`: a path, or an absolute URL whose scheme and host give way
    to `base` as they do behind the proxy.

    >>> sign("/twilio/voice", {"CallSid": "CA1"}, token="t", base="https://h.example")[0]
    '/twilio/voice'
    >>> sign("http://elsewhere/twilio/voice?turn=2", {}) == sign("/twilio/voice?turn=2", {})
    True
    """
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path, RequestValidator(token).compute_signature(base + path, data)


def post_signed(
    client: FlaskClient,
    url: str,
    data: dict[str, str],
    *,
    token: str = TOKEN,
    base: str = BASE,
) -> TestResponse:
    """POST the form `data` to `url` as Twilio does, signed by `sign`; the response as it is."""
    path, signature = sign(url, data, token=token, base=base)
    return client.post(path, data=data, headers={"X-Twilio-Signature": signature})


def post_twiml(
    client: FlaskClient,
    url: str,
    data: dict[str, str],
    *,
    token: str = TOKEN,
    base: str = BASE,
) -> ET.Element:
    """`post_signed`, which must be answered 200; the TwiML of the answer."""
    reply = post_signed(client, url, data, token=token, base=base)
    assert reply.status_code == 200, reply.data
    return ET.fromstring(reply.data)


def call_fields(sid: str, **extra: str) -> dict[str, str]:
    """The fields Twilio sends about call `sid` from the demo consumer's mobile, plus `extra`."""
    return {"CallSid": sid, "AccountSid": ACCOUNT, "From": "+919000000002", **extra}
