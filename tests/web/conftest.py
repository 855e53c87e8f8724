"""Fixtures for the lookup page: the tornado server in a thread of its own on 127.0.0.1 (on a
SQLite store of the test's own), with or without a token, and a headless Chromium from Debian's
packages driven by Selenium (skipped, saying why, only when Chromium or its driver is absent)."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from bot.store.state import Store
from bot.web.server import WebServices, start
from nlp.engine import get_engine
from tests.telegram.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
WEB_TOKEN = "desk-token-0123456789abcdef"
BOT_TOKEN = "123456789:TEST-token-for-the-fake-server-0123456789"
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


@dataclass
class WebServer:
    """A running page: its base URL and its services."""

    url: str
    services: WebServices


@pytest.fixture
def web_settings() -> Settings:
    """No token: the desk's own machine (127.0.0.1)."""
    return Settings(token=BOT_TOKEN, admins=frozenset({777}))


@pytest.fixture
def web_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'web.sqlite3'}")
    yield store
    store.close()


def _serve(settings: Settings, store: Store) -> Iterator[WebServer]:
    services = WebServices(settings, get_engine(), store)
    port = free_port()
    ready, loop_box = threading.Event(), {}

    def run() -> None:
        async def main() -> None:
            stop = asyncio.Event()
            loop_box["loop"], loop_box["stop"] = asyncio.get_running_loop(), stop
            server = start(services, "127.0.0.1", port)
            ready.set()
            await stop.wait()
            server.stop()

        asyncio.run(main())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield WebServer(f"http://127.0.0.1:{port}", services)
    finally:
        loop_box["loop"].call_soon_threadsafe(loop_box["stop"].set)
        thread.join(10)


@pytest.fixture
def web(web_settings: Settings, web_store: Store) -> Iterator[WebServer]:
    """The page without a token."""
    yield from _serve(web_settings, web_store)


@pytest.fixture
def web_with_token(web_settings: Settings, web_store: Store) -> Iterator[WebServer]:
    """The page with SKILLBOT_WEB_TOKEN (and staff-only Mini App requests)."""
    yield from _serve(replace(web_settings, web_token=WEB_TOKEN), web_store)


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's chromium and chromium-driver)."""
    binary = next((p for p in CHROMIUM if os.path.exists(p)), shutil.which("chromium"))
    driver_path = next(
        (p for p in CHROMEDRIVER if os.path.exists(p)), shutil.which("chromedriver")
    )
    if not binary or not driver_path:
        pytest.skip("Chromium or chromedriver is not installed (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=zh-CN"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def artifacts() -> Path:
    """Where tests keep what a person may want to look at (ignored by git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
