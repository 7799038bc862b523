"""One AGI conversation: commands sent over panoramisk, its parsed replies read, hang-ups raised.

Every route of the FastAGI server talks to Asterisk through an `AgiChannel`: the AGI protocol
itself is panoramisk's, and this module never writes it. A closed connection, a channel that
hung up or a failed `GET DATA` becomes `AgiHangup`, so a route ends its call in one place; a
command Asterisk refuses (invalid, wrong usage) is logged with the call id and its reply
returned, and a file it could not play is logged and counts as no key pressed. It logs as
`dialplans.agi_session`, like the rest of the AGI call handling.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from panoramisk.fast_agi import Request

from dialplans.errors import AgiHangup

# One logger for every part of an AGI call, whichever module writes the line.
log = logging.getLogger("dialplans.agi_session")


class AgiChannel:
    """One AGI conversation: commands out, panoramisk's parsed replies in; hang-ups raised."""

    def __init__(self, request: Request, call_id: str) -> None:
        self._request = request
        self.call_id = call_id

    async def send(self, command: str) -> dict[str, Any]:
        try:
            reply: dict[str, Any] = await self._request.send_command(command)
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            # panoramisk reads a closed socket as an empty line and fails to parse its code.
            raise AgiHangup(f"connection closed during {command.split()[0:2]}") from None
        if reply.get("error") == "AGIResultHangup" or reply.get("status_code") == 511:
            raise AgiHangup("channel hung up")
        if reply.get("error") in ("AGIInvalidCommand", "AGIUsageError", "AGIUnknownError"):
            log.warning(
                "call %s: Asterisk refused %r: %s",
                self.call_id,
                command,
                reply.get("msg") or reply.get("error"),
            )
        return reply

    async def stream(self, file: str, escape: str) -> str | None:
        """Play a file; the key that interrupted it, if any."""
        reply = await self.send(f'STREAM FILE {file} "{escape}"')
        if reply.get("error") == "AGIAppError":
            # -1: the file is missing or the channel is gone; the next command tells which.
            log.warning("call %s: Asterisk could not play %s", self.call_id, file)
            return None
        code = str(reply.get("result", ("0", ""))[0])
        return chr(int(code)) if code.isdigit() and int(code) > 0 else None

    async def get_data(self, file: str, timeout_s: int, max_digits: int) -> str:
        reply = await self.send(f"GET DATA {file} {timeout_s * 1000} {max_digits}")
        if reply.get("error") == "AGIAppError":
            raise AgiHangup("GET DATA failed")
        return str(reply.get("result", ("", ""))[0])

    async def get_variable(self, name: str) -> str:
        """A channel variable's value ("" when unset)."""
        reply = await self.send(f"GET VARIABLE {name}")
        found, value = reply.get("result", ("0", ""))
        return str(value) if str(found) == "1" else ""

    async def set_variable(self, name: str, value: str) -> None:
        clean = value.replace('"', "").replace("\n", " ")
        await self.send(f'SET VARIABLE {name} "{clean}"')
