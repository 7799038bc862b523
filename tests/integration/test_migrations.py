"""The migrations build exactly the schema the code declares, and step back down cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from store import schema
from store.db import downgrade, schema_status, upgrade


def test_head_matches_the_declared_schema(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    assert differences == []
    current, head = schema_status(migrated_engine)
    assert current == head


def test_callback_retries_step_down_and_up(migrated_engine: Engine) -> None:
    def columns() -> set[str]:
        return {c["name"] for c in inspect(migrated_engine).get_columns("callbacks")}

    assert "next_attempt_at" in columns()
    downgrade(migrated_engine, "0001")
    assert "next_attempt_at" not in columns()
    upgrade(migrated_engine)
    assert "next_attempt_at" in columns()
