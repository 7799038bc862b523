"""Console queue edits reaching Asterisk: the queue file Asterisk includes is rewritten from the
stored queues (atomically, by the same renderer as `run_ivr.py dialplan`) and the queue is
reloaded over the AMI link; every other outcome is told to the administrator and the edit
stays saved. Real SQL, real Redis, the AMI link over TCP to a small AMI server in the test."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import run_ivr
from config.errors import ConfigError
from config.settings import load_settings
from dialplans.cli import BackgroundFrontEnds
from dialplans.queues_file import write_atomically
from services import console_queues
from store import schema as t
from webhooks.app import create_app

FRAGMENT = "queues_helpline1912.conf"
# asterisklint's generic config reader: exit 1 when it reports anything about the file.
LINT = """
import sys
from asterisklint import FileConfigParser
from asterisklint.defines import MessageDefManager
parser = FileConfigParser()
parser.include(sys.argv[1])
names = [section.name for section in parser]
sys.exit(1 if MessageDefManager.raised or not names else 0)
"""


# --- helpers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def make_services(
    seeded_engine: Any, settings_env: dict[str, str], clock: Any
) -> Iterator[Callable[..., Any]]:
    """Services on the seeded database with extra environment settings."""
    built: list[Any] = []

    def make(**env: str) -> Any:
        settings = load_settings({**settings_env, "AGI_PORT": str(free_port()), **env})
        services = run_ivr.build_services(settings, clock=clock)
        services.extras["routing"].sync_operators()
        built.append(services)
        return services

    yield make
    for services in built:
        services.engine.dispose()
        services.redis.close()


def ami_env(port: int) -> dict[str, str]:
    return {
        "AMI_HOST": "127.0.0.1",
        "AMI_PORT": str(port),
        "AMI_USERNAME": "helpline1912",
        "AMI_SECRET": "s3cret",
    }


def csrf(client: Any) -> str:
    with client.session_transaction() as session:
        return str(session["csrf"])


def admin_client(services: Any) -> Any:
    client = create_app(services).test_client()
    client.get("/console/login")
    answer = client.post(
        "/console/login",
        data={"username": "admin", "password": "admin-demo", "csrf_token": csrf(client)},
    )
    assert answer.status_code == 302
    return client


def save_queue(client: Any, services: Any, name: str, **changes: str) -> str:
    """Post the queue's edit form with `changes`; the page shown after the save."""
    table = console_queues.as_table(services.queues[name])
    form = {k: "" if table[k] is False else str(table[k]) for k in console_queues.EDITABLE}
    version = console_queues.stored_versions(services).get(name, 0)
    form |= {**changes, "version": str(version), "csrf_token": csrf(client)}
    saved = client.post(f"/console/admin/queues/{name}", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    return str(client.get(saved.headers["Location"]).get_data(as_text=True))


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


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("asterisklint")
    return subprocess.run(
        [sys.executable, "-c", LINT, str(path)], capture_output=True, text=True, timeout=60
    )


def stored(services: Any, name: str) -> Any:
    with services.engine.connect() as conn:
        return conn.execute(select(t.queues).where(t.queues.c.name == name)).one()


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


# --- the console edit reaching Asterisk ------------------------------------------------------


@pytest.mark.asyncio
async def test_an_edit_replaces_the_fragment_and_asterisk_reloads_the_queue(
    make_services: Callable[..., Any], tmp_path: Path, ami_server: Any
) -> None:
    ami = await ami_server()
    folder = tmp_path / "etc-asterisk"
    folder.mkdir()
    target = folder / FRAGMENT
    target.write_text("; the file from before the edit\n[CZ-hi]\nwrapuptime=10\n")
    target.chmod(0o640)
    services = make_services(**ami_env(ami.port), ASTERISK_QUEUES_FILE=str(target))
    fronts = BackgroundFrontEnds(services.settings, services)
    try:
        await asyncio.to_thread(fronts.start)
        await until(fronts.ami_ready)
        client = admin_client(services)
        with target.open() as before:  # a reader of the old file keeps the whole old file
            old_inode = os.fstat(before.fileno()).st_ino
            page = await asyncio.to_thread(
                save_queue, client, services, "CZ-hi", wrapup_s="45", strategy="rrmemory"
            )
            assert before.read() == "; the file from before the edit\n[CZ-hi]\nwrapuptime=10\n"
    finally:
        await asyncio.to_thread(fronts.stop)
        await ami.stop()
    assert f"Asterisk&#39;s queues file {target} rewritten and the queue reloaded" in page
    reloads = [a for a in ami.received if a.get("Action") == "QueueReload"]
    assert [(a["Queue"], a["Parameters"]) for a in reloads] == [("CZ-hi", "yes")]
    # Replaced by a rename (a new file), keeping the old file's permissions; no leftovers.
    assert target.stat().st_ino != old_inode and (target.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in folder.iterdir() if p.suffix == ".tmp") == []
    conf = sections(target.read_text())
    assert "general" not in conf and set(conf) == set(services.queues.names)
    assert conf["CZ-hi"]["wrapuptime"] == ["45"] and conf["CZ-hi"]["strategy"] == ["rrmemory"]
    assert conf["CZ-en"]["wrapuptime"] == ["10"] and conf["CZ-en"]["strategy"] == ["leastrecent"]
    run = lint(target)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert stored(services, "CZ-hi").definition["wrapup_s"] == 45


def test_a_whole_queues_conf_keeps_every_stored_edit_and_passes_the_lint(
    make_services: Callable[..., Any], tmp_path: Path
) -> None:
    target = tmp_path / "queues.conf"
    first = make_services(ASTERISK_QUEUES_FILE=str(target))
    page = save_queue(admin_client(first), first, "WZ-en", max_length="90")
    assert f"{target} rewritten; no AMI link in this process" in page
    assert "next reload" in page
    # Another process, which has not picked up the first edit yet, saves a different queue.
    other = make_services(ASTERISK_QUEUES_FILE=str(target))
    client = admin_client(other)
    client.application.config["QUEUE_EDITS_CHECK_S"] = 3600.0
    other.queues = run_ivr.load_configuration(other.settings)["queues"]
    assert other.queues["WZ-en"].max_length == 200
    save_queue(client, other, "EZ-hi", announce_frequency_s="45")
    conf = sections(target.read_text())
    assert conf["general"]["persistentmembers"] == ["no"]
    assert conf["WZ-en"]["maxlen"] == ["90"]  # the first edit, read back from the database
    assert conf["EZ-hi"]["periodic-announce-frequency"] == ["45"]
    run = lint(target)
    assert run.returncode == 0 and run.stderr == "", run.stderr


def test_without_the_setting_the_message_names_it_and_nothing_is_written(
    make_services: Callable[..., Any], tmp_path: Path
) -> None:
    services = make_services(**ami_env(free_port()))  # AMI set: this install uses Asterisk
    page = save_queue(admin_client(services), services, "CZ-en", wrapup_s="25")
    assert "ASTERISK_QUEUES_FILE" in page and "/etc/asterisk/queues_helpline1912.conf" in page
    assert "Asterisk not updated" in page
    assert list(tmp_path.rglob("*.conf")) == []
    assert services.queues["CZ-en"].wrapup_s == 25 and stored(services, "CZ-en").version == 1


def test_a_twilio_only_install_hears_nothing_about_asterisk(
    make_services: Callable[..., Any],
) -> None:
    services = make_services()
    page = save_queue(admin_client(services), services, "CZ-en", wrapup_s="25")
    assert "the ACD uses it now." in page and "Asterisk" not in page


def test_an_unwritable_path_is_reported_and_the_edit_stays_saved(
    make_services: Callable[..., Any], tmp_path: Path
) -> None:
    target = tmp_path / "no-such-folder" / FRAGMENT
    services = make_services(ASTERISK_QUEUES_FILE=str(target))
    page = save_queue(admin_client(services), services, "CZ-hi", wrapup_s="30")
    assert f"could not write its queues file {target}: No such file or directory" in page
    assert services.queues["CZ-hi"].wrapup_s == 30
    assert services.extras["routing"].live.queues["CZ-hi"].wrapup_s == 30
    assert stored(services, "CZ-hi").definition["wrapup_s"] == 30


@pytest.mark.asyncio
async def test_when_ami_is_down_the_file_is_written_for_the_next_reload(
    make_services: Callable[..., Any], tmp_path: Path
) -> None:
    target = tmp_path / FRAGMENT
    services = make_services(**ami_env(free_port()), ASTERISK_QUEUES_FILE=str(target))
    fronts = BackgroundFrontEnds(services.settings, services)  # its link finds nobody
    try:
        await asyncio.to_thread(fronts.start)
        client = admin_client(services)
        page = await asyncio.to_thread(save_queue, client, services, "CZ-hi", wrapup_s="50")
    finally:
        await asyncio.to_thread(fronts.stop)
    assert f"{target} rewritten, but AMI is not reachable" in page
    assert "Asterisk picks the change up at its next reload" in page
    assert sections(target.read_text())["CZ-hi"]["wrapuptime"] == ["50"]


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path) -> None:
    target = tmp_path / FRAGMENT
    target.write_text("[CZ-hi]\nwrapuptime=10\n")
    with pytest.raises(UnicodeEncodeError):
        write_atomically(target, "[CZ-hi]\nwrapuptime=45\n\ud800")  # fails part-way
    assert target.read_text() == "[CZ-hi]\nwrapuptime=10\n"
    assert [p.name for p in tmp_path.iterdir()] == [FRAGMENT]


# --- the dialplan command and the setting ------------------------------------------------------


def test_the_dialplan_command_writes_the_stored_edits_as_the_console_does(
    make_services: Callable[..., Any],
    settings_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    console_file = tmp_path / "asterisk" / FRAGMENT
    console_file.parent.mkdir()
    env = {"ASTERISK_QUEUES_FILE": str(console_file), "ASTERISK_QUEUE_MEMBERS": "static"}
    services = make_services(**env)
    save_queue(admin_client(services), services, "CZ-hi", wrapup_s="45")
    for key, value in {**settings_env, **env}.items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "generated"
    assert run_ivr.main(["dialplan", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "console edits stored in the database: CZ-hi version 1" in said
    for name in ("queues.conf", FRAGMENT):
        conf = sections((out / name).read_text())
        assert conf["CZ-hi"]["wrapuptime"] == ["45"] and conf["CZ-en"]["wrapuptime"] == ["10"]
        assert "PJSIP/cz-op01,0,cz-op01" in conf["CZ-hi"]["member"]  # static members
    # The console's file and the command's are the same text.
    assert (out / FRAGMENT).read_text() == console_file.read_text()


def test_the_dialplan_command_works_before_the_database_is_migrated(
    settings_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in settings_env.items():
        monkeypatch.setenv(key, value)
    assert run_ivr.main(["dialplan", "--out", str(tmp_path / "out")]) == 0
    assert "database not migrated yet: no console edits" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("/etc/asterisk/queues_helpline1912.conf", True),
        ("/etc/asterisk/queues.conf", True),
        ("queues_helpline1912.conf", False),  # relative: to what?
        ("/etc/asterisk/", False),
        ("/etc/asterisk/queues_helpline1912", False),
    ],
)
def test_the_setting_must_name_an_absolute_conf_file(
    settings_env: dict[str, str], value: str, accepted: bool
) -> None:
    env = {**settings_env, "ASTERISK_QUEUES_FILE": value}
    if accepted:
        assert str(load_settings(env).asterisk_queues_file) == value
        return
    with pytest.raises(ConfigError, match="ASTERISK_QUEUES_FILE: expected the absolute path"):
        load_settings(env)


def test_the_members_setting_is_checked(settings_env: dict[str, str]) -> None:
    assert load_settings(settings_env).asterisk_queue_members == "dynamic"
    static = load_settings({**settings_env, "ASTERISK_QUEUE_MEMBERS": "static"})
    assert static.asterisk_queue_members == "static"
    with pytest.raises(ConfigError, match="ASTERISK_QUEUE_MEMBERS: expected one of"):
        load_settings({**settings_env, "ASTERISK_QUEUE_MEMBERS": "both"})


def test_the_ami_process_reloads_queues_when_another_process_saved_an_edit(
    services: Any,
) -> None:
    """Web workers write the file but hold no AMI link: the process that does reloads every
    queue's parameters when the edits' revision moves (and tries again if refused)."""
    from dialplans.ami import ActionResult
    from services.asterisk_queues import QueueEditWatcher

    sent: list[Any] = []
    answers = [ActionResult(False, "no answer"), ActionResult(True, "")]

    def send(action: Any) -> ActionResult:
        sent.append(action)
        return answers.pop(0)

    watcher = QueueEditWatcher(lambda: console_queues.revision(services), send)
    assert watcher.check() is False and sent == []  # the first look only notes the revision
    services.redis.incr(console_queues.REV_KEY)
    assert watcher.check() is False  # refused: not taken as done
    assert watcher.check() is True  # tried again, accepted
    assert watcher.check() is False  # nothing new
    assert [(a.name, dict(a.headers)) for a in sent] == [
        ("QueueReload", {"Parameters": "yes"}),
        ("QueueReload", {"Parameters": "yes"}),
    ]
