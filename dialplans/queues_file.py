"""Asterisk's queue file from a queue set: the text `run_ivr.py dialplan` writes, put in place
without a moment when Asterisk could read half of it.

app_queue reads its queue parameters (strategy, weight, timeouts, wrap-up, maximum length,
announcements) only from `queues.conf` and the files it includes; AMI cannot change them. So a
console queue edit reaches Asterisk by rewriting that file and asking for a `QueueReload`. The
file's kind follows its name: `queues.conf` is written whole ([general] and every queue), any
other name gets the queue sections alone, to `#include` from Asterisk's own `queues.conf` (as
`queues_helpline1912.conf` from `run_ivr.py dialplan`). Both come from the renderers in
`dialplans/generate.py`, with the same hold announcements and, when operators are static
members, the same member lines, so a file written here and one from the command are identical
for the same queues and operators.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from sqlalchemy import Engine

from dialplans.generate import StaticMember, render_queue_sections, render_queues, static_members
from dialplans.prompts_audio import prompt_file
from dialplans.records import SqlOperators
from ivr.prompts import LANGUAGES, Catalogue
from routing.queues import QueueSet

WHOLE_FILE = "queues.conf"  # the one name written whole; any other is an include fragment
HOLD_PROMPTS = ("queue_hold", "connecting_operator")  # the first the catalogue has is used
NEW_FILE_MODE = 0o644  # Asterisk, often another user, must read it


def hold_announcements(catalogue: Catalogue) -> dict[str, list[str]]:
    """Per language, the file of the periodic "please hold" announcement."""
    pid = next((p for p in HOLD_PROMPTS if p in catalogue.texts), None)
    if pid is None or catalogue.placeholders(pid):
        return {}
    return {lang: [prompt_file(lang, pid, 0, catalogue.text(pid, lang))] for lang in LANGUAGES}


def is_whole_file(path: Path) -> bool:
    """Whether a queue file at `path` is a whole `queues.conf` rather than an include.

    >>> is_whole_file(Path("/etc/asterisk/queues.conf"))
    True
    >>> is_whole_file(Path("/etc/asterisk/queues_helpline1912.conf"))
    False
    """
    return path.name == WHOLE_FILE


def queue_members(
    mode: str, queue_set: QueueSet, engine: Engine
) -> Mapping[str, Sequence[StaticMember]] | None:
    """The member lines for `mode`: none when operators join over AMI (dynamic), else every
    active operator with a phone in each queue their skills cover, at their tier's penalty."""
    if mode != "static":
        return None
    return static_members(queue_set, SqlOperators(engine).all())


def render_queue_file(
    path: Path,
    queue_set: QueueSet,
    *,
    catalogue: Catalogue,
    members: Mapping[str, Sequence[StaticMember]] | None = None,
) -> str:
    """The text for a queue file at `path`: whole or fragment by its name."""
    render = render_queues if is_whole_file(path) else render_queue_sections
    return render(queue_set, periodic_announce=hold_announcements(catalogue), members=members)


def publish(path: Path, render: Callable[[], str]) -> None:
    """Render and write the file at `path` while holding its lock, so processes that publish
    at once write one after the other, the last one from the newest stored queues."""
    with _lock(path):
        write_atomically(path, render())


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` in one step: the text goes to a temporary file in the same folder, is
    synced, and is renamed over the old file, so a reader sees the old file or the new one,
    never a part. The old file's permissions (and owner, when allowed) are kept."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        _keep_access(path, temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(path.parent)


def _keep_access(path: Path, temporary: str) -> None:
    try:
        old = path.stat()
    except FileNotFoundError:
        os.chmod(temporary, NEW_FILE_MODE)
        return
    os.chmod(temporary, stat.S_IMODE(old.st_mode))
    with contextlib.suppress(PermissionError):  # only root may give a file away
        os.chown(temporary, old.st_uid, old.st_gid)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (a crash right after keeps the new file)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """An exclusive lock on a hidden file beside `path` (Asterisk includes only named files)."""
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, NEW_FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
