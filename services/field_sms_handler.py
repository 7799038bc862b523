"""Field teams' SMS: `ACK <docket>` and `DONE <docket> <remarks>`, from registered mobiles only.

A handler in the inbound SMS chain (`webhooks.twilio_sms.add_handler`). Rules:
- ACK/DONE from a number that is not an active `field_mobiles` row is ignored: logged (number
  masked) and answered with nothing, so nobody learns anything by probing.
- From a registered mobile: a malformed message gets the right form back; a docket whose check
  digit fails is "not a valid complaint number"; a docket of another centre is refused; DONE
  for a complaint already resolved or closed says so and changes nothing (no second feedback
  call, nothing counted twice).
- Every other message (STATUS, fault reports, anything from consumers) is not for this handler
  (None), so the next handler answers it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine, select

from complaints.docket import BadCheckDigit, parse_docket
from complaints.field_sms import FORMS, AckSms, DoneSms, SmsCommand, SmsError, parse_sms
from services.complaint_desk import ComplaintDesk
from services.complaint_lifecycle import FieldAction, FieldOutcome, FieldResult
from store import schema as t

log = logging.getLogger(__name__)

FIELD_COMMANDS = (SmsCommand.ACK, SmsCommand.DONE)
STATUS_WORDS = {
    "open": "open",
    "linked": "linked to a fault",
    "acknowledged": "acknowledged",
    "resolved": "resolved",
    "closed": "closed",
}


class InboundMessage(Protocol):
    @property
    def sender(self) -> str: ...

    @property
    def body(self) -> str: ...

    @property
    def local_now(self) -> datetime: ...


def masked(number: str) -> str:
    """Only the last four digits of a number go into logs.

    >>> masked("9100000002")
    '******0002'
    """
    return "*" * max(0, len(number) - 4) + number[-4:]


class FieldSmsHandler:
    def __init__(
        self, engine: Engine, desk: ComplaintDesk, templates: Mapping[str, Mapping[str, str]]
    ) -> None:
        self._engine = engine
        self._desk = desk
        self._templates = templates

    def __call__(self, sms: InboundMessage) -> str | None:
        parsed = parse_sms(sms.body, sms.local_now)
        command = parsed.command if isinstance(parsed, SmsError) else _command_of(parsed)
        unknown_word = isinstance(parsed, SmsError) and parsed.command is None
        if command not in FIELD_COMMANDS and not unknown_word:
            return None
        dc_id = self._centre_of(sms.sender)
        if dc_id is None:
            if command in FIELD_COMMANDS:
                log.warning(
                    "field sms from unregistered number %s ignored: %s",
                    masked(sms.sender),
                    (sms.body.split() or ["-"])[0][:10],
                )
                return ""  # ignored: no reply, and no other handler answers it either
            return None
        if isinstance(parsed, SmsError):
            return self._malformed(parsed, sms.body)
        assert isinstance(parsed, AckSms | DoneSms)
        action = FieldAction.ACK if isinstance(parsed, AckSms) else FieldAction.DONE
        remarks = parsed.remarks if isinstance(parsed, DoneSms) else ""
        result = self._desk.field_report(
            parsed.docket, action, dc_id=dc_id, remarks=remarks, actor=f"sms:{masked(sms.sender)}"
        )
        log.info(
            "field sms from %s: %s %s -> %s",
            masked(sms.sender),
            action.value,
            parsed.docket.text,
            result.outcome.value,
        )
        return self._reply(result, parsed.docket.text)

    def _centre_of(self, sender: str) -> int | None:
        with self._engine.connect() as conn:
            dc_id = conn.execute(
                select(t.field_mobiles.c.dc_id).where(
                    t.field_mobiles.c.mobile == sender, t.field_mobiles.c.active.is_(True)
                )
            ).scalar()
        return None if dc_id is None else int(dc_id)

    def _malformed(self, error: SmsError, body: str) -> str:
        if error.command is None:
            forms = f"{FORMS[SmsCommand.ACK]} or {FORMS[SmsCommand.DONE]}"
            return self._text("field_form", problem=f"send {forms}")
        typed = _typed_docket(body.split()[1:])
        if typed is not None:
            return self._text("field_invalid", docket=typed, form=FORMS[error.command])
        return self._text("field_form", problem=error.message)

    def _reply(self, result: FieldResult, typed: str) -> str:
        docket = result.docket or typed
        if result.outcome is FieldOutcome.ACKNOWLEDGED:
            return self._text("field_acknowledged", docket=docket)
        if result.outcome is FieldOutcome.RESOLVED:
            return self._text("field_resolved", docket=docket)
        if result.outcome is FieldOutcome.OTHER_CENTRE:
            return self._text("field_other_centre", docket=docket)
        if result.outcome is FieldOutcome.NOT_FOUND:
            return self._text("field_not_found", docket=docket)
        return self._text(
            "field_already", docket=docket, status=STATUS_WORDS.get(result.status, result.status)
        )

    def _text(self, kind: str, **values: str) -> str:
        return self._templates[kind]["en"].format(**values)


def _command_of(parsed: object) -> SmsCommand | None:
    if isinstance(parsed, AckSms):
        return SmsCommand.ACK
    if isinstance(parsed, DoneSms):
        return SmsCommand.DONE
    return None


def _typed_docket(words: list[str]) -> str | None:
    """The docket as typed when it is shaped right but its check digit fails, else None."""
    for end in range(1, min(len(words), 5) + 1):
        text = "".join(words[:end])
        if isinstance(parse_docket(text), BadCheckDigit):
            return text.upper()
    return None
