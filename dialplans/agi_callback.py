"""The FastAGI `callback` route: the consumer picked up the call back we placed.

The generated outbound extension `callback` hands the answered channel here with the callback
id as the first AGI argument (else it is read from the channel variable `CALLBACK_ID`). The row
is made done and a `calls` row is opened for this leg, committed before anything is said; then
the consumer hears `callback_connecting` ("this is the 1912 call back you asked for; connecting
you to an operator") in their language, and the variables the dialplan's `Queue()` reads are
set: the callback's queue and `queue_priority(priority)`, one step above its own priority, so
they are served before every caller of that priority (all of whom called after them). With
the routing live state at hand (`places`), the consumer's original place, which the Originate
carries as `CALLBACK_JOINED`, is kept for this leg, so when app_queue queues it the wallboard
counts the wait from the first join, not from now; with it, whether the first call was already
counted as offered in the queue (the callback record says), so the contact counts once. An
unknown id, a hang-up or any failure leaves the dialplan's defaults (the queue and the
callback's own priority the Originate carried): the consumer still reaches an operator; a live
state that cannot be reached only costs the leg its place on the wallboard.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Protocol

from panoramisk.fast_agi import Request

from dialplans.agi_session import AgiChannel
from dialplans.callback_records import AnsweredCallback, queue_priority
from dialplans.errors import AgiHangup
from dialplans.prompts_audio import AudioNames
from ivr.commands import Say
from ivr.prompts import LANGUAGES, Catalogue, render
from store.live import LiveStateUnavailable

log = logging.getLogger(__name__)

GREETING = "callback_connecting"


class CallbackLegs(Protocol):
    def answered(
        self, callback_id: int, now: datetime, *, call_id: str | None = None
    ) -> AnsweredCallback | None: ...


class KeptPlaces(Protocol):
    """Where a leg's original join time waits for app_queue to queue it
    (`store.live_routing.RedisLiveState`)."""

    def keep_place(self, call_id: str, joined: float, *, counted: bool = False) -> None: ...


class AnsweredCallbacks:
    """Greets an answered call back and hands it to its queue, ahead of later callers."""

    def __init__(
        self,
        *,
        legs: CallbackLegs,
        catalogue: Catalogue,
        clock: Callable[[], datetime],
        local_now: Callable[[], datetime],
        default_language: str,
        places: KeptPlaces | None = None,
    ) -> None:
        self._legs = legs
        self._places = places
        self._catalogue = catalogue
        self._names = AudioNames(catalogue)
        self._clock = clock
        self._local_now = local_now
        self._default_language = default_language

    async def handle(self, request: Request) -> None:
        headers = request.headers
        call_id = str(headers.get("agi_uniqueid") or "")
        channel = AgiChannel(request, call_id)
        try:
            raw = str(headers.get("agi_arg_1") or "") or await channel.get_variable("CALLBACK_ID")
            if not raw.isdigit():
                log.warning("callback leg %s: no CALLBACK_ID; the dialplan queues it", call_id)
                return
            leg = await self._answered(int(raw), call_id)
            if leg is None:
                log.warning("callback leg %s: no callback %s; the dialplan queues it", call_id, raw)
                return
            log.info("callback %s: answered (leg %s), to queue %s", leg.id, call_id, leg.queue)
            await self._greet(channel, leg.language)
            await self._keep_place(channel, call_id, counted=leg.offer_counted)
            await channel.set_variable("HELPLINE_ACTION", "queue")
            await channel.set_variable("HELPLINE_QUEUE", leg.queue)
            await channel.set_variable("HELPLINE_PRIORITY", str(queue_priority(leg.priority)))
        except AgiHangup as gone:
            log.info("callback leg %s: hung up (%s)", call_id, gone)
        except Exception:
            log.exception("callback leg %s: failed; the dialplan queues it", call_id)

    async def _answered(self, callback_id: int, call_id: str) -> AnsweredCallback | None:
        answered = partial(self._legs.answered, callback_id, self._clock(), call_id=call_id or None)
        return await asyncio.get_running_loop().run_in_executor(None, answered)

    async def _keep_place(self, channel: AgiChannel, call_id: str, *, counted: bool) -> None:
        """Keep the consumer's original place for this leg, before the dialplan queues it;
        ``counted``: their first call was counted as offered in the queue already."""
        if self._places is None or not call_id:
            return
        raw = await channel.get_variable("CALLBACK_JOINED")
        try:
            joined = float(raw)
        except ValueError:
            joined = math.nan
        if not math.isfinite(joined):
            log.warning(
                "callback leg %s: no usable CALLBACK_JOINED %r; waits from now", call_id, raw
            )
            return
        keep = partial(self._places.keep_place, call_id, joined, counted=counted)
        try:
            await asyncio.get_running_loop().run_in_executor(None, keep)
        except LiveStateUnavailable as exc:
            log.warning("callback leg %s: place not kept, waits from now: %s", call_id, exc)

    async def _greet(self, channel: AgiChannel, language: str) -> None:
        if GREETING not in self._catalogue.texts:
            return
        language = language if language in LANGUAGES else self._default_language
        say = Say(GREETING, language)
        plan = self._names.plan(render(self._catalogue, say, self._local_now()), language)
        for file in plan.files:
            await channel.stream(file, "")
