"""The Asterisk front-end's commands (`dialplan`, `prompts`, `agi`) and its start-up in `serve`.

Commands get `(args, ctx)` from `run_ivr.py`, the composition root; only what belongs to the
Asterisk side (FastAGI server, AMI link, mirror) is built here, from the services it is handed,
by the factories of `dialplans.frontends`. `serve` runs the FastAGI server and the AMI link on
their own event loop in a daemon thread (`BackgroundFrontEnds`, `dialplans.background_frontends`),
next to the blocking HTTP server; `agi` runs them alone. Other parts of the service reach
Asterisk through `services.extras["asterisk"]`, whose `send` is safe to call from any thread;
with the AMI link configured, the complaint lifecycle places feedback calls through the
`AmiDialler` in `services.extras["ami"]`, and the `CallbackPlacer` places the call backs
turned-away callers asked for, on its own thread (`serve` and `worker`). The front-ends'
factories and `BackgroundFrontEnds` are importable from here too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from config.errors import ConfigError
from dialplans.background_frontends import BackgroundFrontEnds
from dialplans.errors import ToolMissing
from dialplans.frontends import (
    AsteriskFrontEnds,
    answered_callbacks,
    build_ami_link,
    callback_records,
    feedback_leg,
    start_frontends,
)
from dialplans.generate import (
    DialplanOptions,
    render_context,
    render_extensions,
    render_manager,
)
from dialplans.prompts_audio import find_tools, inventory, render_audio, write_index
from dialplans.queues_file import queue_members, render_queue_file, write_atomically
from routing.errors import RoutingError
from routing.queues import QueueSet, choose_queue

__all__ = [
    "AsteriskFrontEnds",
    "BackgroundFrontEnds",
    "add_commands",
    "answered_callbacks",
    "build_ami_link",
    "callback_records",
    "cmd_agi",
    "cmd_dialplan",
    "cmd_prompts",
    "feedback_leg",
    "queues_in_force",
    "start_frontends",
]

log = logging.getLogger(__name__)


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
