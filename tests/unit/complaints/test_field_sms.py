from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from complaints.docket import Company, make_docket
from complaints.field_sms import (
    FORMS,
    AckSms,
    DoneSms,
    EtrSms,
    FaultSms,
    RestoredSms,
    SmsCommand,
    SmsError,
    StatusSms,
    parse_sms,
)
from outages.faults import Cause

IST = timezone(timedelta(hours=5, minutes=30))
NOW = datetime(2026, 7, 1, 19, 0, tzinfo=IST)
DOCKET = make_docket(Company.CZ, date(2026, 7, 1), 1234)


def error(text: str, now: datetime = NOW) -> str:
    result = parse_sms(text, now)
    assert isinstance(result, SmsError), result
    return result.message


def test_ack_status_and_done() -> None:
    ack = parse_sms(f"ACK {DOCKET}", NOW)
    assert isinstance(ack, AckSms) and ack.docket.text == DOCKET
    status = parse_sms(f"status {DOCKET.lower()}", NOW)
    assert isinstance(status, StatusSms) and status.docket.company is Company.CZ
    done = parse_sms(f"  Done   {DOCKET}  fuse   replaced, supply ok ", NOW)
    assert isinstance(done, DoneSms)
    assert (done.docket.text, done.remarks) == (DOCKET, "fuse replaced, supply ok")
    assert parse_sms(f"DONE {DOCKET}", NOW) == DoneSms(done.docket, "")


def test_docket_split_by_spaces_or_keyed_without_letters() -> None:
    spaced = f"{DOCKET[:2]} {DOCKET[2:8]} {DOCKET[8:14]} {DOCKET[14]}"
    done = parse_sms(f"DONE {spaced} 11 kV jumper fixed", NOW)
    assert isinstance(done, DoneSms)
    assert (done.docket.text, done.remarks) == (DOCKET, "11 kV jumper fixed")
    digits_only = parse_sms(f"ACK {DOCKET[2:]}", NOW)
    assert isinstance(digits_only, AckSms) and digits_only.docket.company is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DONE", "DONE needs a docket number: DONE <docket> <remarks>"),
        ("ack", "ACK needs a docket number: ACK <docket>"),
        ("STATUS please", "STATUS needs a docket number: STATUS <docket>"),
    ],
)
def test_missing_docket(text: str, expected: str) -> None:
    assert error(text) == expected


def test_bad_dockets() -> None:
    typo = DOCKET[:-2] + DOCKET[-1] + DOCKET[-2]
    assert "mistyped digit" in error(f"ACK {typo}")
    assert error(f"ACK {typo}").endswith(FORMS[SmsCommand.ACK])
    assert "13 digits" in error("DONE CZ12345 done")
    assert "not a company code" in error(f"ACK QQ{DOCKET[2:]}")


def test_extra_words_after_a_docket_only_command() -> None:
    assert error(f"ACK {DOCKET} thanks") == (
        "ACK takes nothing after the docket number: ACK <docket>"
    )


def test_fault_with_and_without_the_etr_keyword() -> None:
    fault = parse_sms("FAULT dtr-4411 ETR 21:30 tree fell on line", NOW)
    assert fault == FaultSms(
        "DTR-4411", NOW.replace(hour=21, minute=30), Cause.TREE, "tree fell on line"
    )
    short = parse_sms("fault 4411002233 2130", NOW)
    assert short == FaultSms("4411002233", NOW.replace(hour=21, minute=30), Cause.UNKNOWN, "")


@pytest.mark.parametrize(
    ("words", "cause"),
    [
        ("PED GIRA", Cause.TREE),
        ("aandhi", Cause.WIND),
        ("bahut baarish", Cause.RAIN),
        ("bijligiri", Cause.LIGHTNING),
        ("insulator puncture", Cause.EQUIPMENT),
        ("overload", Cause.OVERLOAD),
        ("planned shutdown", Cause.MAINTENANCE),
        ("truck hit pole", Cause.ACCIDENT),
        ("baadh", Cause.FLOOD),
        ("pata nahi", Cause.UNKNOWN),
    ],
)
def test_cause_words(words: str, cause: Cause) -> None:
    fault = parse_sms(f"FAULT F-1 ETR 22:00 {words}", NOW)
    assert isinstance(fault, FaultSms)
    assert (fault.cause, fault.cause_text) == (cause, words)


def test_fault_errors_give_the_form() -> None:
    form = FORMS[SmsCommand.FAULT]
    assert error("FAULT") == f"FAULT needs an asset code: {form}"
    assert error("FAULT F-1") == f"FAULT needs the ETR as HH:MM: {form}"
    assert error("FAULT F-1 ETR soon tree") == (
        f"ETR must be a 24-hour time HH:MM, not soon: {form}"
    )
    assert error("FAULT F-1 ETR 17:00 tree").startswith("ETR is in the past (17:00)")
    assert error("FAULT #1 ETR 22:00") == f"#1 is not an asset code: {form}"


def test_etr_rules() -> None:
    assert parse_sms("ETR F-1 18:45", NOW) == EtrSms("F-1", NOW.replace(hour=18, minute=45))
    late_night = NOW.replace(hour=23, minute=40)
    assert parse_sms("ETR F-1 01:15", late_night) == EtrSms(
        "F-1", datetime(2026, 7, 2, 1, 15, tzinfo=IST)
    )
    assert "in the past" in error("ETR F-1 18:00")
    assert error("ETR F-1 22:00 maybe") == (
        "ETR takes nothing after the time: ETR <asset-code> <HH:MM>"
    )


def test_restored() -> None:
    assert parse_sms("restored  f-1", NOW) == RestoredSms("F-1")
    assert error("RESTORED") == "RESTORED needs an asset code: RESTORED <asset-code>"
    assert error("RESTORED F-1 at 5").startswith("RESTORED takes nothing after the asset code")


def test_unknown_or_empty_message_lists_every_form() -> None:
    for text in ("", "   ", "HELLO there"):
        message = error(text)
        assert all(form in message for form in FORMS.values())
    assert error("HELLO").startswith("HELLO is not a command")


@given(st.text(max_size=60))
def test_never_raises(text: str) -> None:
    assert parse_sms(text, NOW) is not None
