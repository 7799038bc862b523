"""Signed links to the field page, where a field team updates a complaint from the dispatch SMS.

A link carries the complaint id and its distribution centre, signed with the install's secret
(`HELPLINE_SECRET_KEY`, else a key generated once under `var/`, the same file the console
uses) and a salt of its own, so a console cookie can never pass for a field link or the other
way round. Links expire after a configured number of days. Whoever holds the link may mark
that one complaint acknowledged or done, nothing else: the page posts the token back, so no
cookie and no cross-site form can act for the team.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer

from config.secret import secret_key as shared_secret_key
from config.settings import Settings

log = logging.getLogger(__name__)

FIELD_PAGE = "/field"
_SALT = "helpline1912.field-page"


@dataclass(frozen=True, slots=True)
class FieldToken:
    """What a valid link names: one complaint, at one distribution centre."""

    complaint_id: int
    dc_id: int | None


class FieldLinks:
    """Makes and checks field-page links."""

    def __init__(self, secret: str, base_url: str, *, valid_for: timedelta) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=_SALT)
        self._base = base_url.rstrip("/")
        self._max_age = int(valid_for.total_seconds())

    def token(self, complaint_id: int, dc_id: int | None) -> str:
        return str(self._serializer.dumps({"c": int(complaint_id), "d": dc_id}))

    def url(self, complaint_id: int, dc_id: int | None) -> str:
        return f"{self._base}{FIELD_PAGE}/{self.token(complaint_id, dc_id)}"

    def check(self, token: str) -> FieldToken | None:
        """The complaint a token names, or None when it is forged, altered or expired."""
        try:
            data = self._serializer.loads(token, max_age=self._max_age)
        except BadSignature:  # SignatureExpired is a BadSignature too
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), int):
            return None
        dc = data.get("d")
        return FieldToken(data["c"], dc if isinstance(dc, int) else None)


def field_secret(settings: Settings) -> str:
    """The signing key (see `config.secret`)."""
    return shared_secret_key(settings)


def field_links(settings: Settings, *, valid_days: float = 14.0) -> FieldLinks:
    return FieldLinks(
        field_secret(settings), settings.public_base_url, valid_for=timedelta(days=valid_days)
    )
