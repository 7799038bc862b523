"""Named validators for digits a caller keys, and caller-number normalisation.

A validator takes the keyed digits and returns the normalised value, or None when the input
cannot be right (wrong length, not digits). Flows name validators (`validator = "ivrs"`); the
loader refuses unknown names. Existence checks (is there such a consumer?) are lookups, not
validators: validators never touch records.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


def _digits(minimum: int, maximum: int) -> Callable[[str], str | None]:
    pattern = re.compile(rf"\d{{{minimum},{maximum}}}")

    def check(keyed: str) -> str | None:
        keyed = keyed.strip().rstrip("#")
        return keyed if pattern.fullmatch(keyed) else None

    return check


def _docket(keyed: str) -> str | None:
    """A docket keyed on a phone: its 13 digits (the company letters cannot be keyed)."""
    keyed = keyed.strip().rstrip("#")
    return keyed if re.fullmatch(r"\d{13}", keyed) else None


VALIDATORS: dict[str, Callable[[str], str | None]] = {
    # The IVRS number on the bill: 10 digits (Central's "N" prefix is not keyed).
    "ivrs": _digits(10, 10),
    "application_no": _digits(6, 12),
    "meter_reading": _digits(1, 7),
    "docket": _docket,
    # The code painted on a transformer's pole (rural transformers): 10 digits.
    "transformer_code": _digits(10, 10),
}


class NumberKind(StrEnum):
    MOBILE = "mobile"
    LANDLINE = "landline"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class CallerNumber:
    kind: NumberKind
    number: str


# STD codes of Madhya Pradesh's larger towns (without the trunk 0). India writes landlines and
# mobiles as 10-digit national numbers alike, and mobile series also start with 7, so a number is
# a landline when it starts with a known STD code followed by a landline subscriber digit (2-5).
MP_STD_CODES = frozenset(
    {
        "755",
        "731",
        "761",
        "751",
        "734",
        "7662",
        "7672",
        "7582",
        "7422",
        "7412",
        "7292",
        "7324",
        "7282",
        "7592",
        "7642",
        "7692",
        "7632",
        "7162",
        "7562",
        "7572",
        "7482",
        "7542",
    }
)


def normalise_caller(raw: str, std_codes: frozenset[str] = MP_STD_CODES) -> CallerNumber:
    """Normalise an Indian caller id: strip `+91`, `0091`, a trunk `0`, spaces and dashes.

    Mobiles become their 10 digits (starting 6-9); landlines become `0` + STD code + number,
    so a landline can never match a registered mobile.

    >>> normalise_caller("+91 90000-00001")
    CallerNumber(kind=<NumberKind.MOBILE: 'mobile'>, number='9000000001')
    >>> normalise_caller("09000000002").number
    '9000000002'
    >>> normalise_caller("0755 2551234")
    CallerNumber(kind=<NumberKind.LANDLINE: 'landline'>, number='07552551234')
    >>> normalise_caller("+917552551234").kind
    <NumberKind.LANDLINE: 'landline'>
    >>> normalise_caller("anonymous").kind
    <NumberKind.UNKNOWN: 'unknown'>
    """
    digits = re.sub(r"[\s\-().]", "", raw or "")
    international = digits.startswith("+") or digits.startswith("00")
    digits = digits.lstrip("+")
    if not digits.isdigit():
        return CallerNumber(NumberKind.UNKNOWN, raw)
    if digits.startswith("0091"):
        digits = digits[4:]
    elif digits.startswith("91") and len(digits) == 12:
        digits = digits[2:]
    elif international:
        return CallerNumber(NumberKind.UNKNOWN, "+" + digits.lstrip("0"))
    elif digits.startswith("0"):
        digits = digits[1:]
    if len(digits) != 10:
        return CallerNumber(NumberKind.UNKNOWN, digits)
    if _is_landline(digits, std_codes):
        return CallerNumber(NumberKind.LANDLINE, "0" + digits)
    if digits[0] in "6789":
        return CallerNumber(NumberKind.MOBILE, digits)
    return CallerNumber(NumberKind.LANDLINE, "0" + digits)


def _is_landline(national: str, std_codes: frozenset[str]) -> bool:
    for length in (3, 4):
        code = national[:length]
        if code in std_codes and national[length] in "2345":
            return True
    return False
