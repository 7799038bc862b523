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
`seed` runs the steps in a fixed order, since they share the one random generator:
:mod:`store.seed_network` (companies' circles down to transformers), :mod:`store.seed_staff`
(operators, field teams, escalation contacts), :mod:`store.seed_consumers` (applications,
consumers and their mobiles) and :mod:`store.seed_demo` (the documented demo records);
:mod:`store.seed_data` holds the fixed names they draw from.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, func, insert, select

from store import schema as t
from store.seed_consumers import insert_applications, insert_consumers
from store.seed_demo import DEMO_LOGINS, insert_demo, insert_demo_logins, pick_demo_feeders
from store.seed_network import insert_network
from store.seed_staff import insert_field_and_staff, insert_operators

__all__ = ["DEMO_LOGINS", "SeedReport", "is_empty", "seed"]


@dataclass
class SeedReport:
    consumers: int = 0
    feeders: int = 0
    transformers: int = 0
    centres: int = 0
    operators: int = 0
    demo: dict[str, str] = field(default_factory=dict)
    logins: dict[str, str] = field(default_factory=dict)  # console username -> password


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
        feeders = insert_network(conn, rng, consumers - 4, report)
        insert_operators(conn, rng, report)
        insert_applications(conn, rng, max(2, consumers // 200), now.date())
    demo_feeders = pick_demo_feeders(feeders)
    insert_consumers(engine, rng, feeders, now.date(), progress, report)
    with engine.begin() as conn:
        insert_demo(conn, demo_feeders, now, report)
        # After the demo records: the field teams registered are the centres' field mobiles,
        # the demo centres' documented ones included.
        insert_field_and_staff(conn)
        insert_demo_logins(conn, now, report)
    return report
