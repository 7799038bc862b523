"""Complaint commands: the SoP report, an escalation pass, due feedback calls, transformer reports.

    run_ivr.py report sop --from 2026-11-01 --to 2026-11-30 [--csv FILE]
    run_ivr.py complaints escalate
    run_ivr.py complaints run          (the escalation and feedback loops, beside gunicorn)
    run_ivr.py complaints transformer CODE [--kind transformer] [--mobile NUMBER]
    run_ivr.py feedback due [--company CZ] [--place]

`feedback due` lists the scheduled feedback calls (what operators call by hand) and today's
count against each company's target; with `--place` it also places the due ones through Twilio
or Asterisk (when neither is configured they stay in the list).
"""

from __future__ import annotations

import argparse
import sys
import threading
from datetime import date
from pathlib import Path
from typing import Any

from complaints.kinds import ComplaintKind
from services.complaint_desk import complaint_desk, start_background_loops
from services.complaint_report import SopRow, write_csv


def add_commands(sub: Any) -> None:
    report = sub.add_parser("report", help="reports (SoP compliance)")
    which = report.add_subparsers(dest="report", required=True)
    sop = which.add_parser("sop", help="SoP compliance by company, circle, division, centre")
    sop.add_argument("--from", dest="start", required=True, type=_date, help="YYYY-MM-DD")
    sop.add_argument("--to", dest="end", required=True, type=_date, help="YYYY-MM-DD")
    sop.add_argument("--csv", type=Path, help="also write the rows to this CSV file")
    sop.set_defaults(func=cmd_report_sop)

    comp = sub.add_parser("complaints", help="complaint lifecycle actions")
    action = comp.add_subparsers(dest="action", required=True)
    action.add_parser("escalate", help="run one escalation pass now").set_defaults(
        func=cmd_escalate
    )
    action.add_parser(
        "run", help="escalation passes and feedback calls in a loop (beside gunicorn)"
    ).set_defaults(func=cmd_run)
    dtr = action.add_parser("transformer", help="register a complaint by transformer code")
    dtr.add_argument("code", help="the 10-digit code painted on the pole")
    dtr.add_argument("--kind", default="transformer", choices=[k.value for k in ComplaintKind])
    dtr.add_argument("--mobile", help="the reporter's mobile, for the docket SMS")
    dtr.set_defaults(func=cmd_transformer)

    fb = sub.add_parser("feedback", help="feedback calls after resolution")
    fb_action = fb.add_subparsers(dest="action", required=True)
    due = fb_action.add_parser("due", help="list (and with --place, place) due feedback calls")
    due.add_argument("--company", help="only this company, e.g. CZ")
    due.add_argument("--limit", type=int, default=50)
    due.add_argument("--place", action="store_true", help="place the due calls now")
    due.set_defaults(func=cmd_feedback_due)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def cmd_report_sop(args: argparse.Namespace, ctx: Any) -> int:
    if args.end < args.start:
        print("error: --to is before --from", file=sys.stderr)
        return 2
    rows = complaint_desk(ctx.services()).sop_report(args.start, args.end)
    print(format_sop(rows, args.start, args.end))
    if args.csv is not None:
        with args.csv.open("w", newline="", encoding="utf-8") as out:
            write_csv(rows, out)
        print(f"written {len(rows)} rows to {args.csv}")
    return 0


def format_sop(rows: list[SopRow], start: date, end: date) -> str:
    header = (
        f"{'unit':<44} {'compl':>6} {'limit':>6} {'in time':>7} {'breach':>6} "
        f"{'excl.FM':>7} {'mean min':>8} {'satisf.':>7}"
    )
    lines = [f"SoP compliance, complaints registered {start} to {end}", header, "-" * len(header)]
    for row in rows:
        depth = ("company", "circle", "division", "centre").index(row.level)
        name = (row.company, row.circle, row.division, row.centre)[depth]
        mean, share = row.mean_resolution_minutes, row.satisfaction
        lines.append(
            f"{'  ' * depth + name:<44.44} {row.complaints:>6} {row.with_limit:>6} "
            f"{row.resolved_within:>7} {row.breaches:>6} {row.breaches_excl_force_majeure:>7} "
            f"{'-' if mean is None else f'{mean:.0f}':>8} "
            f"{'-' if share is None else f'{share:.0%}':>7}"
        )
    if not rows:
        lines.append("(no complaints in this period)")
    return "\n".join(lines)


def cmd_escalate(args: argparse.Namespace, ctx: Any) -> int:
    made = complaint_desk(ctx.services()).escalate_due()
    for item in made:
        print(f"{item.docket}: {item.level.value} notified" + ("" if item.to else " (no contact)"))
    print(f"escalation pass: {len(made)} notifications")
    return 0


def cmd_run(args: argparse.Namespace, ctx: Any) -> int:
    stop = threading.Event()
    threads = start_background_loops(ctx.services(), stop)
    try:
        while any(thread.is_alive() for thread in threads):
            stop.wait(1.0)
    except KeyboardInterrupt:
        stop.set()
    return 0


def cmd_transformer(args: argparse.Namespace, ctx: Any) -> int:
    done = complaint_desk(ctx.services()).register_by_transformer(
        args.code, channel="cli", kind=ComplaintKind(args.kind), notify_mobile=args.mobile
    )
    if done is None:
        print(f"error: no transformer with code {args.code}", file=sys.stderr)
        return 1
    linked = f", linked to fault {done['fault_id']}" if done.get("fault_id") else ""
    print(f"docket {done['docket']} ({done['kind']}, {done['status']}{linked})")
    return 0


def cmd_feedback_due(args: argparse.Namespace, ctx: Any) -> int:
    desk = complaint_desk(ctx.services())
    if args.place:
        if not desk.has_dialler():
            print(
                "no dialler (Twilio REST with TWILIO_CALLER_ID, or the AMI link): the calls "
                "stay in the list for operators"
            )
        else:
            report = desk.place_due_feedback()
            print(
                f"placed {report.placed}, failed {report.failed}, held by the daily target "
                f"{report.held_by_target}, deferred {report.deferred}"
            )
    for company, progress in desk.feedback_progress().items():
        print(f"{company}: {progress['placed_today']} of {progress['target']} feedback calls today")
    pending = desk.pending_feedback(args.company, args.limit)
    for item in pending:
        when = item["due_at"].astimezone(desk.config.zone).strftime("%d-%m %H:%M")
        print(
            f"#{item['id']:<6} {item['docket']} {item['number']} {item['consumer'] or '-':<24.24} "
            f"due {when} attempts {item['attempts']}{' (due now)' if item['overdue'] else ''}"
        )
    print(f"{len(pending)} scheduled feedback calls listed")
    return 0
