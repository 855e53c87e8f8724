"""Shared fixtures: the loaded knowledge and the answer engine (built once per session), empty
databases on each backend and a store on them, the stand-in Telegram Bot API server and bots
talking to it.

The database and Telegram parts are imported inside their fixtures, so that the fast lane
(calculator, knowledge, nlp) loads neither SQLAlchemy nor python-telegram-bot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bot.render import as_text
from knowledge.catalogue import Knowledge, load
from nlp.engine import Engine

if TYPE_CHECKING:
    from bot.store.state import Store
    from tests.support.fake_telegram import FakeTelegram

BOT_READ_TIMEOUT = 0.5  # the stand-in's "slow" fault answers later than this

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
            text = as_text(reply)
        return text

    return _ask


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables) on each backend."""
    from tests.store.databases import temporary_database

    with temporary_database(request.param, str(tmp_path)) as url:
        yield url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A store on a database upgraded to head."""
    from bot.store.state import Store

    store = Store(database_url)
    yield store
    store.close()


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    """A fresh stand-in Bot API server on 127.0.0.1."""
    from tests.support.fake_telegram import FakeTelegram

    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def make_bot(fake_telegram: FakeTelegram) -> AsyncIterator[Callable[[], Any]]:
    """A factory of initialised PTB bots talking to the stand-in (short read timeout)."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    async with AsyncExitStack() as stack:

        async def make() -> Bot:
            request = HTTPXRequest(connection_pool_size=64, read_timeout=BOT_READ_TIMEOUT)
            bot = Bot(fake_telegram.token, base_url=fake_telegram.base_url, request=request)
            return await stack.enter_async_context(bot)

        yield make
