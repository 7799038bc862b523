"""Carrying out the storm controller's commands in the server.

`StormCommands.carry_out` takes one company's decision and does what its commands say, in
their order: storm settings (`SwitchStormSettings`) are published in Redis for the front-ends,
which read them through `services.storm_service.storm_settings`; a standby operator already
logged in (`MakeReady`) is made ready through the routing service and, when an AMI link with
`add_member` is present (`extras["ami"]`), added to the company's Asterisk queues with the
tier's penalty; an offline one (`CallOut`) gets an SMS call-out through the outbox, keyed by
operator and minute so a retried round sends it once; an operator brought in (`StandDown`)
goes back to standby. An operator who cannot stand down yet (on a call) stays in the state
kept for the next round, which tries again. A failed AMI QueueAdd is logged and skipped: the
helpline's own ACD still routes, and Asterisk catches up on its next resync.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

import redis
from sqlalchemy import Engine

from routing.operators import Operator
from routing.queues import Company, QueueSet
from routing.storm_decisions import (
    CallOut,
    Decision,
    MakeReady,
    StandDown,
    StormCommand,
    SwitchStormSettings,
)
from routing.storm_inputs import StormState
from services.routing_service import OperatorAction, RoutingService
from store.outbox import queue_sms

log = logging.getLogger(__name__)


class StormCommands:
    """The hands of the storm service: routing service, Redis, outbox SMS and the AMI link."""

    def __init__(
        self,
        *,
        engine: Engine,
        client: redis.Redis,
        routing: RoutingService,
        queues: QueueSet,
        templates: Mapping[str, Mapping[str, str]],
        extras: Mapping[str, Any],
        prefix: str,
    ) -> None:
        self._engine, self._redis, self._routing, self._queues = engine, client, routing, queues
        self._templates, self._extras, self._prefix = templates, extras, prefix

    def carry_out(self, decision: Decision, now: datetime) -> StormState:
        """Do the decision's commands; the state to keep (with who could not stand down yet)."""
        state = decision.state
        for command in decision.commands:
            kept = self._command(decision.company, command, now)
            if kept is not None:  # could not stand down yet: try again next round
                state = replace(state, activated=state.activated + (kept,))
        return state

    def _command(self, company: Company, command: StormCommand, now: datetime) -> str | None:
        """Carry out one command; the operator's id if a stand-down must wait."""
        if isinstance(command, SwitchStormSettings):
            self._publish_settings(company, command, now)
            return None
        if isinstance(command, MakeReady):
            result = self._routing.act(command.operator_id, OperatorAction.READY)
            if result.ok:
                self._add_to_asterisk(command.operator_id, company)
            return None
        if isinstance(command, CallOut):
            self._call_out(command, company, now)
            return None
        assert isinstance(command, StandDown)
        result = self._routing.act(command.operator_id, OperatorAction.STANDBY)
        return None if result.ok else command.operator_id

    def _publish_settings(
        self, company: Company, command: SwitchStormSettings, now: datetime
    ) -> None:
        settings = {"on": command.on, "callback_offer_s": command.callback_offer_s,
                    "announce_outages": command.on, "since": now.isoformat()}  # fmt: skip
        self._redis.set(f"{self._prefix}storm:settings:{company.value}", json.dumps(settings))

    def _call_out(self, command: CallOut, company: Company, now: datetime) -> None:
        operator = self._operator(command.operator_id)
        if operator is None or not operator.phone:
            log.warning("standby operator %s has no phone for a call-out", command.operator_id)
            return
        with self._engine.begin() as conn:
            queue_sms(conn, self._templates, kind="storm_callout", to=operator.phone,
                      language="hi", values={"company": company.value, "tier": command.tier.value},
                      now=now, key=f"storm_callout:{operator.id}:{now:%Y%m%d%H%M}")  # fmt: skip

    def _operator(self, operator_id: str) -> Operator | None:
        from store.operators_sql import SqlOperators

        return SqlOperators(self._engine).get(operator_id)

    def _add_to_asterisk(self, operator_id: str, company: Company) -> None:
        ami = self._extras.get("ami")
        add_member = getattr(ami, "add_member", None)
        operator = self._operator(operator_id)
        if add_member is None or operator is None or not operator.sip_interface:
            return
        for queue in self._queues:
            if queue.company is company and operator.serves(queue):
                try:
                    add_member(queue.name, operator.sip_interface, operator.penalty)
                except Exception:  # the own ACD still routes; Asterisk catches up on resync
                    log.exception("AMI QueueAdd %s to %s failed", operator_id, queue.name)
