"""Where a benchmark keeps its data: a SQLite file in a temporary folder, or, with
`DATABASE_URL` naming PostgreSQL, a schema of its own in that database (created empty, dropped
afterwards), so a benchmark can show the production setup beside the embedded one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def bench_database(folder: str, name: str) -> Iterator[str]:
    """A URL for an empty database: `folder/bench.sqlite`, or the schema `<name>_<pid>` of the
    PostgreSQL database `DATABASE_URL` names."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        yield f"sqlite:///{folder}/bench.sqlite"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"{name}_{os.getpid()}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        private = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield private.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
