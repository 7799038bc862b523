"""The demo consumers, their registered mobiles, and applications for new connections.

Consumers are drawn feeder by feeder (names, address, category, language, bill) and inserted
in chunks of `CHUNK` rows, each chunk in its own transaction, behind a progress bar. About 93%
have a registered mobile and a few share the previous consumer's, as landlords and shops do;
drawn mobiles stay out of the demo's `900000…` (consumers) and `910000…` (field teams) ranges.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, insert
from tqdm import tqdm

from store import schema as t
from store.seed_data import APPLICATION_STATUSES, COMPANY_DIGIT, GIVEN_NAMES, SURNAMES
from store.seed_network import SeededFeeder

if TYPE_CHECKING:
    from store.seed import SeedReport

CHUNK = 20_000
DEMO_MOBILES = {"9000000001", "9000000002", "9000000003"}


def insert_consumers(
    engine: Engine,
    rng: random.Random,
    feeders: list[SeededFeeder],
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
    rng: random.Random, feeders: list[SeededFeeder], today: date
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


def insert_applications(conn: Connection, rng: random.Random, count: int, today: date) -> None:
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
