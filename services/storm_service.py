"""Storm mode in the server: gather the inputs, run the pure controller, carry out its commands.

Each round (`tick`, every `interval_s` from `run_forever`), per company: the active faults
(SQL), the arrivals at its queues over the current and previous 15-minute intervals (the live
state's counters), and its operators as the live view sees them (staffed, and the standby pool)
go to `routing.storm.decide` with the state kept from the last round and any supervisor
override. Its commands are carried out by `services.storm_commands` (standby operators made
ready or called out by SMS, storm settings published for the front-ends, which read them with
`storm_settings`; an operator who cannot stand down yet, on a call, is kept for the next
round). Every decision that changes something is written to `storm_decisions` and the audit
log, and posted as a console notice (`services.storm_records`). State, overrides and storm
warnings (`services.storm_warnings`) live in Redis, so any worker may read them.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import redis
from sqlalchemy import Engine

from routing.metrics import interval_start
from routing.operators import OperatorState, Tier, settle
from routing.queues import Company, QueueDefinition, QueueSet
from routing.storm import decide
from routing.storm_config import StormConfig
from routing.storm_decisions import Decision
from routing.storm_forecast import StormWarning
from routing.storm_inputs import Override, OverrideMode, PoolMember, StormInputs, StormState
from services import fault_records as rec
from services.routing_service import RoutingService
from services.storm_commands import StormCommands
from services.storm_records import StormRecords
from services.storm_state import dump_override, dump_state, load_override, load_state
from services.storm_warnings import (
    companies_named,
    dump_warning,
    load_warning,
    parse_warning,
    warning_json,
)
from store.live import LiveStateUnavailable

log = logging.getLogger(__name__)

_WORKING = {OperatorState.READY, OperatorState.RINGING, OperatorState.ON_CALL,
            OperatorState.WRAP_UP, OperatorState.PAUSED}  # fmt: skip


class StormService:
    """Storm mode for every company: rounds of the controller, overrides, warnings, status."""

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
        self._prefix = prefix
        self._commands = StormCommands(engine=engine, client=client, routing=routing,
                                       queues=queues, templates=templates, extras=extras,
                                       prefix=prefix)  # fmt: skip
        self._records = StormRecords(engine=engine, client=client, prefix=prefix)

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
            kept = self._commands.carry_out(decision, now)
            self._redis.set(self._key("storm", "state", company.value), dump_state(kept))
            if decision.changes:
                self._records.record(decision, now)
            decisions.append(decision)
        return decisions

    def state(self, company: Company) -> StormState:
        return load_state(self._redis.get(self._key("storm", "state", company.value)))

    def override(self, company: Company) -> Override:
        return load_override(self._redis.get(self._key("storm", "override", company.value)))

    def set_override(self, company: Company, override: Override, *, actor: str) -> None:
        """A supervisor's override, effective from the next round (and audited)."""
        self._redis.set(self._key("storm", "override", company.value), dump_override(override))
        detail = {"mode": override.mode.value, "fixed_target": override.fixed_target}
        text = f"storm override {override.mode.value} by {actor}"
        self._records.audit(self._clock(), company, actor=actor, action="storm_override",
                            detail=detail, text=text)  # fmt: skip

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
        self._records.audit(now, company, actor=actor, action="storm_warning",
                            detail=warning_json(warning), text=text)  # fmt: skip

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
        rows = self._records.decisions(decisions)
        target = {"service_level": self.config.target_sl, "within_s": self.config.target_s}
        return {"at": now.isoformat(), "target": target, "companies": companies, "decisions": rows}

    def notices(self, limit: int = 50) -> list[dict[str, Any]]:
        return self._records.notices(limit)

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


def in_storm_mode(client: redis.Redis, definition: QueueDefinition) -> tuple[QueueDefinition, bool]:
    """The queue as storm mode has it (the storm's lower callback threshold) and whether outage
    news is to be repeated to its waiting callers; unchanged when storm mode is off or Redis
    cannot say (logged: a waiting caller is never failed for it)."""
    try:
        settings = storm_settings(client, definition.company)
    except (redis.RedisError, ValueError) as exc:
        log.warning("storm settings unreadable (%s); queue %s as usual", exc, definition.name)
        return definition, False
    if not settings.get("on"):
        return definition, False
    threshold = settings.get("callback_offer_s")
    if isinstance(threshold, int) and not isinstance(threshold, bool):
        definition = replace(definition, callback_offer_s=threshold)
    return definition, bool(settings.get("announce_outages"))


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
