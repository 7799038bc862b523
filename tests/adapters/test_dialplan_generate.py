"""Generated Asterisk configuration: the `dialplan` command, asterisklint, and what the files
say about our queues."""

from __future__ import annotations

import doctest
import importlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import run_ivr
from config.settings import Settings
from dialplans.generate import (
    DialplanOptions,
    render_context,
    render_extensions,
    render_queues,
    static_members,
)
from dialplans.prompts_audio import inventory
from routing.operators import Operator, Tier
from routing.queues import Company, Language, QueueSet

DOCTESTED = ("actions", "agi_session", "ami", "events", "generate", "mirror", "prompts_audio")


@pytest.mark.parametrize("name", DOCTESTED)
def test_module_examples_hold(name: str) -> None:
    module = importlib.import_module(f"dialplans.{name}")
    failed, _ = doctest.testmod(module)
    assert failed == 0


@pytest.fixture
def written(tmp_path: Path, settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in {
        **settings_env,
        "AMI_USERNAME": "ivr",
        "AMI_SECRET": "t0ps3cret",
        "AGI_HOST": "10.0.0.5",
        "AGI_PORT": "4599",
    }.items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "asterisk"
    assert run_ivr.main(["dialplan", "--out", str(out)]) == 0
    return out


def sections(text: str) -> dict[str, dict[str, list[str]]]:
    found: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].strip().replace("=>", "=", 1)
        if line.startswith("["):
            current = found.setdefault(line.strip("[]"), {})
        elif "=" in line:
            key, value = line.split("=", 1)
            current.setdefault(key.strip(), []).append(value.strip())
    return found


def asterisklint() -> str:
    beside = Path(sys.executable).with_name("asterisklint")
    found = str(beside) if beside.exists() else shutil.which("asterisklint")
    if found is None:
        pytest.skip("asterisklint is not installed (a dev dependency)")
    return found


def test_generated_dialplan_passes_asterisklint(written: Path) -> None:
    for name in ("extensions.conf",):
        run = subprocess.run(
            [asterisklint(), "dialplan-check", str(written / name)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert run.stdout.strip() == "" and run.stderr.strip() == ""


def test_lint_catches_a_broken_dialplan(tmp_path: Path) -> None:
    broken = render_extensions(DialplanOptions("agi://127.0.0.1:4573", "CZ-hi")).replace(
        "Log(NOTICE,Helpline 1912: ${UNIQUEID} turned away by", "Log(NOTICE,turned away; by"
    )
    (tmp_path / "extensions.conf").write_text(broken)
    run = subprocess.run(
        [asterisklint(), "dialplan-check", str(tmp_path / "extensions.conf")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0


def test_dialplan_hands_the_call_to_our_agi_server_with_safe_defaults(written: Path) -> None:
    text = (written / "extensions.conf").read_text()
    lines = [line.strip() for line in text.splitlines()]
    agi = lines.index("same => n,AGI(agi://10.0.0.5:4599/1912)")
    defaults = lines.index("same => n,Gosub(defaults,1)")
    assert defaults < agi < lines.index("same => n,Queue(${HELPLINE_QUEUE},,,,${HELPLINE_TIMEOUT})")
    # The default queue is the default company's queue in the flow's default language.
    assert "same => n,Set(HELPLINE_QUEUE=CZ-hi)" in lines
    # Every label a GotoIf names exists.
    labels = set(re.findall(r"n\((\w+)\)", text))
    targets = set(re.findall(r"\?(\w+)(?::(\w+))?\)", text))
    assert {t for pair in targets for t in pair if t} <= labels
    # The include-only fragment is the same context, with no [general] or [globals].
    fragment = (written / "extensions_helpline1912.conf").read_text()
    assert "[general]" not in fragment and "[globals]" not in fragment
    assert fragment.split("[helpline-1912]")[1] == text.split("[helpline-1912]")[1]


def test_queues_conf_carries_every_queue_definition(written: Path, settings: Settings) -> None:
    queues = run_ivr.load_configuration(settings)["queues"]
    conf = sections((written / "queues.conf").read_text())
    assert set(conf) == {"general", *queues.names}
    assert conf["general"]["persistentmembers"] == ["no"]
    for queue in queues:
        section = conf[queue.name]
        assert section["strategy"] == [queue.strategy.value]
        assert section["weight"] == [str(queue.weight)]
        assert section["timeout"] == [str(queue.ring_timeout_s)]
        assert section["wrapuptime"] == [str(queue.wrapup_s)]
        assert section["maxlen"] == [str(queue.max_length)]
        assert section["joinempty"] == section["leavewhenempty"]
        assert "paused" not in section["joinempty"][0]  # paused operators still come back
    assert conf["CZ-hazard"]["weight"] == ["100"]
    fragment = sections((written / "queues_helpline1912.conf").read_text())
    assert "general" not in fragment and set(fragment) == set(queues.names)


def test_hold_announcement_files_are_rendered_prompts(written: Path, settings: Settings) -> None:
    catalogue = run_ivr.load_configuration(settings)["catalogue"]
    rendered = {entry.file for entry in inventory(catalogue)}
    conf = sections((written / "queues.conf").read_text())
    announced = [
        f for s in conf.values() for v in s.get("periodic-announce", []) for f in v.split(",")
    ]
    assert announced and set(announced) <= rendered
    assert "/en/" in conf["CZ-en"]["periodic-announce"][0]
    assert "/hi/" in conf["CZ-hi"]["periodic-announce"][0]
    # The hazard queue takes callers of either language: both announcements.
    assert len(conf["CZ-hazard"]["periodic-announce"][0].split(",")) == 2


def test_manager_fragment_grants_the_queue_and_originate_rights(written: Path) -> None:
    user = sections((written / "manager_helpline1912.conf").read_text())["ivr"]
    assert user["secret"] == ["t0ps3cret"]
    assert user["permit"] == ["127.0.0.1/255.255.255.255"]
    assert {"agent", "call"} <= set(user["read"][0].split(","))
    assert {"agent", "originate"} <= set(user["write"][0].split(","))


def test_standby_tiers_become_member_penalties(settings: Settings) -> None:
    queues: QueueSet = run_ivr.load_configuration(settings)["queues"]
    people = [
        Operator(
            "cz-op01",
            "A",
            "+91",
            "PJSIP/cz-op01",
            frozenset({Language.HI}),
            frozenset({Company.CZ}),
        ),
        Operator(
            "cz-op02",
            "B",
            "+91",
            "PJSIP/cz-op02",
            frozenset({Language.HI, Language.EN}),
            frozenset({Company.CZ}),
            Tier.STANDBY_2,
        ),
        Operator("wz-op01", "C", "+91", "", frozenset({Language.HI}), frozenset({Company.WZ})),
    ]
    plan = static_members(queues, people)
    text = render_queues(queues, periodic_announce={}, members=plan)
    conf = sections(text)
    assert conf["CZ-hi"]["member"] == ["PJSIP/cz-op01,0,cz-op01", "PJSIP/cz-op02,2,cz-op02"]
    assert conf["CZ-en"]["member"] == ["PJSIP/cz-op02,2,cz-op02"]
    assert conf["CZ-hazard"]["member"] == ["PJSIP/cz-op01,0,cz-op01", "PJSIP/cz-op02,2,cz-op02"]
    assert "member" not in conf["WZ-hi"]  # no SIP interface: not an Asterisk member


def test_context_fragment_writes_values_in_place() -> None:
    text = render_context(DialplanOptions("agi://192.0.2.1:4573", "WZ-en", extension="1913"))
    assert "exten => 1913,1," in text and "AGI(agi://192.0.2.1:4573/1912-full," in text
    assert "${HELPLINE_AGI}" not in text


# asterisklint has no queues.conf command; its generic config reader reports bad lines,
# stray whitespace and broken sections. Exit 1 when it reports anything.
CONFIG_LINT = """
import sys
from asterisklint import FileConfigParser
from asterisklint.defines import MessageDefManager
parser = FileConfigParser()
parser.include(sys.argv[1])
names = [section.name for section in parser]
sys.exit(1 if MessageDefManager.raised or not names else 0)
"""


def config_lint(path: Path) -> subprocess.CompletedProcess[str]:
    asterisklint()  # skips when it is not installed
    return subprocess.run(
        [sys.executable, "-c", CONFIG_LINT, str(path)], capture_output=True, text=True, timeout=60
    )


def test_generated_queue_files_pass_asterisklints_config_reader(
    written: Path, tmp_path: Path
) -> None:
    for name in ("queues.conf", "queues_helpline1912.conf"):
        run = config_lint(written / name)
        assert run.returncode == 0 and run.stderr == "", run.stderr
    broken = (written / "queues.conf").read_text().replace("[CZ-hi]", "[CZ-hi", 1)
    (tmp_path / "queues.conf").write_text(broken.replace("maxlen=", "maxlen = ", 1))
    assert config_lint(tmp_path / "queues.conf").returncode != 0


def test_queue_file_examples_hold() -> None:
    module = importlib.import_module("dialplans.queues_file")
    failed, tried = doctest.testmod(module)
    assert failed == 0 and tried > 0
