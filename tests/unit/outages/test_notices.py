"""The outage SMS rules: overlap of fault places, ETR changes worth telling, what is said."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from outages.faults import Cause, Fault, FaultLevel
from outages.notices import (
    NoticeRules,
    etr_text,
    most_specific,
    notice_values,
    overlapping,
    overlaps,
    place_of,
)

NOW = datetime(2026, 7, 1, 13, 30, tzinfo=UTC)  # 19:00 in Kolkata
KOLKATA = ZoneInfo("Asia/Kolkata")


def fault(fault_id: str, level: FaultLevel, code: str, etr: datetime | None = None) -> Fault:
    return Fault(fault_id, level, code, Cause.TREE, NOW - timedelta(minutes=10), etr, None,
                 False, 100)  # fmt: skip


RULES = NoticeRules(
    levels=frozenset({FaultLevel.SUBSTATION, FaultLevel.FEEDER}),
    repeat_after=timedelta(hours=6),
    etr_change=timedelta(minutes=30),
)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (("S1",), ("S1", "F1"), True),  # a substation and a feeder under it
        (("S1", "F1", "T1"), ("S1", "F1"), True),  # a transformer and its feeder
        (("S1", "F1", "T1"), ("S1",), True),
        (("S1", "F1"), ("S1", "F1"), True),
        (("S1", "F1"), ("S1", "F2"), False),  # two feeders of one substation
        (("S1", "F1", "T1"), ("S1", "F1", "T2"), False),
        (("S1",), ("S2", "F1"), False),
        ((), ("S1",), False),
    ],
)
def test_places_overlap_when_one_lies_on_the_path_of_the_other(
    a: tuple[str, ...], b: tuple[str, ...], expected: bool
) -> None:
    assert overlaps(a, b) is expected
    assert overlaps(b, a) is expected


def test_place_codes_are_normalised_so_a_lowercase_feed_still_matches() -> None:
    assert place_of("wz02ss0006", "wz02 f001") == ("WZ02SS0006", "WZ02F001")
    assert overlaps(place_of("WZ02SS0006"), place_of("wz02ss0006", "WZ02F001"))


def test_overlapping_picks_the_faults_on_the_same_path() -> None:
    sub = fault("1", FaultLevel.SUBSTATION, "S1")
    other_feeder = fault("2", FaultLevel.FEEDER, "F2")
    transformer = fault("3", FaultLevel.TRANSFORMER, "T1")
    others = [(sub, ("S1",)), (other_feeder, ("S1", "F2")), (transformer, ("S1", "F1", "T1"))]
    assert overlapping(("S1", "F1"), others) == [sub, transformer]


def test_most_specific_prefers_the_smaller_asset_then_the_later_etr() -> None:
    sub = fault("1", FaultLevel.SUBSTATION, "S1", NOW + timedelta(hours=5))
    feeder = fault("2", FaultLevel.FEEDER, "F1", NOW + timedelta(hours=1))
    assert most_specific([sub, feeder]) is feeder
    assert most_specific([feeder, sub]) is feeder
    later = fault("9", FaultLevel.FEEDER, "F1", NOW + timedelta(hours=2))
    assert most_specific([later, feeder]) is later
    assert most_specific([]) is None


def test_levels_and_the_quiet_window() -> None:
    assert RULES.notifies(FaultLevel.FEEDER) and not RULES.notifies(FaultLevel.TRANSFORMER)
    assert RULES.quiet_since(NOW) == NOW - timedelta(hours=6)


@pytest.mark.parametrize(
    ("told", "new", "expected"),
    [
        (NOW + timedelta(hours=2), NOW + timedelta(hours=2, minutes=29), False),
        (NOW + timedelta(hours=2), NOW + timedelta(hours=2, minutes=30), True),
        (NOW + timedelta(hours=2), NOW + timedelta(hours=1), True),  # earlier is news too
        (None, NOW + timedelta(hours=2), True),  # a first ETR
        (NOW + timedelta(hours=2), None, False),
    ],
)
def test_an_etr_is_worth_telling_again_only_when_it_moved_enough(
    told: datetime | None, new: datetime | None, expected: bool
) -> None:
    assert RULES.etr_moved(told, new) is expected


def test_etr_is_read_in_local_time_with_the_date_when_not_today() -> None:
    assert etr_text(NOW + timedelta(hours=2), NOW, KOLKATA, "?") == "21:00"
    assert etr_text(NOW + timedelta(hours=6), NOW, KOLKATA, "?") == "01:00 02-07"
    assert etr_text(None, NOW, KOLKATA, "not yet known") == "not yet known"


def test_notice_values_say_level_cause_and_etr_in_the_language() -> None:
    words = {"feeder": {"hi": "फ़ीडर", "en": "feeder"}, "tree": {"hi": "पेड़", "en": "a tree"},
             "etr_unknown": {"hi": "अभी तय नहीं", "en": "not yet known"}}  # fmt: skip
    on_feeder = fault("4", FaultLevel.FEEDER, "WZ02F001")
    hindi = notice_values(on_feeder, "hi", words=words, now=NOW, zone=KOLKATA)
    assert hindi == {"level": "फ़ीडर", "asset": "WZ02F001", "cause": "पेड़", "etr": "अभी तय नहीं"}
    with_etr = fault("5", FaultLevel.SUBSTATION, "S1", NOW + timedelta(minutes=90))
    english = notice_values(with_etr, "en", words=words, now=NOW, zone=KOLKATA)
    # a word the administrator left out is said as its code rather than failing the fault
    assert english == {"level": "substation", "asset": "S1", "cause": "a tree", "etr": "20:30"}
