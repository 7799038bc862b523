from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from complaints.docket import (
    BadCheckDigit,
    Company,
    MalformedDocket,
    ValidDocket,
    make_docket,
    parse_docket,
    verhoeff_digit,
    verhoeff_valid,
)
from complaints.errors import ComplaintError

companies = st.sampled_from(list(Company))
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
sequences = st.integers(1, 999_999)


@pytest.mark.parametrize(
    ("digits", "check"),
    # Published worked examples (standard right-to-left tables, as in Aadhaar numbers).
    [("236", "3"), ("12345", "1"), ("142857", "0"), ("1456789", "4")],
)
def test_published_check_digits(digits: str, check: str) -> None:
    assert verhoeff_digit(digits) == check
    assert verhoeff_valid(digits + check)


def test_verhoeff_rejects_non_digits() -> None:
    with pytest.raises(ComplaintError):
        verhoeff_digit("12a")
    assert not verhoeff_valid("12a4")
    assert not verhoeff_valid("5")


def test_make_docket_layout() -> None:
    docket = make_docket(Company.CZ, date(2026, 11, 28), 12)
    assert docket[:14] == "CZ261128000012"
    assert docket[14] == verhoeff_digit("261128000012")


@pytest.mark.parametrize(
    ("company", "day", "seq"),
    [
        ("XZ", date(2026, 1, 1), 1),
        ("CZ", date(2026, 1, 1), 0),
        ("CZ", date(2026, 1, 1), 1_000_000),
        ("CZ", date(1999, 12, 31), 1),
    ],
)
def test_make_docket_refuses_impossible_values(company: str, day: date, seq: int) -> None:
    with pytest.raises(ComplaintError):
        make_docket(company, day, seq)


@given(companies, days, sequences)
def test_round_trip(company: Company, day: date, seq: int) -> None:
    docket = make_docket(company, day, seq)
    assert len(docket) == 15
    assert parse_docket(docket) == ValidDocket(company, day, seq, docket[2:])
    keyed = parse_docket(docket[2:])  # phone keypad: digits only
    assert isinstance(keyed, ValidDocket) and keyed.company is None and keyed.seq == seq


@given(companies, days, sequences)
def test_every_single_digit_substitution_is_caught(company: Company, day: date, seq: int) -> None:
    digits = make_docket(company, day, seq)[2:]
    for position in range(13):
        for replacement in "0123456789":
            if replacement == digits[position]:
                continue
            typo = digits[:position] + replacement + digits[position + 1 :]
            assert isinstance(parse_docket(company + typo), BadCheckDigit), typo


@given(companies, days, sequences)
def test_every_adjacent_transposition_is_caught(company: Company, day: date, seq: int) -> None:
    digits = make_docket(company, day, seq)[2:]
    for position in range(12):
        a, b = digits[position], digits[position + 1]
        if a == b:
            continue
        swapped = digits[:position] + b + a + digits[position + 2 :]
        assert isinstance(parse_docket(swapped), BadCheckDigit), swapped


def test_tolerates_spaces_hyphens_and_lower_case() -> None:
    docket = make_docket("WZ", date(2026, 7, 1), 4321)
    spaced = f" {docket[:2].lower()} {docket[2:8]}-{docket[8:14]} {docket[14]} "
    result = parse_docket(spaced)
    assert isinstance(result, ValidDocket) and result.text == docket


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "two letters"),
        ("CZ26112800001", "13 digits"),
        ("CZ26112800001234", "13 digits"),
        ("QQ2611280000123", "not a company code"),
        ("C2611280000123", "two letters"),
        ("CZ261128000#123", "two letters"),
        ("CZ 26112800O0123", "two letters"),
    ],
)
def test_malformed_says_why(text: str, fragment: str) -> None:
    result = parse_docket(text)
    assert isinstance(result, MalformedDocket) and fragment in result.reason


def test_impossible_date_with_a_valid_check_digit_is_malformed() -> None:
    body = "261341000001"  # 41 Dec
    result = parse_docket("CZ" + body + verhoeff_digit(body))
    assert isinstance(result, MalformedDocket) and "date" in result.reason
