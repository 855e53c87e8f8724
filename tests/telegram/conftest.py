"""Fixtures for the Telegram layer: the app in-process on a SQLite store of its own, the notice
handlers alone on each backend, ``skillbot run`` as a subprocess (one for a whole module, or
several), and two webhook instances sharing one database.  The stand-in Bot API server
(``fake_telegram``) and the store on each backend (``store``) come from tests/conftest.py."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot.settings import Settings
from bot.store.resilient import ResilientStore
from bot.store.state import Store
from bot.telegram.app import build_application
from bot.telegram.context import BotContext, Services, install
from bot.telegram.handlers import notices
from nlp.engine import get_engine
from tests.store.databases import temporary_database
from tests.support.fake_telegram import Call, FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
ADMIN_ID = 777
WEBHOOK_SECRET = "shared_webhook-secret_42"
PUBLIC_WEBHOOK_URL = "https://skillbot.example/hook"  # the load balancer in front of both
NOTICE_GROUP, NOTICE_GROUP_ADMIN, NOTICE_STAFF = -100, 7, 99  # the notice handlers' chats


@pytest.fixture
def app_database_url(tmp_path: Path) -> str:
    """The in-process application's database: a SQLite file of the test's own."""
    return f"sqlite:///{tmp_path / 'skillbot.sqlite3'}"


@pytest.fixture
def app_store(app_database_url: str) -> Iterator[Store]:
    """The in-process application's store (the one ``skillbot run`` uses: it answers through
    a database outage)."""
    store = ResilientStore(app_database_url)
    yield store
    store.close()


@pytest.fixture
def settings(fake_telegram: FakeTelegram, app_database_url: str) -> Settings:
    """Settings pointing at the stand-in server, with one admin."""
    return Settings(
        token=fake_telegram.token,
        api_base_url=fake_telegram.base_url,
        api_base_file_url=fake_telegram.base_file_url,
        database_url=app_database_url,
        admins=frozenset({ADMIN_ID}),
    )


@pytest.fixture
def settings_without_delivery_job(settings: Settings) -> Settings:
    """The settings, but the JobQueue never delivers on its own during a test (the test drives
    the deliverer itself)."""
    return dataclasses.replace(settings, delivery_interval=3600.0)


@dataclass
class Harness:
    """The real Application running in-process (no updater) against the stand-in server."""

    app: Application[Any, Any, Any, Any, Any, Any]
    fake: FakeTelegram
    services: Services

    @property
    def store(self) -> Store:
        """The application's store."""
        return self.services.store

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


STAFF_CHAT, STAFF_MEMBER, OUTSIDER = -1005550001, 4242, 9999  # the hand-off tests' staff group


@pytest.fixture
def staff_settings(settings: Settings) -> Settings:
    """The settings with a staff group (hand-offs wait an hour unless a test says otherwise)."""
    return dataclasses.replace(settings, staff_chat=STAFF_CHAT, handoff_timeout=3600.0)


@pytest.fixture
async def staff_harness(
    staff_settings: Settings, app_store: Store, fake_telegram: FakeTelegram
) -> AsyncIterator[Harness]:
    """The application with a staff group whose members are ``STAFF_MEMBER`` only."""
    fake_telegram.set_chat_members(STAFF_CHAT, [STAFF_MEMBER])
    async with running_harness(staff_settings, app_store, fake_telegram) as running:
        yield running


@pytest.fixture
async def harness(
    settings: Settings, app_store: Store, fake_telegram: FakeTelegram
) -> AsyncIterator[Harness]:
    """The application built by ``build_application``, started without polling."""
    async with running_harness(settings, app_store, fake_telegram) as running:
        yield running


@contextlib.asynccontextmanager
async def running_harness(
    settings: Settings, app_store: Store, fake_telegram: FakeTelegram
) -> AsyncIterator[Harness]:
    """Build, initialise and start the application (no polling); stop it afterwards."""
    services = Services(engine=get_engine(), store=app_store)
    app = build_application(settings, services)
    async with app:
        assert app.post_init is not None
        await app.post_init(app)  # run_polling/run_webhook would call it after initialize
        await app.start()
        try:
            yield Harness(app, fake_telegram, services)
        finally:
            await app.stop()


@pytest.fixture
async def notices_app(
    store: Store, fake_telegram: FakeTelegram
) -> AsyncIterator[Application[Any, BotContext, Any, Any, Any, Any]]:
    """An initialised Application with only the notice handlers, on each backend: one staff id,
    a group with an administrator and an owner, delivery polled every 0.1 s."""
    application = (
        ApplicationBuilder()
        .token(fake_telegram.token)
        .base_url(fake_telegram.base_url)
        .context_types(ContextTypes(context=BotContext))
        .build()
    )
    settings = Settings(
        token=fake_telegram.token,
        admins=frozenset({NOTICE_STAFF}),
        delivery_interval=0.1,
    )
    install(application, settings, Services(engine=get_engine(), store=store))
    notices.register(application, startup_pause=0.0)
    fake_telegram.set_chat_admins(NOTICE_GROUP, [NOTICE_GROUP_ADMIN], owner=1)
    async with application:
        yield application


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
        self.launch()
        self.wait_ready(ready_method, seen + 1, timeout)
        return self

    def launch(self) -> BotProcess:
        """Start the process without waiting for it."""
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", *self.args],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self

    def wait_ready(self, ready_method: str, count: int, timeout: float = 60) -> None:
        """Wait until the stand-in server saw ``count`` ``ready_method`` calls (stop on failure)."""
        try:
            self.fake.wait_for(ready_method, count=count, timeout=timeout)
        except TimeoutError:
            self.stop(check=False)
            raise AssertionError(f"bot did not start:\n{self.log()}") from None

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

    def wait_for_log(self, text: str, timeout: float = 20) -> None:
        """Wait until the process wrote ``text`` (it logs every record as it happens)."""
        wait_until(lambda: text in self.log(), timeout, f"{text!r} in the log:\n{self.log()}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeTelegram, BotProcess]]:
    """A stand-in server and one running bot for a whole test module."""
    tmp = tmp_path_factory.mktemp("e2e")
    with FakeTelegram() as fake:
        bot = BotProcess(fake, f"sqlite:///{tmp / 'bot.sqlite3'}", tmp / "bot.log").start()
        yield fake, bot
        bot.stop()
        assert fake.token not in bot.log() and fake.token.split(":")[1] not in bot.log()


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until true; AssertionError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not seen within {timeout}s: {what}")
        time.sleep(0.05)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def deliver(
    fake: FakeTelegram, url: str, update: dict[str, Any], secret: str | None, timeout: float = 20
) -> int:
    """POST ``update`` to a webhook like Telegram, retrying while the server is not bound yet."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fake.deliver_webhook(url, update, secret)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # the webhook server binds just before setWebhook returns


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def shared_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """One empty database for several bot processes: a SQLite file, or a PostgreSQL database
    (skipped when no server answers)."""
    with temporary_database(request.param, str(tmp_path)) as url:
        yield url


@dataclass
class WebhookInstance:
    """One ``skillbot run --webhook`` process and the local address its webhook listens on."""

    bot: BotProcess
    url: str

    def deliver(self, update: dict[str, Any], secret: str | None = WEBHOOK_SECRET) -> int:
        """POST ``update`` to this instance; the HTTP status."""
        return deliver(self.bot.fake, self.url, update, secret)


@pytest.fixture
def webhook_pair(
    fake_telegram: FakeTelegram, shared_database_url: str, tmp_path: Path
) -> Iterator[tuple[WebhookInstance, WebhookInstance]]:
    """Two webhook instances behind one public URL: same database, same secret, own ports.

    Both start at once on the empty database (each upgrades the schema at start, one at a time).
    """
    instances = []
    for name in ("a", "b"):
        port = free_port()
        bot = BotProcess(
            fake_telegram,
            shared_database_url,
            tmp_path / f"bot-{name}.log",
            "--webhook",
            PUBLIC_WEBHOOK_URL,
            "--listen",
            "127.0.0.1",
            "--port",
            str(port),
            env={"TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET},
        )
        instances.append(WebhookInstance(bot, f"http://127.0.0.1:{port}/hook"))
    for instance in instances:
        instance.bot.launch()
    try:
        try:
            fake_telegram.wait_for("setWebhook", count=2, timeout=90)
        except TimeoutError:
            logs = "\n".join(i.bot.log() for i in instances)
            raise AssertionError(f"the instances did not both start:\n{logs}") from None
        first, second = instances
        yield first, second
    finally:
        codes = [_stop_quietly(i.bot) for i in instances]
    for instance, code in zip(instances, codes, strict=True):
        log = instance.bot.log()
        assert code == 0, log
        assert fake_telegram.token.split(":")[1] not in log and WEBHOOK_SECRET not in log


def _stop_quietly(bot: BotProcess) -> int | str:
    """Stop ``bot`` whatever happens; its exit code, or why it did not stop."""
    try:
        return bot.stop(check=False)
    except AssertionError as error:
        return str(error)
