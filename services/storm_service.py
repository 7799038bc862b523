"""Storm mode in the server: gather the inputs, run the pure controller, carry out its commands.

Each round (`tick`, every `interval_s` from `run_forever`), per company: the active faults
(SQL), the arrivals at its queues over the current and previous 15-minute intervals (the live
state's counters), and its operators as the live view sees them (staffed, and the standby pool)
go to `routing.storm.decide` with the state kept from the last round and any supervisor
override. Its commands are carried out here: a standby operator already logged in is made
ready through the routing service (and, when an AMI link with `add_member` is present, added
to the company's Asterisk queues with the tier's penalty); an offline one gets an SMS call-out
(outbox); storm settings are published for the front-ends (`storm_settings`); an operator who
cannot stand down yet (on a call) is kept for the next round. Every decision that changes
something is written to `storm_decisions` and the audit log, and posted as a console notice
(Redis list `h1912:notices`). State, overrides and storm warnings (`services.storm_warnings`)
live in Redis, so any worker may read them.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import redis
from sqlalchemy import Engine, insert, select

from routing.metrics import interval_start
from routing.operators import Operator, OperatorState, Tier, settle
from routing.queues import Company, QueueSet
from routing.storm import (
    CallOut,
    Decision,
    MakeReady,
    Override,
    OverrideMode,
    PoolMember,
    StandDown,
    StormCommand,
    StormInputs,
    StormState,
    SwitchStormSettings,
    decide,
)
from routing.storm_config import StormConfig
from routing.storm_forecast import StormWarning
from services import fault_records as rec
from services.routing_service import OperatorAction, RoutingService
from services.storm_state import (
    decision_row,
    dump_override,
    dump_state,
    load_override,
    load_state,
)
from services.storm_warnings import (
    companies_named,
    dump_warning,
    load_warning,
    parse_warning,
    warning_json,
)
from store import schema as t
from store.live import LiveStateUnavailable
from store.outbox import queue_sms

log = logging.getLogger(__name__)

NOTICES = "notices"
NOTICES_KEPT = 200
_WORKING = {OperatorState.READY, OperatorState.RINGING, OperatorState.ON_CALL,
            OperatorState.WRAP_UP, OperatorState.PAUSED}  # fmt: skip


class StormService:
    def __init__(
        self,
        *,
        engine: Engine,
        client: redis.Redis,
        routing: RoutingService,
        queues: QueueSet,
        config: StormConfig,
        clock: Callable[[], datetime],
        templates: Mapping[str, Mapping[str, str]],
        extras: Mapping[str, Any],
        zone: ZoneInfo,
        prefix: str = "h1912:",
    ) -> None:
        self._engine, self._redis, self._routing = engine, client, routing
        self._zone = zone
        self._queues, self.config, self._clock = queues, config, clock
        self._templates, self._extras, self._prefix = templates, extras, prefix

    def _key(self, *parts: str) -> str:
        return self._prefix + ":".join(parts)

    # ------------------------------------------------------------------ inputs

    def gather(self, company: Company, now: datetime) -> StormInputs:
        with self._engine.connect() as conn:
            faults = tuple(f for c, _, f in rec.active_faults(conn) if c == company.value)
        views = self._routing.live.operators(now.timestamp())
        mine = [v for v in views if company in v.operator.companies]
        states = [(v.operator, settle(v.status, now.timestamp()).state) for v in mine]
        pool = tuple(
            PoolMember(op.id, op.tier, state is OperatorState.STANDBY)
            for op, state in states
            if op.tier is not Tier.PRIMARY
            and state in (OperatorState.STANDBY, OperatorState.OFFLINE)
        )
        staffed = sum(state in _WORKING for _, state in states)
        return StormInputs(company, now, faults, self._observed(company, now), staffed, pool,
                           warning=self.warning(company))  # fmt: skip

    def _observed(self, company: Company, now: datetime) -> float | None:
        """Queue arrivals per hour since the start of the previous 15-minute interval."""
        current = interval_start(now.timestamp())
        elapsed = now.timestamp() - (current - 900)
        offered = sum(
            self._routing.live.interval_stats(queue.name, start).offered
            for queue in self._queues
            if queue.company is company
            for start in (current - 900, current)
        )
        return offered * 3600.0 / elapsed

    # ------------------------------------------------------------------ one round

    def tick(self) -> list[Decision]:
        """One round for every company; returns the decisions (holds included)."""
        now = self._clock()
        self._routing.sync_operators()
        decisions = []
        for company in Company:
            state, override = self.state(company), self.override(company)
            decision = decide(self.gather(company, now), state, self.config, override)
            kept = self._carry_out(decision, now)
            self._redis.set(self._key("storm", "state", company.value), dump_state(kept))
            if decision.changes:
                self._record(decision, now)
            decisions.append(decision)
        return decisions

    def state(self, company: Company) -> StormState:
        return load_state(self._redis.get(self._key("storm", "state", company.value)))

    def override(self, company: Company) -> Override:
        return load_override(self._redis.get(self._key("storm", "override", company.value)))

    def set_override(self, company: Company, override: Override, *, actor: str) -> None:
        """A supervisor's override, effective from the next round (and audited)."""
        self._redis.set(self._key("storm", "override", company.value), dump_override(override))
        now = self._clock()
        detail = {"mode": override.mode.value, "fixed_target": override.fixed_target}
        with self._engine.begin() as conn:
            rec.audit(conn, at=now, actor=actor, action="storm_override",
                      subject=f"storm:{company.value}", detail=detail)  # fmt: skip
        self._notice(now, company, f"storm override {override.mode.value} by {actor}")

    def warning(self, company: Company) -> StormWarning | None:
        return load_warning(self._redis.get(self._key("storm", "warning", company.value)))

    def warn(
        self, body: Mapping[str, Any], *, actor: str
    ) -> tuple[list[Company], StormWarning] | str:
        """Set the warning `body` describes (`services.storm_warnings.parse_warning`), or say
        what is wrong with it (nothing changes then)."""
        parsed = parse_warning(body, config=self.config, zone=self._zone, now=self._clock(),
                               actor=actor)  # fmt: skip
        if isinstance(parsed, str):
            return parsed
        companies, warning = parsed
        for company in companies:
            self.set_warning(company, warning, actor=actor)
        return parsed

    def set_warning(self, company: Company, warning: StormWarning | None, *, actor: str) -> None:
        """Set (or with None clear) the company's storm warning; it expires when it ends."""
        key, now = self._key("storm", "warning", company.value), self._clock()
        if warning is None:
            self._redis.delete(key)
            text = f"storm warning cleared by {actor}"
        else:
            expiry = max(1, math.ceil((warning.ends - now).total_seconds()))
            self._redis.set(key, dump_warning(warning), ex=expiry)
            text = (f"storm warning {warning.starts:%d %b %H:%M}-{warning.ends:%H:%M}"
                    f" ({warning.calls_per_hour:,.0f} fault calls/h) set by {actor}")  # fmt: skip
        with self._engine.begin() as conn:
            rec.audit(conn, at=now, actor=actor, action="storm_warning",
                      subject=f"storm:{company.value}", detail=warning_json(warning))  # fmt: skip
        self._notice(now, company, text)

    def _carry_out(self, decision: Decision, now: datetime) -> StormState:
        state = decision.state
        for command in decision.commands:
            kept = self._command(decision.company, command, now)
            if kept is not None:  # could not stand down yet: try again next round
                state = StormState(state.mode, state.target, state.changed_at,
                                   state.activated + (kept,), state.called_out)  # fmt: skip
        return state

    def _command(self, company: Company, command: StormCommand, now: datetime) -> str | None:
        if isinstance(command, SwitchStormSettings):
            settings = {"on": command.on, "callback_offer_s": command.callback_offer_s,
                        "announce_outages": command.on, "since": now.isoformat()}  # fmt: skip
            self._redis.set(self._key("storm", "settings", company.value), json.dumps(settings))
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

    def _record(self, decision: Decision, now: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(insert(t.storm_decisions).values(**decision_row(decision)))
            subject = f"storm:{decision.company.value}"
            rec.audit(conn, at=now, actor="storm", action=f"storm_{decision.action}",
                      subject=subject, detail=decision.inputs())  # fmt: skip
        self._notice(now, decision.company, f"{decision.action}: {decision.reason}")

    def _notice(self, now: datetime, company: Company, text: str) -> None:
        notice = json.dumps({"at": now.isoformat(), "company": company.value, "text": text})
        pipe = self._redis.pipeline()
        pipe.lpush(self._key(NOTICES), notice)
        pipe.ltrim(self._key(NOTICES), 0, NOTICES_KEPT - 1)
        pipe.execute()

    # ------------------------------------------------------------------ reading

    def status(self, *, decisions: int = 20) -> dict[str, Any]:
        """Per company the current forecast, target and staffing; the last decisions."""
        now = self._clock()
        companies = {}
        for company in Company:
            override = self.override(company)
            plan = decide(self.gather(company, now), self.state(company), self.config, override)
            companies[company.value] = {
                **plan.inputs(), "reason": plan.reason, "would": plan.action,
                "settings": storm_settings(self._redis, company, prefix=self._prefix),
                "warning": warning_json(self.warning(company)),
            }  # fmt: skip
        query = select(t.storm_decisions).order_by(t.storm_decisions.c.id.desc()).limit(decisions)
        with self._engine.connect() as conn:
            rows = [_decision_json(row) for row in conn.execute(query)]
        target = {"service_level": self.config.target_sl, "within_s": self.config.target_s}
        return {"at": now.isoformat(), "target": target, "companies": companies, "decisions": rows}

    def notices(self, limit: int = 50) -> list[dict[str, Any]]:
        raw = self._redis.lrange(self._key(NOTICES), 0, limit - 1)
        return [json.loads(item) for item in raw]

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.wait(self.config.interval_s):
            try:
                self.tick()
            except LiveStateUnavailable as exc:
                log.warning("storm round skipped: %s", exc)
            except Exception:  # the loop must outlive a bad round (database restart, …)
                log.exception("storm round failed; retrying in %s s", self.config.interval_s)


def storm_settings(
    client: redis.Redis, company: Company, *, prefix: str = "h1912:"
) -> dict[str, Any]:
    """The storm settings front-ends follow: `on`, `callback_offer_s`, `announce_outages`."""
    raw = client.get(f"{prefix}storm:settings:{company.value}")
    if raw is None:
        return {"on": False, "callback_offer_s": None, "announce_outages": False, "since": None}
    return dict(json.loads(raw))


def _decision_json(row: Any) -> dict[str, Any]:
    return {
        "at": rec.iso(row.at), "company": row.company, "action": row.action,
        "target_operators": row.target_operators, "staffed_operators": row.staffed_operators,
        "reason": row.reason, "inputs": row.inputs,
    }  # fmt: skip


def parse_override(body: Mapping[str, Any], *, actor: str) -> tuple[list[Company], Override] | str:
    """`{"company": "CZ" | "all", "mode": "auto" | "on" | "off", "target": int | null}`."""
    chosen = companies_named(body.get("company", "all"))
    if isinstance(chosen, str):
        return chosen
    try:
        mode = OverrideMode(str(body.get("mode", "auto")).lower())
    except ValueError:
        return f"mode must be auto, on or off, got {body.get('mode')!r}"
    target = body.get("target")
    if target is not None and (
        isinstance(target, bool) or not isinstance(target, int) or target < 0
    ):
        return f"target must be a whole number >= 0 or null, got {target!r}"
    unknown = sorted(set(body) - {"company", "mode", "target"})
    if unknown:
        return f"unknown field {unknown[0]!r}"
    return chosen, Override(mode, target, actor)


def build_storm_services(services: Any, storm_file: Mapping[str, object]) -> None:
    """Add the fault service (`extras["faults"]`) and the storm service (`extras["storm"]`)."""
    from config.errors import ConfigError
    from routing.storm_config import StormConfigError, load_storm_config
    from services.faults import FaultService

    try:
        config = load_storm_config(storm_file)
    except StormConfigError as exc:
        raise ConfigError(f"storm.toml: {exc}") from None
    settings = services.settings
    services.extras["faults"] = FaultService(
        engine=services.engine, templates=settings.sms_templates, clock=services.clock,
        zone=settings.zone, extras=services.extras, outage_sms=settings.outage_sms,
    )  # fmt: skip
    services.extras["storm"] = StormService(
        engine=services.engine, client=services.redis, routing=services.extras["routing"],
        queues=services.queues, config=config, clock=services.clock,
        templates=settings.sms_templates, extras=services.extras, zone=settings.zone,
    )  # fmt: skip
