"""Docket numbers: company code + YYMMDD + 6-digit daily sequence + a Verhoeff check digit.

Example `CZ2611280000123`: company CZ, 28 Nov 2026, complaint 12 of the day, check digit 3
computed over the 12 digits `261128000012`. Verhoeff's scheme (over the dihedral group D5)
catches every single mistyped digit and every swap of two adjacent digits, the two errors people
make when reading a number out or keying it on a phone. `parse_docket` never raises: it tolerates
spaces, hyphens and lower case, and a caller keying only the 13 digits (a keypad has no letters;
the company is then None and the caller resolves it, e.g. from the centre they rang).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from complaints.errors import ComplaintError

MAX_SEQUENCE = 999_999


class Company(StrEnum):
    """The three distribution companies sharing 1912."""

    EZ = "EZ"
    CZ = "CZ"
    WZ = "WZ"


def _d5(a: int, b: int) -> int:
    # D5 as digits: 0-4 are rotations r^k, 5-9 reflections s·r^k; composition rules follow.
    if a < 5 and b < 5:
        return (a + b) % 5
    if a < 5:
        return 5 + (a + b - 5) % 5
    if b < 5:
        return 5 + (a - 5 - b) % 5
    return (a - b) % 5


_MULTIPLY = tuple(tuple(_d5(a, b) for b in range(10)) for a in range(10))
_INVERSE = tuple(row.index(0) for row in _MULTIPLY)
# Verhoeff's position permutation σ = (0 1 5 8 9 4 2 7)(3 6); position i uses σ^(i mod 8).
_SIGMA = (1, 5, 7, 6, 2, 8, 3, 0, 9, 4)


def _power(k: int) -> tuple[int, ...]:
    result = tuple(range(10))
    for _ in range(k):
        result = tuple(_SIGMA[x] for x in result)
    return result


_PERMUTE = tuple(_power(k) for k in range(8))


def _checksum(digits: str, offset: int) -> int:
    total = 0
    for position, char in enumerate(reversed(digits)):
        total = _MULTIPLY[total][_PERMUTE[(position + offset) % 8][int(char)]]
    return total


def verhoeff_digit(digits: str) -> str:
    """The Verhoeff check digit to append to `digits` (a non-empty string of 0-9).

    >>> verhoeff_digit("236"), verhoeff_digit("12345")
    ('3', '1')
    """
    if not digits.isascii() or not digits.isdigit():
        raise ComplaintError(f"verhoeff_digit needs decimal digits, got {digits!r}")
    return str(_INVERSE[_checksum(digits, 1)])


def verhoeff_valid(digits: str) -> bool:
    """True when the last digit of `digits` is the right Verhoeff check digit for the rest.

    >>> verhoeff_valid("2363"), verhoeff_valid("2336")
    (True, False)
    """
    if len(digits) < 2 or not digits.isascii() or not digits.isdigit():
        return False
    return _checksum(digits, 0) == 0


def make_docket(company: Company | str, day: date, seq: int) -> str:
    """The docket for complaint `seq` (1-999999) of `day` at `company`.

    >>> make_docket("cz", date(2026, 11, 28), 12)
    'CZ2611280000123'
    """
    try:
        code = Company(company.upper())
    except ValueError:
        raise ComplaintError(f"unknown company code {company!r}") from None
    if not 1 <= seq <= MAX_SEQUENCE:
        raise ComplaintError(f"daily sequence must be 1-{MAX_SEQUENCE}, got {seq}")
    if not 2000 <= day.year <= 2099:
        raise ComplaintError(f"dockets carry a two-digit year; {day.year} is out of range")
    body = f"{day:%y%m%d}{seq:06d}"
    return f"{code.value}{body}{verhoeff_digit(body)}"


@dataclass(frozen=True, slots=True)
class ValidDocket:
    """A docket that checks out; `company` is None when only digits were keyed."""

    company: Company | None
    day: date
    seq: int
    digits: str  # the 13 digits: YYMMDD, sequence, check digit

    @property
    def text(self) -> str:
        """The canonical form: company code (when known) then the 13 digits."""
        return f"{self.company.value if self.company else ''}{self.digits}"


@dataclass(frozen=True, slots=True)
class MalformedDocket:
    """Not a docket at all; `reason` says why, for a person."""

    reason: str


@dataclass(frozen=True, slots=True)
class BadCheckDigit:
    """Shaped like a docket but the check digit does not match: most likely a mistyped digit."""

    company: Company | None
    digits: str


DocketCheck = ValidDocket | MalformedDocket | BadCheckDigit

_SHAPE = re.compile(r"([A-Z]{2})?(\d+)")
_SEPARATORS = re.compile(r"[\s\-]+")


def parse_docket(text: str) -> DocketCheck:
    """Check a docket as typed or keyed.

    >>> parse_docket("cz 261128 000012 3").text
    'CZ2611280000123'
    >>> parse_docket("2611280000172")
    BadCheckDigit(company=None, digits='2611280000172')
    """
    compact = _SEPARATORS.sub("", text).upper()
    match = _SHAPE.fullmatch(compact)
    if match is None:
        return MalformedDocket("a docket is two letters (EZ, CZ or WZ) and 13 digits")
    letters, digits = match[1], match[2]
    if len(digits) != 13:
        return MalformedDocket(f"a docket has 13 digits after the letters, not {len(digits)}")
    company = None
    if letters is not None:
        if letters not in Company.__members__:
            return MalformedDocket(f"{letters} is not a company code (EZ, CZ or WZ)")
        company = Company(letters)
    # The check digit comes first: a failed check means a mistyped digit, which is what the
    # caller should hear, even when the mistake also makes the date impossible.
    if not verhoeff_valid(digits):
        return BadCheckDigit(company, digits)
    try:
        day = date(2000 + int(digits[0:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        return MalformedDocket(f"{digits[0:6]} is not a date (YYMMDD)")
    return ValidDocket(company, day, int(digits[6:12]), digits)
