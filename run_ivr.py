"""Helpline 1912 — the command line and the one composition root.

Every client (database engine, Redis, Twilio, AMI) and every service is built here, from the
settings, and handed to the front-ends. Run `python run_ivr.py --help` for the commands.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from config.errors import ConfigError
from config.settings import Settings, load_settings
from config.toml_values import read_toml

log = logging.getLogger("helpline1912")

# Feature modules that add their own sub-commands: each has `add_commands(subparsers)`, and
# its commands are called as `func(args, ctx)` with a `Context` (settings + service builder).
# The set-up and trying commands come first in `--help`.
FIRST_COMMAND_MODULES: list[str] = ["store.cli", "services.terminal_phone_cli"]
COMMAND_MODULES: list[str] = [
    "dialplans.cli",
    "services.routing_cli",
    "console.cli",
    "services.complaint_cli",
    "services.storm_cli",
]


# --- building ------------------------------------------------------------------------------


def utc_now() -> datetime:
    return datetime.now(UTC)


def load_configuration(settings: Settings) -> dict[str, Any]:
    """Read and validate every admin file; raise with the path of the first bad value."""
    from complaints.errors import ComplaintError
    from complaints.kinds import load_sop_limits
    from ivr.engine import ENGINE_PROMPTS
    from ivr.errors import IvrError
    from ivr.flow import load_flow
    from ivr.prompts import check_flow_prompts, load_catalogue
    from routing.errors import RoutingError
    from routing.queues import load_queue_definitions

    base = settings.config_dir
    try:
        catalogue = load_catalogue(read_toml(base / "prompts.toml"), where="prompts.toml")
        flows = {}
        for path in sorted((base / "flows").glob("*.toml")):
            flow = load_flow(read_toml(path), name=path.stem)
            check_flow_prompts(flow, catalogue, engine_prompts=ENGINE_PROMPTS)
            flows[flow.name] = flow
        if "1912" not in flows:
            raise ConfigError(f"flows: {base / 'flows' / '1912.toml'} is missing")
        queues = load_queue_definitions(read_toml(base / "queues.toml"))
        complaints_cfg = read_toml(base / "complaints.toml")
        limits = load_sop_limits(complaints_cfg.get("sop", {}), path="complaints.toml: sop")
        holidays = _holidays(complaints_cfg)
    except (IvrError, RoutingError, ComplaintError) as exc:
        raise ConfigError(str(exc)) from None
    return {
        "catalogue": catalogue,
        "flows": flows,
        "queues": queues,
        "limits": limits,
        "holidays": holidays,
        "complaints": complaints_cfg,
    }


def _holidays(cfg: dict[str, Any]) -> frozenset[date]:
    table = cfg.get("holidays", {})
    raw = table.get("dates", []) if isinstance(table, dict) else None
    if not isinstance(raw, list):
        raise ConfigError("complaints.toml: holidays.dates: must be a list of dates")
    days = set()
    for i, value in enumerate(raw):
        try:
            days.add(value if isinstance(value, date) else date.fromisoformat(str(value)))
        except ValueError:
            raise ConfigError(
                f"complaints.toml: holidays.dates[{i}]: not a date: {value!r}"
            ) from None
    return frozenset(days)


def build_services(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Any:
    """Wire every service from the settings (connects to the database and Redis lazily)."""
    from services.calls import CallService
    from services.complaint_links import field_links
    from services.container import Services
    from services.records import CallRecords, check_flow_handlers
    from store.call_sessions import RedisCallSessions
    from store.complaints_sql import SqlComplaints
    from store.db import make_engine
    from store.live import connect_redis
    from store.network import SqlNetwork

    cfg = load_configuration(settings)
    engine = make_engine(settings.database_url)
    client = connect_redis(settings.redis_url, settings.embedded_redis_path)
    network = SqlNetwork(engine)
    complaints = SqlComplaints(
        engine,
        limits=cfg["limits"],
        holidays=cfg["holidays"],
        zone=settings.zone,
        sms_templates=settings.sms_templates,
        field_link=field_links(settings).url,
    )
    records = CallRecords(
        engine=engine,
        network=network,
        complaints=complaints,
        queues=cfg["queues"],
        sms_templates=settings.sms_templates,
        default_company=settings.default_company,
        payment_link=settings.payment_link,
        zone=settings.zone,
    )
    flow = cfg["flows"]["1912"]
    try:
        check_flow_handlers(flow, records)
    except Exception as exc:
        raise ConfigError(str(exc)) from None
    sessions = RedisCallSessions(client, ttl_s=settings.session_ttl_s)
    calls = CallService(
        flow=flow,
        sessions=sessions,
        records=records,
        clock=clock,
        default_language=flow.default_language,
    )
    services = Services(
        settings=settings,
        engine=engine,
        redis=client,
        flows=cfg["flows"],
        catalogue=cfg["catalogue"],
        queues=cfg["queues"],
        network=network,
        records=records,
        calls=calls,
        clock=clock,
    )
    services.extras["twilio_rest"] = twilio_rest_client(settings)
    _add_routing(services, cfg)
    _add_storm(services, cfg)
    return services


def _add_routing(services: Any, cfg: dict[str, Any]) -> None:
    """The live routing state (Redis) and the operator/ACD service over it."""
    from services.routing_service import RoutingService
    from store.asterisk_live import AsteriskLiveQueues
    from store.live_routing import RedisLiveState
    from store.operators_sql import SqlOperators

    live = RedisLiveState(services.redis, cfg["queues"])
    services.extras["live_queue"] = live
    services.extras["asterisk_live_queues"] = AsteriskLiveQueues(live)
    services.extras["routing"] = RoutingService(
        live=live, operators=SqlOperators(services.engine), clock=services.clock
    )


def _add_storm(services: Any, cfg: dict[str, Any]) -> None:
    """Storm mode: the fault service and the storm controller's service (config/storm.toml)."""
    from services.storm_service import build_storm_services

    build_storm_services(services, read_toml(services.settings.config_dir / "storm.toml"))


def twilio_rest_client(settings: Settings, http_client: Any = None) -> Any:
    """The Twilio REST client, or None (logged) when the account credentials are not set."""
    if not settings.twilio_rest_enabled:
        log.info(
            "Twilio REST side disabled (TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN not set): "
            "no SMS sending, no dequeue to operators; the voice webhooks still work"
        )
        return None
    from twilio.rest import Client

    return Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http_client)


def outbox_worker(services: Any) -> Any:
    """The SMS outbox worker over Twilio, or None (logged) when it cannot send."""
    from services.outbox_worker import OutboxWorker, TwilioSms

    client = services.extras.get("twilio_rest")
    sender = services.settings.twilio_sms_from
    if client is None or not sender:
        log.warning(
            "SMS outbox worker not started: needs TWILIO_ACCOUNT_SID, "
            "TWILIO_AUTH_TOKEN and TWILIO_SMS_FROM (or TWILIO_CALLER_ID)"
        )
        return None
    pace = services.settings.outage_sms.bulk_per_second
    return OutboxWorker(services.engine, TwilioSms(client, from_number=sender),
                        bulk_per_second=pace, redis_client=services.redis)  # fmt: skip


def wsgi() -> Any:
    """The WSGI application for gunicorn: `gunicorn 'run_ivr:wsgi()'`."""
    from store.db import WalCheckpointer
    from webhooks.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    services = build_services(load_settings(os.environ))
    app = create_app(services)
    # With SQLite, a commit that takes the WAL past its size limit would copy it into the
    # database (and sync the disk) on a caller's turn; a thread of each worker does it instead.
    checkpoints = WalCheckpointer(services.engine)
    checkpoints.start()
    app.extensions["helpline.wal_checkpointer"] = checkpoints
    return app


# --- commands --------------------------------------------------------------------------------


class Context:
    """What a command gets: the settings, and the services built on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._services: Any = None

    def services(self) -> Any:
        if self._services is None:
            self._services = build_services(self.settings)
        return self._services

    def close(self) -> None:
        """Release what the command built (database pool, Redis connection)."""
        if self._services is not None:
            self._services.engine.dispose()
            self._services.redis.close()
            self._services = None


def cmd_check(args: argparse.Namespace, ctx: Context) -> int:
    settings = ctx.settings
    cfg = load_configuration(settings)
    flows = ", ".join(f"{n} ({len(f.nodes)} nodes)" for n, f in cfg["flows"].items())
    print(
        f"ok: flows {flows}; {len(cfg['catalogue'].texts)} prompts; "
        f"{len(cfg['queues'].names)} queues"
    )
    return 0


def start_background(services: Any, stop: Any) -> Any:
    """Everything but HTTP: SMS outbox, FastAGI (+ AMI and the callback placer when AMI is
    configured), the ACD round, the storm controller, escalation passes and feedback calls.
    Returns the Asterisk front-ends (to stop them)."""
    import threading

    from dialplans.cli import BackgroundFrontEnds
    from services.complaint_desk import start_background_loops

    settings = services.settings
    worker = outbox_worker(services)
    if worker is not None:
        threading.Thread(
            target=worker.run_forever, args=(services.clock, stop), name="sms-outbox", daemon=True
        ).start()
    asterisk = BackgroundFrontEnds(settings, services).start()
    routing = services.extras["routing"]
    if settings.ami_enabled:
        from dialplans.operator_sync import ami_listener

        routing.add_listener(ami_listener(asterisk.send, services.queues))
    try:
        log.info("live state: %d operators known", routing.sync_operators())
    except Exception as exc:  # Redis down at start-up: the dispatcher retries; calls fall back
        log.error("could not load operators into the live state: %s", exc)
    threading.Thread(target=routing.run_forever, args=(stop,), name="acd", daemon=True).start()
    threading.Thread(
        target=services.extras["storm"].run_forever, args=(stop,), name="storm", daemon=True
    ).start()
    start_background_loops(services, stop)  # escalation passes, feedback calls
    return asterisk


def cmd_serve(args: argparse.Namespace, ctx: Context) -> int:
    import threading

    from werkzeug.serving import run_simple

    from webhooks.app import create_app

    settings = ctx.settings
    services = ctx.services()
    app = create_app(services)
    stop = threading.Event()
    asterisk = start_background(services, stop)
    log.info("HTTP on http://%s:%s", settings.http_host, settings.http_port)
    try:
        run_simple(settings.http_host, settings.http_port, app, threaded=True, use_reloader=False)
    finally:
        stop.set()
        asterisk.stop()
    return 0


def cmd_worker(args: argparse.Namespace, ctx: Context) -> int:
    """The background loops without HTTP: run one beside gunicorn's web workers."""
    import signal
    import threading

    from webhooks.app import create_app

    services = ctx.services()
    create_app(services)  # registers the front-ends' executors (Twilio dequeue) with routing
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    asterisk = start_background(services, stop)
    log.info("background worker running (ACD, storm, SMS, complaints, FastAGI/AMI, callbacks)")
    try:
        stop.wait()
    finally:
        asterisk.stop()
    return 0


def cmd_outbox(args: argparse.Namespace, ctx: Context) -> int:
    import threading

    services = ctx.services()
    worker = outbox_worker(services)
    if worker is None:
        print(
            "error: the SMS outbox needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_SMS_FROM",
            file=sys.stderr,
        )
        return 1
    if args.once:
        report = worker.run_once(services.clock())
        print(f"outbox: {report.sent} sent, {report.retrying} retrying, {report.failed} failed")
        return 0
    stop = threading.Event()
    try:
        worker.run_forever(services.clock, stop, interval_s=args.interval)
    except KeyboardInterrupt:
        stop.set()
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="run_ivr.py", description="Helpline 1912 IVR and routing")
    sub = p.add_subparsers(dest="command", required=True)
    for module in FIRST_COMMAND_MODULES:
        importlib.import_module(module).add_commands(sub)

    c = sub.add_parser("check", help="validate settings, flows, prompts and queues")
    c.set_defaults(func=cmd_check)

    serve = sub.add_parser("serve", help="run the HTTP server")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="the background loops without HTTP (beside gunicorn)")
    worker.set_defaults(func=cmd_worker)

    outbox = sub.add_parser("outbox", help="send queued SMS through Twilio (beside gunicorn)")
    outbox.add_argument("--once", action="store_true", help="one round, then exit")
    outbox.add_argument("--interval", type=float, default=2.0, help="seconds between rounds")
    outbox.set_defaults(func=cmd_outbox)
    for module in COMMAND_MODULES:
        importlib.import_module(module).add_commands(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    level = (
        logging.INFO if args.command in ("serve", "worker", "agi", "outbox") else logging.WARNING
    )
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = load_settings(os.environ)
        ctx = Context(settings)
        try:
            return int(args.func(args, ctx))
        finally:
            ctx.close()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `run_ivr.py operator list | head` is fine
    sys.exit(main())
