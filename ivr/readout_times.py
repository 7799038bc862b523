"""Read-out of clock times, dates and moments (Hindi, English), such as a fault's restoration time.

Times are read on the 12-hour clock with the period of the day, dates as day and month, and a
moment (date and time) relative to the day of a given `now`: today, tomorrow, or its date, with
the year only when it differs. Pure: stdlib only, no clock (`moment` is given `now`); mixing
naive and timezone-aware datetimes is the caller's bug (`ValueError`).
"""

from __future__ import annotations

import datetime
from enum import Enum
from typing import Final

from ivr.language import Language
from ivr.phrase import Phrase, join, listed, word
from ivr.readout_amounts import Unit, counted
from ivr.readout_numbers import below_hundred, cardinal_words, english_ordinal, number


class _Period(Enum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"
    NIGHT = "night"


_MONTHS: Final = {
    Language.EN: listed(
        "January February March April May June July August September October November December"
    ),
    Language.HI: listed("जनवरी फ़रवरी मार्च अप्रैल मई जून जुलाई अगस्त सितंबर अक्टूबर नवंबर दिसंबर"),
}
_PERIODS: Final[dict[Language, dict[_Period, tuple[str, ...]]]] = {
    Language.EN: {
        _Period.MORNING: listed("in the morning"),
        _Period.AFTERNOON: listed("in the afternoon"),
        _Period.EVENING: listed("in the evening"),
        _Period.NIGHT: listed("at night"),
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
_OTHER_WORDS: Final = {  # the connectives the functions below put in by name
    Language.EN: listed("at oh o'clock noon midnight"),
    Language.HI: listed("को बजे बजकर"),
}


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
        day_words = english_ordinal(d.day)
    else:
        day_words = cardinal_words(d.day, language)
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
    at = word("at" if language is Language.EN else "को")
    relative = _RELATIVE_DAYS[language].get((dt.date() - now.date()).days)
    if relative is not None:
        day = word(relative)
        return join(day, at, clock) if language is Language.EN else join(day, clock)
    on_date = date(dt.date(), language)
    if dt.year != now.year:
        on_date = join(on_date, Phrase(str(dt.year), cardinal_words(dt.year, language)))
    return join(on_date, at, clock)


def fragments(language: Language) -> tuple[str, ...]:
    """Every word the time and date read-outs can produce in `language`, numbers aside."""
    return (
        *_MONTHS[language],
        *(name for words in _PERIODS[language].values() for name in words),
        *_RELATIVE_DAYS[language].values(),
        *_OTHER_WORDS[language],
    )


def _period(hour: int) -> _Period:
    if 4 <= hour < 12:
        return _Period.MORNING
    if 12 <= hour < 16:
        return _Period.AFTERNOON
    if 16 <= hour < 20:
        return _Period.EVENING
    return _Period.NIGHT


def _hindi_time(t: datetime.time) -> Phrase:
    period = word(_PERIODS[Language.HI][_period(t.hour)][0])
    hour = number(t.hour % 12 or 12, Language.HI)
    if t.minute == 0:
        return join(period, hour, word("बजे"))
    minute = counted(t.minute, Unit.MINUTE, Language.HI)
    return join(period, hour, word("बजकर"), minute)


def _english_time(t: datetime.time) -> Phrase:
    hour = t.hour % 12 or 12
    hour_words = below_hundred(hour, Language.EN)
    if t.minute == 0 and hour == 12:
        name = "noon" if t.hour == 12 else "midnight"
        return Phrase(f"12 {name}", (*hour_words, name))
    if t.minute == 0:
        clock = Phrase(f"{hour} o'clock", (*hour_words, "o'clock"))
    else:
        # "4:05" is said "four oh five", never "four five".
        oh = ("oh",) if t.minute < 10 else ()
        minute_words = (*oh, *below_hundred(t.minute, Language.EN))
        clock = Phrase(f"{hour}:{t.minute:02d}", (*hour_words, *minute_words))
    period = _PERIODS[Language.EN][_period(t.hour)]
    return join(clock, Phrase(" ".join(period), period))
