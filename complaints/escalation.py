"""The escalation ladder: who hears of an unresolved complaint, and when, on its SoP clock.

A complaint is assigned to the JE in charge of the consumer's distribution centre or zone. If it
stays unresolved, it climbs the ladder AE → EE → SE → CGM, each step falling due at a fraction
of the SoP limit (default 0.5, 1.0, 1.5, 2.0: halfway, at the deadline, and past it). The ladder
is configuration (`[escalation]` in `config/complaints.toml`): `steps` is a list of
`{ level = "AE", at_fraction = 0.5 }`, in rising rank and rising fraction. `due_escalations` is
pure and idempotent: it lists the steps due at `now` that have not been notified yet, so a
scheduler may run it as often as it likes. Force majeure does not stop the ladder (the crew still
has to be chased); it is carried on each step so breach reports can be made with and without.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from complaints.errors import ComplaintError
from complaints.validation import positive_number, reject_unknown, required, table


class EscalationLevel(StrEnum):
    """Staff titles, lowest first."""

    JE = "JE"  # junior engineer, distribution centre / zone
    AE = "AE"  # assistant engineer, sub-division
    EE = "EE"  # executive engineer, division
    SE = "SE"  # superintending engineer, circle
    CGM = "CGM"  # chief general manager, region / company

    @property
    def rank(self) -> int:
        """0 for JE up to 4 for CGM."""
        return list(EscalationLevel).index(self)


@dataclass(frozen=True, slots=True)
class EscalationRule:
    """Notify `level` once `at_fraction` of the SoP limit has passed."""

    level: EscalationLevel
    at_fraction: float


@dataclass(frozen=True, slots=True)
class EscalationLadder:
    """The configured steps, in order."""

    steps: tuple[EscalationRule, ...]


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """A step due now: whom to notify, since when, and whether the SoP limit has passed."""

    level: EscalationLevel
    due_at: datetime
    past_deadline: bool
    force_majeure: bool


def default_escalation_config() -> dict[str, object]:
    """The `[escalation]` table: AE at half the limit, EE at it, SE at 1.5×, CGM at 2×."""
    fractions = (("AE", 0.5), ("EE", 1.0), ("SE", 1.5), ("CGM", 2.0))
    return {"steps": [{"level": level, "at_fraction": at} for level, at in fractions]}


def load_escalation_ladder(
    config: Mapping[str, object], *, path: str = "escalation"
) -> EscalationLadder:
    """Validate the `[escalation]` table; raises `ComplaintError` naming the bad value's path."""
    values = table(config, path)
    reject_unknown(values, frozenset({"steps"}), path)
    raw_steps = required(values, "steps", path)
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ComplaintError(f"{path}.steps: must be a non-empty list, got {raw_steps!r}")
    steps: list[EscalationRule] = []
    for index, raw in enumerate(raw_steps):
        step = _load_rule(raw, f"{path}.steps[{index}]")
        if steps and step.level.rank <= steps[-1].level.rank:
            raise ComplaintError(f"{path}.steps[{index}].level: must rank above {steps[-1].level}")
        if steps and step.at_fraction <= steps[-1].at_fraction:
            raise ComplaintError(
                f"{path}.steps[{index}].at_fraction: must be above {steps[-1].at_fraction}"
            )
        steps.append(step)
    return EscalationLadder(tuple(steps))


def _load_rule(raw: object, path: str) -> EscalationRule:
    values = table(raw, path)
    reject_unknown(values, frozenset({"level", "at_fraction"}), path)
    level_text = required(values, "level", path)
    try:
        level = EscalationLevel(level_text if isinstance(level_text, str) else "")
    except ValueError:
        known = ", ".join(level.value for level in EscalationLevel)
        raise ComplaintError(f"{path}.level: must be one of {known}, got {level_text!r}") from None
    at = positive_number(required(values, "at_fraction", path), f"{path}.at_fraction")
    return EscalationRule(level, at)


def due_escalations(
    registered_at: datetime,
    deadline: datetime,
    already_notified: Collection[str],
    now: datetime,
    *,
    ladder: EscalationLadder,
    force_majeure: bool = False,
) -> list[EscalationStep]:
    """Steps due at `now` whose level is not in `already_notified`, lowest first.

    After an outage of the scheduler several steps may be due at once; all are returned, so
    every level on the way up hears of the complaint.

    >>> from datetime import timedelta, timezone
    >>> ladder = load_escalation_ladder(default_escalation_config())
    >>> start = datetime(2026, 7, 1, 10, 0, tzinfo=timezone.utc)
    >>> due = due_escalations(start, start + timedelta(hours=4), frozenset({"AE"}),
    ...                       start + timedelta(hours=4), ladder=ladder)
    >>> [(step.level.value, step.past_deadline) for step in due]
    [('EE', True)]
    """
    if deadline <= registered_at:
        raise ComplaintError("an SoP deadline must come after registration")
    limit = deadline - registered_at
    due: list[EscalationStep] = []
    for rule in ladder.steps:
        due_at = registered_at + limit * rule.at_fraction
        if due_at <= now and rule.level not in already_notified:
            due.append(EscalationStep(rule.level, due_at, due_at >= deadline, force_majeure))
    return due
