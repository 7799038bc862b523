"""Features other parts of the product provide when they are installed: looked up, not assumed.

The console shows a panel only when the service behind it exists (the storm controller, the
fault service, the complaint lifecycle's reports); otherwise the page says the feature is not
available. Lookups happen per request, so nothing breaks at start-up when a module is absent.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


def function(module: str, name: str) -> Callable[..., Any] | None:
    """`module.name` if that module can be imported and defines it, else None."""
    try:
        found = importlib.import_module(module)
    except ImportError:
        return None
    value = getattr(found, name, None)
    return value if callable(value) else None


def service(services: Any, *names: str) -> Any:
    """The first of `services.extras[name]` that is set, else None."""
    for name in names:
        value = services.extras.get(name)
        if value is not None:
            return value
    return None
