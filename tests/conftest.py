"""Shared fixtures: the loaded knowledge and the answer engine (built once per session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store.state import Store
from knowledge.catalogue import Knowledge, load
from nlp.engine import Engine
from tests.store.databases import temporary_database

SEED = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "seed"
    / "huaian-2024-subsidised-training-notice.txt"
)


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load("2024")


@pytest.fixture(scope="session")
def engine(knowledge: Knowledge) -> Engine:
    return Engine(knowledge)


@pytest.fixture(scope="session")
def seed_text() -> str:
    """The notice itself (development and CI only); tests that need it skip without it."""
    if not SEED.exists():
        pytest.skip("../shared/seed is not beside the checkout")
    return SEED.read_text(encoding="utf-8")


@pytest.fixture()
def ask(engine: Engine):
    """Answer a conversation (list of messages) and return the last reply's plain text."""

    def _ask(*messages: str) -> str:
        context: dict = {}
        text = ""
        for message in messages:
            reply = engine.answer(message, context)
            context = reply.context
            text = reply.text()
        return text

    return _ask


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables) on each backend; tests/bot overrides it with SQLite only."""
    with temporary_database(request.param, str(tmp_path)) as url:
        yield url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A store on a database upgraded to head."""
    store = Store(database_url)
    yield store
    store.close()
