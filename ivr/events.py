"""Events: what happened on a call, as told to the engine by a front-end or the service layer.

Names are past tense. Events are plain frozen values; the front-ends build them from webhook
forms, AGI replies or terminal input, and the service layer builds `ResultReturned` after it has
carried out a `Lookup` or `Record` command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class CallStarted:
    """A call reached the IVR. `caller` is the raw caller id; `language` a remembered preference."""

    caller: str
    channel: str = "terminal"
    language: str | None = None


@dataclass(frozen=True, slots=True)
class DigitsEntered:
    """The caller keyed digits (may include `*` and `#`)."""

    digits: str


@dataclass(frozen=True, slots=True)
class NoInput:
    """The caller was asked for input and keyed nothing before the timeout."""


@dataclass(frozen=True, slots=True)
class CallerHungUp:
    """The caller hung up."""


@dataclass(frozen=True, slots=True)
class RepeatRequested:
    """The front-end needs the current prompt again (a retried webhook, a reconnect)."""


@dataclass(frozen=True, slots=True)
class ResultReturned:
    """The answer to a `Lookup` or `Record` command; `value` is JSON-like data or None."""

    name: str
    value: Any = field(default=None)


Event = CallStarted | DigitsEntered | NoInput | CallerHungUp | RepeatRequested | ResultReturned
