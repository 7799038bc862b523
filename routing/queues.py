"""Queue definitions: the administrator's file turned into validated, frozen values.

The file (``config/queues.toml``, read by the edge) holds a ``[defaults]`` table and one
``[queues.NAME]`` table per queue. :func:`load_queue_definitions` checks every value strictly
and names the path of the first bad one (``queues.CZ-hi.strategy: unknown strategy 'best'``),
so a bad edit fails start-up instead of a live call. :func:`choose_queue` is what the IVR asks
when a caller wants an operator. Strategy names and meanings are Asterisk's ``app_queue`` ones,
so the same definitions can be rendered into ``queues.conf``. Pure: stdlib only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from routing.errors import RoutingError

MAX_PRIORITY = 1000
"""Caller priorities lie in 0..MAX_PRIORITY (the live-state score packs them with join time)."""


class QueueConfigError(RoutingError):
    """The queue file is invalid; the message starts with the path of the bad value."""


class Company(StrEnum):
    """The three distribution companies sharing the 1912 number."""

    EZ = "EZ"
    CZ = "CZ"
    WZ = "WZ"


class Language(StrEnum):
    """A language an operator speaks (ISO 639-1, equal as a string to the IVR's own enum)."""

    HI = "hi"
    EN = "en"


class Strategy(StrEnum):
    """How a queue picks among free operators; names and meanings as in Asterisk ``app_queue``."""

    LEASTRECENT = "leastrecent"  # the operator whose last call ended longest ago
    FEWESTCALLS = "fewestcalls"  # the operator who has taken the fewest calls
    RRMEMORY = "rrmemory"  # round robin, resuming after the last operator given a call
    LINEAR = "linear"  # always in the listed order
    RANDOM = "random"  # uniformly at random
    WRANDOM = "wrandom"  # at random, the penalty weighting the draw (no strict tiers)


@dataclass(frozen=True, slots=True)
class QueueDefinition:
    """One queue: who may answer it (skills), how operators are picked, and its limits."""

    name: str
    company: Company
    language: Language | None  # None: any language (the company-wide hazard queue)
    hazard: bool
    strategy: Strategy
    weight: int  # Asterisk weight: a higher-weight queue is served first by shared operators
    caller_priority: int  # priority given to callers entering this queue (higher first)
    ring_timeout_s: int
    wrapup_s: int
    max_length: int
    overflow_target: str | None
    overflow_after_s: int | None
    announce_frequency_s: int
    callback_offer_s: int | None  # offer a callback when the estimated wait reaches this
    service_level_s: int = 20


@dataclass(frozen=True, slots=True)
class QueueSet:
    """All queues by name, in file order."""

    queues: tuple[QueueDefinition, ...]

    def __getitem__(self, name: str) -> QueueDefinition:
        for queue in self.queues:
            if queue.name == name:
                return queue
        raise RoutingError(f"unknown queue {name!r}")

    def __contains__(self, name: object) -> bool:
        return any(queue.name == name for queue in self.queues)

    def __iter__(self) -> Iterator[QueueDefinition]:
        return iter(self.queues)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(queue.name for queue in self.queues)


def waiting_score(priority: int, joined: float) -> float:
    """Sort key of a waiting caller: higher priority first, then earlier ORIGINAL join time.

    Packs both into one float (exact: integers below 2**53) so a Redis sorted set orders them.

    >>> waiting_score(10, 1.5) < waiting_score(0, 0.0) < waiting_score(0, 1.0)
    True
    >>> decode_score(waiting_score(7, 1_700_000_000.123))
    (7, 1700000000.123)
    """
    return float(round(joined * 1000) - priority * _PRIORITY_STEP)


def decode_score(score: float) -> tuple[int, float]:
    """Inverse of :func:`waiting_score`: ``(priority, joined)``."""
    priority = -int(score // _PRIORITY_STEP)
    return priority, (score + priority * _PRIORITY_STEP) / 1000


_PRIORITY_STEP = 2**42  # > milliseconds until the year 2109; 2**42 * 1000 < 2**53


def choose_queue(
    queue_set: QueueSet, *, company: Company | str, language: Language | str, hazard: bool
) -> tuple[str, int]:
    """The queue a caller asking for an operator joins, and the caller's priority.

    A hazard caller goes to the company's hazard queue (whatever the language); everyone else
    to the company's queue for their language. Among several matches the heaviest wins.
    """
    try:
        company, language = Company(company), Language(language)
    except ValueError as error:
        raise RoutingError(f"cannot choose a queue: {error}") from None

    def fits(queue: QueueDefinition) -> bool:
        if queue.company is not company or queue.hazard is not hazard:
            return False
        return hazard or queue.language is language

    matches = [queue for queue in queue_set if fits(queue)]
    if not matches:
        kind = "hazard" if hazard else language.value
        raise RoutingError(f"no {kind} queue for company {company.value}")
    best = max(matches, key=lambda queue: queue.weight)
    return best.name, best.caller_priority


# ---------------------------------------------------------------- loading and validation

_Check = Callable[[str, object], object]


def _integer(low: int, high: int | None = None) -> _Check:
    def check(path: str, value: object) -> object:
        # bool is an int in Python; `true` in a number field is a typo, not 1.
        if not isinstance(value, int) or isinstance(value, bool):
            raise QueueConfigError(f"{path}: expected an integer, got {value!r}")
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f">= {low}"
            raise QueueConfigError(f"{path}: must be {bound}, got {value}")
        return value

    return check


def _optional(check: _Check) -> _Check:
    def optional(path: str, value: object) -> object:
        return None if value is False else check(path, value)

    return optional


def _enum(kind: type[StrEnum], label: str) -> _Check:
    def check(path: str, value: object) -> object:
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            return kind(value)
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            raise QueueConfigError(f"{path}: unknown {label} {value!r} ({allowed})") from None

    return check


def _boolean(path: str, value: object) -> object:
    if not isinstance(value, bool):
        raise QueueConfigError(f"{path}: expected true or false, got {value!r}")
    return value


def _text(path: str, value: object) -> object:
    if not isinstance(value, str) or not value:
        raise QueueConfigError(f"{path}: expected a non-empty string, got {value!r}")
    return value


# Fields a queue may set, with their checks. `false` switches an optional feature off.
_FIELDS: dict[str, _Check] = {
    "company": _enum(Company, "company"),
    "language": _enum(Language, "language"),
    "hazard": _boolean,
    "strategy": _enum(Strategy, "strategy"),
    "weight": _integer(0),
    "caller_priority": _integer(0, MAX_PRIORITY),
    "ring_timeout_s": _integer(1),
    "wrapup_s": _integer(0),
    "max_length": _integer(1),
    "overflow_target": _optional(_text),
    "overflow_after_s": _optional(_integer(0)),
    "announce_frequency_s": _integer(0),
    "callback_offer_s": _optional(_integer(0)),
    "service_level_s": _integer(1),
}
_PER_QUEUE_ONLY = {"company", "language", "hazard", "overflow_target", "overflow_after_s"}
_BUILT_IN: dict[str, object] = {
    "hazard": False,
    "language": None,
    "strategy": Strategy.LEASTRECENT,
    "weight": 0,
    "caller_priority": 0,
    "ring_timeout_s": 15,
    "wrapup_s": 10,
    "max_length": 500,
    "overflow_target": None,
    "overflow_after_s": None,
    "announce_frequency_s": 30,
    "callback_offer_s": None,
    "service_level_s": 20,
}


def _table(path: str, value: object) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise QueueConfigError(f"{path}: expected a table, got {value!r}")
    return value


def _fields(path: str, table: Mapping[str, object], allowed: set[str]) -> dict[str, object]:
    checked: dict[str, object] = {}
    for key, value in table.items():
        if key not in allowed:
            raise QueueConfigError(f"{path}.{key}: unknown field")
        checked[key] = _FIELDS[key](f"{path}.{key}", value)
    return checked


def _queue(name: str, table: object, defaults: dict[str, object]) -> QueueDefinition:
    path = f"queues.{name}"
    table = _table(path, table)
    values = {**_BUILT_IN, **defaults, **_fields(path, table, set(_FIELDS))}
    if "company" not in values:
        raise QueueConfigError(f"{path}.company: missing")
    if values["language"] is None and not values["hazard"]:
        raise QueueConfigError(f"{path}.language: missing (only a hazard queue takes any)")
    if (values["overflow_target"] is None) != (values["overflow_after_s"] is None):
        raise QueueConfigError(f"{path}: overflow_target and overflow_after_s go together")
    return QueueDefinition(name=name, **values)  # type: ignore[arg-type]


def load_queue_definitions(data: Mapping[str, object]) -> QueueSet:
    """Validate the parsed queue file; raise :class:`QueueConfigError` naming the bad path."""
    for key in data:
        if key not in ("defaults", "queues"):
            raise QueueConfigError(f"{key}: unknown section")
    defaults = _fields(
        "defaults", _table("defaults", data.get("defaults", {})), set(_FIELDS) - _PER_QUEUE_ONLY
    )
    tables = _table("queues", data.get("queues"))
    if not tables:
        raise QueueConfigError("queues: no queue defined")
    queue_set = QueueSet(tuple(_queue(name, table, defaults) for name, table in tables.items()))
    for queue in queue_set:
        target = queue.overflow_target
        if target is not None and (target not in queue_set or target == queue.name):
            raise QueueConfigError(
                f"queues.{queue.name}.overflow_target: no other queue named {target!r}"
            )
    return queue_set
