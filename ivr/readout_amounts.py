"""Read-out of counted amounts (Hindi, English): money in rupees and paise, durations in minutes.

An amount is a number followed by its unit, singular for one and plural otherwise ("1 rupee",
"2 घंटे"); parts that are zero are left out. Durations are estimates unless told otherwise, so
they are said "about …" and zero becomes "less than a minute". `counted` is public for the
clock-time read-out, which counts minutes the same way. Pure: stdlib only; a negative amount is
the caller's bug (`ValueError`).
"""

from __future__ import annotations

from enum import Enum
from typing import Final

from ivr.language import Language
from ivr.phrase import Phrase, join, listed, word
from ivr.readout_numbers import cardinal_words, grouped, require_non_negative


class Unit(Enum):
    """What an amount counts."""

    MINUTE = "minute"
    HOUR = "hour"
    RUPEE = "rupee"
    PAISA = "paisa"


_UNITS: Final[dict[Language, dict[Unit, tuple[str, ...]]]] = {  # singular, plural
    Language.EN: {
        Unit.MINUTE: listed("minute minutes"),
        Unit.HOUR: listed("hour hours"),
        Unit.RUPEE: listed("rupee rupees"),
        Unit.PAISA: listed("paisa paise"),
    },
    Language.HI: {
        Unit.MINUTE: listed("मिनट मिनट"),
        Unit.HOUR: listed("घंटा घंटे"),
        Unit.RUPEE: listed("रुपया रुपये"),
        Unit.PAISA: listed("पैसा पैसे"),
    },
}
_LESS_THAN_A_MINUTE: Final = {
    Language.EN: Phrase("less than a minute", listed("less than a minute")),
    Language.HI: Phrase("1 मिनट से कम", listed("एक मिनट से कम")),
}
_OTHER_WORDS: Final = {  # the connectives the functions below put in by name
    Language.EN: listed("about"),
    Language.HI: listed("लगभग"),
}


def money(paise: int, lang: Language | str) -> Phrase:
    """Read an amount given in paise as rupees and paise; zero parts are left out.

    >>> money(123450, "hi").text
    '1,234 रुपये 50 पैसे'
    >>> money(100, "en")
    Phrase(text='1 rupee', words=('one', 'rupee'))
    """
    require_non_negative(paise, "money")
    language = Language(lang)
    rupees, rest = divmod(paise, 100)
    parts = []
    if rupees or not rest:
        parts.append(counted(rupees, Unit.RUPEE, language))
    if rest:
        parts.append(counted(rest, Unit.PAISA, language))
    return join(*parts)


def minutes(m: int, lang: Language | str, *, approximate: bool = True) -> Phrase:
    """Read a duration in whole minutes, in hours and minutes from 60 on.

    An estimate (the default) is prefixed "about"/"लगभग", and zero becomes "less than a
    minute"; `approximate=False` reads the plain duration.

    >>> minutes(80, "hi").text
    'लगभग 1 घंटा 20 मिनट'
    >>> minutes(1, "en", approximate=False)
    Phrase(text='1 minute', words=('one', 'minute'))
    """
    require_non_negative(m, "minutes")
    language = Language(lang)
    if m == 0 and approximate:
        return _LESS_THAN_A_MINUTE[language]
    hours, rest = divmod(m, 60)
    parts = [word("about" if language is Language.EN else "लगभग")] if approximate else []
    if hours:
        parts.append(counted(hours, Unit.HOUR, language))
    if rest or not hours:
        parts.append(counted(rest, Unit.MINUTE, language))
    return join(*parts)


def counted(n: int, unit: Unit, lang: Language) -> Phrase:
    """A number followed by its unit, singular for one and plural otherwise."""
    singular, plural = _UNITS[lang][unit]
    name = singular if n == 1 else plural
    return Phrase(f"{grouped(n)} {name}", (*cardinal_words(n, lang), name))


def fragments(language: Language) -> tuple[str, ...]:
    """Every word the money and duration read-outs can produce in `language`, numbers aside."""
    return (
        *(name for pair in _UNITS[language].values() for name in pair),
        *_LESS_THAN_A_MINUTE[language].words,
        *_OTHER_WORDS[language],
    )
