"""Errors of the IVR core.

Only our own mistakes raise: a flow or prompt file that does not validate (caught at start-up,
never during a live call) or an engine fed an event it cannot take in its current state. What a
caller does wrong (a bad digit, silence) is an ordinary event with a defined answer.
"""


class IvrError(Exception):
    """Base of every error the IVR core raises."""


class FlowError(IvrError):
    """A flow definition is invalid; the message starts with the path of the bad value."""


class PromptError(IvrError):
    """The prompt catalogue is invalid or lacks a prompt a flow needs."""


class SessionError(IvrError):
    """An event arrived that the session cannot take (e.g. a result nobody asked for)."""
