"""The complaint lifecycle's configuration, read once from the settings and `complaints.toml`.

`[feedback]` (calling hours, retries) and `[escalation]` (the ladder) are validated by the pure
core; `[lifecycle]` holds the daily feedback-call target per company (default 500), the pace of
automatic feedback calls and how often the server runs its escalation and feedback passes. A
bad value stops start-up with its path. Functions that other features call with a bare database
connection (`resolve_linked_to_fault`) use the configuration registered by the running service
(`register_default`), else one read from the process environment.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from complaints.errors import ComplaintError
from complaints.escalation import (
    EscalationLadder,
    default_escalation_config,
    load_escalation_ladder,
)
from complaints.feedback import FeedbackPolicy, default_feedback_config, load_feedback_policy
from config.errors import ConfigError
from config.settings import Settings, load_settings
from services.complaint_links import field_links

DEFAULT_DAILY_TARGET = 500
_LIFECYCLE_KEYS = frozenset(
    {
        "feedback_daily_target",
        "feedback_daily_target_by_company",
        "feedback_pace_s",
        "escalation_every_s",
        "feedback_every_s",
    }
)


@dataclass(frozen=True, slots=True)
class LifecycleConfig:
    """Everything the lifecycle needs besides the database."""

    templates: Mapping[str, Mapping[str, str]]
    zone: ZoneInfo
    policy: FeedbackPolicy
    ladder: EscalationLadder
    daily_target: int = DEFAULT_DAILY_TARGET
    daily_targets: Mapping[str, int] = field(default_factory=dict)
    pace_s: float = 1.0
    escalation_every_s: float = 60.0
    feedback_every_s: float = 60.0
    # Makes the signed field-page link for a complaint (id, centre); None: no link in SMS.
    field_link: Callable[[int, int | None], str] | None = None

    def target_for(self, company: str) -> int:
        return self.daily_targets.get(company, self.daily_target)


def load_lifecycle_config(settings: Settings, *, links: bool = True) -> LifecycleConfig:
    """Read and validate `complaints.toml` of the settings' config folder (`links`: make
    field-page links, which needs the secret key)."""
    path = settings.config_dir / "complaints.toml"
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"complaints.toml: cannot read ({exc})") from None
    try:
        policy = load_feedback_policy(
            raw.get("feedback", default_feedback_config()), path="complaints.toml: feedback"
        )
        ladder = load_escalation_ladder(
            raw.get("escalation", default_escalation_config()), path="complaints.toml: escalation"
        )
    except ComplaintError as exc:
        raise ConfigError(str(exc)) from None
    lifecycle = raw.get("lifecycle", {})
    where = "complaints.toml: lifecycle"
    if not isinstance(lifecycle, Mapping):
        raise ConfigError(f"{where}: must be a table")
    for key in sorted(set(lifecycle) - _LIFECYCLE_KEYS):
        raise ConfigError(
            f"{where}.{key}: unknown setting; expected one of {sorted(_LIFECYCLE_KEYS)}"
        )
    return LifecycleConfig(
        templates=settings.sms_templates,
        zone=settings.zone,
        policy=policy,
        ladder=ladder,
        daily_target=_whole(lifecycle, "feedback_daily_target", DEFAULT_DAILY_TARGET, where),
        daily_targets=_targets(
            lifecycle.get("feedback_daily_target_by_company", {}), where, settings
        ),
        pace_s=_seconds(lifecycle, "feedback_pace_s", 1.0, where, allow_zero=True),
        escalation_every_s=_seconds(lifecycle, "escalation_every_s", 60.0, where),
        feedback_every_s=_seconds(lifecycle, "feedback_every_s", 60.0, where),
        field_link=field_links(settings).url if links else None,
    )


def _whole(values: Mapping[str, Any], key: str, default: int, where: str) -> int:
    value = values.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{where}.{key}: must be a whole number >= 0, got {value!r}")
    return value


def _seconds(
    values: Mapping[str, Any], key: str, default: float, where: str, *, allow_zero: bool = False
) -> float:
    value = values.get(key, default)
    low_ok = value >= 0 if allow_zero else value > 0
    if isinstance(value, bool) or not isinstance(value, int | float) or not low_ok:
        raise ConfigError(f"{where}.{key}: must be a number of seconds > 0, got {value!r}")
    return float(value)


def _targets(raw: Any, where: str, settings: Settings) -> dict[str, int]:
    path = f"{where}.feedback_daily_target_by_company"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: must be a table of company = number")
    targets = {}
    for company in raw:
        if company not in settings.companies:
            raise ConfigError(f"{path}.{company}: no such company")
        targets[str(company)] = _whole(raw, company, DEFAULT_DAILY_TARGET, path)
    return targets


_DEFAULT: list[LifecycleConfig] = []


def register_default(config: LifecycleConfig) -> None:
    """Make `config` the one used where no configuration is passed (the running service's)."""
    _DEFAULT[:] = [config]


def default_config() -> LifecycleConfig:
    """The registered configuration, else one read from the environment (and remembered)."""
    if not _DEFAULT:
        # no field links: a bare process must not create a secret key file of its own
        _DEFAULT.append(load_lifecycle_config(load_settings(os.environ), links=False))
    return _DEFAULT[0]
