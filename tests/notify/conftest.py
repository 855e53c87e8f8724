"""Fixtures of the notice tests: databases on both backends, the stand-in Bot API, bots."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from tests.support.fake_telegram import FakeTelegram

READ_TIMEOUT = 0.5  # the stand-in's "slow" fault answers later than this


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    """The stand-in Bot API server on 127.0.0.1."""
    with FakeTelegram() as server:
        yield server


@pytest.fixture
async def make_bot(fake: FakeTelegram) -> AsyncIterator[Callable[[], Any]]:
    """A factory of initialised PTB bots talking to the stand-in (short read timeout)."""
    async with AsyncExitStack() as stack:

        async def make() -> Bot:
            request = HTTPXRequest(connection_pool_size=64, read_timeout=READ_TIMEOUT)
            bot = Bot(fake.token, base_url=fake.base_url, request=request)
            return await stack.enter_async_context(bot)

        yield make
