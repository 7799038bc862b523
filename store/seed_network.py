"""The demo network: each company's circles, divisions, distribution centres, substations,
feeders and transformers, sized for the number of consumers asked for.

Consumers are shared out over the companies by their share of the helpline and cut into
feeders of ~1,350 connections, dealt round the company's circles; four feeders make a
substation, two substations a distribution centre and three centres a division. City circles
are urban, O&M circles rural, and district circles have an urban centre at the head of each
division. Ids are counted here rather than left to the database, and the asset codes and the
centres' field and JE mobiles are built from them.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert

from store import schema as t
from store.seed_data import CIRCLES, COMPANY_DIGIT, COMPANY_SHARE

if TYPE_CHECKING:
    from store.seed import SeedReport

FEEDER_SIZE = 1350
PER_TRANSFORMER = {"urban": 100, "rural": 20}
FEEDERS_PER_SUBSTATION = 4
SUBSTATIONS_PER_DC = 2
DCS_PER_DIVISION = 3


@dataclass
class SeededFeeder:
    """A feeder as inserted, with what the consumer and demo steps need of it."""

    id: int
    company: str
    area: str
    dc_id: int
    town: str
    town_hi: str
    consumers: int
    transformer_ids: list[int] = field(default_factory=list)


def insert_network(
    conn: Connection, rng: random.Random, n: int, report: SeedReport
) -> list[SeededFeeder]:
    counts = _split(n, COMPANY_SHARE)
    feeders: list[SeededFeeder] = []
    ids = _Ids()
    for company, count in counts.items():
        n_feeders = max(2, math.ceil(count / FEEDER_SIZE))
        per_feeder = _split_even(count, n_feeders)
        circles = CIRCLES[company]
        by_circle: dict[int, list[int]] = {}
        for index in range(n_feeders):
            by_circle.setdefault(index % len(circles), []).append(per_feeder[index])
        for circle_no, sizes in sorted(by_circle.items()):
            feeders += _circle(conn, rng, ids, company, circle_no, sizes)
    report.feeders = len(feeders)
    report.transformers = ids.value["transformer"]
    report.centres = ids.value["dc"]
    return feeders


class _Ids:
    def __init__(self) -> None:
        self.value: dict[str, int] = {}

    def next(self, kind: str) -> int:
        self.value[kind] = self.value.get(kind, 0) + 1
        return self.value[kind]


def _circle(
    conn: Connection, rng: random.Random, ids: _Ids, company: str, circle_no: int, sizes: list[int]
) -> list[SeededFeeder]:
    name_en, name_hi = CIRCLES[company][circle_no]
    circle_id = ids.next("circle")
    conn.execute(
        insert(t.circles).values(id=circle_id, company=company, name_en=name_en, name_hi=name_hi)
    )
    town = name_en.replace(" City", "").replace(" O&M", "")
    town_hi = name_hi.split(" ")[0]
    feeders: list[SeededFeeder] = []
    per_dc = FEEDERS_PER_SUBSTATION * SUBSTATIONS_PER_DC
    dc_chunks = [sizes[i : i + per_dc] for i in range(0, len(sizes), per_dc)]
    division_id = 0
    for dc_index, dc_sizes in enumerate(dc_chunks):
        if dc_index % DCS_PER_DIVISION == 0:
            division_id = ids.next("division")
            conn.execute(
                insert(t.divisions).values(
                    id=division_id,
                    circle_id=circle_id,
                    name=f"{town} Division {dc_index // DCS_PER_DIVISION + 1}",
                )
            )
        area = _area(name_en, dc_index)
        dc_id = ids.next("dc")
        code = f"{company}{circle_no + 1:02d}DC{dc_index + 1:02d}"
        label = "Zone" if area == "urban" else "DC"
        conn.execute(
            insert(t.distribution_centres).values(
                id=dc_id,
                division_id=division_id,
                code=code,
                name=f"{town} {label} {dc_index + 1}",
                area=area,
                field_mobile=f"92{dc_id:08d}",
                je_mobile=f"93{dc_id:08d}",
            )
        )
        for ss_index in range(0, len(dc_sizes), FEEDERS_PER_SUBSTATION):
            ss_id = ids.next("substation")
            conn.execute(
                insert(t.substations).values(
                    id=ss_id,
                    dc_id=dc_id,
                    code=f"{company}{circle_no + 1:02d}SS{ss_id:04d}",
                    name=f"33/11 kV {town} {ss_id}",
                )
            )
            for size in dc_sizes[ss_index : ss_index + FEEDERS_PER_SUBSTATION]:
                feeders.append(
                    _feeder(conn, ids, company, circle_no, ss_id, dc_id, area, size, town, town_hi)
                )
    return feeders


def _area(circle: str, dc_index: int) -> str:
    if "City" in circle:
        return "urban"
    if "O&M" in circle:
        return "rural"
    return "urban" if dc_index % DCS_PER_DIVISION == 0 else "rural"


def _feeder(
    conn: Connection,
    ids: _Ids,
    company: str,
    circle_no: int,
    ss_id: int,
    dc_id: int,
    area: str,
    size: int,
    town: str,
    town_hi: str,
) -> SeededFeeder:
    feeder_id = ids.next("feeder")
    number = ids.next(f"feeder:{company}{circle_no}")
    conn.execute(
        insert(t.feeders).values(
            id=feeder_id,
            substation_id=ss_id,
            code=f"{company}{circle_no + 1:02d}F{number:03d}",
            name=f"11 kV {town} {number}",
        )
    )
    feeder = SeededFeeder(feeder_id, company, area, dc_id, town, town_hi, size)
    n_dtr = max(1, math.ceil(size / PER_TRANSFORMER[area]))
    rows = []
    for dtr in range(1, n_dtr + 1):
        dtr_id = ids.next("transformer")
        code = f"{COMPANY_DIGIT[company]}{circle_no + 1:02d}{number:03d}{dtr:04d}"
        rows.append(
            {
                "id": dtr_id,
                "feeder_id": feeder_id,
                "dc_id": dc_id,
                "code": code,
                "name": f"DTR {town} {number}/{dtr}",
            }
        )
        feeder.transformer_ids.append(dtr_id)
    conn.execute(insert(t.transformers), rows)
    return feeder


def _split(n: int, shares: dict[str, float]) -> dict[str, int]:
    counts = {k: int(n * v) for k, v in shares.items()}
    first = next(iter(counts))
    counts[first] += n - sum(counts.values())
    return counts


def _split_even(n: int, parts: int) -> list[int]:
    base, extra = divmod(n, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]
