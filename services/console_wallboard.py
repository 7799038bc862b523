"""The wallboard's figures: per company and queue, live tiles and the last two hours.

Live figures (waiting, longest wait, operators by state) come from the routing live state;
today's service level and abandonment from the 15-minute interval counters since local midnight
(service level: answered within the threshold out of answered plus abandoned; abandonment:
abandoned out of offered); active faults and the consumers they cut off from SQL. Finished
intervals never change, so their counters are kept in a small per-process memo and only the
current interval is read again on each refresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from routing.metrics import INTERVAL_S, IntervalStats, combine, interval_start
from routing.operators import OperatorState, settle
from services.container import Services
from store import schema as t

CHART_INTERVALS = 8  # two hours of 15-minute intervals


@dataclass
class IntervalMemo:
    """Counters of finished intervals, by (queue, start)."""

    done: dict[tuple[str, int], IntervalStats] = field(default_factory=dict)

    def stats(self, live: Any, queue: str, start: int, current: int) -> IntervalStats:
        if start >= current:
            return live.interval_stats(queue, start)  # type: ignore[no-any-return]
        key = (queue, start)
        if key not in self.done:
            if len(self.done) > 20_000:
                self.done.clear()
            self.done[key] = live.interval_stats(queue, start)
        return self.done[key]


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _today(stats: IntervalStats) -> dict[str, Any]:
    return {
        "offered": stats.offered,
        "answered": stats.answered,
        "abandoned": stats.abandoned,
        "service_level": stats.service_level,
        "asa_s": stats.asa_s,
        "abandonment": _ratio(stats.abandoned, stats.offered),
    }


def board(services: Services, memo: IntervalMemo, now: datetime) -> dict[str, Any]:
    """Everything the wallboard shows, per company (queues inside), JSON-ready."""
    routing = services.extras["routing"]
    live = routing.live
    epoch = now.timestamp()
    view = live.live(epoch)
    current = interval_start(epoch)
    local = now.astimezone(services.settings.zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    first_today = interval_start(midnight)
    starts_today = list(range(first_today, current + 1, INTERVAL_S))
    chart_starts = [current - INTERVAL_S * i for i in range(CHART_INTERVALS - 1, -1, -1)]
    faults = _faults_by_company(services)
    operators = [(v, settle(v.status, epoch)) for v in live.operators(epoch)]
    companies: dict[str, dict[str, Any]] = {}
    for queue in services.queues:
        code = queue.company.value
        company = companies.setdefault(code, _company(code, services, faults, operators))
        stats_today = [memo.stats(live, queue.name, s, current) for s in starts_today]
        today = combine(stats_today, queue=queue.name, start=first_today)
        chart = [memo.stats(live, queue.name, s, current) for s in chart_starts]
        now_part = view["queues"].get(queue.name, {})
        company["queues"].append(
            {
                "name": queue.name,
                "waiting": now_part.get("waiting", 0),
                "longest_wait_s": now_part.get("longest_wait_s", 0.0),
                "operators": now_part.get("operators", {}),
                "today": _today(today),
                "chart": [s.as_dict() for s in chart],
            }
        )
        company["_today"].append(today)
        company["_chart"].append(chart)
    for code, company in companies.items():
        company["today"] = _today(combine(company.pop("_today"), queue=code, start=first_today))
        charts = company.pop("_chart")
        company["chart"] = [
            combine([c[i] for c in charts], queue=code, start=chart_starts[i]).as_dict()
            for i in range(len(chart_starts))
        ]
        company["waiting"] = sum(q["waiting"] for q in company["queues"])
        company["longest_wait_s"] = max(
            (q["longest_wait_s"] for q in company["queues"]), default=0.0
        )
    return {"at": now.isoformat(), "companies": companies, "chart_starts": chart_starts}


def _company(
    code: str, services: Services, faults: dict[str, tuple[int, int]], operators: list[Any]
) -> dict[str, Any]:
    names = services.settings.companies.get(code)
    by_state = {state.value: 0 for state in OperatorState}
    for view, status in operators:
        if code in {c.value for c in view.operator.companies}:
            by_state[status.state.value] += 1
    count, affected = faults.get(code, (0, 0))
    return {
        "code": code,
        "name": names.name_en if names else code,
        "name_hi": names.name_hi if names else code,
        "operators": by_state,
        "faults": count,
        "consumers_affected": affected,
        "queues": [],
        "_today": [],
        "_chart": [],
    }


def _faults_by_company(services: Services) -> dict[str, tuple[int, int]]:
    query = (
        select(
            t.faults.c.company,
            func.count(),
            func.coalesce(func.sum(t.faults.c.consumers_affected), 0),
        )
        .where(t.faults.c.restored_at.is_(None))
        .group_by(t.faults.c.company)
    )
    with services.engine.connect() as conn:
        return {row[0]: (int(row[1]), int(row[2])) for row in conn.execute(query)}
