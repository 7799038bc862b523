"""Operator changes made in the helpline (console, CLI, storm controller) carried to Asterisk.

In Asterisk mode app_queue rings the operators, so an operator who goes Ready in the console
must be unpaused in Asterisk's queues, one who logs in must join them (paused, with the
penalty of their tier), and so on. The routing service tells this listener after each accepted
change; the actions go out over the AMI link.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from dialplans.actions import AmiAction, log_in, log_out, make_ready, pause
from routing.operators import Operator
from routing.queues import QueueSet

log = logging.getLogger(__name__)


def actions_for(
    operator: Operator, action: str, reason: str, queues: QueueSet, *, was_offline: bool
) -> list[AmiAction]:
    """The AMI actions for one accepted operator change (values; nothing is sent here)."""
    if action in ("login", "ready") and was_offline:
        joined = log_in(operator, queues)
        return joined + (make_ready(operator) if action == "ready" else [])
    if action in ("ready", "wrapup-done"):
        return make_ready(operator)
    if action == "pause":
        return pause(operator, reason)
    if action == "logout":
        return log_out(operator, queues)
    if action == "standby":
        return pause(operator, "standby")
    return []


def ami_listener(send: Callable[[AmiAction], Any], queues: QueueSet) -> Callable[..., None]:
    def listen(operator: Operator, action: str, reason: str, *, was_offline: bool) -> None:
        for ami_action in actions_for(operator, action, reason, queues, was_offline=was_offline):
            result = send(ami_action)
            if not getattr(result, "ok", False):
                log.warning(
                    "operator %s: %s not applied in Asterisk: %s",
                    operator.id,
                    ami_action.name,
                    getattr(result, "message", result),
                )

    return listen
