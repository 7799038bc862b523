"""Field teams report faults by SMS: FAULT, ETR and RESTORED from registered field mobiles.

A handler for the inbound-SMS chain (`webhooks.twilio_sms.add_handler`). It answers only those
three commands and passes everything else on (ACK/DONE belong to the complaint handler). A
message from a number not in `field_mobiles` (or switched off) is logged and dropped with no
reply, so nobody learns what the number accepts. A malformed message gets a reply saying what
is wrong and the correct form. A good one goes through the same `FaultService` as the feed API,
its message id taken from Twilio's MessageSid (a retried webhook is a duplicate) or, without
one, from the sender, text and minute. The asset's level comes from the network: field teams
write only the code.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine, select

from complaints.field_sms import (
    FORMS,
    EtrSms,
    FaultSms,
    RestoredSms,
    SmsCommand,
    SmsError,
    parse_sms,
)
from outages.messages import EtrUpdated, FaultMessage, FaultReported, FaultRestored
from services.faults import FaultOutcome, FaultResult, FaultService
from store import schema as t

log = logging.getLogger(__name__)

FAULT_COMMANDS = (SmsCommand.FAULT, SmsCommand.ETR, SmsCommand.RESTORED)
REPLY_LANGUAGE = "en"  # the commands are English words; replies follow them


def masked(number: str) -> str:
    """The last four digits only.

    >>> masked("9100000002")
    '******0002'
    """
    return "*" * max(0, len(number) - 4) + number[-4:]


def _message_sid() -> str | None:
    from flask import has_request_context, request

    if not has_request_context():
        return None
    return request.form.get("MessageSid") or None


class InboundMessage(Protocol):
    """What the handler reads of an inbound SMS (`webhooks.twilio_sms.InboundSms`)."""

    @property
    def sender(self) -> str: ...

    @property
    def body(self) -> str: ...

    @property
    def received_at(self) -> datetime: ...

    @property
    def local_now(self) -> datetime: ...


class FieldFaultSms:
    """The handler to put in the inbound-SMS chain."""

    def __init__(
        self, *, engine: Engine, faults: FaultService, templates: Mapping[str, Mapping[str, str]]
    ) -> None:
        self._engine = engine
        self._faults = faults
        self._templates = templates

    def __call__(self, sms: InboundMessage) -> str | None:
        body, sender, local_now = sms.body, sms.sender, sms.local_now
        parsed = parse_sms(body, local_now)
        command = parsed.command if isinstance(parsed, SmsError) else _command_of(parsed)
        if command not in FAULT_COMMANDS:
            return None
        if not self._registered(sender):
            log.warning("fault sms from unregistered number %s ignored", masked(sender))
            return ""  # no reply, and no later handler answers it either
        if isinstance(parsed, SmsError):
            assert parsed.command is not None
            form = FORMS[parsed.command]
            problem = parsed.message.removesuffix(f": {form}")
            return self._text("field_fault_problem", problem=_sentence(problem), form=form)
        assert isinstance(parsed, FaultSms | EtrSms | RestoredSms)
        message_id = _message_id(sender, body, sms.received_at)
        message = self._message(parsed, message_id)
        if isinstance(message, str):
            return message
        actor = f"sms:{masked(sender)}"
        result = self._faults.apply(message, source="field_sms", actor=actor)
        log.info("fault sms %s from %s: %s", message_id, masked(sender), result.outcome.value)
        return self._reply(result, parsed, local_now)

    def _registered(self, sender: str) -> bool:
        query = select(t.field_mobiles.c.mobile).where(
            t.field_mobiles.c.mobile == sender, t.field_mobiles.c.active.is_(True)
        )
        with self._engine.connect() as conn:
            return conn.execute(query).first() is not None

    def _message(
        self, parsed: FaultSms | EtrSms | RestoredSms, message_id: str
    ) -> FaultMessage | str:
        if isinstance(parsed, EtrSms):
            return EtrUpdated(message_id, parsed.asset_code, None, parsed.etr)
        if isinstance(parsed, RestoredSms):
            return FaultRestored(message_id, parsed.asset_code, None, None)
        assets = self._faults.find_asset(parsed.asset_code)
        if len(assets) != 1:
            problem = (
                f"{parsed.asset_code} is not a known asset code"
                if not assets
                else f"{parsed.asset_code} names several assets"
            )
            return self._text("field_fault_problem", problem=problem, form=FORMS[SmsCommand.FAULT])
        cause = parsed.cause
        return FaultReported(message_id, parsed.asset_code, assets[0].level, cause, parsed.etr,
                             cause.is_natural_event, None, None)  # fmt: skip

    def _reply(self, result: FaultResult, parsed: object, local_now: datetime) -> str:
        fault = result.fault or {}
        asset = str(fault.get("asset_code") or getattr(parsed, "asset_code", "-"))
        etr = _local_clock(fault.get("etr"), local_now)
        number = str(fault.get("id", "-"))
        outcome = result.outcome
        if outcome is FaultOutcome.OPENED:
            level = str(fault.get("level", ""))
            return self._text("field_fault_opened", fault=number, level=level, asset=asset, etr=etr)
        if outcome is FaultOutcome.ETR_CHANGED:
            return self._text("field_fault_etr", fault=number, asset=asset, etr=etr)
        if outcome is FaultOutcome.RESTORED:
            complaints = str(len(result.complaints_resolved))
            return self._text("field_fault_restored", fault=number, asset=asset,
                              complaints=complaints)  # fmt: skip
        if outcome in (FaultOutcome.UNCHANGED, FaultOutcome.DUPLICATE):
            return self._text("field_fault_unchanged", asset=asset, reason=result.message)
        form = FORMS[_command_of(parsed) or SmsCommand.FAULT]
        return self._text("field_fault_problem", problem=_sentence(result.message), form=form)

    def _text(self, kind: str, **values: str) -> str:
        template = self._templates[kind]
        return template.get(REPLY_LANGUAGE, template["en"]).format(**values)


def _command_of(parsed: object) -> SmsCommand | None:
    kinds = {FaultSms: SmsCommand.FAULT, EtrSms: SmsCommand.ETR, RestoredSms: SmsCommand.RESTORED}
    return kinds.get(type(parsed))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _message_id(sender: str, body: str, received_at: datetime) -> str:
    sid = _message_sid()
    if sid:
        return f"sms:{sid}"
    digest = hashlib.sha256(f"{sender}|{' '.join(body.split()).upper()}".encode()).hexdigest()
    return f"sms:{digest[:24]}:{received_at.strftime('%Y%m%d%H%M')}"


def _local_clock(value: object, local_now: datetime) -> str:
    if not isinstance(value, str):
        return "not given"
    moment = datetime.fromisoformat(value).astimezone(local_now.tzinfo)
    day = "" if moment.date() == local_now.date() else moment.strftime(" %d-%m")
    return moment.strftime("%H:%M") + day
