"""The SMS grammar of field teams and consumers.

Commands (case-insensitive; extra spaces, and spaces or hyphens inside a docket, are fine):

    ACK <docket>                              field team has taken the complaint
    DONE <docket> <remarks...>                field team has resolved it (remarks optional)
    STATUS <docket>                           consumer asks where a complaint stands
    FAULT <asset-code> ETR <HH:MM> <cause...> a fault, its ETR and cause ("ETR" may be left out)
    ETR <asset-code> <HH:MM>                  a new ETR for the fault on an asset
    RESTORED <asset-code>                     supply on the asset is back

`parse_sms` returns a parsed value or an `SmsError` whose message says what is wrong and gives
the correct form, ready to send back. Cause words are matched against English, Hindi and
Hinglish synonyms (PED = tree, AANDHI = wind); no known word means `Cause.UNKNOWN`, and the
words are kept. HH:MM follows `outages.etr`: up to 30 minutes late is accepted as given, a time
earlier than that in the last 6 hours is refused as "ETR is in the past", any other time is its
next occurrence (today, or tomorrow after midnight).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from complaints.docket import BadCheckDigit, MalformedDocket, ValidDocket, parse_docket
from outages.etr import parse_clock, resolve_clock_etr
from outages.faults import Cause, normalise_asset_code


class SmsCommand(StrEnum):
    """The first word of a message."""

    ACK = "ACK"
    DONE = "DONE"
    STATUS = "STATUS"
    FAULT = "FAULT"
    ETR = "ETR"
    RESTORED = "RESTORED"


FORMS = {
    SmsCommand.ACK: "ACK <docket>",
    SmsCommand.DONE: "DONE <docket> <remarks>",
    SmsCommand.STATUS: "STATUS <docket>",
    SmsCommand.FAULT: "FAULT <asset-code> ETR <HH:MM> <cause>",
    SmsCommand.ETR: "ETR <asset-code> <HH:MM>",
    SmsCommand.RESTORED: "RESTORED <asset-code>",
}

CAUSE_WORDS: dict[str, Cause] = {
    **dict.fromkeys(["tree", "trees", "branch", "branches", "ped", "pedh", "darakht"], Cause.TREE),
    **dict.fromkeys(["daal", "daali", "jhad", "jhaad"], Cause.TREE),
    **dict.fromkeys(["wind", "storm", "squall", "cyclone", "aandhi", "andhi"], Cause.WIND),
    **dict.fromkeys(["toofan", "tufan", "hawa"], Cause.WIND),
    **dict.fromkeys(["rain", "barish", "baarish", "barsaat", "barsat"], Cause.RAIN),
    **dict.fromkeys(["lightning", "thunder", "thunderstorm", "gaaj", "bijligiri"], Cause.LIGHTNING),
    **dict.fromkeys(["flood", "waterlogging", "baadh", "badh"], Cause.FLOOD),
    **dict.fromkeys(["equipment", "fuse", "insulator", "breaker", "jumper"], Cause.EQUIPMENT),
    **dict.fromkeys(["cable", "conductor", "transformer", "dtr", "kharabi"], Cause.EQUIPMENT),
    **dict.fromkeys(["overload", "overloaded", "overloading", "ovarload"], Cause.OVERLOAD),
    **dict.fromkeys(["maintenance", "shutdown", "planned", "marammat"], Cause.MAINTENANCE),
    **dict.fromkeys(["accident", "vehicle", "truck", "hadsa", "durghatna"], Cause.ACCIDENT),
}


@dataclass(frozen=True, slots=True)
class AckSms:
    """The field team has taken the complaint."""

    docket: ValidDocket


@dataclass(frozen=True, slots=True)
class DoneSms:
    """The field team has resolved the complaint; `remarks` may be empty."""

    docket: ValidDocket
    remarks: str


@dataclass(frozen=True, slots=True)
class StatusSms:
    """A consumer asks where the complaint stands."""

    docket: ValidDocket


@dataclass(frozen=True, slots=True)
class FaultSms:
    """A fault on an asset; `cause_text` keeps the words as sent."""

    asset_code: str
    etr: datetime
    cause: Cause
    cause_text: str


@dataclass(frozen=True, slots=True)
class EtrSms:
    """A new ETR for the fault on an asset."""

    asset_code: str
    etr: datetime


@dataclass(frozen=True, slots=True)
class RestoredSms:
    """Supply on the asset is back."""

    asset_code: str


ParsedSms = AckSms | DoneSms | StatusSms | FaultSms | EtrSms | RestoredSms


@dataclass(frozen=True, slots=True)
class SmsError:
    """What is wrong with a message, with the correct form, fit to send back."""

    message: str
    command: SmsCommand | None = None


_DOCKET_HEAD = re.compile(r"[A-Za-z]{2}[\d-]*|[\d-]+")
_DOCKET_PART = re.compile(r"[\d-]+")
_ASSET = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_.-]*")


def parse_sms(text: str, now: datetime) -> ParsedSms | SmsError:
    """Parse one SMS; `now` (time-zone aware, local) resolves HH:MM times.

    >>> from datetime import timezone
    >>> now = datetime(2026, 7, 1, 19, 0, tzinfo=timezone.utc)
    >>> parse_sms("done", now).message
    'DONE needs a docket number: DONE <docket> <remarks>'
    >>> parse_sms("fault  dtr-4411 etr 21:30 PED gira", now).cause
    <Cause.TREE: 'tree'>
    """
    words = text.split()
    if not words:
        return SmsError(f"the message is empty; send one of: {_all_forms()}")
    try:
        command = SmsCommand(words[0].upper())
    except ValueError:
        return SmsError(f"{words[0]} is not a command; send one of: {_all_forms()}")
    return _PARSERS[command](command, words[1:], now)


def _all_forms() -> str:
    return "; ".join(FORMS.values())


def _error(command: SmsCommand, problem: str) -> SmsError:
    return SmsError(f"{problem}: {FORMS[command]}", command)


def _take_docket(words: list[str]) -> tuple[str, list[str]]:
    # A docket may arrive split by spaces ("CZ 261128 000012 3"): take words while they can
    # belong to it, up to its 13 digits; the rest are remarks.
    taken = 0
    digits = 0
    while taken < len(words) and digits < 13:
        pattern = _DOCKET_HEAD if taken == 0 else _DOCKET_PART
        if not pattern.fullmatch(words[taken]):
            break
        digits += sum(char.isdigit() for char in words[taken])
        taken += 1
    return "".join(words[:taken]), words[taken:]


def _docket(command: SmsCommand, words: list[str]) -> tuple[ValidDocket, list[str]] | SmsError:
    text, rest = _take_docket(words)
    if not text:
        return _error(command, f"{command} needs a docket number")
    check = parse_docket(text)
    if isinstance(check, MalformedDocket):
        return _error(command, f"{text.upper()} is not a docket number ({check.reason})")
    if isinstance(check, BadCheckDigit):
        return _error(command, f"docket {text.upper()} has a mistyped digit, please check it")
    return check, rest


def _docket_only(command: SmsCommand, words: list[str], now: datetime) -> ParsedSms | SmsError:
    parsed = _docket(command, words)
    if isinstance(parsed, SmsError):
        return parsed
    docket, rest = parsed
    if rest:
        return _error(command, f"{command} takes nothing after the docket number")
    return AckSms(docket) if command is SmsCommand.ACK else StatusSms(docket)


def _done(command: SmsCommand, words: list[str], now: datetime) -> ParsedSms | SmsError:
    parsed = _docket(command, words)
    if isinstance(parsed, SmsError):
        return parsed
    docket, rest = parsed
    return DoneSms(docket, " ".join(rest))


def _asset(command: SmsCommand, words: list[str]) -> str | SmsError:
    if not words:
        return _error(command, f"{command} needs an asset code")
    if not _ASSET.fullmatch(words[0]):
        return _error(command, f"{words[0]} is not an asset code")
    return normalise_asset_code(words[0])


def _etr(command: SmsCommand, words: list[str], now: datetime) -> datetime | SmsError:
    if not words:
        return _error(command, f"{command} needs the ETR as HH:MM")
    clock = parse_clock(words[0])
    if clock is None:
        return _error(command, f"ETR must be a 24-hour time HH:MM, not {words[0]}")
    etr = resolve_clock_etr(clock, now)
    if not isinstance(etr, datetime):
        return _error(command, f"{etr.value} ({words[0]}); send the expected time")
    return etr


def _fault(command: SmsCommand, words: list[str], now: datetime) -> ParsedSms | SmsError:
    asset = _asset(command, words)
    if isinstance(asset, SmsError):
        return asset
    rest = words[1:]
    if rest and rest[0].upper() == "ETR":
        rest = rest[1:]
    etr = _etr(command, rest, now)
    if isinstance(etr, SmsError):
        return etr
    cause_words = rest[1:]
    return FaultSms(asset, etr, cause_from_words(cause_words), " ".join(cause_words))


def _new_etr(command: SmsCommand, words: list[str], now: datetime) -> ParsedSms | SmsError:
    asset = _asset(command, words)
    if isinstance(asset, SmsError):
        return asset
    etr = _etr(command, words[1:], now)
    if isinstance(etr, SmsError):
        return etr
    if len(words) > 2:
        return _error(command, f"{command} takes nothing after the time")
    return EtrSms(asset, etr)


def _restored(command: SmsCommand, words: list[str], now: datetime) -> ParsedSms | SmsError:
    asset = _asset(command, words)
    if isinstance(asset, SmsError):
        return asset
    if len(words) > 1:
        return _error(command, f"{command} takes nothing after the asset code")
    return RestoredSms(asset)


def cause_from_words(words: list[str]) -> Cause:
    """The cause named by the first known word, else `Cause.UNKNOWN`.

    >>> cause_from_words(["heavy", "AANDHI,", "ped", "gira"])
    <Cause.WIND: 'wind'>
    """
    for word in words:
        cause = CAUSE_WORDS.get(word.strip(".,;:!?()").lower())
        if cause is not None:
            return cause
    return Cause.UNKNOWN


_PARSERS: dict[SmsCommand, Callable[[SmsCommand, list[str], datetime], ParsedSms | SmsError]] = {
    SmsCommand.ACK: _docket_only,
    SmsCommand.DONE: _done,
    SmsCommand.STATUS: _docket_only,
    SmsCommand.FAULT: _fault,
    SmsCommand.ETR: _new_etr,
    SmsCommand.RESTORED: _restored,
}
