from datetime import datetime, timedelta, timezone

import pytest

from outages.errors import OutageError
from outages.faults import Cause, Fault, FaultLevel
from outages.fields import MessageError
from outages.messages import (
    EtrChange,
    EtrChanged,
    EtrUpdated,
    FaultClosed,
    FaultOpened,
    FaultReported,
    FaultRestored,
    Rejected,
    Unchanged,
    UnchangedReason,
    apply,
    parse_fault_message,
)

IST = timezone(timedelta(hours=5, minutes=30))
NOW = datetime(2026, 7, 1, 19, 30, tzinfo=IST)


def report(**changes: object) -> dict[str, object]:
    payload: dict[str, object] = {
        "message_id": "scada-1",
        "action": "report",
        "asset_code": "bpl-f-023",
        "level": "feeder",
        "cause": "wind",
        "etr": "2026-07-01T22:00:00+05:30",
    }
    payload.update(changes)
    return {key: value for key, value in payload.items() if value is not None}


def paths(result: object) -> set[str]:
    assert isinstance(result, list), result
    return {error.path for error in result}


def test_report_with_defaults() -> None:
    message = parse_fault_message(report(), NOW)
    assert message == FaultReported(
        message_id="scada-1",
        asset_code="BPL-F-023",
        level=FaultLevel.FEEDER,
        cause=Cause.WIND,
        etr=datetime(2026, 7, 1, 22, 0, tzinfo=IST),
        force_majeure=False,
        started_at=None,
        consumers_affected=None,
    )


def test_report_with_every_field_and_a_clock_etr() -> None:
    message = parse_fault_message(
        report(
            etr="21:15",
            force_majeure=True,
            started_at="2026-07-01T13:50:00Z",
            consumers_affected=1350,
            cause="TREE",
        ),
        NOW,
    )
    assert isinstance(message, FaultReported)
    assert message.etr == NOW.replace(hour=21, minute=15)
    assert message.started_at == datetime(2026, 7, 1, 19, 20, tzinfo=IST)
    assert (message.force_majeure, message.consumers_affected, message.cause) == (
        True,
        1350,
        Cause.TREE,
    )


def test_report_without_etr_is_accepted() -> None:
    message = parse_fault_message(report(etr=None), NOW)
    assert isinstance(message, FaultReported) and message.etr is None


def test_update_and_restore() -> None:
    update = {"message_id": "m2", "action": "update_etr", "asset_code": "F1", "etr": "23:00"}
    assert parse_fault_message(update, NOW) == EtrUpdated(
        "m2", "F1", None, NOW.replace(hour=23, minute=0)
    )
    restore = {"message_id": "m3", "action": "restore", "asset_code": "F1", "level": "feeder"}
    assert parse_fault_message(restore, NOW) == FaultRestored("m3", "F1", FaultLevel.FEEDER, None)


@pytest.mark.parametrize(
    ("payload", "bad"),
    [
        (report(message_id=None), {"message_id"}),
        (report(message_id=""), {"message_id"}),
        (report(action="delete"), {"action"}),
        (report(action=None), {"action"}),
        (report(level="pole"), {"level"}),
        (report(level=None), {"level"}),
        (report(cause=None), {"cause"}),
        (report(cause="ghosts"), {"cause"}),
        (report(force_majeure="yes"), {"force_majeure"}),
        (report(consumers_affected=-1), {"consumers_affected"}),
        (report(consumers_affected=True), {"consumers_affected"}),
        (report(asset_code=42), {"asset_code"}),
        (report(etr="2026-07-01T22:00:00"), {"etr"}),
        (report(etr="tomorrow"), {"etr"}),
        (report(etr="2026-07-01T18:00:00+05:30"), {"etr"}),
        (report(etr="2062-07-01T18:00:00+05:30"), {"etr"}),
        (report(etr="18:30"), {"etr"}),
        (report(started_at="2026-07-01T20:00:00+05:30"), {"started_at"}),
        (report(eta="22:00"), {"eta"}),
        (report(message_id=7, level="pole", cause=None), {"message_id", "level", "cause"}),
        ({"message_id": "m", "action": "update_etr", "asset_code": "F1"}, {"etr"}),
        ({"message_id": "m", "action": "restore", "asset_code": "F1", "etr": "22:00"}, {"etr"}),
    ],
)
def test_errors_name_every_bad_field(payload: dict[str, object], bad: set[str]) -> None:
    result = parse_fault_message(payload, NOW)
    assert paths(result) == bad
    assert isinstance(result, list)
    assert all(isinstance(e, MessageError) and e.message for e in result)


def test_past_etr_error_says_so() -> None:
    result = parse_fault_message(report(etr="18:30"), NOW)
    assert isinstance(result, list)
    assert "in the past" in result[0].message


def test_naive_now_is_our_bug() -> None:
    with pytest.raises(OutageError):
        parse_fault_message(report(), NOW.replace(tzinfo=None))


# --- apply -----------------------------------------------------------------

ETR = NOW + timedelta(hours=2)
ACTIVE = Fault(
    "f-9", FaultLevel.FEEDER, "F1", Cause.RAIN, NOW - timedelta(hours=1), ETR, None, True, 1350
)
REPORT = FaultReported("m1", "F1", FaultLevel.FEEDER, Cause.WIND, None, False, None, None)


def test_report_opens_a_fault() -> None:
    outcome = apply(REPORT, None, NOW, new_fault_id="f-10", consumers_affected=1200)
    assert outcome == FaultOpened(
        Fault("f-10", FaultLevel.FEEDER, "F1", Cause.WIND, NOW, None, None, False, 1200)
    )


def test_report_keeps_its_own_count_start_and_id() -> None:
    started = NOW - timedelta(minutes=5)
    message = FaultReported("m1", "F1", FaultLevel.FEEDER, Cause.WIND, ETR, True, started, 40)
    outcome = apply(message, None, NOW, consumers_affected=1200)
    assert isinstance(outcome, FaultOpened)
    assert (outcome.fault.id, outcome.fault.started_at, outcome.fault.consumers_affected) == (
        "m1",
        started,
        40,
    )


def test_report_after_a_restored_fault_opens_a_new_one() -> None:
    restored = Fault(
        "f-9",
        FaultLevel.FEEDER,
        "F1",
        Cause.RAIN,
        NOW - timedelta(hours=3),
        None,
        NOW - timedelta(hours=1),
        False,
        10,
    )
    outcome = apply(REPORT, restored, NOW, new_fault_id="f-10")
    assert isinstance(outcome, FaultOpened)
    assert (outcome.fault.id, outcome.fault.started_at, outcome.fault.restored_at) == (
        "f-10",
        NOW,
        None,
    )


def test_repeat_report_of_an_active_fault() -> None:
    assert apply(REPORT, ACTIVE, NOW) == Unchanged(UnchangedReason.ALREADY_ACTIVE)
    same = FaultReported("m1", "F1", FaultLevel.FEEDER, Cause.WIND, ETR, False, None, None)
    assert apply(same, ACTIVE, NOW) == Unchanged(UnchangedReason.ALREADY_ACTIVE)
    later = FaultReported(
        "m1", "F1", FaultLevel.FEEDER, Cause.WIND, ETR + timedelta(hours=1), False, None, None
    )
    outcome = apply(later, ACTIVE, NOW)
    assert isinstance(outcome, EtrChanged) and outcome.fault.etr == ETR + timedelta(hours=1)


def test_etr_update_records_history() -> None:
    new_etr = ETR + timedelta(minutes=45)
    outcome = apply(EtrUpdated("m2", "F1", None, new_etr), ACTIVE, NOW)
    assert outcome == EtrChanged(
        fault=Fault(
            "f-9", FaultLevel.FEEDER, "F1", Cause.RAIN, ACTIVE.started_at, new_etr, None, True, 1350
        ),
        change=EtrChange(previous=ETR, new=new_etr, changed_at=NOW, message_id="m2"),
    )
    assert apply(EtrUpdated("m3", "F1", None, ETR), ACTIVE, NOW) == Unchanged(
        UnchangedReason.SAME_ETR
    )


def test_restore() -> None:
    outcome = apply(FaultRestored("m4", "F1", None, None), ACTIVE, NOW)
    assert isinstance(outcome, FaultClosed) and outcome.fault.restored_at == NOW
    earlier = NOW - timedelta(minutes=10)
    outcome = apply(FaultRestored("m4", "F1", None, earlier), ACTIVE, NOW)
    assert isinstance(outcome, FaultClosed) and outcome.fault.restored_at == earlier
    before_start = ACTIVE.started_at - timedelta(minutes=1)
    assert isinstance(apply(FaultRestored("m4", "F1", None, before_start), ACTIVE, NOW), Rejected)


def test_late_messages_about_a_restored_fault_change_nothing() -> None:
    closed = apply(FaultRestored("m4", "F1", None, None), ACTIVE, NOW)
    assert isinstance(closed, FaultClosed)
    for message in (FaultRestored("m5", "F1", None, None), EtrUpdated("m6", "F1", None, ETR)):
        assert apply(message, closed.fault, NOW) == Unchanged(UnchangedReason.ALREADY_RESTORED)


def test_unknown_fault_is_rejected() -> None:
    assert apply(FaultRestored("m4", "F1", None, None), None, NOW) == Rejected(
        "restore of an unknown fault"
    )
    assert isinstance(apply(EtrUpdated("m2", "F1", None, ETR), None, NOW), Rejected)


def test_duplicate_message_is_harmless() -> None:
    seen = frozenset({"m1", "m4"})
    for message in (REPORT, FaultRestored("m4", "F1", None, None)):
        assert apply(message, ACTIVE, NOW, seen_message_ids=seen) == Unchanged(
            UnchangedReason.DUPLICATE_MESSAGE
        )
