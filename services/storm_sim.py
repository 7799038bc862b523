"""Running the storm simulator from the command line: scenarios, the report files, the summary.

`scenario_named` turns `reference` (the built-in reference storm) or a TOML file (a stationary
case) into a scenario; `write_report` writes `report.json` and `report.png` (matplotlib, Agg
backend: calls, operators and service level over time); `summary` is the table printed at the
end.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from routing.scenarios import Scenario, ScenarioError, load_scenario, reference_storm
from routing.sim_report import SimulationReport, Totals
from routing.storm_config import StormConfig

BUILT_IN = ("reference",)


def scenario_named(
    name: str,
    storm: StormConfig,
    *,
    seed: int | None = None,
    outage_ivr: bool = True,
    scaling: bool = True,
    warning: bool = False,
    outage_sms: bool = False,
) -> Scenario:
    """The built-in scenario `name`, or the scenario file at that path."""
    if name == "reference":
        return reference_storm(storm, seed=1912 if seed is None else seed,
                               outage_ivr=outage_ivr, scaling=scaling, warning=warning,
                               outage_sms=outage_sms)  # fmt: skip
    if warning or outage_sms:
        raise ScenarioError("--warning and --outage-sms apply to the reference scenario only")
    path = Path(name)
    if not path.is_file():
        raise ScenarioError(f"no scenario {name!r}: not built in ({', '.join(BUILT_IN)}) "
                            "and no such file")  # fmt: skip
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path.name}: not valid TOML: {exc}") from None
    if seed is not None:
        table["seed"] = seed
    return load_scenario(table, where=path.name)


def write_report(report: SimulationReport, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path, png_path = out / "report.json", out / "report.png"
    json_path.write_text(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n",
                         encoding="utf-8")  # fmt: skip
    _plot(report, png_path)
    return json_path, png_path


def _plot(report: SimulationReport, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times = [iv.start for iv in report.intervals]
    fig, (calls, ops, level) = plt.subplots(3, 1, figsize=(11, 9), sharex=True)
    for label, values in (
        ("calls to 1912", [iv.calls for iv in report.intervals]),
        ("offered to operators", [iv.offered for iv in report.intervals]),
        ("answered", [iv.answered for iv in report.intervals]),
        ("abandoned", [iv.abandoned for iv in report.intervals]),
    ):
        calls.plot(times, values, label=label)
    calls.set_ylabel("per 15 min")
    calls.legend(loc="upper right")
    ops.plot(times, [iv.operators for iv in report.intervals], label="operators staffed")
    ops.plot(times, [iv.waiting for iv in report.intervals], label="callers waiting (mean)")
    ops.legend(loc="upper right")
    sl = [float("nan") if iv.service_level is None else 100 * iv.service_level
          for iv in report.intervals]  # fmt: skip
    level.plot(times, sl, label="answered within 20 s (%)")
    level.axhline(80, linestyle="--", color="grey", label="target 80 %")
    level.set_ylim(0, 105)
    level.set_ylabel("%")
    level.legend(loc="lower right")
    switches = _switches(report)
    fig.suptitle(f"Storm simulation: {report.scenario} (seed {report.seed}; {switches})")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _switches(report: SimulationReport) -> str:
    text = (f"outage IVR {'on' if report.outage_ivr else 'off'}, "
            f"scaling {'on' if report.scaling else 'off'}"
            f"{', outage SMS' if report.outage_sms else ''}")  # fmt: skip
    return text if report.warning is None else f"{text}, warning ({report.warning})"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def summary(report: SimulationReport) -> str:
    """The table printed after a run: the whole run and its peak hour side by side."""
    peak = report.peak_hour
    start = report.peak_hour_start.strftime("%H:%M") if report.peak_hour_start else "-"
    rows: list[tuple[str, Any]] = [
        ("calls to 1912", lambda x: f"{x.calls:,}"),
        ("  of which redials", lambda x: f"{x.redials:,}"),
        ("calls not made (SMS)", lambda x: f"{x.not_called:,}"),
        ("finished in the IVR", lambda x: f"{x.deflected:,}"),
        ("offered to operators", lambda x: f"{x.offered:,}"),
        ("answered", lambda x: f"{x.answered:,}"),
        ("abandoned", lambda x: f"{x.abandoned:,}"),
        ("abandonment rate", lambda x: _pct(x.abandon_rate)),
        ("answered within 20 s", lambda x: _pct(x.service_level)),
        ("P(wait)", lambda x: _pct(x.p_wait)),
        ("ASA (s)", lambda x: _secs(x.asa_s)),
        ("callbacks requested", lambda x: f"{x.callbacks_requested:,}"),
        ("callbacks cancelled", lambda x: f"{x.callbacks_cancelled:,}"),
        ("operators (max)", lambda x: str(x.operators_max)),
    ]
    head = f"{'':<22} {'whole run':>12} {'peak ' + start:>12}"
    lines = [f"scenario {report.scenario}, seed {report.seed}, {report.hours:g} h, "
             f"{_switches(report)}", head]  # fmt: skip
    for label, show in rows:
        lines.append(f"{label:<22} {show(report.totals):>12} {show(peak):>12}")
    estimates: list[tuple[str, Any]] = [
        ("wait estimates heard", lambda x: f"{x.answered:,}"),
        ("  their real wait (s)", lambda x: _secs(x.mean_wait_s)),
        ("  median error (s)", lambda x: _secs(x.median_error_s)),
        ("  90th pct error (s)", lambda x: _secs(x.p90_error_s)),
        ("  bias (s)", lambda x: _secs(x.bias_s)),
        ("  within 1 min or 25%", lambda x: _pct(x.close_share)),
        ('  "more than N min"', lambda x: f"{x.more_than_said:,}"),
        ("    of which held", lambda x: _pct(x.more_than_held)),
    ]
    for label, show in estimates:
        whole, busiest = show(report.wait_estimates), show(report.peak_hour_wait_estimates)
        lines.append(f"{label:<22} {whole:>12} {busiest:>12}")
    return "\n".join(lines)


def headline(totals: Totals) -> dict[str, Any]:
    """The few figures benchmarks compare."""
    return {
        "calls": totals.calls,
        "offered": totals.offered,
        "abandon_rate": totals.abandon_rate,
        "service_level": totals.service_level,
        "operators_max": totals.operators_max,
    }
