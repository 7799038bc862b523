"""Fixtures for the reliability tests: the Flask app with Twilio signatures on, and a poster
that signs every request exactly as Twilio does."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.integration.twilio_signing import post_signed
from webhooks.app import create_app

TOKEN = "reliability-auth-token-0123456789"
BASE = "https://helpline.example.in"

Poster = Callable[[str, dict[str, str]], Any]


@pytest.fixture
def settings_env(settings_env: dict[str, str]) -> dict[str, str]:
    return {**settings_env, "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": BASE}


@pytest.fixture
def app_client(services: Any) -> FlaskClient:
    return create_app(services).test_client()


@pytest.fixture
def signed_post(app_client: FlaskClient) -> Poster:
    def post(url: str, data: dict[str, str]) -> Any:
        return post_signed(app_client, url, data, token=TOKEN, base=BASE)

    return post


def parse_twiml(response: Any) -> ET.Element:
    assert response.status_code == 200, (response.status_code, response.data[:300])
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return root


@pytest.fixture
def twiml() -> Callable[[Any], ET.Element]:
    return parse_twiml


@pytest.fixture
def stack(tmp_path: Any, migrated_engine: Any, database_url: str) -> Any:
    """A running stack (own Redis server, seeded database, gunicorn with 2 workers)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(
        "reliability_stack", __file__.replace("conftest.py", "stack.py")
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["reliability_stack"] = module
    spec.loader.exec_module(module)
    running = module.Stack(tmp_path, database_url)
    running.start_redis()
    running.run("seed", "--consumers", "300", "--seed", "5")
    running.start_web()
    yield running
    running.close()


@pytest.fixture
def caller(stack: Any) -> Any:
    import sys

    return sys.modules["reliability_stack"].Caller(stack)
