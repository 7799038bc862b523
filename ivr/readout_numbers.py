"""Read-out of numbers and characters (Hindi, English): digit by digit, cardinals, ordinals.

Dockets, IVRS and phone numbers are read one character at a time; whole numbers are read as
cardinals counted in lakh and crore, as Indian English does too, with crores counted by the
same words so there is no upper limit; the text face groups numerals the Indian way
(2,05,000). English day ordinals live here for the date read-out. The helpers that other
read-outs build on (`cardinal_words`, `below_hundred`, `grouped`) are public for them. Pure:
stdlib only; a negative number or an unreadable character is the caller's bug (`ValueError`).
"""

from __future__ import annotations

import string
from typing import Final

from ivr.language import Language
from ivr.phrase import Phrase, listed

# Hindi has no rule that builds 21..99 from tens and units, so every word is listed. Spellings
# follow the CLDR Hindi spell-out rules, except the nineties, written with -नवे (निन्यानवे)
# as in school tables rather than CLDR's -नबे; both are read alike.
_HI_0_TO_99: Final = listed(
    "शून्य एक दो तीन चार पाँच छह सात आठ नौ "
    "दस ग्यारह बारह तेरह चौदह पंद्रह सोलह सत्रह अठारह उन्नीस "
    "बीस इक्कीस बाईस तेईस चौबीस पच्चीस छब्बीस सत्ताईस अट्ठाईस उनतीस "
    "तीस इकतीस बत्तीस तैंतीस चौंतीस पैंतीस छत्तीस सैंतीस अड़तीस उनतालीस "
    "चालीस इकतालीस बयालीस तैंतालीस चौवालीस पैंतालीस छियालीस सैंतालीस अड़तालीस उनचास "
    "पचास इक्यावन बावन तिरेपन चौवन पचपन छप्पन सत्तावन अट्ठावन उनसठ "
    "साठ इकसठ बासठ तिरेसठ चौंसठ पैंसठ छियासठ सड़सठ अड़सठ उनहत्तर "
    "सत्तर इकहत्तर बहत्तर तिहत्तर चौहत्तर पचहत्तर छिहत्तर सतहत्तर अठहत्तर उनासी "
    "अस्सी इक्यासी बयासी तिरासी चौरासी पचासी छियासी सत्तासी अट्ठासी नवासी "
    "नब्बे इक्यानवे बानवे तिरानवे चौरानवे पचानवे छियानवे सत्तानवे अट्ठानवे निन्यानवे"
)
_EN_0_TO_19: Final = listed(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
)
_EN_TENS: Final = ("", "", *listed("twenty thirty forty fifty sixty seventy eighty ninety"))
# English days of the month are ordinals ("fifth December"); 21..31 reuse the tens.
_EN_ORDINALS_1_TO_19: Final = listed(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth"
)
_EN_ROUND_ORDINALS: Final = {2: "twentieth", 3: "thirtieth"}

_SCALES: Final = {  # crore (10^7), lakh (10^5), thousand, hundred
    Language.EN: ("crore", "lakh", "thousand", "hundred"),
    Language.HI: ("करोड़", "लाख", "हज़ार", "सौ"),
}
# Latin letters in dockets are read by their English names in both languages; Hindi fragments
# spell those names in Devanagari, as a Hindi speaker says them.
_LETTERS: Final = {
    Language.EN: tuple(string.ascii_uppercase),
    Language.HI: listed(
        "ए बी सी डी ई एफ़ जी एच आई जे के एल एम एन ओ पी क्यू आर एस टी यू वी डब्ल्यू एक्स वाई ज़ेड"
    ),
}


def digits(s: str, lang: Language | str) -> Phrase:
    """Read digits and Latin letters one by one (dockets, IVRS and phone numbers).

    Spaces and hyphens are skipped; anything else but 0-9 and A-Z (either case) is refused.

    >>> digits("CZ-2611", "en")
    Phrase(text='C Z 2 6 1 1', words=('C', 'Z', 'two', 'six', 'one', 'one'))
    >>> digits("1912", "hi").words
    ('एक', 'नौ', 'एक', 'दो')
    """
    language = Language(lang)
    chars = [ch for ch in s if ch not in " -"]
    if not chars:
        raise ValueError(f"digits() needs at least one digit or letter, got {s!r}")
    words = tuple(_character_word(ch, language) for ch in chars)
    return Phrase(" ".join(ch.upper() for ch in chars), words)


def number(n: int, lang: Language | str) -> Phrase:
    """Read a whole number as a cardinal, grouped in lakh and crore.

    >>> number(205000, "en")
    Phrase(text='2,05,000', words=('two', 'lakh', 'five', 'thousand'))
    >>> number(1234, "hi").words
    ('एक', 'हज़ार', 'दो', 'सौ', 'चौंतीस')
    """
    require_non_negative(n, "number")
    return Phrase(grouped(n), cardinal_words(n, Language(lang)))


def fragments(language: Language) -> tuple[str, ...]:
    """Every word the number and character read-outs can produce in `language`."""
    if language is Language.HI:
        numbers: tuple[str, ...] = _HI_0_TO_99
    else:
        numbers = (*_EN_0_TO_19, *_EN_TENS[2:], *_EN_ORDINALS_1_TO_19, *_EN_ROUND_ORDINALS.values())
    return (*numbers, *_SCALES[language], *_LETTERS[language])


def require_non_negative(n: int, what: str) -> None:
    """Refuse a negative amount given to the read-out named `what`."""
    if n < 0:
        raise ValueError(f"{what}() cannot read a negative amount: {n}")


def grouped(n: int) -> str:
    """Numerals in the Indian grouping: the last three digits, then pairs.

    >>> grouped(999), grouped(1234), grouped(205000), grouped(999999999)
    ('999', '1,234', '2,05,000', '99,99,99,999')
    """
    head, groups = str(n)[:-3], [str(n)[-3:]]
    while head:
        groups.insert(0, head[-2:])
        head = head[:-2]
    return ",".join(groups)


def below_hundred(n: int, lang: Language) -> tuple[str, ...]:
    """The words of 0..99: one word in Hindi, tens then units in English."""
    if lang is Language.HI:
        return (_HI_0_TO_99[n],)
    if n < 20:
        return (_EN_0_TO_19[n],)
    tens, ones = divmod(n, 10)
    return (_EN_TENS[tens],) if ones == 0 else (_EN_TENS[tens], _EN_0_TO_19[ones])


def cardinal_words(n: int, lang: Language) -> tuple[str, ...]:
    """The words of a whole number counted in crore, lakh, thousand and hundred."""
    if n == 0:
        return below_hundred(0, lang)
    crore, lakh, thousand, hundred = _SCALES[lang]
    crores, rest = divmod(n, 10**7)
    # Past 99 crore Indian usage keeps counting crores ("1,000 crore"), hence the recursion.
    words = [*cardinal_words(crores, lang), crore] if crores else []
    for size, name in ((10**5, lakh), (10**3, thousand), (100, hundred)):
        count, rest = divmod(rest, size)
        if count:
            words += [*below_hundred(count, lang), name]
    if rest:
        words += below_hundred(rest, lang)
    return tuple(words)


def english_ordinal(n: int) -> tuple[str, ...]:
    """The English ordinal words of a day of the month, 1..31."""
    if n < 20:
        return (_EN_ORDINALS_1_TO_19[n - 1],)
    tens, ones = divmod(n, 10)
    if ones == 0:
        return (_EN_ROUND_ORDINALS[tens],)
    return (_EN_TENS[tens], _EN_ORDINALS_1_TO_19[ones - 1])


def _character_word(ch: str, lang: Language) -> str:
    if ch in string.digits:
        return below_hundred(int(ch), lang)[0]
    if ch in string.ascii_letters:
        return _LETTERS[lang][string.ascii_uppercase.index(ch.upper())]
    raise ValueError(f"cannot read {ch!r} digit by digit: only 0-9 and A-Z are spoken")
