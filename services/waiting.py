"""What a caller waiting for an operator is told of the wait, whichever front-end holds them.

An estimate the routing live state is confident of is said as "about N minutes"
(`queue_wait`); one it is not (nobody logged in, too few recent calls) as "more than N minutes"
(`queue_wait_long`). The Twilio wait page and the FastAGI step before app_queue say the same.
"""

from __future__ import annotations

from ivr.commands import Param, ParamKind, Say
from routing.wait import WaitEstimate


def wait_say(estimate: WaitEstimate, language: str) -> Say:
    """The prompt that tells the caller ``estimate`` in ``language``.

    >>> wait_say(WaitEstimate(610, confident=False), "en").prompt
    'queue_wait_long'
    >>> wait_say(WaitEstimate(150, confident=True), "hi").params[0].value
    '2'
    """
    if estimate.more_than_minutes is not None:
        minutes = Param("minutes", ParamKind.NUMBER, str(estimate.more_than_minutes))
        return Say("queue_wait_long", language, (minutes,))
    wait = Param("wait", ParamKind.MINUTES, str(estimate.seconds // 60))
    return Say("queue_wait", language, (wait,))
