"""A console queue edit carried to Asterisk: its queue file rewritten, then `QueueReload`.

app_queue takes queue parameters only from its config files, so after an edit is stored and
applied to the own ACD, the queue file named by `ASTERISK_QUEUES_FILE` is rendered again from
the queues in force (the file's definitions with every stored edit) and put in place
atomically; then, over the AMI link when this process holds one, Asterisk is asked to reload
the queue's parameters. Whatever happens here, the edit stays stored and applied: the result
is a sentence for the administrator saying what reached Asterisk and what to do if nothing did.
Installs without Asterisk (no AMI settings, no queue file) get no sentence.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from dialplans.actions import AmiAction
from dialplans.queues_file import publish, queue_members, render_queue_file
from routing.errors import RoutingError
from routing.queues import QueueSet
from services.container import Services

log = logging.getLogger(__name__)
SETTING = "ASTERISK_QUEUES_FILE"
EXAMPLE = "/etc/asterisk/queues_helpline1912.conf"
LATER = "Asterisk picks the change up at its next reload (CLI: queue reload parameters)"


def update_asterisk(services: Services, name: str, queues_in_force: Callable[[], QueueSet]) -> str:
    """Rewrite the queue file from `queues_in_force()` and reload queue `name`; say how it went.

    `queues_in_force` is read under the file's lock, after the edit was committed, so the
    last of several processes saving at once writes every edit.
    """
    path = services.settings.asterisk_queues_file
    link = _ami_link(services)
    if path is None:
        if link is None and not services.settings.ami_enabled:
            return ""  # no Asterisk in this install
        unset = (
            f"its queues file was not rewritten: set {SETTING} to the queues file Asterisk "
            f"includes (e.g. {EXAMPLE}) so console edits reach Asterisk"
        )
        if link is not None and _reload(link, name)[0]:  # re-reads a file with the old values
            return f"Asterisk asked to reload the queue, but {unset}"
        return f"Asterisk not updated: {unset}"
    failure = _write(services, path, queues_in_force)
    if failure:
        return f"Asterisk not updated: could not write its queues file {path}: {failure}"
    if link is None:
        return f"Asterisk's queues file {path} rewritten; no AMI link in this process: {LATER}"
    reloaded, why = _reload(link, name)
    if reloaded:
        return f"Asterisk's queues file {path} rewritten and the queue reloaded in Asterisk"
    return f"Asterisk's queues file {path} rewritten, but {why}: {LATER}"


def _write(services: Services, path: Path, queues_in_force: Callable[[], QueueSet]) -> str:
    """Publish the file; '' when written, else why not (logged)."""
    settings = services.settings

    def render() -> str:
        queue_set = queues_in_force()
        members = queue_members(settings.asterisk_queue_members, queue_set, services.engine)
        return render_queue_file(path, queue_set, catalogue=services.catalogue, members=members)

    try:
        publish(path, render)
    except OSError as exc:
        reason = exc.strerror or str(exc)
    except SQLAlchemyError as exc:
        reason = f"the stored queues could not be read ({type(exc).__name__})"
    except RoutingError as exc:
        reason = f"the stored queues do not validate ({exc})"
    else:
        log.info("Asterisk queue file %s rewritten", path)
        return ""
    log.error("Asterisk queue file %s not written: %s", path, reason)
    return reason


def _ami_link(services: Services) -> Any:
    """The AMI link this process holds (`serve`, `worker`), if any."""
    candidates = (services.extras.get(key) for key in ("asterisk", "ami"))
    return next((c for c in candidates if callable(getattr(c, "send", None))), None)


def _reload(link: Any, name: str) -> tuple[bool, str]:
    """Ask Asterisk to re-read queue `name`'s parameters: (done, why not)."""
    try:
        result = link.send(AmiAction("QueueReload", {"Queue": name, "Parameters": "yes"}))
    except Exception as exc:  # a timeout or a dropped link: the file waits for the next reload
        log.warning("queue %s: Asterisk reload failed: %s", name, exc)
        return False, f"AMI is not reachable ({exc or type(exc).__name__})"
    if getattr(result, "ok", False):
        return True, ""
    message = getattr(result, "message", "") or "no answer"
    if getattr(result, "messages", ()):  # Asterisk answered, and said no
        return False, f"Asterisk refused the reload ({message})"
    return False, f"AMI is not reachable ({message})"


WATCH_INTERVAL_S = 5.0


class QueueEditWatcher:
    """In the process holding the AMI link: when another process (a web worker serving the
    console) saved a queue edit and rewrote the queues file, ask Asterisk to reload every
    queue's parameters from it. `revision` reads the edits' counter (`console_queues`)."""

    def __init__(self, revision: Callable[[], int], send: Callable[[AmiAction], Any]) -> None:
        self._revision = revision
        self._send = send
        self._seen: int | None = None

    def check(self) -> bool:
        """Reload when the revision moved since the last look; True when a reload was sent
        and accepted. The first look only notes the revision (the file was in place at start)."""
        revision = self._revision()
        if self._seen is None or revision == self._seen:
            self._seen = revision
            return False
        result = self._send(AmiAction("QueueReload", {"Parameters": "yes"}))
        if not getattr(result, "ok", False):  # tried again at the next look
            log.warning("queue edits: Asterisk reload refused or unreachable: %s",
                        getattr(result, "message", "") or "no answer")  # fmt: skip
            return False
        log.info("queue edits saved elsewhere (revision %d): Asterisk reloaded the queues",
                 revision)  # fmt: skip
        self._seen = revision
        return True

    def run_forever(self, stop: threading.Event, interval_s: float = WATCH_INTERVAL_S) -> None:
        while not stop.wait(interval_s):
            try:
                self.check()
            except Exception:  # Redis or AMI down for a moment: the next look tries again
                log.exception("queue edits: could not check for new edits")
