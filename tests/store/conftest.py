"""Fixtures of the state tests: every database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.store.state import Store


@pytest.fixture
def second_store(database_url: str, store: Store) -> Iterator[Store]:
    """Another instance's store on the same database."""
    other = Store(database_url)
    yield other
    other.close()
