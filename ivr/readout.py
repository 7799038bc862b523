"""Spoken read-out of digits, numbers, clock times, dates, money and durations (Hindi, English).

The one place callers take read-outs from; each kind lives in its own module: `ivr.phrase` (the
`Phrase` value and `join`), `ivr.readout_numbers` (digit by digit, cardinals),
`ivr.readout_amounts` (money, durations) and `ivr.readout_times` (clock times, dates, moments).
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

from ivr import readout_amounts, readout_numbers, readout_times
from ivr.language import Language
from ivr.phrase import Phrase, join
from ivr.readout_amounts import minutes, money
from ivr.readout_numbers import digits, number
from ivr.readout_times import date, moment, time_of_day

__all__ = [
    "Phrase",
    "date",
    "digits",
    "fragment_vocabulary",
    "join",
    "minutes",
    "moment",
    "money",
    "number",
    "time_of_day",
]


def fragment_vocabulary(lang: Language | str) -> frozenset[str]:
    """Every word any read-out in `lang` can produce: the fragments to record beforehand.

    >>> {"शून्य", "निन्यानवे", "करोड़", "बजकर"} <= fragment_vocabulary("hi")
    True
    """
    language = Language(lang)
    return frozenset(
        (
            *readout_numbers.fragments(language),
            *readout_amounts.fragments(language),
            *readout_times.fragments(language),
        )
    )
