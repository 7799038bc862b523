"""`[outage_sms]` of `helpline.toml`: the SMS a new fault sends every consumer it cuts off.

Every key is checked (an unknown one is an error, not ignored), the fault levels must be real
ones, the words filled into the templates must each have a Hindi and an English text, and the
templates the section needs must exist when it is enabled. A file without the section keeps
outage SMS off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from config.errors import ConfigError
from config.toml_values import boolean, number, positive_int, table
from outages.faults import Cause, FaultLevel

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


def read_outage_sms(data: Mapping[str, Any], templates: Mapping[str, Any]) -> OutageSms:
    """`[outage_sms]`, every key checked; its templates must exist when it is enabled."""
    if "outage_sms" not in data:
        return OutageSms(enabled=False)  # a file from before outage SMS: they stay off
    raw = table(data, "outage_sms", "helpline.toml")
    where = "helpline.toml: outage_sms"
    for key in sorted(set(raw) - set(_OUTAGE_KEYS)):
        raise ConfigError(f"{where}.{key}: unknown setting; expected one of {list(_OUTAGE_KEYS)}")
    defaults = OutageSms()
    config = OutageSms(
        enabled=boolean(raw, "enabled", defaults.enabled, where),
        levels=_levels(raw.get("levels", [level.value for level in defaults.levels]), where),
        repeat_after_hours=number(
            raw, "repeat_after_hours", defaults.repeat_after_hours, where, allow_zero=True
        ),  # fmt: skip
        etr_updates=boolean(raw, "etr_updates", defaults.etr_updates, where),
        etr_change_minutes=positive_int(
            raw.get("etr_change_minutes", defaults.etr_change_minutes),
            f"{where}.etr_change_minutes",
        ),  # fmt: skip
        bulk_per_second=number(raw, "bulk_per_second", defaults.bulk_per_second, where),
        words=_outage_words(raw.get("words"), f"{where}.words"),
    )
    needed = ["outage", "restored"] + (["etr_updated"] if config.etr_updates else [])
    for kind in needed if config.enabled else []:
        if kind not in templates:
            raise ConfigError(f"helpline.toml: sms.{kind}: missing (outage_sms needs it)")
    return config


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
