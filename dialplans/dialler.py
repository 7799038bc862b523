"""Outbound calls through Asterisk: AMI `Originate` into the generated outbound context.

`AmiDialler` is what the complaint lifecycle finds in `services.extras["ami"]`:
`originate(number=, flow=, variables=) -> bool` dials `AMI_DIAL` with the consumer's number,
and on answer Asterisk runs the flow's extension in `helpline-1912-out`, which hands the
channel to our FastAGI server (`agi://…/<flow>`). The call's variables travel as channel
variables, plus `HELPLINE_NUMBER` and `HELPLINE_FLOW`. True means Asterisk queued the call;
how it went comes later as `OriginateResponse`, which reaches `originate_finished` (the
mirror's originate listener): a feedback call nobody answered is reported to the lifecycle as
an unanswered attempt, once; every outcome of a call back (answered too) goes, once, to
`callback_finished` (the callback placer). Anything that would not make a safe AMI header or
channel name (an odd number, a comma or line break in a value) is refused with a warning, never
sent.
Sending is injected (`send`, safe from any thread), so this module holds no connection.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from dialplans import actions
from dialplans.ami import ActionResult
from dialplans.events import OriginateDone, OriginateResult
from dialplans.generate import OUTBOUND_FLOWS, ROUTE_CALLBACK, ROUTE_FEEDBACK
from dialplans.mirror import OriginateListener

log = logging.getLogger(__name__)

CALLER_ID = '"Helpline 1912" <1912>'
PENDING_LIMIT = 5000  # calls awaiting OriginateResponse; older ones are forgotten
_NUMBER = re.compile(r"\+?\d{3,15}")
_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,39}")
_UNSAFE = re.compile(r"[\r\n,|\"]")
# The carrier status the lifecycle understands, for each way an Originate can fail.
ENDED_AS = {
    OriginateResult.NO_ANSWER: "no-answer",
    OriginateResult.BUSY: "busy",
    OriginateResult.CONGESTION: "failed",
    OriginateResult.FAILED: "failed",
}


def dial_channel(dial: str, number: str) -> str | None:
    """The Originate channel for a number, or None when the number is not dialable.

    >>> dial_channel("PJSIP/{number}@trunk", "9000000002")
    'PJSIP/9000000002@trunk'
    >>> dial_channel("PJSIP/{number}@trunk", "900&PJSIP/x") is None
    True
    """
    return dial.format(number=number) if _NUMBER.fullmatch(number) else None


class AmiDialler:
    """Places outbound flow calls with AMI Originate and reports the ones that fail."""

    def __init__(
        self,
        *,
        dial: str,
        send: Callable[[actions.AmiAction], ActionResult],
        call_ended: Callable[[int, str], Any],
        context: str = "helpline-1912-out",
        caller_id: str = CALLER_ID,
        ring_s: int = 30,
        previous: OriginateListener | None = None,
        callback_finished: Callable[[int, OriginateResult], Any] | None = None,
    ) -> None:
        self._dial = dial
        self._send = send
        self._call_ended = call_ended
        self._context = context
        self._caller_id = caller_id
        self._ring_s = ring_s
        self._previous = previous
        self.callback_finished = callback_finished  # set once the placer exists
        self._pending: OrderedDict[str, tuple[str, Mapping[str, str]]] = OrderedDict()
        self._lock = threading.Lock()

    def originate(self, *, number: str, flow: str, variables: Mapping[str, str]) -> bool:
        """Ask Asterisk to place the call; True when it accepted (queued) the Originate."""
        channel = dial_channel(self._dial, number)
        problem = self._refusal(channel, flow, variables)
        if problem is not None:
            log.warning("outbound %s call not placed: %s", flow, problem)
            return False
        action_id = f"h1912-{flow}-{uuid.uuid4().hex[:16]}"
        carried = {**variables, "HELPLINE_NUMBER": number, "HELPLINE_FLOW": flow}
        # Remembered before sending: the OriginateResponse may overtake our own reply.
        self._remember(action_id, flow, carried)
        assert channel is not None
        action = actions.originate(
            action_id=action_id,
            channel=channel,
            context=self._context,
            exten=flow,
            caller_id=self._caller_id,
            timeout_s=self._ring_s,
            variables=carried,
        )
        result = self._send(action)
        if not result.ok:
            self._forget(action_id)
            log.warning("outbound %s call %s refused: %s", flow, action_id, result.message)
        return result.ok

    def originate_finished(self, done: OriginateDone) -> None:
        """Asterisk's word on a placed call; a failed feedback call is an unanswered attempt."""
        pending = self._forget(done.action_id)
        if pending is None:
            if self._previous is not None:
                self._previous.originate_finished(done)
            return
        flow, variables = pending
        callback_id = variables.get("CALLBACK_ID", "")
        if flow == ROUTE_CALLBACK and callback_id.isdigit():
            log.info("callback %s (%s): %s", callback_id, done.action_id, done.result.value)
            if self.callback_finished is not None:
                self.callback_finished(int(callback_id), done.result)
            return
        if done.result is OriginateResult.ANSWERED:
            return  # the FastAGI route takes it from here
        feedback_id = variables.get("FEEDBACK_ID", "")
        log.info("outbound %s call %s: %s", flow, done.action_id, done.result.value)
        if flow == ROUTE_FEEDBACK and feedback_id.isdigit():
            self._call_ended(int(feedback_id), ENDED_AS[done.result])

    def _refusal(self, channel: str | None, flow: str, variables: Mapping[str, str]) -> str | None:
        if channel is None:
            return "the number is not a phone number"
        if flow not in OUTBOUND_FLOWS:
            return f"no outbound extension for flow {flow!r}"
        for name, value in variables.items():
            if not _NAME.fullmatch(name) or _UNSAFE.search(value):
                return f"variable {name!r} cannot be carried"
        return None

    def _remember(self, action_id: str, flow: str, variables: Mapping[str, str]) -> None:
        with self._lock:
            self._pending[action_id] = (flow, variables)
            while len(self._pending) > PENDING_LIMIT:
                self._pending.popitem(last=False)

    def _forget(self, action_id: str) -> tuple[str, Mapping[str, str]] | None:
        with self._lock:
            return self._pending.pop(action_id, None)
