from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from outages.faults import (
    Cause,
    Fault,
    FaultLevel,
    SupplyPoint,
    covering_fault,
    normalise_asset_code,
)

IST = timezone(timedelta(hours=5, minutes=30))
NOW = datetime(2026, 7, 1, 19, 30, tzinfo=IST)
POINT = SupplyPoint("SS-01", "F-023", "4411002233")


def fault(
    fault_id: str,
    level: FaultLevel,
    asset: str,
    *,
    started: datetime = NOW - timedelta(minutes=20),
    etr: datetime | None = None,
    restored: datetime | None = None,
) -> Fault:
    return Fault(fault_id, level, asset, Cause.WIND, started, etr, restored, True, 100)


SUB = fault("s", FaultLevel.SUBSTATION, "SS-01")
FEEDER = fault("f", FaultLevel.FEEDER, "F-023")
DTR = fault("t", FaultLevel.TRANSFORMER, "4411002233")
ELSEWHERE = fault("x", FaultLevel.TRANSFORMER, "9999999999")


@given(st.permutations([SUB, FEEDER, DTR, ELSEWHERE]))
def test_most_specific_level_wins_whatever_the_order(faults: list[Fault]) -> None:
    assert covering_fault(POINT, faults, NOW) == DTR
    assert covering_fault(POINT, [f for f in faults if f is not DTR], NOW) == FEEDER
    assert covering_fault(POINT, [SUB, ELSEWHERE], NOW) == SUB


def test_no_fault_on_this_supply_point() -> None:
    assert covering_fault(POINT, [ELSEWHERE], NOW) is None
    assert covering_fault(POINT, [], NOW) is None


def test_faults_not_active_at_now_are_ignored() -> None:
    restored = fault("r", FaultLevel.TRANSFORMER, "4411002233", restored=NOW - timedelta(minutes=1))
    future = fault("u", FaultLevel.TRANSFORMER, "4411002233", started=NOW + timedelta(minutes=5))
    assert covering_fault(POINT, [restored, future, FEEDER], NOW) == FEEDER
    # A restoration scheduled after `now` still leaves the fault active now.
    later = fault("l", FaultLevel.TRANSFORMER, "4411002233", restored=NOW + timedelta(minutes=1))
    assert covering_fault(POINT, [later, FEEDER], NOW) == later


@given(st.permutations(range(4)))
def test_same_level_prefers_latest_etr_then_any_etr(order: list[int]) -> None:
    early = fault("a", FaultLevel.FEEDER, "F-023", etr=NOW + timedelta(hours=1))
    late = fault("b", FaultLevel.FEEDER, "F-023", etr=NOW + timedelta(hours=3))
    unknown = fault("c", FaultLevel.FEEDER, "F-023", etr=None)
    candidates = [early, late, unknown, SUB]
    assert covering_fault(POINT, [candidates[i] for i in order], NOW) == late
    assert covering_fault(POINT, [unknown, early], NOW) == early


def test_asset_codes_match_after_normalising() -> None:
    point = SupplyPoint(" ss-01 ", "f-023", None)
    assert covering_fault(point, [FEEDER], NOW) == FEEDER
    assert covering_fault(point, [DTR], NOW) is None  # the transformer is unknown here
    assert normalise_asset_code("f 023") == "F023"


def test_natural_causes_suggest_force_majeure() -> None:
    assert Cause.TREE.is_natural_event and Cause.LIGHTNING.is_natural_event
    assert not Cause.OVERLOAD.is_natural_event and not Cause.UNKNOWN.is_natural_event
