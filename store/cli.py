"""Command-line database set-up: `run_ivr.py db upgrade|status`, `run_ivr.py seed …`.

run_ivr.py db upgrade | status
run_ivr.py seed [--consumers N] [--seed S] [--if-empty]

`seed` fills only an empty, migrated database (the same seed gives the same data) and prints
the demo consumers and console logins it made, with a warning that their passwords are public.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import make_url

from store.db import DatabaseUnavailable, make_engine, schema_status, upgrade
from store.seed import is_empty, seed


def add_commands(sub: Any) -> None:
    db = sub.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade", "status"])
    db.set_defaults(func=cmd_db)

    s = sub.add_parser("seed", help="fill an empty database with demo data")
    s.add_argument("--consumers", type=int, default=20_000)
    s.add_argument("--seed", type=int, default=1912)
    s.add_argument("--if-empty", action="store_true", help="do nothing when data exists")
    s.set_defaults(func=cmd_seed)


def cmd_db(args: argparse.Namespace, ctx: Any) -> int:
    settings = ctx.settings
    engine = make_engine(settings.database_url)
    try:
        if args.action == "upgrade":
            upgrade(engine)
        current, head = schema_status(engine)
    except DatabaseUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"database {safe_url(settings.database_url)}: revision {current} (head {head})")
    return 0 if current == head else 1


def cmd_seed(args: argparse.Namespace, ctx: Any) -> int:
    settings = ctx.settings
    engine = make_engine(settings.database_url)
    current, head = schema_status(engine)
    if current != head:
        print(
            "error: the database is not migrated; run `run_ivr.py db upgrade` first",
            file=sys.stderr,
        )
        return 1
    if not is_empty(engine):
        if args.if_empty:
            print("database already holds data; not seeding")
            return 0
        print(
            "error: the database already holds data; seed only fills an empty one", file=sys.stderr
        )
        return 1
    companies = {
        c.code: (c.name_en, c.name_hi, c.headquarters) for c in settings.companies.values()
    }
    started = datetime.now(UTC)
    report = seed(
        engine,
        consumers=args.consumers,
        seed=args.seed,
        now=started,
        companies=companies,
        progress=sys.stderr.isatty(),
    )
    elapsed = (datetime.now(UTC) - started).total_seconds()
    print(
        f"seeded {report.consumers} consumers, {report.feeders} feeders, "
        f"{report.transformers} transformers, {report.centres} distribution centres, "
        f"{report.operators} operators in {elapsed:.1f} s"
    )
    print("demo consumers: " + ", ".join(f"{k} ({v})" for k, v in report.demo.items()))
    if report.logins:
        print("console logins: " + ", ".join(f"{u} / {p}" for u, p in report.logins.items()))
        print(
            "WARNING: these demo passwords are public; change them before real use "
            "(run_ivr.py users passwd NAME) or use this database for trying only"
        )
    return 0


def safe_url(url: str) -> str:
    """The database URL with any password hidden, for printing."""
    return make_url(url).render_as_string(hide_password=True)
