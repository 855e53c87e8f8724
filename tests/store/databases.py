"""Throw-away test databases: a SQLite file, or a PostgreSQL database created and dropped per test.

The PostgreSQL server is the one in ``SKILLBOT_TEST_PG_URL`` (any database on it that the user
may ``CREATE DATABASE`` from; default the local server's ``postgres`` database).  Tests on it are
skipped, with the reason, only when no server answers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from sqlalchemy.engine import make_url

PG_ADMIN_URL = os.environ.get(
    "SKILLBOT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgresql")


def _libpq_url(database: str | None = None) -> str:
    url = make_url(PG_ADMIN_URL).set(drivername="postgresql")
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


@cache
def postgres_unreachable() -> str | None:
    """Why no PostgreSQL test can run (``None`` when the server answers)."""
    import psycopg

    try:
        with psycopg.connect(_libpq_url(), connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        shown = make_url(PG_ADMIN_URL).render_as_string(hide_password=True)
        return f"no PostgreSQL server at {shown} (set SKILLBOT_TEST_PG_URL): {error}".strip()
    return None


@contextmanager
def temporary_postgres_database() -> Iterator[str]:
    """Create ``skillbot_test_<random>``, yield its SQLAlchemy URL, drop it afterwards."""
    import psycopg

    name = f"skillbot_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (
            make_url(_libpq_url(name))
            .set(drivername="postgresql+psycopg")
            .render_as_string(hide_password=False)
        )
    finally:
        with psycopg.connect(_libpq_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def temporary_database(backend: str, directory: str) -> Iterator[str]:
    """Yield the URL of an empty database of ``backend`` (skipping when PostgreSQL is absent)."""
    if backend == "sqlite":
        yield f"sqlite:///{directory}/skillbot.sqlite3"
        return
    import pytest

    reason = postgres_unreachable()
    if reason:
        pytest.skip(reason)
    with temporary_postgres_database() as url:
        yield url
