"""The people who work the demo helpline: operators, field teams and the escalation ladder.

Each company gets fourteen operators (`ez-op01`…): six primary (four speaking Hindi and
English), four in the first standby tier and four in the second. Every distribution centre's
field mobile is registered for its field team, and the escalation ladder gets a contact at
every level, its mobile numbered after its unit: JE per distribution centre, AE and EE per
division, SE per circle, CGM per company.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert, select

from store import schema as t
from store.seed_data import COMPANY_DIGIT, GIVEN_NAMES, SURNAMES

if TYPE_CHECKING:
    from store.seed import SeedReport


def insert_operators(conn: Connection, rng: random.Random, report: SeedReport) -> None:
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


def insert_field_and_staff(conn: Connection) -> None:
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
