"""AGI calls: the engine's commands carried out over one AGI conversation per call.

One AGI connection is one call: the call id is `agi_uniqueid`, the caller `agi_callerid`. The
engine's commands become AGI commands (`dialplans.agi_commands`) sent over the call's
`AgiChannel` (`dialplans.agi_channel`); the AGI protocol itself is panoramisk's, and this
module never writes it. The engine is blocking (Redis, SQL) and runs on a thread pool so one
slow turn holds up no other call. Given a `BatchedCallLog`, the call records (the `calls` row,
the remembered language) are written by its thread in batches instead of inside the turns: a
call handed to a queue waits for its records before its script ends, as `Queue()`'s events
update that row; those of a call that ended here follow in the next batch; the docket is still
committed inside its turn, before it is spoken. A caller who hangs up ends the session as
`CallerHungUp`; any failure is logged with the call id and the script just ends, leaving the
dialplan's defaults in place, so the caller still reaches an operator. Phone numbers are masked
in logs. The `feedback` route runs an answered outbound feedback call: the feedback id comes as
the first AGI argument (else the channel variable `FEEDBACK_ID`), the call is bound to it, and
the feedback call service drives the same loop; when the call ends the lifecycle hears of it (a
no-op once an answer is recorded). A caller app_queue turned away is apologised to and offered
a callback by `dialplans.agi_turned_away`, on this module's thread pool; the answered call back
itself is `dialplans.agi_callback`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from panoramisk.fast_agi import Request

from dialplans.agi_channel import AgiChannel
from dialplans.agi_commands import ALL_KEYS, CommandsOverAgi, queue_variables
from dialplans.agi_turned_away import (
    CALLBACK_PROMPTS,
    OFFER_TIMEOUT_S,
    CallbackRequests,
    TurnedAwayCalls,
)
from dialplans.agi_wait import WaitBeforeQueue
from dialplans.errors import AgiHangup
from ivr.commands import Gather
from ivr.events import CallerHungUp, Event
from ivr.prompts import Catalogue
from routing.queues import QueueSet
from services.call_log import BatchedCallLog
from services.calls import CallService, TurnResult

__all__ = [
    "ALL_KEYS",
    "CALLBACK_PROMPTS",
    "CHANNEL",
    "OFFER_TIMEOUT_S",
    "SETTLE_TIMEOUT_S",
    "AgiChannel",
    "CallbackRequests",
    "FeedbackLeg",
    "IvrOverAgi",
    "masked",
    "queue_variables",
]

log = logging.getLogger(__name__)

CHANNEL = "asterisk"
SETTLE_TIMEOUT_S = 5.0  # waiting for a call's records at its end; they are kept if later
T = TypeVar("T")


def masked(number: str) -> str:
    """A phone number fit for a log line.

    >>> masked("9000000002"), masked("")
    ('90******02', '-')
    """
    if len(number) < 5:
        return "-" if not number else "*" * len(number)
    return number[:2] + "*" * (len(number) - 4) + number[-2:]


@dataclass(frozen=True, slots=True)
class FeedbackLeg:
    """What the feedback route needs from the complaint lifecycle."""

    calls: CallService  # runs the `feedback` flow
    bind: Callable[[str, int], None]  # call id -> feedback id, before the first turn
    ended: Callable[[int, str], object]  # (feedback id, carrier status) once the call is over


class IvrOverAgi:
    """Runs calls: the IVR and feedback routes, and the route for callers app_queue turned
    away (`TurnedAwayCalls`), all on one thread pool."""

    def __init__(
        self,
        *,
        calls: CallService,
        catalogue: Catalogue,
        queues: QueueSet,
        local_now: Callable[[], datetime],
        callbacks: CallbackRequests | None = None,
        feedback: FeedbackLeg | None = None,
        call_log: BatchedCallLog | None = None,
        waits: WaitBeforeQueue | None = None,
        threads: int = 8,
    ) -> None:
        self._call_log = call_log
        self._calls = calls if call_log is None else calls.with_call_log(call_log)
        self._feedback = feedback
        self._waits = waits
        self._commands = CommandsOverAgi(catalogue=catalogue, queues=queues, local_now=local_now)
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="agi")
        self._turned_away = TurnedAwayCalls(
            calls=self._calls,
            commands=self._commands,
            catalogue=catalogue,
            local_now=local_now,
            callbacks=callbacks,
            pool=self._pool,
        )

    def close(self) -> None:
        # Turns already running finish (their writes commit) before the server is gone; the
        # ones not started are dropped: their callers have hung up or fall back to the queue.
        # Then every call record still pending is written.
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._call_log is not None:
            self._call_log.close()

    async def _offload(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, partial(fn, *args, **kwargs))

    # --- the IVR ---------------------------------------------------------------------------

    async def ivr(self, request: Request) -> None:
        call_id = str(request.headers.get("agi_uniqueid") or "")
        caller = str(request.headers.get("agi_callerid") or "")
        if not call_id:
            log.error("AGI request without agi_uniqueid; leaving the call to the dialplan")
            return
        channel = AgiChannel(request, call_id)
        log.info("call %s: IVR start, caller %s", call_id, masked(caller))
        try:
            result = await self._offload(self._calls.start, call_id, caller, CHANNEL)
            last = await self._converse(channel, result)
            if last.enqueue is not None:
                await self._settle(call_id)
                if self._waits is not None and await self._waits.called_back(
                    channel, last.session, last.enqueue, self._commands, self._offload
                ):
                    await channel.set_variable("HELPLINE_ACTION", "hangup")
        except AgiHangup as gone:
            log.info("call %s: caller hung up (%s)", call_id, gone)
            await self._hung_up(call_id)
        except Exception:
            log.exception("call %s: IVR failed; the dialplan queues the caller", call_id)

    async def _settle(self, call_id: str) -> None:
        """Wait until the call's records are committed (they are kept and retried if not)."""
        if self._call_log is None:
            return
        try:
            flushed = asyncio.wrap_future(self._call_log.flushed())
            await asyncio.wait_for(flushed, SETTLE_TIMEOUT_S)
        except Exception as exc:
            log.warning("call %s: call records not written yet (%r); kept", call_id, exc)

    async def _converse(
        self, channel: AgiChannel, result: TurnResult, calls: CallService | None = None
    ) -> TurnResult:
        """Run the call's turns until the engine asks for nothing more; the last turn."""
        service = calls or self._calls
        while True:
            asked = await self._commands.perform(channel, result.commands)
            if asked is None:
                return result
            event, turn = asked
            following = await self._offload(service.handle, channel.call_id, event, turn=turn)
            if following is None:
                log.warning(
                    "call %s: no session any more; the dialplan queues the caller", channel.call_id
                )
                return result
            result = following

    async def collect(self, channel: AgiChannel, gather: Gather, now: datetime) -> Event:
        """Play the prompts, taking a key pressed during any of them as the first digit."""
        return await self._commands.collect(channel, gather, now)

    async def _hung_up(self, call_id: str, calls: CallService | None = None) -> None:
        service = calls or self._calls
        try:
            session = await self._offload(service.current, call_id)
            if session is not None and not session.ended:
                await self._offload(service.handle, call_id, CallerHungUp())
        except Exception:
            log.exception("call %s: could not record the hang-up", call_id)

    # --- an answered feedback call -----------------------------------------------------------

    async def feedback(self, request: Request) -> None:
        headers = request.headers
        call_id = str(headers.get("agi_uniqueid") or "")
        leg = self._feedback
        if leg is None or not call_id:
            log.error("feedback call %s: no feedback flow here; hanging up", call_id or "-")
            return
        channel = AgiChannel(request, call_id)
        feedback_id: int | None = None
        try:
            raw = str(headers.get("agi_arg_1") or "") or await channel.get_variable("FEEDBACK_ID")
            if not raw.isdigit():
                log.warning("feedback call %s: no FEEDBACK_ID; hanging up", call_id)
                return
            feedback_id = int(raw)
            number = str(headers.get("agi_arg_2") or "")
            number = number or await channel.get_variable("HELPLINE_NUMBER")
            await self._offload(leg.bind, call_id, feedback_id)
            log.info("feedback call %s: answered (feedback %s)", call_id, feedback_id)
            result = await self._offload(leg.calls.start, call_id, number, CHANNEL)
            await self._converse(channel, result, leg.calls)
        except AgiHangup as gone:
            log.info("feedback call %s: hung up (%s)", call_id, gone)
            await self._hung_up(call_id, leg.calls)
        except Exception:
            log.exception("feedback call %s: failed", call_id)
        finally:
            if feedback_id is not None:
                await self._ended(leg, feedback_id)

    async def _ended(self, leg: FeedbackLeg, feedback_id: int) -> None:
        try:
            await self._offload(leg.ended, feedback_id, "completed")
        except Exception:
            log.exception("feedback %s: could not record the end of the call", feedback_id)

    # --- turned away by app_queue -------------------------------------------------------------

    async def turned_away(self, request: Request) -> None:
        await self._turned_away.handle(request)
