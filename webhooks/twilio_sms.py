"""Inbound SMS from Twilio (`POST /twilio/sms`): a chain of handlers, first answer wins.

A handler gets the message (sender normalised, body, time) and returns the reply text, or
None when the message is not for it. Other modules put their handlers in front with
`add_handler(app, handler)` (field teams' ACK/DONE, fault reports), typically deciding by the
sender's number; the consumer handler registered here comes last and answers everybody else:
`STATUS <docket>` gets the complaint's state, a docket whose check digit fails gets "not a
valid complaint number", an unknown docket a clear "no such complaint", anything else how to
ask. Replies are TwiML `<Message>`s from `twilio.twiml.messaging_response`; a failure is
logged with the MessageSid and answered with no reply, never a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, Response, request
from sqlalchemy import Engine, select
from twilio.twiml.messaging_response import MessagingResponse  # type: ignore[import-untyped]

from complaints.docket import BadCheckDigit, Company, MalformedDocket, ValidDocket, parse_docket
from complaints.field_sms import SmsCommand, SmsError, StatusSms, parse_sms
from config.errors import ConfigError
from ivr.validators import normalise_caller
from store import schema as t
from store.timeutil import as_utc
from webhooks import twilio_security

log = logging.getLogger(__name__)

SMS = "/twilio/sms"
_HANDLERS = "helpline.sms_handlers"
STATUS_WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "open": "open",
        "acknowledged": "being attended",
        "resolved": "resolved",
        "closed": "closed",
    },
    "hi": {"open": "दर्ज", "acknowledged": "कार्य जारी", "resolved": "समाधान हो गया", "closed": "बंद"},
}


@dataclass(frozen=True, slots=True)
class InboundSms:
    """One received message. `sender` is normalised (10-digit mobile, `0`+STD landline)."""

    sender: str
    body: str
    received_at: datetime  # UTC
    local_now: datetime  # the helpline's local time, for HH:MM in messages


SmsHandler = Callable[[InboundSms], str | None]


def add_handler(app: Flask, handler: SmsHandler) -> None:
    """Put `handler` in front of those already registered (the consumer handler stays last)."""
    app.extensions.setdefault(_HANDLERS, []).insert(0, handler)


def answer(handlers: list[SmsHandler], sms: InboundSms) -> str | None:
    for handler in handlers:
        reply = handler(sms)
        if reply is not None:
            return reply
    return None


class ConsumerStatus:
    """The consumers' handler: `STATUS <docket>`; anything else gets the how-to."""

    def __init__(
        self,
        *,
        engine: Engine,
        templates: Mapping[str, Mapping[str, str]],
        language_of: Callable[[str], str | None],
        zone: ZoneInfo,
    ) -> None:
        self._engine = engine
        self._templates = templates
        self._language_of = language_of
        self._zone = zone

    def __call__(self, sms: InboundSms) -> str:
        lang = self._language_of(sms.sender) or "en"
        parsed = parse_sms(sms.body, sms.local_now)
        if isinstance(parsed, StatusSms):
            return self._status(parsed.docket, lang)
        if isinstance(parsed, SmsError) and parsed.command is SmsCommand.STATUS:
            typed = " ".join(sms.body.split()[1:])
            check = parse_docket(typed)
            if typed and isinstance(check, BadCheckDigit | MalformedDocket):
                return self._text("status_invalid", lang, docket=typed.upper())
        return self._text("status_help", lang)

    def _status(self, docket: ValidDocket, lang: str) -> str:
        codes = [docket.company] if docket.company else list(Company)
        candidates = [f"{code.value}{docket.digits}" for code in codes]
        with self._engine.connect() as conn:
            row = conn.execute(
                select(t.complaints).where(t.complaints.c.docket.in_(candidates))
            ).first()
        if row is None:
            return self._text("status_not_found", lang, docket=docket.text)
        words = STATUS_WORDS.get(lang, STATUS_WORDS["en"])
        return self._text(
            "status_reply",
            lang,
            docket=row.docket,
            status=words.get(row.status, row.status),
            registered=self._local(row.registered_at),
            deadline=self._local(row.deadline),
        )

    def _local(self, value: datetime | None) -> str:
        moment = as_utc(value)
        return "-" if moment is None else moment.astimezone(self._zone).strftime("%d-%m-%Y %H:%M")

    def _text(self, kind: str, lang: str, **values: str) -> str:
        template = self._templates[kind]
        return template.get(lang, template["en"]).format(**values)


def register(app: Flask, services: Any) -> None:
    settings = services.settings
    twilio_security.install(app, settings)
    for kind in ("status_reply", "status_invalid", "status_not_found", "status_help"):
        if kind not in settings.sms_templates:  # stop at start-up, not on a consumer's SMS
            raise ConfigError(f"helpline.toml: sms.{kind} is missing")
    consumer = ConsumerStatus(
        engine=services.engine,
        templates=settings.sms_templates,
        language_of=services.records.remembered_language,
        zone=settings.zone,
    )
    app.extensions.setdefault(_HANDLERS, []).append(consumer)
    app.register_blueprint(_blueprint(services, app.extensions[_HANDLERS]))


def _blueprint(services: Any, handlers: list[SmsHandler]) -> Blueprint:
    bp = Blueprint("twilio_sms", __name__)

    @bp.post(SMS)
    def inbound() -> Response:
        now = services.clock()
        sender = normalise_caller(request.form.get("From", "")).number
        sms = InboundSms(sender, request.form.get("Body", ""), now, services.local_now())
        reply = answer(handlers, sms)
        log.info(
            "sms %s: from %s, %s",
            request.form.get("MessageSid", "-"),
            _masked(sender),
            "replied" if reply else "no reply",
        )
        response = MessagingResponse()
        if reply:
            response.message(reply)
        return Response(str(response), mimetype="text/xml")

    @bp.errorhandler(Exception)
    def failed(exc: Exception) -> Response:
        log.exception(
            "sms %s: handling failed; no reply", request.form.get("MessageSid", "-"), exc_info=exc
        )
        return Response(str(MessagingResponse()), mimetype="text/xml")

    return bp


def _masked(number: str) -> str:
    """Phone numbers in logs keep only their last four digits.

    >>> _masked("9000000002")
    '******0002'
    """
    return "*" * max(0, len(number) - 4) + number[-4:]
