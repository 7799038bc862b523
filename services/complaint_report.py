"""The SoP (Standards of Performance) compliance report, per company, circle, division and centre.

For complaints registered in a period (local dates, both included): how many, how many had a
time limit, how many were resolved within it, the breaches (resolved late, or still unresolved
past the limit at report time) counted with and without those under force majeure (a storm
declared on the complaint or its fault), the mean resolution time, and the feedback
satisfaction (satisfied answers among satisfied + not satisfied). Rows come company first, then
each circle, division and centre under it; `write_csv` gives the same rows to a spreadsheet.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from store import schema as t
from store.timeutil import as_utc

LEVELS = ("company", "circle", "division", "centre")


@dataclass(slots=True)
class SopRow:
    level: str
    company: str
    circle: str = ""
    division: str = ""
    centre: str = ""
    complaints: int = 0
    with_limit: int = 0
    resolved_within: int = 0
    breaches: int = 0
    breaches_excl_force_majeure: int = 0
    resolved: int = 0
    feedback_answers: int = 0
    satisfied: int = 0
    _minutes: list[float] = field(default_factory=list, repr=False)

    @property
    def mean_resolution_minutes(self) -> float | None:
        return sum(self._minutes) / len(self._minutes) if self._minutes else None

    @property
    def satisfaction(self) -> float | None:
        return self.satisfied / self.feedback_answers if self.feedback_answers else None

    def as_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        mean, share = self.mean_resolution_minutes, self.satisfaction
        data["mean_resolution_minutes"] = None if mean is None else round(mean, 1)
        data["satisfaction"] = None if share is None else round(share, 3)
        return data


def _period(start: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    first = datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC)
    after = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return first, after


def _rows(engine: Engine, start: datetime, end: datetime) -> list[Any]:
    c = t.complaints.c
    query = (
        select(
            c.id,
            c.company,
            c.registered_at,
            c.deadline,
            c.resolved_at,
            c.status,
            c.force_majeure,
            t.faults.c.force_majeure.label("fault_fm"),
            t.distribution_centres.c.name.label("centre"),
            t.divisions.c.name.label("division"),
            t.circles.c.name_en.label("circle"),
        )
        .select_from(
            t.complaints.outerjoin(t.faults, t.faults.c.id == c.fault_id)
            .outerjoin(t.distribution_centres, t.distribution_centres.c.id == c.dc_id)
            .outerjoin(t.divisions, t.divisions.c.id == t.distribution_centres.c.division_id)
            .outerjoin(t.circles, t.circles.c.id == t.divisions.c.circle_id)
        )
        .where(c.registered_at >= start, c.registered_at < end)
    )
    with engine.connect() as conn:
        return list(conn.execute(query).all())


def _feedback(engine: Engine, ids: list[int]) -> dict[int, str]:
    """The latest satisfied / not satisfied answer per complaint."""
    answers: dict[int, str] = {}
    f = t.feedback_calls.c
    with engine.connect() as conn:
        for i in range(0, len(ids), 500):
            query = (
                select(f.complaint_id, f.outcome)
                .where(
                    f.complaint_id.in_(ids[i : i + 500]),
                    f.outcome.in_(["satisfied", "not_satisfied"]),
                )
                .order_by(f.id)
            )
            answers.update({cid: outcome for cid, outcome in conn.execute(query)})
    return answers


def _count(row: SopRow, item: Any, answer: str | None, as_of: datetime) -> None:
    registered, deadline = as_utc(item.registered_at), as_utc(item.deadline)
    resolved = as_utc(item.resolved_at) if item.status in ("resolved", "closed") else None
    row.complaints += 1
    if resolved is not None and registered is not None:
        row.resolved += 1
        row._minutes.append((resolved - registered).total_seconds() / 60)
    if deadline is not None:
        row.with_limit += 1
        late = resolved > deadline if resolved is not None else as_of > deadline
        row.resolved_within += int(resolved is not None and resolved <= deadline)
        if late:
            row.breaches += 1
            row.breaches_excl_force_majeure += int(not (item.force_majeure or item.fault_fm))
    if answer is not None:
        row.feedback_answers += 1
        row.satisfied += int(answer == "satisfied")


def sop_report(
    engine: Engine, start: date, end: date, *, zone: ZoneInfo, now: datetime
) -> list[SopRow]:
    """The report rows for complaints registered from `start` to `end` (local dates)."""
    items = _rows(engine, *_period(start, end, zone))
    answers = _feedback(engine, [item.id for item in items])
    table: dict[tuple[str, str, str, str], SopRow] = {}
    for item in items:
        names = (item.company, item.circle or "-", item.division or "-", item.centre or "-")
        for depth, level in enumerate(LEVELS):
            parts = [str(name) if i <= depth else "" for i, name in enumerate(names)]
            key = (parts[0], parts[1], parts[2], parts[3])
            if key not in table:
                table[key] = SopRow(level, *key)
            _count(table[key], item, answers.get(item.id), now.astimezone(UTC))
    return [table[key] for key in sorted(table)]


def write_csv(rows: Iterable[SopRow], out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=list(SopRow("company", "").as_dict()))
    writer.writeheader()
    for row in rows:
        writer.writerow(row.as_dict())
