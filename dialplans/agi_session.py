"""AGI calls: the engine's commands carried out over one AGI conversation per call.

One AGI connection is one call: the call id is `agi_uniqueid`, the caller `agi_callerid`. The
engine's commands become AGI commands: `Say` → `STREAM FILE` of the rendered segments (words
from the per-word fragments), `Gather` → the prompts with `STREAM FILE` and every key as an
escape digit except the last, which is `GET DATA` (a key pressed during any prompt counts, as it
would on Twilio), `Enqueue` → `SET VARIABLE`s the dialplan's `Queue()` reads, `Hangup` →
`HELPLINE_ACTION=hangup`. The AGI protocol itself is panoramisk's; this module never writes it.
The engine is blocking (Redis, SQL) and runs on a thread pool so one slow turn holds up no
other call. Given a `BatchedCallLog`, the call records (the `calls` row, the remembered
language) are written by its thread in batches instead of inside the turns: a call handed to a
queue waits for its records before its script ends, as `Queue()`'s events update that row;
those of a call that ended here follow in the next batch; the docket is still committed inside
its turn, before it is spoken. A caller who hangs up ends the session as `CallerHungUp`; any
failure is logged with the call id and the script just ends, leaving the dialplan's defaults in
place, so the caller still reaches an operator. Phone numbers are masked in logs. The `feedback`
route runs an answered outbound feedback call: the feedback id comes as the first AGI argument
(else the channel variable `FEEDBACK_ID`), the call is bound to it, and the feedback call
service drives the same loop; when the call ends the lifecycle hears of it (a no-op once an
answer is recorded). A caller turned away with no IVR session (an answered call back we
placed) is told in the language and offered a callback on the number its channel variables
carry (`LANGUAGE`, `HELPLINE_NUMBER`); the answered call back itself is `dialplans.agi_callback`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol, TypeVar

from panoramisk.fast_agi import Request

from dialplans.errors import AgiHangup
from dialplans.prompts_audio import SILENCE_FILE, AudioNames
from ivr.commands import Enqueue, Gather, Hangup, Say
from ivr.events import CallerHungUp, DigitsEntered, Event, NoInput
from ivr.prompts import LANGUAGES, Catalogue, render
from routing.queues import QueueSet
from services.call_log import BatchedCallLog
from services.calls import CallService, TurnResult

log = logging.getLogger(__name__)

CHANNEL = "asterisk"
ALL_KEYS = "0123456789*#"
OFFER_TIMEOUT_S = 6
SETTLE_TIMEOUT_S = 5.0  # waiting for a call's records at its end; they are kept if later
CALLBACK_PROMPTS = {"callback_offer", "callback_confirmed"}
T = TypeVar("T")


class CallbackRequests(Protocol):
    def request(
        self, *, call_id: str, number: str, queue: str, priority: int, now: datetime
    ) -> bool: ...


def masked(number: str) -> str:
    """A phone number fit for a log line.

    >>> masked("9000000002"), masked("")
    ('90******02', '-')
    """
    if len(number) < 5:
        return "-" if not number else "*" * len(number)
    return number[:2] + "*" * (len(number) - 4) + number[-2:]


def queue_variables(enqueue: Enqueue, queues: QueueSet) -> list[tuple[str, str]]:
    """The channel variables the dialplan's `Queue()` reads, for the engine's `Enqueue`.

    The wait before overflow is the queue's `overflow_after_s`; no overflow, no timeout.
    """
    if enqueue.queue not in queues:
        return []
    queue = queues[enqueue.queue]
    overflow = queue.overflow_target or ""
    timeout = str(queue.overflow_after_s) if overflow and queue.overflow_after_s else ""
    return [
        ("HELPLINE_ACTION", "queue"),
        ("HELPLINE_QUEUE", queue.name),
        ("HELPLINE_PRIORITY", str(enqueue.priority)),
        ("HELPLINE_TIMEOUT", timeout),
        ("HELPLINE_OVERFLOW", overflow),
    ]


@dataclass(frozen=True, slots=True)
class FeedbackLeg:
    """What the feedback route needs from the complaint lifecycle."""

    calls: CallService  # runs the `feedback` flow
    bind: Callable[[str, int], None]  # call id -> feedback id, before the first turn
    ended: Callable[[int, str], object]  # (feedback id, carrier status) once the call is over


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


class IvrOverAgi:
    """Runs calls: the IVR route and the route for callers app_queue turned away."""

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
        threads: int = 8,
    ) -> None:
        self._call_log = call_log
        self._calls = calls if call_log is None else calls.with_call_log(call_log)
        self._feedback = feedback
        self._catalogue = catalogue
        self._names = AudioNames(catalogue)
        self._queues = queues
        self._now = local_now
        self._callbacks = callbacks
        self._can_offer = callbacks is not None and set(catalogue.texts) >= CALLBACK_PROMPTS
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="agi")

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
            asked = await self._perform(channel, result)
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

    async def _perform(self, channel: AgiChannel, result: TurnResult) -> tuple[Event, int] | None:
        now = self._now()
        for command in result.commands:
            if isinstance(command, Say):
                await self._play(channel, self._files(channel.call_id, command, now), "")
            elif isinstance(command, Gather):
                return await self.collect(channel, command, now), command.turn
            elif isinstance(command, Enqueue):
                for name, value in queue_variables(command, self._queues):
                    await channel.set_variable(name, value)
            elif isinstance(command, Hangup):
                await channel.set_variable("HELPLINE_ACTION", "hangup")
        return None

    async def collect(self, channel: AgiChannel, gather: Gather, now: datetime) -> Event:
        """Play the prompts, taking a key pressed during any of them as the first digit."""
        files = [f for say in gather.prompts for f in self._files(channel.call_id, say, now)]
        last = files.pop() if files else SILENCE_FILE
        first = await self._play(channel, files, ALL_KEYS)
        if first is None:
            digits = await channel.get_data(last, gather.timeout_s, gather.max_digits)
        elif first == gather.finish_on_key:
            digits = ""
        elif gather.max_digits <= 1:
            digits = first
        else:
            rest = await channel.get_data(SILENCE_FILE, gather.timeout_s, gather.max_digits - 1)
            digits = first + rest
        return DigitsEntered(digits) if digits else NoInput()

    async def _play(self, channel: AgiChannel, files: list[str], escape: str) -> str | None:
        for file in files:
            key = await channel.stream(file, escape)
            if key is not None:
                return key
        return None

    def _files(self, call_id: str, say: Say, now: datetime) -> list[str]:
        plan = self._names.plan(render(self._catalogue, say, now), say.language)
        if plan.missing:
            log.warning(
                "call %s: no audio for %s in %s (%s)",
                call_id,
                plan.missing,
                say.prompt,
                say.language,
            )
        return list(plan.files)

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
            await self._say_all(channel, ["queue_full"], language)
            if self._can_offer and queue and number:
                await self._offer_callback(channel, request, language, number)
            await self._say_all(channel, ["goodbye"], language)
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
        self, channel: AgiChannel, request: Request, language: str, number: str
    ) -> None:
        offer = Gather((Say("callback_offer", language),), max_digits=1, timeout_s=OFFER_TIMEOUT_S)
        if await self.collect(channel, offer, self._now()) != DigitsEntered("1"):
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
        )
        log.info("call %s: callback %s", channel.call_id, "booked" if booked else "already booked")
        await self._say_all(channel, ["callback_confirmed"], language)

    async def _say_all(self, channel: AgiChannel, prompts: list[str], language: str) -> None:
        now = self._now()
        for prompt in prompts:
            if prompt in self._catalogue.texts:
                await self._play(
                    channel, self._files(channel.call_id, Say(prompt, language), now), ""
                )
