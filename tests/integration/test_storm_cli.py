"""`run_ivr.py staffing` and `run_ivr.py storm` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import run_ivr


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HELPLINE_VAR_DIR", str(tmp_path / "var"))


def test_staffing_says_fourteen_for_the_textbook_case(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_ivr.main(["staffing", "--calls-per-hour", "200", "--aht", "180",
                         "--target", "80/20"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert out.startswith("required operators: 14 ")
    assert "14 " in [line for line in out.splitlines() if "<- required" in line][0]


def test_staffing_with_patience_uses_erlang_a(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_ivr.main(["staffing", "--calls-per-hour", "3600", "--aht", "150",
                         "--target", "80/20", "--patience", "120"]) == 0  # fmt: skip
    assert "patience 120 s" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--calls-per-hour", "-1", "--aht", "180"], "calls_per_hour must not be negative"),
        (["--calls-per-hour", "200", "--aht", "0"], "aht_s must be greater than 0"),
        (["--calls-per-hour", "200", "--aht", "180", "--target", "80%"], "80/20"),
    ],
)
def test_staffing_refuses_bad_input_with_status_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_ivr.main(["staffing", *args]) == 2
    assert message in capsys.readouterr().err


def test_storm_runs_a_scenario_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "calm.toml"
    scenario.write_text("arrivals_per_hour = 200\naht_seconds = 180\npatience_seconds = 120\n"
                        "operators = 14\nhours = 2\nseed = 3\nretrials = false\n"
                        "outage_ivr = false\nscaling = false\n")  # fmt: skip
    out = tmp_path / "out"
    assert run_ivr.main(["storm", "--scenario", str(scenario), "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["scenario"] == "stationary" and report["seed"] == 3
    assert len(report["intervals"]) == 8
    assert report["totals"]["offered"] == sum(iv["offered"] for iv in report["intervals"])
    assert (out / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert "answered within 20 s" in printed and "wrote" in printed


def test_storm_refuses_an_unknown_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_ivr.main(["storm", "--scenario", "hurricane", "--out", str(tmp_path)]) == 2
    assert "no scenario 'hurricane'" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("arrivals_per_hour = 200\nagents = 3\n")
    assert run_ivr.main(["storm", "--scenario", str(bad), "--out", str(tmp_path)]) == 2
    assert "bad.toml.agents: unknown key" in capsys.readouterr().err


@pytest.mark.slow
def test_storm_reference_writes_both_files(tmp_path: Path) -> None:
    assert run_ivr.main(["storm", "--scenario", "reference", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["scenario"] == "reference" and len(report["intervals"]) == 96
    assert report["decisions"] and (tmp_path / "report.png").stat().st_size > 10_000
