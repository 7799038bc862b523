"""The Asterisk front-end's commands (`dialplan`, `prompts`, `agi`) and its start-up in `serve`.

Commands get `(args, ctx)` from `run_ivr.py`, the composition root; this module builds only
what belongs to the Asterisk side (FastAGI server, AMI link, mirror) from the services it is
handed. `serve` runs the FastAGI server and the AMI link on their own event loop in a daemon
thread (`BackgroundFrontEnds`), next to the blocking HTTP server; `agi` runs them alone. Other
parts of the service reach Asterisk through `services.extras["asterisk"]`, whose `send` is
safe to call from any thread; with the AMI link configured, the complaint lifecycle places
feedback calls through the `AmiDialler` in `services.extras["ami"]`, and the `CallbackPlacer`
places the call backs turned-away callers asked for, on its own thread (`serve` and `worker`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from config.errors import ConfigError
from dialplans.actions import AmiAction
from dialplans.agi import FastAgiServer
from dialplans.agi_callback import AnsweredCallbacks
from dialplans.agi_session import FeedbackLeg, IvrOverAgi
from dialplans.ami import ActionResult, AmiLink
from dialplans.callback_placer import PASS_INTERVAL_S, CallbackPlacer
from dialplans.callback_records import SqlCallbacks
from dialplans.dialler import AmiDialler
from dialplans.errors import ToolMissing
from dialplans.generate import (
    DialplanOptions,
    render_context,
    render_extensions,
    render_manager,
)
from dialplans.mirror import QueueMirror
from dialplans.prompts_audio import find_tools, inventory, render_audio, write_index
from dialplans.queues_file import queue_members, render_queue_file, write_atomically
from dialplans.records import SqlCallbackRequests, SqlOperators, SqlQueueCallLog
from routing.errors import RoutingError
from routing.queues import QueueSet, choose_queue
from services import console_queues
from services.asterisk_queues import WATCH_INTERVAL_S, QueueEditWatcher
from services.call_log import BatchedCallLog
from services.complaint_desk import complaint_desk
from services.complaint_feedback_calls import FLOW as FEEDBACK_FLOW
from services.complaint_feedback_calls import bind_feedback_call, feedback_call_service
from store.db import WalCheckpointer

log = logging.getLogger(__name__)
T = TypeVar("T")


def add_commands(subparsers: Any) -> None:
    d = subparsers.add_parser(
        "dialplan", help="write Asterisk's extensions.conf, queues.conf and the AMI user"
    )
    d.add_argument("--out", required=True, type=Path, help="folder to write the files to")
    d.add_argument(
        "--agi-url",
        help="the FastAGI server as Asterisk reaches it (default agi://AGI_HOST:AGI_PORT)",
    )
    d.add_argument(
        "--members",
        choices=["dynamic", "static"],
        help="dynamic: operators join over AMI when they log in; static: list every "
        "operator in queues.conf, for installs without the AMI link (default: "
        "ASTERISK_QUEUE_MEMBERS, else dynamic)",
    )
    d.add_argument("--ami-permit", default="127.0.0.1", help="address the AMI user logs in from")
    d.set_defaults(func=cmd_dialplan)

    p = subparsers.add_parser(
        "prompts",
        help="render every prompt and read-out word as 8 kHz "
        "WAV files for Asterisk (needs espeak-ng and sox)",
    )
    p.add_argument("--out", required=True, type=Path, help="folder to write the files to")
    p.add_argument("--jobs", type=int, default=4, help="files rendered at once")
    p.set_defaults(func=cmd_prompts)

    a = subparsers.add_parser(
        "agi",
        help="run the FastAGI server (and the AMI link when "
        "AMI_HOST, AMI_USERNAME and AMI_SECRET are set)",
    )
    a.set_defaults(func=cmd_agi)


def _configuration(settings: Any) -> dict[str, Any]:
    from run_ivr import load_configuration  # the composition root validates every admin file

    return load_configuration(settings)


def cmd_dialplan(args: argparse.Namespace, ctx: Any) -> int:
    """Write Asterisk's files from the queues in force: the file's, with the console edits."""
    from store.db import DatabaseUnavailable, make_engine

    settings = ctx.settings
    cfg = _configuration(settings)
    engine = make_engine(settings.database_url)
    try:
        queues, source = queues_in_force(engine, cfg["queues"])
        members = queue_members(args.members or settings.asterisk_queue_members, queues, engine)
    except DatabaseUnavailable as exc:
        print(f"error: {exc}; no files written (they would undo console queue edits)",
              file=sys.stderr)  # fmt: skip
        return 1
    finally:
        engine.dispose()
    print(source)
    flow = cfg["flows"]["1912"]
    default_queue, _ = choose_queue(
        queues, company=settings.default_company, language=flow.default_language, hazard=False
    )
    agi_url = args.agi_url or f"agi://{settings.agi_host}:{settings.agi_port}"
    options = DialplanOptions(agi_url, default_queue)
    files = {
        # Whole files for a dedicated Asterisk, and fragments to #include into an existing one.
        "extensions.conf": render_extensions(options),
        "extensions_helpline1912.conf": render_context(options),
        **{
            name: render_queue_file(Path(name), queues, catalogue=cfg["catalogue"], members=members)
            for name in ("queues.conf", "queues_helpline1912.conf")
        },
        "manager_helpline1912.conf": render_manager(
            username=settings.ami_username or "helpline1912",
            secret=settings.ami_secret,
            permit=args.ami_permit,
        ),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = args.out / name
        write_atomically(path, text)  # Asterisk may read the folder: it sees old or new files
        print(f"wrote {path}")
    print(f"check with: asterisklint dialplan-check {args.out / 'extensions.conf'}")
    return 0


def queues_in_force(engine: Engine, base: QueueSet) -> tuple[QueueSet, str]:
    """`base` (queues.toml) with the console edits stored in the database, and a line saying
    so; a database not migrated yet holds none. Raises `DatabaseUnavailable` when the database
    cannot be read: files with the file's values alone would undo the edits."""
    from services.console_queues import effective_set
    from store.db import DatabaseUnavailable, schema_status

    current, _ = schema_status(engine)
    if current is None:
        return base, "queues: queues.toml (database not migrated yet: no console edits)"
    try:
        queues, edited = effective_set(engine, base)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).splitlines()[0]
        raise DatabaseUnavailable(f"cannot read the stored queue edits: {reason}") from exc
    except RoutingError as exc:
        raise ConfigError(f"the console's stored queue edits no longer fit: {exc}") from None
    if not edited:
        return queues, "queues: queues.toml (no console edits stored)"
    listed = ", ".join(f"{name} version {version}" for name, version in sorted(edited.items()))
    return queues, f"queues: queues.toml with the console edits stored in the database: {listed}"


def cmd_prompts(args: argparse.Namespace, ctx: Any) -> int:
    catalogue = _configuration(ctx.settings)["catalogue"]
    entries = inventory(catalogue)
    index = write_index(entries, args.out)
    try:
        tools = find_tools()
    except ToolMissing as missing:
        print(f"error: {missing}", file=sys.stderr)
        print(f"(the list of files to render is in {index})", file=sys.stderr)
        return 1
    report = render_audio(entries, args.out, tools=tools, jobs=args.jobs)
    print(
        f"{len(entries)} prompt pieces and words: {report.written} rendered, "
        f"{report.skipped} already there; index {index}"
    )
    print(
        f"copy {args.out} to Asterisk's sounds folder as helpline1912, e.g. "
        f"/var/lib/asterisk/sounds/helpline1912"
    )
    return 0


# --- running --------------------------------------------------------------------------------


@dataclass
class AsteriskFrontEnds:
    agi: FastAgiServer
    ami: AmiLink | None
    checkpoints: WalCheckpointer | None = None

    async def close(self) -> None:
        if self.ami is not None:
            await self.ami.close()
        await self.agi.close()
        if self.checkpoints is not None:
            self.checkpoints.stop()


def build_ami_link(settings: Any, services: Any) -> AmiLink:
    """The AMI link, mirroring into the live state adapter the services hold (if any)."""
    mirror = QueueMirror(
        operators=SqlOperators(services.engine),
        clock=services.clock,
        live=services.extras.get("asterisk_live_queues"),
        calls=SqlQueueCallLog(services.engine),
        originates=services.extras.get("originate_listener"),
    )
    return AmiLink(
        host=settings.ami_host,
        port=settings.ami_port,
        username=settings.ami_username,
        secret=settings.ami_secret,
        apply=mirror.apply,
        resynchronise=mirror.resynchronise,
    )


def feedback_leg(services: Any) -> FeedbackLeg | None:
    """The feedback route's hold on the lifecycle (None when there is no `feedback` flow)."""
    if FEEDBACK_FLOW not in services.flows:
        return None
    return FeedbackLeg(
        calls=feedback_call_service(services),
        bind=lambda call_id, feedback_id: bind_feedback_call(services, call_id, feedback_id),
        ended=lambda feedback_id, status: complaint_desk(services).feedback_call_ended(
            feedback_id, status
        ),
    )


def callback_records(services: Any) -> SqlCallbacks:
    """The `callbacks` rows with the retry policy (`[callbacks]`) and the SMS templates."""
    return SqlCallbacks(
        services.engine,
        policy=services.settings.callbacks,
        templates=services.settings.sms_templates,
        default_language=services.calls.flow.default_language,
    )


def answered_callbacks(services: Any) -> AnsweredCallbacks:
    """The FastAGI `callback` route: greets an answered call back and queues it."""
    return AnsweredCallbacks(
        legs=callback_records(services),
        catalogue=services.catalogue,
        clock=services.clock,
        local_now=services.local_now,
        default_language=services.calls.flow.default_language,
        places=services.extras.get("live_queue"),
    )


async def start_frontends(settings: Any, services: Any) -> AsteriskFrontEnds:
    calls = IvrOverAgi(
        calls=services.calls,
        catalogue=services.catalogue,
        queues=services.queues,
        local_now=services.local_now,
        callbacks=SqlCallbackRequests(services.engine),
        feedback=feedback_leg(services),
        call_log=BatchedCallLog(services.records.call_log),
    )
    server = FastAgiServer(calls, answered_callbacks(services))
    await server.start(settings.agi_host, settings.agi_port)
    # Commits on a call's path leave the WAL copying to this thread (SQLite only).
    checkpoints = WalCheckpointer(services.engine)
    checkpoints.start()
    link = None
    if settings.ami_enabled:
        link = build_ami_link(settings, services)
        await link.start()
    else:
        log.info("AMI link off (AMI_HOST, AMI_USERNAME and AMI_SECRET not all set)")
    return AsteriskFrontEnds(server, link, checkpoints)


def cmd_agi(args: argparse.Namespace, ctx: Any) -> int:
    logging.getLogger().setLevel(logging.INFO)  # a server: say what it does, as `serve` does
    services = ctx.services()

    if ctx.settings.ami_enabled:
        log.info("call backs are placed by `run_ivr.py worker` or `serve`, not by `agi`")

    async def run() -> None:
        fronts = await start_frontends(ctx.settings, services)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await fronts.close()

    asyncio.run(run())
    return 0


class BackgroundFrontEnds:
    """The FastAGI server and AMI link on an event loop in a daemon thread (for `serve`)."""

    def __init__(self, settings: Any, services: Any) -> None:
        self._settings = settings
        self._services = services
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="asterisk", daemon=True)
        self._fronts: AsteriskFrontEnds | None = None
        self._started = threading.Event()
        self._failure: BaseException | None = None
        self._placing = threading.Event()  # set: the callback placer stops

    def start(self, timeout: float = 15.0) -> BackgroundFrontEnds:
        dialler = self._dialler() if self._settings.ami_enabled else None
        self._thread.start()
        if not self._started.wait(timeout) or self._failure is not None:
            raise RuntimeError(f"the Asterisk front-end did not start: {self._failure}")
        self._services.extras["asterisk"] = self
        if dialler is not None:
            self._services.extras["ami"] = dialler
            self._start_placer(dialler)
            self._start_queue_watch()
        return self

    def _start_queue_watch(self) -> None:
        """Reload Asterisk's queues when a console edit saved in another process rewrote
        `ASTERISK_QUEUES_FILE` (web workers hold no AMI link)."""
        if self._settings.asterisk_queues_file is None:
            return
        services = self._services
        watcher = QueueEditWatcher(lambda: console_queues.revision(services), self.send)
        log.info("queue edits from other processes reloaded in Asterisk (checked every %.0f s)",
                 WATCH_INTERVAL_S)  # fmt: skip
        threading.Thread(
            target=watcher.run_forever, args=(self._placing,), name="queue-edits", daemon=True
        ).start()

    def _start_placer(self, dialler: AmiDialler) -> None:
        """Place pending call backs through the AMI link, on a daemon thread until `stop`."""
        services = self._services
        placer = CallbackPlacer(
            records=callback_records(services),
            live=services.extras["live_queue"],
            queues=services.queues,
            dialler=dialler,
            clock=services.clock,
            link_ready=self.ami_ready,
        )
        dialler.callback_finished = placer.finished
        policy = self._settings.callbacks
        log.info(
            "callback placer on: pending call backs dialled every %.0f s through AMI when an "
            "operator of their queue is ready (%d tries, %.0f min apart)",
            PASS_INTERVAL_S,
            policy.attempts,
            policy.retry_after_s / 60,
        )
        threading.Thread(
            target=placer.run_forever, args=(self._placing,), name="callbacks", daemon=True
        ).start()

    def ami_ready(self) -> bool:
        """True while the AMI link is logged in."""
        fronts = self._fronts
        return fronts is not None and fronts.ami is not None and fronts.ami.ready

    def _dialler(self) -> AmiDialler:
        """The outbound dialler, made the mirror's originate listener before the link starts
        (any listener already there still hears of the calls it placed)."""
        services = self._services
        dialler = AmiDialler(
            dial=self._settings.ami_dial,
            send=self.send,
            call_ended=lambda feedback_id, status: complaint_desk(services).feedback_call_ended(
                feedback_id, status
            ),
            previous=services.extras.get("originate_listener"),
        )
        services.extras["originate_listener"] = dialler
        return dialler

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._fronts = self._loop.run_until_complete(
                start_frontends(self._settings, self._services)
            )
        except BaseException as exc:  # reported to the starting thread, which raises it
            self._failure = exc
            self._started.set()
            return
        self._started.set()
        self._loop.run_forever()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 15.0) -> T:
        """Run a coroutine on the front-end's loop from any thread and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def send(self, action: AmiAction) -> ActionResult:
        """Send an AMI action from any thread (console, storm controller)."""
        fronts = self._fronts
        if fronts is None or fronts.ami is None:
            return ActionResult(False, "AMI link off")
        return self.run(fronts.ami.send(action))

    def stop(self) -> None:
        self._placing.set()
        if self._fronts is not None:
            with contextlib.suppress(Exception):
                self.run(self._fronts.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()
