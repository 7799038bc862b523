"""The key that signs console sessions and field-team links.

`HELPLINE_SECRET_KEY` when set; otherwise a random key generated on first use and kept in
`var/secret_key` (mode 0600), so every process of one install agrees on it. Several machines
serving one helpline must set the variable.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from config.settings import Settings

log = logging.getLogger(__name__)


def secret_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.var_dir) / "secret_key"
    try:
        existing = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        existing = ""
    if len(existing) >= 32:
        return existing
    log.warning(
        "HELPLINE_SECRET_KEY is not set: sessions and field-page links are signed with a "
        "generated key kept in %s (set the variable when several machines serve the helpline)",
        path,
    )
    key = secrets.token_urlsafe(48)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(key, encoding="utf-8")
    return key
