"""The documented demo records (README): four demo consumers, the field-team mobiles of their
centres in CZ and WZ, the fault on the first one's feeder, and the console logins.

They are placed on the first urban CZ, rural WZ and urban EZ feeders of the generated network,
with ids after the generated consumers'. The fault started forty minutes before seeding and
has an ETR two hours after it. The logins' passwords are public, for trying the product only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, insert, select, update

from store import schema as t
from store.seed_network import SeededFeeder

if TYPE_CHECKING:
    from store.seed import SeedReport

# Console logins of the demo (README); `run_ivr.py seed` prints them with a warning.
DEMO_LOGINS = (
    ("operator1", "operator1-demo", "operator", "cz-op01"),
    ("admin", "admin-demo", "admin", None),
)


def pick_demo_feeders(feeders: list[SeededFeeder]) -> dict[str, SeededFeeder]:
    def first(company: str, area: str) -> SeededFeeder:
        return next(f for f in feeders if f.company == company and f.area == area)

    return {"CZ": first("CZ", "urban"), "WZ": first("WZ", "rural"), "EZ": first("EZ", "urban")}


def insert_demo(
    conn: Connection, demo: dict[str, SeededFeeder], now: datetime, report: SeedReport
) -> None:
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
    for company, mobile in (("CZ", "9100000001"), ("WZ", "9100000002")):
        conn.execute(
            update(t.distribution_centres)
            .where(t.distribution_centres.c.id == demo[company].dc_id)
            .values(field_mobile=mobile)
        )
    _demo_fault(conn, demo["CZ"], now)
    report.demo = {p[0]: p[1] for p in people}


def _demo_fault(conn: Connection, feeder: SeededFeeder, now: datetime) -> None:
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


def insert_demo_logins(conn: Connection, now: datetime, report: SeedReport) -> None:
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
