"""The bag of built services handed to front-ends; `run_ivr.py` (the composition root) fills it.

Front-ends receive this object and never build clients themselves, so tests can hand them
services wired to a test database and Redis.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis
from sqlalchemy import Engine

from config.settings import Settings
from ivr.flow import Flow
from ivr.prompts import Catalogue
from routing.queues import QueueSet
from services.calls import CallService
from services.records import CallRecords
from store.network import SqlNetwork


@dataclass
class Services:
    settings: Settings
    engine: Engine
    redis: redis.Redis
    flows: dict[str, Flow]
    catalogue: Catalogue
    queues: QueueSet
    network: SqlNetwork
    records: CallRecords
    calls: CallService
    clock: Callable[[], datetime]
    extras: dict[str, Any] = field(default_factory=dict)

    def local_now(self) -> datetime:
        return self.clock().astimezone(self.settings.zone)
