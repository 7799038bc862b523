"""Storm and staffing commands: `run_ivr.py storm …` and `run_ivr.py staffing …`.

    run_ivr.py storm --scenario reference --out DIR [--seed N] [--no-outage-ivr] [--no-scaling]
                     [--warning] [--outage-sms]
    run_ivr.py staffing --calls-per-hour 3600 --aht 150 --target 80/20 [--patience 120]
    run_ivr.py warning set --company WZ|all --from 19:00 --until 23:00 (--level red |
                       --calls-per-hour N) [--note TEXT]
    run_ivr.py warning clear --company WZ|all
    run_ivr.py warning show

`storm` simulates a scenario through the routing code and writes DIR/report.json and
DIR/report.png, then prints a summary (`--warning`: a red storm warning was entered before
the reference storm; `--outage-sms`: the consumers cut off were told by SMS); `warning` sets,
clears or shows the storm warnings the live controller plans for (`services.storm_warnings`);
`staffing` prints the staffing table around the fewest operators meeting the target (Erlang C,
or Erlang A with a patience). Bad input: a clear error and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

from routing.errors import RoutingError
from routing.queues import Company
from routing.staffing import format_staffing_table, parse_target
from routing.staffing_inputs import StaffingError
from routing.storm_config import StormConfig, StormConfigError, load_storm_config

USAGE_ERROR = 2


def add_commands(sub: Any) -> None:
    storm = sub.add_parser("storm", help="simulate a storm through the routing code")
    storm.add_argument("--scenario", required=True,
                       help="'reference' (built in) or a scenario TOML file")  # fmt: skip
    storm.add_argument("--out", required=True, type=Path, help="folder for report.json/png")
    storm.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    no_ivr = "fault callers are not told the fault and ETR before the queue"
    storm.add_argument("--no-outage-ivr", action="store_true", help=no_ivr)
    storm.add_argument("--no-scaling", action="store_true",
                       help="no storm controller: standby operators stay away")  # fmt: skip
    warned = "a red storm warning was entered before the storm (reference)"
    storm.add_argument("--warning", action="store_true", help=warned)
    storm.add_argument("--outage-sms", action="store_true",
                       help="consumers cut off are told by SMS (reference)")  # fmt: skip
    storm.set_defaults(func=cmd_storm)

    warn = sub.add_parser("warning", help="set, clear or show storm warnings (live)")
    warn.add_argument("action", choices=["set", "clear", "show"])
    warn.add_argument("--company", default="all", help="WZ, CZ, EZ or all")
    warn.add_argument("--from", dest="starts", help="start, e.g. 19:00 or an ISO time")
    warn.add_argument("--until", dest="ends", help="end, e.g. 23:00 or an ISO time")
    warn.add_argument("--level", help="yellow, orange or red (calls from config/storm.toml)")
    warn.add_argument("--calls-per-hour", type=float, help="fault calls/h instead of a level")
    warn.add_argument("--note", help="e.g. the weather service's bulletin number")
    warn.set_defaults(func=cmd_warning)

    staffing = sub.add_parser("staffing", help="operators needed for a call load")
    staffing.add_argument("--calls-per-hour", required=True, type=float)
    staffing.add_argument("--aht", required=True, type=float, help="average handle time, s")
    staffing.add_argument("--target", default="80/20", help="percent/seconds, e.g. 80/20")
    staffing.add_argument("--patience", type=float, help="mean patience, s (Erlang A)")
    staffing.set_defaults(func=cmd_staffing)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return USAGE_ERROR


def cmd_staffing(args: argparse.Namespace, ctx: Any) -> int:
    try:
        target_sl, target_s = parse_target(args.target)
        table = format_staffing_table(args.calls_per_hour, args.aht, target_sl=target_sl,
                                      target_s=target_s, patience_s=args.patience)  # fmt: skip
    except StaffingError as exc:
        return _fail(str(exc))
    print(table)
    return 0


def storm_config(config_dir: Path) -> StormConfig:
    from config.errors import ConfigError

    path = config_dir / "storm.toml"
    try:
        with path.open("rb") as fh:
            return load_storm_config(tomllib.load(fh))
    except FileNotFoundError:
        raise ConfigError(f"storm.toml: missing ({path})") from None
    except (tomllib.TOMLDecodeError, StormConfigError) as exc:
        raise ConfigError(f"storm.toml: {exc}") from None


def cmd_storm(args: argparse.Namespace, ctx: Any) -> int:
    from routing.simulator import simulate
    from services.storm_sim import scenario_named, summary, write_report

    config = storm_config(ctx.settings.config_dir)
    try:
        scenario = scenario_named(args.scenario, config, seed=args.seed,
                                  outage_ivr=not args.no_outage_ivr,
                                  scaling=not args.no_scaling, warning=args.warning,
                                  outage_sms=args.outage_sms)  # fmt: skip
    except RoutingError as exc:
        return _fail(str(exc))
    started = time.perf_counter()
    report = simulate(scenario)
    elapsed = time.perf_counter() - started
    json_path, png_path = write_report(report, args.out)
    print(summary(report))
    speed = scenario.hours * 3600 / elapsed if elapsed else float("inf")
    print(f"simulated {scenario.hours:g} h in {elapsed:.1f} s ({speed:,.0f}x real time); "
          f"wrote {json_path} and {png_path}")  # fmt: skip
    return 0


def cmd_warning(args: argparse.Namespace, ctx: Any) -> int:
    from services.storm_warnings import companies_named, warning_json

    storm = ctx.services().extras["storm"]
    actor = "cli"
    if args.action == "show":
        for company in Company:
            shown = warning_json(storm.warning(company))
            print(f"{company.value}: " + ("no warning" if shown is None else
                  f"{shown['from']} to {shown['until']}, {shown['calls_per_hour']:,.0f} fault"
                  f" calls/h, {shown['note'] or '-'} (set by {shown['set_by']})"))  # fmt: skip
        return 0
    if args.action == "clear":
        chosen = companies_named(args.company)
        if isinstance(chosen, str):
            return _fail(chosen)
        for each in chosen:
            storm.set_warning(each, None, actor=actor)
        print(f"cleared the storm warning for {', '.join(c.value for c in chosen)}")
        return 0
    body: dict[str, Any] = {"company": args.company, "from": args.starts, "until": args.ends}
    for key, value in (("level", args.level), ("calls_per_hour", args.calls_per_hour),
                       ("note", args.note)):  # fmt: skip
        if value is not None:
            body[key] = value
    parsed = storm.warn(body, actor=actor)
    if isinstance(parsed, str):
        return _fail(parsed)
    companies, warning = parsed
    lead = storm.config.warning_lead_minutes
    print(f"storm warning for {', '.join(c.value for c in companies)}: {warning.starts:%d %b %H:%M}"
          f" to {warning.ends:%d %b %H:%M}, {warning.calls_per_hour:,.0f} fault calls/h; standby"
          f" operators are planned for from {lead:g} minutes before the start")  # fmt: skip
    return 0
