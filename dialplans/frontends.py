"""The Asterisk front-ends built from the services they are handed: FastAGI server and AMI link.

`start_frontends` starts the FastAGI server with its routes (the IVR and feedback calls over
`IvrOverAgi`, whose call records a `BatchedCallLog` writes, and the answered call backs), the
WAL checkpointer that keeps SQLite's copying off a call's path, and, when AMI is configured,
the AMI link mirroring queue events into the live state; `AsteriskFrontEnds` closes them again.
The other factories wire one part each from `services`, for these and for the `serve` thread
(`dialplans.background_frontends`). It logs as `dialplans.cli`, like the rest of the Asterisk
front-end's start-up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from dialplans.agi import FastAgiServer
from dialplans.agi_callback import AnsweredCallbacks
from dialplans.agi_session import FeedbackLeg, IvrOverAgi
from dialplans.agi_wait import WaitBeforeQueue
from dialplans.ami import AmiLink
from dialplans.callback_records import SqlCallbacks
from dialplans.mirror import QueueMirror
from dialplans.records import SqlCallbackRequests, SqlOperators, SqlQueueCallLog
from services.call_log import BatchedCallLog
from services.complaint_desk import complaint_desk
from services.complaint_feedback_calls import FLOW as FEEDBACK_FLOW
from services.complaint_feedback_calls import bind_feedback_call, feedback_call_service
from services.storm_service import in_storm_mode
from store.db import WalCheckpointer

# One logger for the Asterisk front-end's commands and start-up, whichever module writes.
log = logging.getLogger("dialplans.cli")


@dataclass
class AsteriskFrontEnds:
    agi: FastAgiServer
    ami: AmiLink | None
    checkpoints: WalCheckpointer | None = None

    async def close(self) -> None:
        if self.ami is not None:
            await self.ami.close()
        await self.agi.close()
        if self.checkpoints is not None:
            self.checkpoints.stop()


def build_ami_link(settings: Any, services: Any) -> AmiLink:
    """The AMI link, mirroring into the live state adapter the services hold (if any)."""
    mirror = QueueMirror(
        operators=SqlOperators(services.engine),
        clock=services.clock,
        live=services.extras.get("asterisk_live_queues"),
        calls=SqlQueueCallLog(services.engine),
        originates=services.extras.get("originate_listener"),
    )
    return AmiLink(
        host=settings.ami_host,
        port=settings.ami_port,
        username=settings.ami_username,
        secret=settings.ami_secret,
        apply=mirror.apply,
        resynchronise=mirror.resynchronise,
    )


def ivr_over_agi(services: Any, **options: Any) -> IvrOverAgi:
    """The FastAGI IVR route over the services' calls, prompts, queues and clock; `options`
    (callback requests, feedback leg, call log, threads) as `IvrOverAgi` takes them."""
    return IvrOverAgi(
        calls=services.calls,
        catalogue=services.catalogue,
        queues=services.queues,
        local_now=services.local_now,
        **options,
    )


def feedback_leg(services: Any) -> FeedbackLeg | None:
    """The feedback route's hold on the lifecycle (None when there is no `feedback` flow)."""
    if FEEDBACK_FLOW not in services.flows:
        return None
    return FeedbackLeg(
        calls=feedback_call_service(services),
        bind=lambda call_id, feedback_id: bind_feedback_call(services, call_id, feedback_id),
        ended=lambda feedback_id, status: complaint_desk(services).feedback_call_ended(
            feedback_id, status
        ),
    )


def callback_records(services: Any) -> SqlCallbacks:
    """The `callbacks` rows with the retry policy (`[callbacks]`) and the SMS templates."""
    return SqlCallbacks(
        services.engine,
        policy=services.settings.callbacks,
        templates=services.settings.sms_templates,
        default_language=services.calls.flow.default_language,
    )


def answered_callbacks(services: Any) -> AnsweredCallbacks:
    """The FastAGI `callback` route: greets an answered call back and queues it."""
    return AnsweredCallbacks(
        legs=callback_records(services),
        catalogue=services.catalogue,
        clock=services.clock,
        local_now=services.local_now,
        default_language=services.calls.flow.default_language,
        places=services.extras.get("live_queue"),
    )


def wait_before_queue(services: Any) -> WaitBeforeQueue | None:
    """The estimated wait and call back offer before app_queue (`dialplans.agi_wait`); only
    with an AMI link, through which the routing live state mirrors app_queue."""
    live = services.extras.get("live_queue")
    if not services.settings.ami_enabled or live is None:
        return None
    return WaitBeforeQueue(
        live=live,
        callbacks=SqlCallbackRequests(services.engine),
        queues=services.queues,
        clock=services.clock,
        storm=lambda queue: in_storm_mode(services.redis, queue)[0],
    )


async def start_frontends(settings: Any, services: Any) -> AsteriskFrontEnds:
    calls = ivr_over_agi(
        services,
        callbacks=SqlCallbackRequests(services.engine),
        feedback=feedback_leg(services),
        call_log=BatchedCallLog(services.records.call_log),
        waits=wait_before_queue(services),
    )
    server = FastAgiServer(calls, answered_callbacks(services))
    await server.start(settings.agi_host, settings.agi_port)
    # Commits on a call's path leave the WAL copying to this thread (SQLite only).
    checkpoints = WalCheckpointer(services.engine)
    checkpoints.start()
    link = None
    if settings.ami_enabled:
        link = build_ami_link(settings, services)
        await link.start()
    else:
        log.info("AMI link off (AMI_HOST, AMI_USERNAME and AMI_SECRET not all set)")
    return AsteriskFrontEnds(server, link, checkpoints)
