"""Before app_queue: the caller hears the estimated wait and, when it is long, may take a call back.

In Asterisk mode app_queue holds the caller, and it speaks no estimate of ours (its hold time
is a lagging average, switched off; its position announcement is in English only). So when the
IVR hands a caller to a queue, the FastAGI IVR route runs this step before the dialplan's
`Queue()`: from the routing live state the AMI mirror keeps, the wait of a caller joining now
at their priority (:meth:`store.live_routing.RedisLiveState.estimate`, counting the callers of
other queues who come first), said in the caller's language when it is a minute or more; and,
when it reaches the queue's callback threshold (the storm's, in storm mode) and the caller rang
from a registered mobile, a call back offered (press 1) that keeps the place they would have
had. A call back taken here is counted as offered when the consumer, called back, joins the
queue. Only with an AMI link does the live state mirror app_queue, so the front-ends build this
step only then; with nobody serving the queue in the live state (perhaps not mirrored yet) it
says nothing. A live state that cannot be read, or any failure, leaves the caller to app_queue
as before. It logs as `dialplans.agi_session`, like the rest of the AGI call handling.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from dialplans.agi_channel import AgiChannel
from dialplans.agi_commands import CommandsOverAgi
from dialplans.agi_turned_away import OFFER_TIMEOUT_S, CallbackRequests
from ivr.commands import Enqueue, Gather, Say
from ivr.events import DigitsEntered
from ivr.session import Session
from routing.callbacks import should_offer
from routing.queues import QueueDefinition, QueueSet, waiting_score
from routing.wait import WaitEstimate
from services.waiting import wait_say

log = logging.getLogger("dialplans.agi_session")

SAY_FROM_S = 60  # a shorter wait is not worth holding the caller up to hear it


class WaitEstimates(Protocol):
    def estimate(
        self, queue: str, position: int | None, now: float, *, score: float | None = None
    ) -> WaitEstimate: ...


Offload = Callable[..., Awaitable[Any]]


class WaitBeforeQueue:
    """Says the estimated wait before app_queue, and offers a call back when it is long."""

    def __init__(
        self,
        *,
        live: WaitEstimates,
        callbacks: CallbackRequests,
        queues: QueueSet,
        clock: Callable[[], datetime],
        storm: Callable[[QueueDefinition], QueueDefinition],
    ) -> None:
        self._live = live
        self._callbacks = callbacks
        self._queues = queues
        self._clock = clock
        self._storm = storm  # the queue as storm mode has it (its callback threshold)

    async def called_back(
        self,
        channel: AgiChannel,
        session: Session,
        enqueue: Enqueue,
        commands: CommandsOverAgi,
        offload: Offload,
    ) -> bool:
        """Say the wait (through ``commands``; blocking reads and writes through ``offload``);
        True when the caller took a call back instead of the queue."""
        if enqueue.queue not in self._queues:
            return False
        now = self._clock()
        try:
            estimate = await offload(
                self._live.estimate,
                enqueue.queue,
                None,
                now.timestamp(),
                score=waiting_score(enqueue.priority, now.timestamp()),
            )
            definition = await offload(self._storm, self._queues[enqueue.queue])
        except Exception as exc:  # the caller still reaches app_queue
            log.warning("call %s: no wait estimate (%s); to the queue", channel.call_id, exc)
            return False
        if not estimate.staffed:
            # Nobody known to be logged in: the mirror may not have caught up yet (a restart);
            # if it is so, app_queue turns the caller away, and that route offers a call back.
            return False
        language = session.language
        if estimate.seconds >= SAY_FROM_S:
            await commands.perform(channel, (wait_say(estimate, language),))
        if not (_registered_mobile(session) and should_offer(definition, estimate)):
            return False
        offer = Gather((Say("callback_offer", language),), max_digits=1, timeout_s=OFFER_TIMEOUT_S)
        if await commands.collect(channel, offer, now) != DigitsEntered("1"):
            return False
        booked = await offload(
            self._callbacks.request,
            call_id=channel.call_id,
            number=session.caller,
            queue=enqueue.queue,
            priority=enqueue.priority,
            now=now,
        )
        log.info(
            "call %s: callback %s before the queue (estimated %d s)",
            channel.call_id,
            "booked" if booked else "already booked",
            estimate.seconds,
        )
        await commands.say_all(channel, ["callback_confirmed", "goodbye"], language)
        return True


def _registered_mobile(session: Session) -> bool:
    """A caller we can ring back: identified, from a mobile on the consumer's record."""
    caller = session.vars.get("caller")
    consumer = session.vars.get("consumer")
    return isinstance(caller, dict) and caller.get("kind") == "mobile" and bool(consumer)
