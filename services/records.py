"""Answers to the engine's `Lookup` and `Record` commands, and the call records.

Each lookup or record the flows may name has one handler here; a flow naming an unknown one is
refused at start-up (`check_flow_handlers`). Handlers read the call's session for context (who
is calling, which consumer) and return JSON-ready data for the session. The call records (the
`calls` row, the remembered language) are `services.call_log`'s; they are reached from here too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from complaints.kinds import ComplaintKind
from ivr.commands import Lookup, Record
from ivr.flow import CollectNode, Flow, LookupNode, RecordNode
from ivr.session import Session
from routing.queues import QueueSet, choose_queue
from services.call_log import SqlCallLog
from services.complaint_status import (
    complaint_by_docket,
    latest_complaint,
    register_by_transformer,
    transformer_by_code,
)
from store import schema as t
from store.complaints_sql import Registration, SqlComplaints
from store.network import SqlNetwork, fault_as_dict
from store.outbox import queue_sms

log = logging.getLogger(__name__)

Handler = Callable[[Mapping[str, Any], Session, datetime], Any]


class CallRecords:
    def __init__(
        self,
        *,
        engine: Engine,
        network: SqlNetwork,
        complaints: SqlComplaints,
        queues: QueueSet,
        sms_templates: Mapping[str, Mapping[str, str]],
        default_company: str,
        payment_link: str,
        zone: ZoneInfo,
    ) -> None:
        self._engine = engine
        self._network = network
        self._complaints = complaints
        self._queues = queues
        self._templates = sms_templates
        self._default_company = default_company
        self._payment_link = payment_link
        self._zone = zone
        # The call records, written at once; a front-end may batch them (`BatchedCallLog`).
        self.call_log = SqlCallLog(engine)
        self.lookups: dict[str, Handler] = {
            "connections_by_caller": self._connections_by_caller,
            "consumer_by_ivrs": lambda a, s, n: self._network.consumer_by_ivrs(a["value"]),
            "active_fault": self._active_fault,
            "bill": lambda a, s, n: self._network.bill(a["consumer"]),
            "application_status": lambda a, s, n: self._network.application(a["value"]),
            "queue": self._queue,
            # main menu 7 (complaint status) and 8 (a transformer by its painted code)
            "latest_complaint": self._latest_complaint,
            "complaint_by_docket": self._complaint_by_docket,
            "transformer_by_code": lambda a, s, n: transformer_by_code(self._engine, a["value"]),
        }
        self.records: dict[str, Callable[[Record, Session, datetime], Any]] = {
            "complaint": self._complaint,
            "restore_sms": self._restore_sms,
            "payment_link_sms": self._payment_link_sms,
            "meter_reading": self._meter_reading,
            "transformer_complaint": self._transformer_complaint,
        }

    @property
    def complaints(self) -> SqlComplaints:
        return self._complaints

    # --- engine commands ----------------------------------------------------------------------

    def answer(self, command: Lookup | Record, session: Session, now: datetime) -> Any:
        if isinstance(command, Lookup):
            return self.lookups[command.name](dict(command.args), session, now)
        return self.records[command.name](command, session, now)

    def _connections_by_caller(self, args: Mapping[str, Any], _s: Session, _n: datetime) -> Any:
        if args.get("kind") != "mobile" or not args.get("caller"):
            return []  # landlines and withheld numbers never match a registered mobile
        return self._network.consumers_by_mobile(str(args["caller"]))

    def _active_fault(self, _args: Mapping[str, Any], session: Session, now: datetime) -> Any:
        consumer = session.vars.get("consumer")
        if not isinstance(consumer, dict):
            return None
        fault = self._network.covering_fault(consumer, now)
        return None if fault is None else fault_as_dict(fault)

    def _queue(self, args: Mapping[str, Any], _s: Session, _n: datetime) -> Any:
        company = args.get("company") or self._default_company
        name, priority = choose_queue(
            self._queues,
            company=company,
            language=args.get("language", "hi"),
            hazard=bool(args.get("hazard")),
        )
        return {"queue": name, "priority": priority}

    def _complaint(self, cmd: Record, session: Session, now: datetime) -> Any:
        args = dict(cmd.args)
        consumer = (
            session.vars.get("consumer") if isinstance(session.vars.get("consumer"), dict) else None
        )
        caller = session.vars.get("caller", {})
        mobile = caller.get("number") if caller.get("kind") == "mobile" else None
        reg = Registration(
            kind=ComplaintKind(args["kind"]),
            company=(consumer or {}).get("company") or self._default_company,
            consumer=consumer,
            channel=session.channel,
            request_key=cmd.key,
            call_id=session.call_id,
            fault_id=args.get("fault"),
            anonymous=bool(args.get("anonymous")),
            notify_mobile=mobile,
            language=session.language,
        )
        return self._complaints.register(reg, now)

    def _latest_complaint(self, args: Mapping[str, Any], session: Session, _n: datetime) -> Any:
        caller = session.vars.get("caller", {})
        return latest_complaint(
            self._engine,
            consumer_id=args.get("consumer"),
            caller=caller.get("number") if caller.get("kind") == "mobile" else None,
        )

    def _complaint_by_docket(self, args: Mapping[str, Any], session: Session, _n: datetime) -> Any:
        consumer = session.vars.get("consumer")
        company = consumer.get("company") if isinstance(consumer, dict) else None
        return complaint_by_docket(
            self._engine, str(args["value"]), company=company or self._default_company
        )

    def _transformer_complaint(self, cmd: Record, session: Session, now: datetime) -> Any:
        transformer = session.vars.get("transformer") or {}
        consumer = session.vars.get("consumer")
        consumer = consumer if isinstance(consumer, dict) else None
        caller = session.vars.get("caller", {})
        return register_by_transformer(
            self._complaints,
            self._network,
            transformer,
            now=now,
            channel=session.channel,
            reporter=consumer,
            request_key=cmd.key,
            call_id=session.call_id,
            notify_mobile=caller.get("number") if caller.get("kind") == "mobile" else None,
            language=session.language,
        )

    def _restore_sms(self, cmd: Record, session: Session, now: datetime) -> Any:
        args = dict(cmd.args)
        fault = session.vars.get("fault") or {}
        mobile = self._sms_number(session)
        if mobile is None or not args.get("fault"):
            return {"subscribed": False}
        with self._engine.begin() as conn:
            exists = conn.execute(
                select(t.restore_subscriptions.c.id).where(
                    t.restore_subscriptions.c.fault_id == args["fault"],
                    t.restore_subscriptions.c.mobile == mobile,
                )
            ).scalar()
            if exists is None:
                conn.execute(
                    insert(t.restore_subscriptions).values(
                        fault_id=args["fault"],
                        consumer_id=args.get("consumer"),
                        mobile=mobile,
                        created_at=now,
                    )
                )
                queue_sms(
                    conn,
                    self._templates,
                    kind="restore_subscribed",
                    to=mobile,
                    language=session.language,
                    now=now,
                    key=cmd.key,
                    values={
                        "asset": fault.get("asset_code", "-"),
                        "etr": _short_time(fault.get("etr"), self._zone),
                    },
                )
        return {"subscribed": True}

    def _payment_link_sms(self, cmd: Record, session: Session, now: datetime) -> Any:
        consumer = session.vars.get("consumer") or {}
        bill = session.vars.get("bill") or {}
        mobile = self._sms_number(session)
        if mobile is None:
            return {"sent": False}
        link = self._payment_link.format(
            company=consumer.get("company", ""), ivrs=consumer.get("ivrs", "")
        )
        with self._engine.begin() as conn:
            queue_sms(
                conn,
                self._templates,
                kind="payment_link",
                to=mobile,
                language=session.language,
                now=now,
                key=cmd.key,
                values={
                    "ivrs": consumer.get("ivrs"),
                    "link": link,
                    "amount": f"{int(bill.get('amount_paise', 0)) / 100:.2f}",
                    "due": bill.get("due_date", "-"),
                },
            )
        return {"sent": True}

    def _meter_reading(self, cmd: Record, session: Session, now: datetime) -> Any:
        args = dict(cmd.args)
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(t.meter_readings).values(
                        consumer_id=args["consumer"],
                        reading=int(args["reading"]),
                        request_key=cmd.key,
                        taken_at=now,
                    )
                )
        except IntegrityError:
            pass  # the same request again: already stored
        return {"stored": True}

    def _sms_number(self, session: Session) -> str | None:
        """Where to send an SMS: the caller's mobile if registered to this consumer, else the
        consumer's first registered mobile (a payment link goes to the account holder)."""
        caller = session.vars.get("caller", {})
        consumer = session.vars.get("consumer") or {}
        with self._engine.connect() as conn:
            mobiles = [
                r[0]
                for r in conn.execute(
                    select(t.consumer_mobiles.c.mobile)
                    .where(t.consumer_mobiles.c.consumer_id == consumer.get("id"))
                    .order_by(t.consumer_mobiles.c.mobile)
                )
            ]
        if caller.get("kind") == "mobile" and caller.get("number") in mobiles:
            return str(caller["number"])
        if mobiles:
            return str(mobiles[0])
        return str(caller["number"]) if caller.get("kind") == "mobile" else None

    # --- call records -------------------------------------------------------------------------

    def remembered_language(self, caller: str) -> str | None:
        from ivr.validators import normalise_caller

        number = normalise_caller(caller).number
        with self._engine.connect() as conn:
            value = conn.execute(
                select(t.caller_preferences.c.language).where(
                    t.caller_preferences.c.number == number
                )
            ).scalar()
        return None if value is None else str(value)

    def remember_language(self, number: str, language: str, now: datetime) -> None:
        self.call_log.remember_language(number, language, now)

    def call_started(self, call_id: str, *, caller: str, channel: str, now: datetime) -> None:
        self.call_log.call_started(call_id, caller=caller, channel=channel, now=now)

    def call_ended(self, session: Session, now: datetime) -> None:
        self.call_log.call_ended(session, now)


def check_flow_handlers(flow: Flow, records: CallRecords) -> None:
    """Refuse a flow that names a lookup or record nobody can answer."""
    from ivr.errors import FlowError

    for nid, node in flow.nodes.items():
        names: list[tuple[str, str, Mapping[str, Any]]] = []
        if isinstance(node, (LookupNode, CollectNode)) and node.lookup:
            names.append(("lookup", node.lookup, records.lookups))
        if isinstance(node, RecordNode):
            names.append(("record", node.record, records.records))
        for what, name, table in names:
            if name not in table:
                raise FlowError(f"{flow.name}.nodes.{nid}.{what}: nothing answers {name!r}")


def _short_time(value: Any, zone: ZoneInfo) -> str:
    if not value:
        return "-"
    try:
        return datetime.fromisoformat(str(value)).astimezone(zone).strftime("%H:%M")
    except ValueError:
        return str(value)
