"""Field-page links: signed, tamper-evident, expiring, and of no use as anything else."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from itsdangerous import URLSafeTimedSerializer

from config.settings import load_settings
from services.complaint_links import FieldLinks, FieldToken, field_secret

SECRET = "s" * 40


def links(**kw: timedelta) -> FieldLinks:
    return FieldLinks(
        SECRET, "https://helpline.example.in/", valid_for=kw.get("valid", timedelta(days=1))
    )


def test_a_link_names_its_complaint_and_centre() -> None:
    url = links().url(42, 7)
    assert url.startswith("https://helpline.example.in/field/")
    assert links().check(url.rsplit("/", 1)[1]) == FieldToken(42, 7)


def test_altered_forged_or_foreign_tokens_are_refused() -> None:
    token = links().token(42, 7)
    assert links().check(token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None
    assert FieldLinks("x" * 40, "https://h", valid_for=timedelta(days=1)).check(token) is None
    console_cookie = URLSafeTimedSerializer(SECRET).dumps({"c": 42, "d": 7})
    assert links().check(console_cookie) is None  # another salt: not a field link
    assert links().check("") is None


def test_expired_links_are_refused() -> None:
    token = links().token(42, 7)
    assert links(valid=timedelta(seconds=-1)).check(token) is None


def test_without_a_configured_key_one_is_generated_once(tmp_path: Path) -> None:
    settings = load_settings({"HELPLINE_VAR_DIR": str(tmp_path)})
    first = field_secret(settings)
    assert len(first) >= 32 and field_secret(settings) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    configured = load_settings({"HELPLINE_VAR_DIR": str(tmp_path), "HELPLINE_SECRET_KEY": SECRET})
    assert field_secret(configured) == SECRET
