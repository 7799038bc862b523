"""Commands: what the engine asks the outside world to do, as plain frozen values.

Names are imperative. `Say`, `Gather`, `Enqueue` and `Hangup` are carried out by a front-end
(TwiML, AGI, terminal); `Lookup` and `Record` are carried out by the service layer, which then
feeds the engine a `ResultReturned` event, so a front-end never sees them. A `Say` names a prompt
of the catalogue plus typed parameters; rendering it to text or audio fragments is the
front-end's business (`ivr.prompts.render`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ParamKind(StrEnum):
    """How a prompt parameter is read out."""

    DIGITS = "digits"
    NUMBER = "number"
    TIME = "time"
    MOMENT = "moment"
    DATE = "date"
    MONEY = "money"
    MINUTES = "minutes"
    PROMPT = "prompt"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class Param:
    """A prompt parameter: its name in the prompt text, how to read it, and its value."""

    name: str
    kind: ParamKind
    value: str


@dataclass(frozen=True, slots=True)
class Say:
    prompt: str
    language: str
    params: tuple[Param, ...] = ()


@dataclass(frozen=True, slots=True)
class Gather:
    """Play `prompts` (the caller may key during them) and collect up to `max_digits` digits."""

    prompts: tuple[Say, ...]
    max_digits: int
    timeout_s: int
    finish_on_key: str = "#"
    turn: int = 0


@dataclass(frozen=True, slots=True)
class Enqueue:
    queue: str
    priority: int
    reason: str


@dataclass(frozen=True, slots=True)
class Hangup:
    reason: str


@dataclass(frozen=True, slots=True)
class Lookup:
    """Read something from the records; answered by `ResultReturned(name, value)`."""

    name: str
    args: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Record:
    """Write something to the records; answered by `ResultReturned(name, value)`.

    `key` identifies the write within the call, so doing it twice (a retry after a crash)
    returns the first result instead of writing again.
    """

    name: str
    key: str
    args: tuple[tuple[str, Any], ...] = ()


Command = Say | Gather | Enqueue | Hangup | Lookup | Record
CALLER_FACING = (Say, Gather, Enqueue, Hangup)
