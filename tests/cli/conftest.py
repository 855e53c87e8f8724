"""Fixtures of the command-line tests."""

from __future__ import annotations

import pytest

from bot.store.state import Store


@pytest.fixture
def subscribed_database(database_url: str, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """``DATABASE_URL`` names a database with three subscriptions: two groups (one to 创业
    only) and a person (紧缺 only)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    store.subscribe(-1, "group")
    store.subscribe(-2, "group", ["创业"])
    store.subscribe(3, "private", ["紧缺"])
