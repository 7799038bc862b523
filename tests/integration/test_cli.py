"""The command line: check, db, seed and call as a newcomer runs them (real subprocesses)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from store import schema as t

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "run_ivr.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


@pytest.fixture
def cli_env(settings_env: dict[str, str], migrated_engine: object) -> dict[str, str]:
    return {**os.environ, **settings_env}


def test_seed_then_call_gives_a_docket_in_the_database(cli_env: dict[str, str]) -> None:
    seeded = run(["seed", "--consumers", "500", "--seed", "3"], cli_env)
    assert seeded.returncode == 0, seeded.stderr
    assert "1000000001" in seeded.stdout
    again = run(["seed", "--if-empty"], cli_env)
    assert again.returncode == 0 and "not seeding" in again.stdout

    call = run(["call", "--caller", "9000000002", "--keys", "2,1,1"], cli_env)
    assert call.returncode == 0, call.stderr
    lines = call.stdout.splitlines()
    assert lines[0].startswith("IVR:") and any(line.startswith("YOU: 2") for line in lines)
    docket = lines[-1].removeprefix("OUTCOME: docket ")
    engine = create_engine(cli_env["DATABASE_URL"])
    with engine.connect() as conn:
        assert conn.execute(
            select(t.complaints.c.id).where(t.complaints.c.docket == docket)
        ).first()
    engine.dispose()


def test_check_names_the_bad_path_of_a_broken_flow(tmp_path: Path, cli_env: dict[str, str]) -> None:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    flow = config / "flows" / "1912.toml"
    flow.write_text(
        flow.read_text(encoding="utf-8").replace('next = "outage_check"', 'next = "nowhere"', 1),
        encoding="utf-8",
    )
    result = run(["check"], {**cli_env, "HELPLINE_CONFIG_DIR": str(config)})
    assert result.returncode == 2
    assert "1912.nodes.which_connection.next: no node named 'nowhere'" in result.stderr


def test_missing_prompt_file_is_named(tmp_path: Path, cli_env: dict[str, str]) -> None:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (config / "prompts.toml").unlink()
    result = run(["check"], {**cli_env, "HELPLINE_CONFIG_DIR": str(config)})
    assert result.returncode == 2
    assert "prompts.toml: missing" in result.stderr


def test_check_passes_on_the_shipped_configuration(cli_env: dict[str, str]) -> None:
    result = run(["check"], cli_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: flows 1912")


def test_call_on_an_unmigrated_database_says_what_to_do(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}",
        "HELPLINE_VAR_DIR": str(tmp_path / "var"),
    }
    env.pop("REDIS_URL", None)
    result = run(["call", "--caller", "9000000002", "--keys", "2"], env)
    assert result.returncode == 1
    assert "not migrated" in result.stderr


def test_bad_setting_stops_start_up_naming_the_key(cli_env: dict[str, str]) -> None:
    result = run(["check"], {**cli_env, "HTTP_PORT": "http"})
    assert result.returncode == 2
    assert "HTTP_PORT" in result.stderr


def test_storm_warnings_are_set_shown_and_cleared(cli_env: dict[str, str]) -> None:
    set_ = run(["warning", "set", "--company", "WZ", "--from", "2030-06-15T19:00+05:30",
                "--until", "2030-06-15T23:00+05:30", "--level", "orange"], cli_env)  # fmt: skip
    assert set_.returncode == 0, set_.stderr
    assert "storm warning for WZ: 15 Jun 19:00 to 15 Jun 23:00, 1,500 fault calls/h" in set_.stdout
    shown = run(["warning", "show"], cli_env)
    assert "WZ: 2030-06-15T19:00:00+05:30 to 2030-06-15T23:00:00+05:30" in shown.stdout
    assert "CZ: no warning" in shown.stdout
    bad = run(["warning", "set", "--from", "2030-06-15T19:00+05:30",
               "--until", "2030-06-15T23:00+05:30"], cli_env)  # fmt: skip
    assert bad.returncode == 2 and "give either level" in bad.stderr
    cleared = run(["warning", "clear", "--company", "WZ"], cli_env)
    assert cleared.returncode == 0
    assert "WZ: no warning" in run(["warning", "show"], cli_env).stdout
