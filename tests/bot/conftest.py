"""Fixtures for the Telegram layer: the stand-in Bot API server, a store, the app in-process,
and ``skillbot run`` as a subprocess."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.context import Services
from bot.settings import Settings
from knowledge.state import Store
from nlp.engine import get_engine
from tests.support.fake_telegram import Call, FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
ADMIN_ID = 777


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    """A fresh stand-in Bot API server on 127.0.0.1."""
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A SQLite file of the test's own."""
    return f"sqlite:///{tmp_path / 'skillbot.sqlite3'}"


@pytest.fixture
def settings(fake_telegram: FakeTelegram, database_url: str) -> Settings:
    """Settings pointing at the stand-in server, with one admin."""
    return Settings(
        token=fake_telegram.token,
        api_base_url=fake_telegram.base_url,
        api_base_file_url=fake_telegram.base_file_url,
        database_url=database_url,
        admins=frozenset({ADMIN_ID}),
    )


@dataclass
class Harness:
    """The real Application running in-process (no updater) against the stand-in server."""

    app: Application[Any, Any, Any, Any, Any, Any]
    fake: FakeTelegram
    store: Store

    async def feed(self, *updates: dict[str, Any]) -> None:
        """Put updates on the application's queue, as the updater would."""
        for update in updates:
            await self.app.update_queue.put(Update.de_json(update, self.app.bot))

    async def ask(self, chat_id: int, text: str, **kwargs: Any) -> Call:
        """Send a message and return the bot's first message in answer."""
        before = len(self.fake.calls(chat_id=chat_id, where=_sent))
        await self.feed(self.fake.message_update(chat_id, text, **kwargs))
        calls = await self.fake.await_calls(chat_id=chat_id, where=_sent, count=before + 1)
        return calls[before]

    async def press(self, chat_id: int, data: str, **kwargs: Any) -> Call:
        """Press a button and return the answerCallbackQuery call."""
        update = self.fake.callback_update(chat_id, data, **kwargs)
        await self.feed(update)
        query_id = update["callback_query"]["id"]
        calls = await self.fake.await_calls(
            "answerCallbackQuery", where=lambda c: c.params.get("callback_query_id") == query_id
        )
        return calls[0]

    async def settle(self) -> None:
        """Wait until every fed update has been handled."""
        await asyncio.wait_for(self.app.update_queue.join(), 10)


def _sent(call: Call) -> bool:
    return call.method in ("sendMessage", "editMessageText") and call.status == 200


@pytest.fixture
async def harness(
    settings: Settings, store: Store, fake_telegram: FakeTelegram
) -> AsyncIterator[Harness]:
    """The application built by ``build_application``, started without polling."""
    app = build_application(settings, Services(engine=get_engine(), store=store))
    async with app:
        assert app.post_init is not None
        await app.post_init(app)  # run_polling/run_webhook would call it after initialize
        await app.start()
        try:
            yield Harness(app, fake_telegram, store)
        finally:
            await app.stop()


class BotProcess:
    """``python -m bot.cli run`` as a subprocess against the stand-in server."""

    def __init__(
        self,
        fake: FakeTelegram,
        database_url: str,
        log_path: Path,
        *args: str,
        env: dict[str, str] | None = None,
    ) -> None:
        self.fake, self.args, self.log_path = fake, args, log_path
        inherited = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TELEGRAM_", "SKILLBOT_", "DATABASE_URL"))
        }
        self.env = {
            **inherited,
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "DATABASE_URL": database_url,
            "SKILLBOT_ADMINS": str(ADMIN_ID),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, ready_method: str = "getUpdates", timeout: float = 60) -> BotProcess:
        """Start the bot and wait until it takes updates (its first ``ready_method`` call)."""
        seen = len(self.fake.calls(ready_method))
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", *self.args],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self.fake.wait_for(ready_method, count=seen + 1, timeout=timeout)
        except TimeoutError:
            self.stop(check=False)
            raise AssertionError(f"bot did not start:\n{self.log()}") from None
        return self

    def stop(self, *, check: bool = True, timeout: float = 30) -> int:
        """SIGTERM, then wait for a graceful exit; return the exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(f"bot did not stop on SIGTERM:\n{self.log()}") from None
        finally:
            self._log.close()
        if check:
            assert code == 0, self.log()
        return code

    def log(self) -> str:
        """Everything the process wrote."""
        return self.log_path.read_text("utf-8", "replace")
