"""The demo data generator: a realistic Madhya Pradesh network and its consumers at any size.

Deterministic for a given `seed` (every random draw comes from one `random.Random(seed)`), except
the demo fault's times, which are relative to the moment of seeding. The documented demo
consumers (README) are always present:
- IVRS 1000000001, mobile 9000000001: urban Bhopal (CZ), Hindi, a "tree on line" fault on its
  feeder with an ETR two hours after seeding; field team mobile 9100000001.
- IVRS 1000000002, mobile 9000000002: rural West (WZ), no fault; field team mobile 9100000002.
- Mobile 9000000003, registered on two connections, 1000000003 and 1000000004 (urban Jabalpur).
- Console logins `operator1` (password `operator1-demo`, operator cz-op01) and `admin`
  (password `admin-demo`): public passwords, for trying the product only.

Sizes follow DOMAIN.md: feeders of ~1,350 connections, ~100 connections per city transformer
and ~20 per rural one; consumers spread over the companies by their share of the helpline.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select
from tqdm import tqdm

from store import schema as t
from store.seed_data import (
    APPLICATION_STATUSES,
    CIRCLES,
    COMPANY_DIGIT,
    COMPANY_SHARE,
    GIVEN_NAMES,
    SURNAMES,
)

FEEDER_SIZE = 1350
PER_TRANSFORMER = {"urban": 100, "rural": 20}
FEEDERS_PER_SUBSTATION = 4
SUBSTATIONS_PER_DC = 2
DCS_PER_DIVISION = 3
CHUNK = 20_000
DEMO_MOBILES = {"9000000001", "9000000002", "9000000003"}


@dataclass
class SeedReport:
    consumers: int = 0
    feeders: int = 0
    transformers: int = 0
    centres: int = 0
    operators: int = 0
    demo: dict[str, str] = field(default_factory=dict)
    logins: dict[str, str] = field(default_factory=dict)  # console username -> password


@dataclass
class _Feeder:
    id: int
    company: str
    area: str
    dc_id: int
    town: str
    town_hi: str
    consumers: int
    transformer_ids: list[int] = field(default_factory=list)


def is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return not conn.execute(select(func.count()).select_from(t.companies)).scalar()


def seed(
    engine: Engine,
    *,
    consumers: int,
    seed: int,
    now: datetime,
    companies: dict[str, tuple[str, str, str]],
    progress: bool = True,
) -> SeedReport:
    """Fill an empty, migrated database. `companies`: code -> (name_en, name_hi, headquarters)."""
    if consumers < 10:
        raise ValueError("seed needs at least 10 consumers (the demo consumers alone are 4)")
    rng = random.Random(seed)
    report = SeedReport()
    with engine.begin() as conn:
        conn.execute(
            insert(t.companies),
            [
                {"code": c, "name_en": v[0], "name_hi": v[1], "headquarters": v[2]}
                for c, v in companies.items()
            ],
        )
        feeders = _network(conn, rng, consumers - 4, report)
        _operators(conn, rng, report)
        _applications(conn, rng, max(2, consumers // 200), now.date())
    demo_feeders = _demo_feeders(feeders)
    _consumers(engine, rng, feeders, now.date(), progress, report)
    with engine.begin() as conn:
        _demo(conn, demo_feeders, now, report)
        _demo_logins(conn, now, report)
    return report


# --- network ----------------------------------------------------------------------------------


def _network(conn: Connection, rng: random.Random, n: int, report: SeedReport) -> list[_Feeder]:
    counts = _split(n, COMPANY_SHARE)
    feeders: list[_Feeder] = []
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
) -> list[_Feeder]:
    name_en, name_hi = CIRCLES[company][circle_no]
    circle_id = ids.next("circle")
    conn.execute(
        insert(t.circles).values(id=circle_id, company=company, name_en=name_en, name_hi=name_hi)
    )
    town = name_en.replace(" City", "").replace(" O&M", "")
    town_hi = name_hi.split(" ")[0]
    feeders: list[_Feeder] = []
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
) -> _Feeder:
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
    feeder = _Feeder(feeder_id, company, area, dc_id, town, town_hi, size)
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


# --- consumers --------------------------------------------------------------------------------


def _consumers(
    engine: Engine,
    rng: random.Random,
    feeders: list[_Feeder],
    today: date,
    progress: bool,
    report: SeedReport,
) -> None:
    total = sum(f.consumers for f in feeders)
    bar = tqdm(total=total, desc="consumers", unit="", disable=not progress, leave=False)
    batch: list[dict[str, Any]] = []
    mobiles: list[dict[str, Any]] = []
    for consumer_id, row, mobile in _consumer_rows(rng, feeders, today):
        batch.append(row)
        if mobile:
            mobiles.append({"mobile": mobile, "consumer_id": consumer_id})
        if len(batch) >= CHUNK:
            _flush(engine, batch, mobiles, bar)
    _flush(engine, batch, mobiles, bar)
    bar.close()
    report.consumers = total + 4


def _flush(
    engine: Engine, batch: list[dict[str, Any]], mobiles: list[dict[str, Any]], bar: Any
) -> None:
    if not batch:
        return
    with engine.begin() as conn:
        conn.execute(insert(t.consumers), batch)
        if mobiles:
            conn.execute(insert(t.consumer_mobiles), mobiles)
    bar.update(len(batch))
    batch.clear()
    mobiles.clear()


def _consumer_rows(
    rng: random.Random, feeders: list[_Feeder], today: date
) -> Iterator[tuple[int, dict[str, Any], str | None]]:
    consumer_id = 0
    serial = {c: 0 for c in COMPANY_DIGIT}
    previous_mobile: str | None = None
    for feeder in feeders:
        dtrs = feeder.transformer_ids
        for k in range(feeder.consumers):
            consumer_id += 1
            serial[feeder.company] += 1
            given, given_hi = rng.choice(GIVEN_NAMES)
            surname, surname_hi = rng.choice(SURNAMES)
            ward = rng.randint(1, 85)
            billed = rng.random() < 0.85
            row = {
                "id": consumer_id,
                "ivrs": f"{COMPANY_DIGIT[feeder.company]}{serial[feeder.company]:09d}",
                "legacy_no": f"{feeder.company}/{feeder.dc_id}/{k + 1}",
                "company": feeder.company,
                "name": f"{given} {surname}",
                "name_hi": f"{given_hi} {surname_hi}",
                "address": f"H.No. {rng.randint(1, 999)}, Ward {ward}, {feeder.town}",
                "area": feeder.area,
                "category": "domestic" if rng.random() < 0.86 else "non-domestic",
                "language": "hi" if rng.random() < 0.9 else "en",
                "transformer_id": dtrs[k * len(dtrs) // feeder.consumers],
                "bill_amount_paise": rng.randint(150, 6000) * 100 + rng.choice((0, 50))
                if billed
                else None,
                "bill_due": today + timedelta(days=rng.randint(2, 20)) if billed else None,
            }
            mobile = _mobile(rng, previous_mobile)
            previous_mobile = mobile or previous_mobile
            yield consumer_id, row, mobile


def _mobile(rng: random.Random, previous: str | None) -> str | None:
    draw = rng.random()
    if draw < 0.07:
        return None  # ~93% of consumers have a registered mobile
    if draw < 0.10 and previous:
        return previous  # landlords and shops: one mobile on several connections
    while True:
        number = f"{rng.choice('6789')}{rng.randrange(10**9):09d}"
        if number not in DEMO_MOBILES and not number.startswith(("900000", "910000")):
            return number


# --- operators, applications, demo ------------------------------------------------------------


def _operators(conn: Connection, rng: random.Random, report: SeedReport) -> None:
    rows = []
    for company, digit in COMPANY_DIGIT.items():
        plan = [("primary", ["hi", "en"])] * 4 + [("primary", ["hi"])] * 2
        plan += [("standby-1", ["hi", "en"])] * 4 + [("standby-2", ["hi"])] * 4
        for n, (tier, languages) in enumerate(plan, start=1):
            op_id = f"{company.lower()}-op{n:02d}"
            given, _ = rng.choice(GIVEN_NAMES)
            surname, _ = rng.choice(SURNAMES)
            rows.append(
                {
                    "id": op_id,
                    "name": f"{given} {surname}",
                    "company": company,
                    "phone": f"+918{digit}0000{n:04d}",
                    "sip_interface": f"PJSIP/{op_id}",
                    "languages": languages,
                    "skills": [company],
                    "tier": tier,
                    "active": True,
                }
            )
    conn.execute(insert(t.operators), rows)
    report.operators = len(rows)


def _applications(conn: Connection, rng: random.Random, count: int, today: date) -> None:
    rows = [
        {
            "number": "100200300",
            "company": "CZ",
            "applicant": "Ramesh Sharma",
            "status": "demand_note",
            "updated_on": today - timedelta(days=3),
        },
        {
            "number": "100200301",
            "company": "WZ",
            "applicant": "Sunita Patel",
            "status": "connected",
            "updated_on": today - timedelta(days=10),
        },
    ]
    for n in range(count):
        rows.append(
            {
                "number": f"{200000000 + n}",
                "company": rng.choice(list(COMPANY_DIGIT)),
                "applicant": f"{rng.choice(GIVEN_NAMES)[0]} {rng.choice(SURNAMES)[0]}",
                "status": rng.choice(APPLICATION_STATUSES),
                "updated_on": today - timedelta(days=rng.randint(0, 60)),
            }
        )
    conn.execute(insert(t.applications), rows)


def _demo_feeders(feeders: list[_Feeder]) -> dict[str, _Feeder]:
    def first(company: str, area: str) -> _Feeder:
        return next(f for f in feeders if f.company == company and f.area == area)

    return {"CZ": first("CZ", "urban"), "WZ": first("WZ", "rural"), "EZ": first("EZ", "urban")}


def _demo(conn: Connection, demo: dict[str, _Feeder], now: datetime, report: SeedReport) -> None:
    base = conn.execute(select(func.max(t.consumers.c.id))).scalar() or 0
    people = [
        ("1000000001", "CZ", "Ramesh Sharma", "रमेश शर्मा", "hi", ["9000000001"]),
        ("1000000002", "WZ", "Sunita Patel", "सुनीता पटेल", "hi", ["9000000002"]),
        ("1000000003", "EZ", "Mohan Tiwari", "मोहन तिवारी", "hi", ["9000000003"]),
        ("1000000004", "EZ", "Mohan Tiwari (shop)", "मोहन तिवारी (दुकान)", "en", ["9000000003"]),
    ]
    for offset, (ivrs, company, name, name_hi, lang, mobiles) in enumerate(people, start=1):
        feeder = demo[company]
        conn.execute(
            insert(t.consumers).values(
                id=base + offset,
                ivrs=ivrs,
                legacy_no=f"DEMO-{offset}",
                company=company,
                name=name,
                name_hi=name_hi,
                address=f"H.No. {10 * offset}, Ward 1{offset}, {feeder.town}",
                area=feeder.area,
                category="domestic",
                language=lang,
                transformer_id=feeder.transformer_ids[0],
                bill_amount_paise=123450 + offset * 1000,
                bill_due=now.date() + timedelta(days=7),
            )
        )
        for mobile in mobiles:
            conn.execute(
                insert(t.consumer_mobiles).values(mobile=mobile, consumer_id=base + offset)
            )
    from sqlalchemy import update

    for company, mobile in (("CZ", "9100000001"), ("WZ", "9100000002")):
        conn.execute(
            update(t.distribution_centres)
            .where(t.distribution_centres.c.id == demo[company].dc_id)
            .values(field_mobile=mobile)
        )
    _demo_fault(conn, demo["CZ"], now)
    _field_and_staff(conn)
    report.demo = {p[0]: p[1] for p in people}


def _field_and_staff(conn: Connection) -> None:
    """Registered field-team mobiles (one per centre) and the escalation ladder's contacts:
    JE per distribution centre, AE and EE per division, SE per circle, CGM per company."""
    centres = conn.execute(
        select(
            t.distribution_centres.c.id,
            t.distribution_centres.c.name,
            t.distribution_centres.c.field_mobile,
            t.distribution_centres.c.je_mobile,
        )
    ).all()
    conn.execute(
        insert(t.field_mobiles),
        [
            {
                "mobile": c.field_mobile,
                "dc_id": c.id,
                "name": f"Field team, {c.name}",
                "active": True,
            }
            for c in centres
            if c.field_mobile
        ],
    )
    contacts = [
        {
            "level": "JE",
            "unit": "dc",
            "unit_id": str(c.id),
            "name": f"JE {c.name}",
            "mobile": c.je_mobile,
        }
        for c in centres
        if c.je_mobile
    ]
    for row in conn.execute(select(t.divisions.c.id, t.divisions.c.name)):
        contacts.append(
            {
                "level": "AE",
                "unit": "division",
                "unit_id": str(row.id),
                "name": f"AE {row.name}",
                "mobile": f"94{row.id:08d}",
            }
        )
        contacts.append(
            {
                "level": "EE",
                "unit": "division",
                "unit_id": str(row.id),
                "name": f"EE {row.name}",
                "mobile": f"95{row.id:08d}",
            }
        )
    for row in conn.execute(select(t.circles.c.id, t.circles.c.name_en)):
        contacts.append(
            {
                "level": "SE",
                "unit": "circle",
                "unit_id": str(row.id),
                "name": f"SE {row.name_en}",
                "mobile": f"96{row.id:08d}",
            }
        )
    for n, row in enumerate(conn.execute(select(t.companies.c.code)), start=1):
        contacts.append(
            {
                "level": "CGM",
                "unit": "company",
                "unit_id": row.code,
                "name": f"CGM {row.code}",
                "mobile": f"97{n:08d}",
            }
        )
    conn.execute(insert(t.staff_contacts), contacts)


def _demo_fault(conn: Connection, feeder: _Feeder, now: datetime) -> None:
    code = conn.execute(select(t.feeders.c.code).where(t.feeders.c.id == feeder.id)).scalar_one()
    affected = conn.execute(
        select(func.count())
        .select_from(
            t.consumers.join(t.transformers, t.consumers.c.transformer_id == t.transformers.c.id)
        )
        .where(t.transformers.c.feeder_id == feeder.id)
    ).scalar_one()
    started = now - timedelta(minutes=40)
    etr = now + timedelta(hours=2)
    fault_id = conn.execute(
        insert(t.faults).values(
            level="feeder",
            asset_code=code,
            company=feeder.company,
            cause="tree",
            started_at=started,
            etr=etr,
            force_majeure=False,
            consumers_affected=affected,
            source="demo",
            message_id="demo-fault-1",
        )
    ).inserted_primary_key[0]
    conn.execute(
        insert(t.fault_etr_history).values(
            fault_id=fault_id, etr=etr, set_at=started, source="demo"
        )
    )


# Console logins of the demo (README); `run_ivr.py seed` prints them with a warning.
DEMO_LOGINS = (
    ("operator1", "operator1-demo", "operator", "cz-op01"),
    ("admin", "admin-demo", "admin", None),
)


def _demo_logins(conn: Connection, now: datetime, report: SeedReport) -> None:
    from argon2 import PasswordHasher

    hasher = PasswordHasher()
    for username, password, role, operator_id in DEMO_LOGINS:
        conn.execute(
            insert(t.users).values(
                username=username,
                password_hash=hasher.hash(password),
                role=role,
                operator_id=operator_id,
                active=True,
                created_at=now,
            )
        )
        report.logins[username] = password
