"""Proactive outage SMS through the fault service and the outbox worker.

Faults go through `FaultService.submit` on the seeded network (real SQL, real Redis); SMS leave
through `OutboxWorker` and the real `twilio.rest.Client` over a recording HTTP transport (as in
test_twilio_rest), since Twilio's cloud is out of reach.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from twilio.rest import Client

from config.settings import OutageSms, Settings
from outages.faults import FaultLevel
from services.faults import FaultOutcome, FaultResult, FaultService
from services.outbox_worker import OutboxWorker, TwilioSms
from store import schema as t
from store.outbox import SmsPriority, queue_sms

ACCOUNT = "AC" + "1" * 32
TOKEN = "test-auth-token-0123456789abcdef"


@pytest.fixture
def outage_sms(settings: Settings) -> OutageSms:
    return settings.outage_sms


def fault_service(services: Any, config: OutageSms) -> FaultService:
    settings = services.settings
    return FaultService(engine=services.engine, templates=settings.sms_templates,
                        clock=services.clock, zone=settings.zone, extras=services.extras,
                        outage_sms=config)  # fmt: skip


@pytest.fixture
def faults(services: Any, outage_sms: OutageSms) -> FaultService:
    return fault_service(services, outage_sms)


@pytest.fixture
def transport(twilio_http: Any) -> Any:
    """The real Twilio client's requests, recorded (answered as the Messages API does)."""
    return twilio_http()


def worker(services: Any, transport: Any, per_second: float = 5) -> OutboxWorker:
    sms = TwilioSms(Client(ACCOUNT, TOKEN, http_client=transport), from_number="+15005550006")
    return OutboxWorker(services.engine, sms, bulk_per_second=per_second, bulk_chunk=20)


def drain(services: Any, clock: Any, transport: Any) -> None:
    """Send everything queued (a fast pace, rounds until no bulk is left)."""
    sender = worker(services, transport, per_second=1000)
    while sender.run_once(clock()).bulk_waiting:
        clock.advance(seconds=1)


def supply(services: Any, ivrs: str) -> dict[str, str]:
    """The demo consumer's substation, feeder and transformer codes."""
    with services.engine.connect() as conn:
        row = conn.execute(
            select(t.substations.c.code.label("substation"), t.feeders.c.code.label("feeder"),
                   t.transformers.c.code.label("transformer"))
            .select_from(t.consumers.join(t.transformers,
                                          t.consumers.c.transformer_id == t.transformers.c.id)
                         .join(t.feeders, t.transformers.c.feeder_id == t.feeders.c.id)
                         .join(t.substations, t.feeders.c.substation_id == t.substations.c.id))
            .where(t.consumers.c.ivrs == ivrs)
        ).one()  # fmt: skip
    return dict(row._mapping)


def mobiles_on(services: Any, column: Any, code: str) -> dict[str, str]:
    """Mobile -> language of its lowest-numbered connection, for consumers under an asset."""
    path = (
        t.consumer_mobiles.join(t.consumers, t.consumer_mobiles.c.consumer_id == t.consumers.c.id)
        .join(t.transformers, t.consumers.c.transformer_id == t.transformers.c.id)
        .join(t.feeders, t.transformers.c.feeder_id == t.feeders.c.id)
        .join(t.substations, t.feeders.c.substation_id == t.substations.c.id)
    )
    query = (
        select(t.consumer_mobiles.c.mobile, t.consumers.c.language)
        .select_from(path)
        .where(column == code)
        .order_by(t.consumers.c.id.desc())
    )
    with services.engine.connect() as conn:
        return {mobile: language for mobile, language in conn.execute(query)}


def sms(services: Any, kind: str | None = None, **where: Any) -> list[Any]:
    query = select(t.outbox).order_by(t.outbox.c.id)
    if kind is not None:
        query = query.where(t.outbox.c.kind == kind)
    for column, value in where.items():
        query = query.where(t.outbox.c[column] == value)
    with services.engine.connect() as conn:
        return list(conn.execute(query))


def report(code: str, message_id: str, level: str = "feeder", **extra: Any) -> dict[str, Any]:
    return {"message_id": message_id, "action": "report", "asset_code": code, "level": level,
            "cause": "tree", **extra}  # fmt: skip


def local_iso(services: Any, **delta: float) -> str:
    return str(
        (services.clock() + timedelta(**delta)).astimezone(services.settings.zone).isoformat()
    )


def submit(faults: FaultService, payload: dict[str, Any]) -> FaultResult:
    result = faults.submit(payload, source="feed", actor="feed:test")
    assert not result.outcome.refused, result.message
    return result


def test_opening_a_feeder_fault_queues_one_outage_sms_per_affected_mobile(
    faults: FaultService, services: Any
) -> None:
    feeder = supply(services, "1000000002")["feeder"]
    result = submit(faults, report(feeder, "f-1", etr=local_iso(services, hours=3)))
    assert result.outcome is FaultOutcome.OPENED
    fault_id = result.fault["id"] if result.fault else None
    expected = mobiles_on(services, t.feeders.c.code, feeder)
    queued = sms(services, "outage")
    assert sorted(m.to_number for m in queued) == sorted(expected)  # one each, none twice
    assert result.notices.queued == result.sms_queued == len(expected) > 10
    assert {m.request_key for m in queued} == {f"outage:{fault_id}:{m}" for m in expected}
    assert {(m.priority, m.status, m.template_id) for m in queued} == {
        (SmsPriority.BULK, "queued", services.settings.sms_templates["outage"]["template_id"])
    }
    body = {m.to_number: m.body for m in queued}
    # 11:30 in Kolkata now, so the ETR reads 14:30; the language is the consumer record's
    assert body["9000000002"].startswith("1912: आपके क्षेत्र में बिजली बंद है - फ़ीडर " + feeder)
    assert "कारण: लाइन पर पेड़ गिरना" in body["9000000002"] and "14:30" in body["9000000002"]
    english = next(mobile for mobile, language in expected.items() if language == "en")
    assert f"feeder {feeder}, cause: a tree on the line" in body[english]
    assert "Expected back by: 14:30" in body[english]


def test_repeats_of_the_message_add_nothing(faults: FaultService, services: Any) -> None:
    feeder = supply(services, "1000000002")["feeder"]
    submit(faults, report(feeder, "f-1"))
    before = len(sms(services))
    assert submit(faults, report(feeder, "f-1")).outcome is FaultOutcome.DUPLICATE
    # another report of the same active fault is not a new outage either
    assert submit(faults, report(feeder, "f-2")).outcome is FaultOutcome.UNCHANGED
    assert len(sms(services)) == before
    [outage] = [m for m in sms(services, "outage") if m.to_number == "9000000002"]
    assert "अभी तय नहीं" in outage.body  # no ETR was given


def test_a_mobile_told_of_an_enclosing_fault_is_not_told_again(
    faults: FaultService, services: Any, clock: Any
) -> None:
    where = supply(services, "1000000002")
    told = submit(faults, report(where["substation"], "s-1", level="substation"))
    on_substation = mobiles_on(services, t.substations.c.code, where["substation"])
    assert told.notices.queued == len(on_substation)
    # the feeder under it: everyone it cuts off already knows, so no second SMS
    feeder = submit(faults, report(where["feeder"], "f-1"))
    assert (feeder.notices.queued, feeder.notices.covered) == (0, len(on_substation))
    assert len(sms(services, "outage")) == len(on_substation)
    # a feeder elsewhere still tells its consumers
    elsewhere = supply(services, "1000000003")["feeder"]  # 1000000001's feeder has the demo fault
    assert submit(faults, report(elsewhere, "f-2")).notices.queued > 0
    # hours later a new fault on the same path is news again (supply is still off)
    clock.advance(hours=7)
    transformer = submit(faults, report(where["transformer"], "t-1", level="transformer"))
    on_transformer = mobiles_on(services, t.transformers.c.code, where["transformer"])
    assert transformer.notices.queued == len(on_transformer) > 0


def test_a_fault_opened_above_a_smaller_one_tells_only_the_others(
    faults: FaultService, services: Any
) -> None:
    where = supply(services, "1000000002")
    submit(faults, report(where["transformer"], "t-1", level="transformer"))
    on_transformer = mobiles_on(services, t.transformers.c.code, where["transformer"])
    feeder = submit(faults, report(where["feeder"], "f-1"))
    on_feeder = mobiles_on(services, t.feeders.c.code, where["feeder"])
    assert feeder.notices.covered == len(on_transformer)
    assert feeder.notices.queued == len(set(on_feeder) - set(on_transformer))
    outage = sms(services, "outage")
    assert len(outage) == len({m.to_number for m in outage}) == len(on_feeder)


def test_restore_cancels_unsent_notices_and_tells_only_those_told(
    faults: FaultService, services: Any, clock: Any, transport: Any
) -> None:
    feeder = supply(services, "1000000002")["feeder"]
    opened = submit(faults, report(feeder, "f-1"))
    report_ = worker(services, transport, per_second=5).run_once(clock())
    assert report_.bulk_sent == 10 and report_.bulk_waiting  # 2 s of pace at 5 a second
    told = [m.to_number for m in sms(services, "outage", status="sent")]
    # one of them asked the IVR for a restore SMS too; and so did the demo consumer
    fault_id = opened.fault["id"] if opened.fault else None
    with services.engine.begin() as conn:
        for mobile in (told[0], "9000000002"):
            conn.execute(insert(t.restore_subscriptions).values(
                fault_id=fault_id, mobile=mobile, created_at=clock()))  # fmt: skip
    clock.advance(minutes=5)
    restored = submit(faults, {"message_id": "r-1", "action": "restore", "asset_code": feeder})
    unsent = opened.notices.queued - len(told)
    assert restored.notices.cancelled == unsent
    assert len(sms(services, "outage", status="cancelled")) == unsent
    back = sms(services, "restored")
    assert sorted(m.to_number for m in back) == sorted({*told, "9000000002"})  # no duplicate
    urgent = {m.to_number for m in back if m.priority == SmsPriority.URGENT}
    assert urgent == {told[0], "9000000002"}  # those who asked are not paced behind the bulk
    # nothing about the outage leaves after it ended
    transport.sent.clear()
    for _ in range(5):
        clock.advance(seconds=10)
        worker(services, transport).run_once(clock())
    assert sorted(sent.data["Body"] for sent in transport.sent) == sorted(m.body for m in back)


@pytest.mark.parametrize("sent_before_restore", [True, False])
def test_when_the_enclosing_fault_ends_those_still_cut_off_hear_of_the_other(
    faults: FaultService, services: Any, clock: Any, twilio_http: Any, sent_before_restore: bool
) -> None:
    where = supply(services, "1000000002")
    submit(faults, report(where["substation"], "s-1", level="substation"))
    if sent_before_restore:
        drain(services, clock, twilio_http())
    submit(faults, report(where["feeder"], "f-1", etr=local_iso(services, hours=4)))
    on_feeder = mobiles_on(services, t.feeders.c.code, where["feeder"])
    on_substation = mobiles_on(services, t.substations.c.code, where["substation"])
    clock.advance(minutes=30)
    ended = submit(faults, {"message_id": "s-r", "action": "restore",
                            "asset_code": where["substation"], "level": "substation"})  # fmt: skip
    assert ended.notices.held == len(on_feeder)
    # the substation's consumers beyond the feeder get "restored" (none here: it has one feeder)
    assert {m.to_number for m in sms(services, "restored")} == set(on_substation) - set(on_feeder)
    handed = [m for m in sms(services, "outage") if where["feeder"] in m.body]
    assert sorted(m.to_number for m in handed) == sorted(on_feeder)
    assert all(m.status == "queued" for m in handed)
    drain(services, clock, twilio_http())
    submit(faults, {"message_id": "f-r", "action": "restore", "asset_code": where["feeder"]})
    assert {m.to_number for m in sms(services, "restored")} >= set(on_feeder)


def test_a_moved_etr_is_told_to_those_told_and_written_into_unsent_notices(
    faults: FaultService, services: Any, clock: Any, transport: Any, twilio_http: Any
) -> None:
    feeder = supply(services, "1000000002")["feeder"]
    submit(faults, report(feeder, "f-1", etr=local_iso(services, hours=2)))  # 13:30 local
    worker(services, transport, per_second=5).run_once(clock())
    told = {m.to_number for m in sms(services, "outage", status="sent")}
    small = {"message_id": "e-1", "action": "update_etr", "asset_code": feeder,
             "etr": local_iso(services, hours=2, minutes=20)}  # fmt: skip
    result = submit(faults, small)
    assert result.outcome is FaultOutcome.ETR_CHANGED and result.notices.queued == 0
    unsent = sms(services, "outage", status="queued")
    assert unsent and all("13:50" in m.body for m in unsent)  # still unsent: the newest ETR
    assert result.notices.refreshed == len(unsent)
    large = {**small, "message_id": "e-2", "etr": local_iso(services, hours=3)}
    result = submit(faults, large)
    updates = sms(services, "etr_updated")
    assert {m.to_number for m in updates} == told and result.notices.queued == len(told)
    assert all("14:30" in m.body and m.priority == SmsPriority.BULK for m in updates)
    assert all("14:30" in m.body for m in sms(services, "outage", status="queued"))


def test_etr_updates_and_levels_follow_the_settings(
    services: Any, outage_sms: OutageSms, clock: Any, twilio_http: Any
) -> None:
    config = dataclasses.replace(outage_sms, etr_updates=False,
                                 levels=frozenset({FaultLevel.FEEDER}))  # fmt: skip
    faults = fault_service(services, config)
    where = supply(services, "1000000002")
    assert submit(faults, report(where["transformer"], "t-1", level="transformer")).sms_queued == 0
    submit(faults, report(where["feeder"], "f-1", etr=local_iso(services, hours=2)))
    drain(services, clock, twilio_http())
    later = {"message_id": "e-1", "action": "update_etr", "asset_code": where["feeder"],
             "etr": local_iso(services, hours=5)}  # fmt: skip
    assert submit(faults, later).notices.queued == 0 and sms(services, "etr_updated") == []
    off = fault_service(services, dataclasses.replace(outage_sms, enabled=False))
    other = supply(services, "1000000003")["feeder"]
    assert submit(off, report(other, "f-2")).sms_queued == 0


def test_urgent_messages_overtake_a_bulk_of_notices(
    faults: FaultService, services: Any, clock: Any, transport: Any
) -> None:
    feeder = supply(services, "1000000002")["feeder"]
    bulk = submit(faults, report(feeder, "f-1")).notices.queued
    templates = services.settings.sms_templates

    def docket(number: str) -> None:
        with services.engine.begin() as conn:
            values = {"docket": "WZ2611270000001", "deadline": "15:30"}
            queue_sms(conn, templates, kind="docket", to=number, language="en", values=values,
                      now=clock())  # fmt: skip

    clock.advance(seconds=1)
    docket("9111111111")  # queued after the whole bulk
    sender = worker(services, transport, per_second=5)
    first = sender.run_once(clock())
    assert transport.sent[0].data["To"] == "+919111111111"
    assert (first.sent, first.bulk_sent, first.bulk_waiting) == (11, 10, True)
    assert sender.run_once(clock()).sent == 0  # the pace is spent for now
    clock.advance(seconds=1)
    docket("9222222222")
    second = sender.run_once(clock())
    assert transport.sent[11].data["To"] == "+919222222222" and second.bulk_sent == 5
    while sender.run_once(clock()).bulk_waiting:
        clock.advance(seconds=1)
    with services.engine.connect() as conn:
        left = conn.execute(select(func.count()).select_from(t.outbox).where(
            t.outbox.c.status != "sent")).scalar_one()  # fmt: skip
    assert left == 0 and len(transport.sent) == bulk + 2
