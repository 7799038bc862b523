"""The FastAGI `1912-full` route: a caller app_queue turned away (full, no operators, timed out).

The dialplan passes the queue, the caller's priority and app_queue's `QUEUESTATUS` as AGI
arguments. The caller hears `queue_full` in their language and, when callback requests are
taken and the catalogue holds the offer, is offered a call back (press 1) in that queue at that
priority; then `goodbye`. A caller with an IVR session is known by it; one without (an answered
call back we placed) is told in the language and offered a callback on the number its channel
variables carry (`LANGUAGE`, `HELPLINE_NUMBER`). A hang-up or any failure is logged with the
call id and the script just ends. It logs as `dialplans.agi_session`, like the rest of the AGI
call handling.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime
from functools import partial
from typing import Any, Protocol, TypeVar

from panoramisk.fast_agi import Request

from dialplans.agi_channel import AgiChannel
from dialplans.agi_commands import CommandsOverAgi
from dialplans.errors import AgiHangup
from ivr.commands import Gather, Say
from ivr.events import DigitsEntered
from ivr.prompts import LANGUAGES, Catalogue
from services.calls import CallService

# One logger for every part of an AGI call, whichever module writes the line.
log = logging.getLogger("dialplans.agi_session")

OFFER_TIMEOUT_S = 6
# app_queue's QUEUESTATUS values for a caller who was in the queue (counted as offered there)
# before it let them go; FULL, JOINEMPTY and JOINUNAVAIL never let the caller in.
WAITED_STATUSES = frozenset({"TIMEOUT", "LEAVEEMPTY", "LEAVEUNAVAIL"})
CALLBACK_PROMPTS = {"callback_offer", "callback_confirmed"}
T = TypeVar("T")


class CallbackRequests(Protocol):
    def request(
        self,
        *,
        call_id: str,
        number: str,
        queue: str,
        priority: int,
        now: datetime,
        waited: bool = False,
    ) -> bool: ...


class TurnedAwayCalls:
    """Apologises to a turned-away caller and offers a call back."""

    def __init__(
        self,
        *,
        calls: CallService,
        commands: CommandsOverAgi,
        catalogue: Catalogue,
        local_now: Callable[[], datetime],
        callbacks: CallbackRequests | None,
        pool: Executor,
    ) -> None:
        self._calls = calls
        self._commands = commands
        self._now = local_now
        self._callbacks = callbacks
        self._can_offer = callbacks is not None and set(catalogue.texts) >= CALLBACK_PROMPTS
        self._pool = pool  # the calls' thread pool: the session and callback store block

    async def _offload(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, partial(fn, *args, **kwargs))

    async def handle(self, request: Request) -> None:
        headers = request.headers
        call_id = str(headers.get("agi_uniqueid") or "")
        queue = str(headers.get("agi_arg_1") or "")
        status = str(headers.get("agi_arg_3") or "")
        channel = AgiChannel(request, call_id)
        log.info("call %s: turned away by queue %s (%s)", call_id, queue, status)
        try:
            session = await self._offload(self._calls.current, call_id)
            if session is not None:
                language, number = session.language, session.caller
            else:
                language, number = await self._placed_call_party(channel, request)
            await self._commands.say_all(channel, ["queue_full"], language)
            if self._can_offer and queue and number:
                waited = status in WAITED_STATUSES
                await self._offer_callback(channel, request, language, number, waited=waited)
            await self._commands.say_all(channel, ["goodbye"], language)
        except AgiHangup:
            log.info("call %s: hung up while turned away", call_id)
        except Exception:
            log.exception("call %s: apology and callback offer failed", call_id)

    async def _placed_call_party(self, channel: AgiChannel, request: Request) -> tuple[str, str]:
        """Language and number of a call with no IVR session: a call back we placed carries
        them as channel variables (its caller id is our own 1912, never the consumer's)."""
        language = await channel.get_variable("LANGUAGE")
        if language not in LANGUAGES:
            language = self._calls.flow.default_language
        number = await channel.get_variable("HELPLINE_NUMBER")
        return language, number or str(request.headers.get("agi_callerid") or "")

    async def _offer_callback(
        self, channel: AgiChannel, request: Request, language: str, number: str, *, waited: bool
    ) -> None:
        offer = Gather((Say("callback_offer", language),), max_digits=1, timeout_s=OFFER_TIMEOUT_S)
        if await self._commands.collect(channel, offer, self._now()) != DigitsEntered("1"):
            return
        headers = request.headers
        priority = str(headers.get("agi_arg_2") or "0")
        assert self._callbacks is not None
        booked = await self._offload(
            self._callbacks.request,
            call_id=channel.call_id,
            number=number,
            queue=str(headers.get("agi_arg_1")),
            now=self._now(),
            priority=int(priority) if priority.isdigit() else 0,
            waited=waited,
        )
        log.info("call %s: callback %s", channel.call_id, "booked" if booked else "already booked")
        await self._commands.say_all(channel, ["callback_confirmed"], language)
