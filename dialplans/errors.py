"""Errors of the Asterisk front-end, split by whose fault they are.

`DialplanError` is the base. `ToolMissing` means the machine lacks a program the command needs
(espeak-ng, sox): the message says how to install it. `PeerError` and its subclasses are the
other side's doing (an AGI peer that hangs up or answers garbage, an AMI server that refuses
us): they are logged with the call id and answered gracefully, never allowed to stop the
service.
"""

from __future__ import annotations


class DialplanError(Exception):
    """Base of every error raised by `dialplans`."""


class ToolMissing(DialplanError):
    """A required program is not installed; the message names the package to install."""


class PeerError(DialplanError):
    """Asterisk (or something pretending to be it) did something we cannot use."""


class AgiHangup(PeerError):
    """The AGI channel is gone: the caller hung up, or the socket closed mid-command."""
