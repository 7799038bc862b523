"""Spoken read-out of digits, numbers, clock times, dates, money and durations (Hindi, English).

Every read-out returns a `Phrase` with two faces: `text`, which a terminal shows and Twilio's
`<Say>` speaks (numerals with Indian digit grouping, which text-to-speech reads in the voice's
language), and `words`, the same phrase as a sequence of pre-recorded fragments, one per word
and in the language's own script, because Asterisk cannot speak text and plays files instead.
`fragment_vocabulary` lists every fragment a read-out can produce in a language, so an installer
can record or render them all beforehand. Both languages count in lakh and crore, as Indian
English does; crores are counted with the same words, so there is no upper limit. Pure: stdlib
only, no clock (`moment` is given `now`). A negative amount or an unreadable character is the
caller's bug and raises `ValueError`.
"""

from __future__ import annotations

import datetime
import string
from dataclasses import dataclass
from enum import Enum
from typing import Final

from ivr.language import Language


@dataclass(frozen=True, slots=True)
class Phrase:
    """Something to say: `text` for display and text-to-speech, `words` for recorded fragments."""

    text: str
    words: tuple[str, ...]


class _Unit(Enum):
    MINUTE = "minute"
    HOUR = "hour"
    RUPEE = "rupee"
    PAISA = "paisa"


class _Period(Enum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"
    NIGHT = "night"


def _listed(words: str) -> tuple[str, ...]:
    return tuple(words.split())


# Hindi has no rule that builds 21..99 from tens and units, so every word is listed. Spellings
# follow the CLDR Hindi spell-out rules, except the nineties, written with -नवे (निन्यानवे)
# as in school tables rather than CLDR's -नबे; both are read alike.
_HI_0_TO_99: Final = _listed(
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
_EN_0_TO_19: Final = _listed(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
)
_EN_TENS: Final = ("", "", *_listed("twenty thirty forty fifty sixty seventy eighty ninety"))
# English days of the month are ordinals ("fifth December"); 21..31 reuse the tens.
_EN_ORDINALS_1_TO_19: Final = _listed(
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
    Language.HI: _listed(
        "ए बी सी डी ई एफ़ जी एच आई जे के एल एम एन ओ पी क्यू आर एस टी यू वी डब्ल्यू एक्स वाई ज़ेड"
    ),
}
_MONTHS: Final = {
    Language.EN: _listed(
        "January February March April May June July August September October November December"
    ),
    Language.HI: _listed("जनवरी फ़रवरी मार्च अप्रैल मई जून जुलाई अगस्त सितंबर अक्टूबर नवंबर दिसंबर"),
}
_UNITS: Final[dict[Language, dict[_Unit, tuple[str, ...]]]] = {  # singular, plural
    Language.EN: {
        _Unit.MINUTE: _listed("minute minutes"),
        _Unit.HOUR: _listed("hour hours"),
        _Unit.RUPEE: _listed("rupee rupees"),
        _Unit.PAISA: _listed("paisa paise"),
    },
    Language.HI: {
        _Unit.MINUTE: _listed("मिनट मिनट"),
        _Unit.HOUR: _listed("घंटा घंटे"),
        _Unit.RUPEE: _listed("रुपया रुपये"),
        _Unit.PAISA: _listed("पैसा पैसे"),
    },
}
_PERIODS: Final[dict[Language, dict[_Period, tuple[str, ...]]]] = {
    Language.EN: {
        _Period.MORNING: _listed("in the morning"),
        _Period.AFTERNOON: _listed("in the afternoon"),
        _Period.EVENING: _listed("in the evening"),
        _Period.NIGHT: _listed("at night"),
    },
    Language.HI: {
        _Period.MORNING: ("सुबह",),
        _Period.AFTERNOON: ("दोपहर",),
        _Period.EVENING: ("शाम",),
        _Period.NIGHT: ("रात",),
    },
}
# Hindi says कल for both yesterday and tomorrow and lets the verb's tense decide; a read-out is
# spliced into prompts of either tense, so a past day in Hindi is read as its date instead.
_RELATIVE_DAYS: Final = {
    Language.EN: {0: "today", 1: "tomorrow", -1: "yesterday"},
    Language.HI: {0: "आज", 1: "कल"},
}
_LESS_THAN_A_MINUTE: Final = {
    Language.EN: Phrase("less than a minute", _listed("less than a minute")),
    Language.HI: Phrase("1 मिनट से कम", _listed("एक मिनट से कम")),
}
_OTHER_WORDS: Final = {  # the connectives the functions below put in by name
    Language.EN: _listed("at about oh o'clock noon midnight"),
    Language.HI: _listed("को लगभग बजे बजकर"),
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
    _require_non_negative(n, "number")
    return Phrase(_grouped(n), _cardinal_words(n, Language(lang)))


def time_of_day(t: datetime.time, lang: Language | str) -> Phrase:
    """Read a clock time on the 12-hour clock with the period of day; seconds are dropped.

    Periods by hour: morning/सुबह 04-11, afternoon/दोपहर 12-15, evening/शाम 16-19 and
    night/रात 20-03. Hindi uses the "बजकर … मिनट" form for every minute (not सवा, साढ़े,
    पौने), which cannot be misheard. English says "o'clock" on the hour, "noon" and "midnight"
    for exactly 12:00 and 00:00, and "oh" before a single-digit minute.

    >>> time_of_day(datetime.time(16, 30), "hi").text
    'शाम 4 बजकर 30 मिनट'
    >>> time_of_day(datetime.time(9, 5), "en")
    Phrase(text='9:05 in the morning', words=('nine', 'oh', 'five', 'in', 'the', 'morning'))
    """
    if Language(lang) is Language.HI:
        return _hindi_time(t)
    return _english_time(t)


def date(d: datetime.date, lang: Language | str) -> Phrase:
    """Read a day of the year: "5 December" / "5 दिसंबर" (English speaks the day as "fifth").

    >>> date(datetime.date(2025, 12, 5), "en")
    Phrase(text='5 December', words=('fifth', 'December'))
    >>> date(datetime.date(2025, 12, 5), "hi").words
    ('पाँच', 'दिसंबर')
    """
    language = Language(lang)
    month = _MONTHS[language][d.month - 1]
    if language is Language.EN:
        day_words = _english_ordinal(d.day)
    else:
        day_words = _cardinal_words(d.day, language)
    return Phrase(f"{d.day} {month}", (*day_words, month))


def moment(dt: datetime.datetime, now: datetime.datetime, lang: Language | str) -> Phrase:
    """Read a date and time relative to the day of `now`: today, tomorrow, or its date.

    English also says "yesterday"; Hindi reads a past day as its date (see `_RELATIVE_DAYS`).
    The year is added when it is not `now`'s. Aware datetimes are compared in `now`'s zone.

    >>> now = datetime.datetime(2025, 12, 5, 14, 0)
    >>> moment(datetime.datetime(2025, 12, 5, 16, 30), now, "hi").text
    'आज शाम 4 बजकर 30 मिनट'
    >>> moment(datetime.datetime(2025, 12, 8, 9, 0), now, "en").text
    "8 December at 9 o'clock in the morning"
    """
    language = Language(lang)
    if (dt.tzinfo is None) != (now.tzinfo is None):
        raise ValueError("moment() needs dt and now both naive or both timezone-aware")
    if dt.tzinfo is not None:
        dt = dt.astimezone(now.tzinfo)
    clock = time_of_day(dt.time(), language)
    at = _word("at" if language is Language.EN else "को")
    relative = _RELATIVE_DAYS[language].get((dt.date() - now.date()).days)
    if relative is not None:
        day = _word(relative)
        return join(day, at, clock) if language is Language.EN else join(day, clock)
    on_date = date(dt.date(), language)
    if dt.year != now.year:
        on_date = join(on_date, Phrase(str(dt.year), _cardinal_words(dt.year, language)))
    return join(on_date, at, clock)


def money(paise: int, lang: Language | str) -> Phrase:
    """Read an amount given in paise as rupees and paise; zero parts are left out.

    >>> money(123450, "hi").text
    '1,234 रुपये 50 पैसे'
    >>> money(100, "en")
    Phrase(text='1 rupee', words=('one', 'rupee'))
    """
    _require_non_negative(paise, "money")
    language = Language(lang)
    rupees, rest = divmod(paise, 100)
    parts = []
    if rupees or not rest:
        parts.append(_counted(rupees, _Unit.RUPEE, language))
    if rest:
        parts.append(_counted(rest, _Unit.PAISA, language))
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
    _require_non_negative(m, "minutes")
    language = Language(lang)
    if m == 0 and approximate:
        return _LESS_THAN_A_MINUTE[language]
    hours, rest = divmod(m, 60)
    parts = [_word("about" if language is Language.EN else "लगभग")] if approximate else []
    if hours:
        parts.append(_counted(hours, _Unit.HOUR, language))
    if rest or not hours:
        parts.append(_counted(rest, _Unit.MINUTE, language))
    return join(*parts)


def join(*phrases: Phrase) -> Phrase:
    """Say phrases one after another.

    >>> join(Phrase("a", ("a",)), Phrase("", ()), Phrase("b c", ("b", "c")))
    Phrase(text='a b c', words=('a', 'b', 'c'))
    """
    text = " ".join(p.text for p in phrases if p.text)
    return Phrase(text, tuple(word for p in phrases for word in p.words))


def fragment_vocabulary(lang: Language | str) -> frozenset[str]:
    """Every word any read-out in `lang` can produce: the fragments to record beforehand.

    >>> {"शून्य", "निन्यानवे", "करोड़", "बजकर"} <= fragment_vocabulary("hi")
    True
    """
    language = Language(lang)
    if language is Language.HI:
        numbers: tuple[str, ...] = _HI_0_TO_99
    else:
        numbers = (*_EN_0_TO_19, *_EN_TENS[2:], *_EN_ORDINALS_1_TO_19, *_EN_ROUND_ORDINALS.values())
    return frozenset(
        (
            *numbers,
            *_SCALES[language],
            *_LETTERS[language],
            *_MONTHS[language],
            *(word for pair in _UNITS[language].values() for word in pair),
            *(word for words in _PERIODS[language].values() for word in words),
            *_RELATIVE_DAYS[language].values(),
            *_LESS_THAN_A_MINUTE[language].words,
            *_OTHER_WORDS[language],
        )
    )


def _word(word: str) -> Phrase:
    return Phrase(word, (word,))


def _require_non_negative(n: int, what: str) -> None:
    if n < 0:
        raise ValueError(f"{what}() cannot read a negative amount: {n}")


def _character_word(ch: str, lang: Language) -> str:
    if ch in string.digits:
        return _below_hundred(int(ch), lang)[0]
    if ch in string.ascii_letters:
        return _LETTERS[lang][string.ascii_uppercase.index(ch.upper())]
    raise ValueError(f"cannot read {ch!r} digit by digit: only 0-9 and A-Z are spoken")


def _grouped(n: int) -> str:
    """Numerals in the Indian grouping: the last three digits, then pairs.

    >>> _grouped(999), _grouped(1234), _grouped(205000), _grouped(999999999)
    ('999', '1,234', '2,05,000', '99,99,99,999')
    """
    head, groups = str(n)[:-3], [str(n)[-3:]]
    while head:
        groups.insert(0, head[-2:])
        head = head[:-2]
    return ",".join(groups)


def _below_hundred(n: int, lang: Language) -> tuple[str, ...]:
    if lang is Language.HI:
        return (_HI_0_TO_99[n],)
    if n < 20:
        return (_EN_0_TO_19[n],)
    tens, ones = divmod(n, 10)
    return (_EN_TENS[tens],) if ones == 0 else (_EN_TENS[tens], _EN_0_TO_19[ones])


def _cardinal_words(n: int, lang: Language) -> tuple[str, ...]:
    if n == 0:
        return _below_hundred(0, lang)
    crore, lakh, thousand, hundred = _SCALES[lang]
    crores, rest = divmod(n, 10**7)
    # Past 99 crore Indian usage keeps counting crores ("1,000 crore"), hence the recursion.
    words = [*_cardinal_words(crores, lang), crore] if crores else []
    for size, name in ((10**5, lakh), (10**3, thousand), (100, hundred)):
        count, rest = divmod(rest, size)
        if count:
            words += [*_below_hundred(count, lang), name]
    if rest:
        words += _below_hundred(rest, lang)
    return tuple(words)


def _english_ordinal(n: int) -> tuple[str, ...]:
    if n < 20:
        return (_EN_ORDINALS_1_TO_19[n - 1],)
    tens, ones = divmod(n, 10)
    if ones == 0:
        return (_EN_ROUND_ORDINALS[tens],)
    return (_EN_TENS[tens], _EN_ORDINALS_1_TO_19[ones - 1])


def _counted(n: int, unit: _Unit, lang: Language) -> Phrase:
    singular, plural = _UNITS[lang][unit]
    name = singular if n == 1 else plural
    return Phrase(f"{_grouped(n)} {name}", (*_cardinal_words(n, lang), name))


def _period(hour: int) -> _Period:
    if 4 <= hour < 12:
        return _Period.MORNING
    if 12 <= hour < 16:
        return _Period.AFTERNOON
    if 16 <= hour < 20:
        return _Period.EVENING
    return _Period.NIGHT


def _hindi_time(t: datetime.time) -> Phrase:
    period = _word(_PERIODS[Language.HI][_period(t.hour)][0])
    hour = number(t.hour % 12 or 12, Language.HI)
    if t.minute == 0:
        return join(period, hour, _word("बजे"))
    minute = _counted(t.minute, _Unit.MINUTE, Language.HI)
    return join(period, hour, _word("बजकर"), minute)


def _english_time(t: datetime.time) -> Phrase:
    hour = t.hour % 12 or 12
    hour_words = _below_hundred(hour, Language.EN)
    if t.minute == 0 and hour == 12:
        name = "noon" if t.hour == 12 else "midnight"
        return Phrase(f"12 {name}", (*hour_words, name))
    if t.minute == 0:
        clock = Phrase(f"{hour} o'clock", (*hour_words, "o'clock"))
    else:
        # "4:05" is said "four oh five", never "four five".
        oh = ("oh",) if t.minute < 10 else ()
        minute_words = (*oh, *_below_hundred(t.minute, Language.EN))
        clock = Phrase(f"{hour}:{t.minute:02d}", (*hour_words, *minute_words))
    period = _PERIODS[Language.EN][_period(t.hour)]
    return join(clock, Phrase(" ".join(period), period))
