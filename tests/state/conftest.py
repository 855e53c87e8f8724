"""Fixtures of the state tests: every database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from knowledge.state import Store
from tests.state.databases import temporary_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    """An empty database (no tables) on each backend."""
    with temporary_database(request.param, str(tmp_path)) as url:
        yield url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A store on a database upgraded to head."""
    store = Store(database_url)
    yield store
    store.close()


@pytest.fixture
def second_store(database_url: str, store: Store) -> Iterator[Store]:
    """Another instance's store on the same database."""
    other = Store(database_url)
    yield other
    other.close()
