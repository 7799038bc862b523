"""Docket numbers stay unique when several processes register at once on the same database
(the SQLite file, or PostgreSQL with DATABASE_URL): each process is a separate interpreter."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select

from complaints.docket import ValidDocket, parse_docket
from store import schema as t

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 6
EACH = 25

WORKER = textwrap.dedent("""
    import sys
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from complaints.kinds import ComplaintKind, default_sop_config, load_sop_limits
    from store.complaints_sql import Registration, SqlComplaints
    from store.db import make_engine

    url, worker, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    engine = make_engine(url)
    complaints = SqlComplaints(engine, limits=load_sop_limits(default_sop_config()),
                               holidays=frozenset(), zone=ZoneInfo("Asia/Kolkata"),
                               sms_templates={})
    sys.stdin.readline()  # wait for the go, so that all processes register at the same time
    now = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    for n in range(count):
        company = "CZ" if n % 3 else "WZ"
        reg = Registration(kind=ComplaintKind.NO_SUPPLY, company=company, consumer=None,
                           channel="test", request_key=f"proc{worker}:{n}")
        print(complaints.register(reg, now)["docket"], flush=True)
""")


@pytest.fixture
def companies(migrated_engine: Engine) -> Engine:
    with migrated_engine.begin() as conn:
        conn.execute(
            insert(t.companies),
            [
                {"code": code, "name_en": code, "name_hi": code, "headquarters": "-"}
                for code in ("CZ", "WZ")
            ],
        )
    return migrated_engine


@pytest.mark.slow
def test_concurrent_processes_get_unique_valid_dockets(
    companies: Engine, database_url: str
) -> None:
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, database_url, str(w), str(EACH)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(PROCESSES)
    ]
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    dockets: list[str] = []
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
        dockets += out.split()
    assert len(dockets) == PROCESSES * EACH
    assert len(set(dockets)) == len(dockets)
    checked = [parse_docket(d) for d in dockets]
    assert all(isinstance(c, ValidDocket) for c in checked)
    for company in ("CZ", "WZ"):
        seqs = sorted(c.seq for c in checked if isinstance(c, ValidDocket) and c.company == company)
        assert seqs == list(range(1, len(seqs) + 1))  # no gaps, no repeats
    with companies.connect() as conn:
        stored = [r[0] for r in conn.execute(select(t.complaints.c.docket))]
    assert sorted(stored) == sorted(dockets)
