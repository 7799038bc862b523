"""The smaller tables of `helpline.toml`: the companies, the SMS templates and `[callbacks]`.

Each reader takes the parsed file and returns frozen or plain values, or raises `ConfigError`
naming the key; `[outage_sms]` has its own module, :mod:`config.outage_sms`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from config.errors import ConfigError
from config.toml_values import number, positive_int, table
from routing.callbacks import RetryPolicy


@dataclass(frozen=True, slots=True)
class Company:
    code: str
    name_en: str
    name_hi: str
    headquarters: str
    sms_sender: str


def read_companies(data: Mapping[str, Any]) -> dict[str, Company]:
    raw = table(data, "companies", "helpline.toml")
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


def read_default_company(general: Mapping[str, Any], helpline: Mapping[str, Any]) -> str:
    code = str(general.get("default_company", "CZ"))
    if code not in table(helpline, "companies", "helpline.toml"):
        raise ConfigError(f"helpline.toml: helpline.default_company: no company {code!r}")
    return code


def read_sms_templates(data: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    raw = table(data, "sms", "helpline.toml")
    templates = {}
    for kind, spec in raw.items():
        where = f"helpline.toml: sms.{kind}"
        if not isinstance(spec, Mapping) or not {"hi", "en"} <= set(spec):
            raise ConfigError(f"{where}: needs hi and en texts (and optionally template_id)")
        templates[kind] = {k: str(v) for k, v in spec.items()}
    return templates


def read_callbacks(data: Mapping[str, Any], templates: Mapping[str, Any]) -> RetryPolicy:
    """`[callbacks]` (optional: the defaults apply without it); the SMS sent after the last
    unanswered try must exist."""
    where = "helpline.toml: callbacks"
    raw = table(data, "callbacks", "helpline.toml") if "callbacks" in data else {}
    for key in sorted(set(raw) - {"attempts", "retry_after_minutes"}):
        raise ConfigError(
            f"{where}.{key}: unknown setting; expected one of ['attempts', 'retry_after_minutes']"
        )
    defaults = RetryPolicy()
    attempts = positive_int(raw.get("attempts", defaults.attempts), f"{where}.attempts")
    minutes = number(raw, "retry_after_minutes", defaults.retry_after_s / 60, where)
    if "callback_failed" not in templates:
        raise ConfigError("helpline.toml: sms.callback_failed: missing (callbacks need it)")
    return RetryPolicy(attempts=attempts, retry_after_s=60.0 * minutes)
