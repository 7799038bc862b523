"""The value every read-out returns: a `Phrase`, and the ways phrases are put together.

A phrase has two faces: `text`, which a terminal shows and Twilio's `<Say>` speaks, and `words`,
the same phrase as a sequence of pre-recorded fragments (one per word, in the language's own
script), which Asterisk plays because it cannot speak text. Joining phrases keeps both faces in
step. Pure: stdlib only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Phrase:
    """Something to say: `text` for display and text-to-speech, `words` for recorded fragments."""

    text: str
    words: tuple[str, ...]


def join(*phrases: Phrase) -> Phrase:
    """Say phrases one after another.

    >>> join(Phrase("a", ("a",)), Phrase("", ()), Phrase("b c", ("b", "c")))
    Phrase(text='a b c', words=('a', 'b', 'c'))
    """
    text = " ".join(p.text for p in phrases if p.text)
    return Phrase(text, tuple(word for p in phrases for word in p.words))


def word(text: str) -> Phrase:
    """A phrase of one word, shown and played as itself."""
    return Phrase(text, (text,))


def listed(words: str) -> tuple[str, ...]:
    """The words of a space-separated list, as the word tables of the read-outs write them."""
    return tuple(words.split())
