"""Settings from the environment, ``skillbot run`` refusing a bad token or an unreachable Bot
API."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError
from tests.bot.conftest import ROOT, free_port
from tests.support.fake_telegram import FakeTelegram, Fault

GOOD = "123456789:AAHabcdefghijklmnopqrstuvwxyz0123456"


def test_settings_from_env() -> None:
    s = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": GOOD,
            "SKILLBOT_ADMINS": "1, 2",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "TELEGRAM_WEBHOOK_SECRET": "abc_DEF-1",
        }
    )
    assert s.admins == {1, 2} and s.is_admin(1) and not s.is_admin(3)
    assert (s.api_base_url, s.api_base_file_url) == (
        "http://127.0.0.1:8081/bot",
        "http://127.0.0.1:8081/file/bot",
    )
    assert s.webhook_secret == "abc_DEF-1" and s.database_url is None
    assert GOOD not in repr(s) and "abc_DEF-1" not in repr(s)
    generated = Settings.from_env({"TELEGRAM_BOT_TOKEN": GOOD})
    assert generated.api_base_url == "https://api.telegram.org/bot"
    assert len(generated.webhook_secret) >= 32


def test_delivery_settings_are_read_with_the_others() -> None:
    """SKILLBOT_DELIVERY / SKILLBOT_NOTIFY_RATE / SKILLBOT_DELIVERY_INTERVAL live in Settings;
    the notice feature takes them from there, never from os.environ itself."""
    from bot.notify_handlers import NotifySettings

    default = Settings.from_env({"TELEGRAM_BOT_TOKEN": GOOD})
    assert (default.delivery, default.notify_rate, default.delivery_interval) == (True, 30.0, 2.0)
    s = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": GOOD,
            "SKILLBOT_DELIVERY": "off",
            "SKILLBOT_NOTIFY_RATE": "7.5",
            "SKILLBOT_DELIVERY_INTERVAL": "0.5",
            "SKILLBOT_ADMINS": "9",
        }
    )
    assert (s.delivery, s.notify_rate, s.delivery_interval) == (False, 7.5, 0.5)
    assert NotifySettings.from_settings(s) == NotifySettings(frozenset({9}), False, 7.5, 0.5)
    with pytest.raises(SettingsError, match="SKILLBOT_NOTIFY_RATE"):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": GOOD, "SKILLBOT_NOTIFY_RATE": "0"})


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"TELEGRAM_BOT_TOKEN": "123:short"},
        {"TELEGRAM_BOT_TOKEN": GOOD + " extra"},
        {"TELEGRAM_BOT_TOKEN": GOOD, "SKILLBOT_ADMINS": "alice"},
        {"TELEGRAM_BOT_TOKEN": GOOD, "TELEGRAM_API_BASE_URL": "127.0.0.1:8081"},
        {"TELEGRAM_BOT_TOKEN": GOOD, "TELEGRAM_WEBHOOK_SECRET": "has space"},
        {"TELEGRAM_BOT_TOKEN": GOOD, "SKILLBOT_NOTIFY_RATE": "0"},
        {"TELEGRAM_BOT_TOKEN": GOOD, "SKILLBOT_NOTIFY_RATE": "-5"},
        {"TELEGRAM_BOT_TOKEN": GOOD, "SKILLBOT_NOTIFY_RATE": "fast"},
        {"TELEGRAM_BOT_TOKEN": GOOD, "SKILLBOT_NOTIFY_RATE": "nan"},
        {"TELEGRAM_BOT_TOKEN": GOOD, "SKILLBOT_DELIVERY_INTERVAL": "0"},
        {"TELEGRAM_BOT_TOKEN": GOOD, "SKILLBOT_DELIVERY": "maybe"},
    ],
)
def test_bad_settings_are_refused_without_echoing_the_token(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env(env)
    assert "AAHabcdefghijklmnop" not in str(error.value) and "short" not in str(error.value)


@pytest.mark.parametrize(
    "token", ["", "123456:AAH-not-a-token it is", "AAHsecretsecretsecretsecretsecret123"]
)
def test_run_refuses_a_missing_or_malformed_token(token: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env["TELEGRAM_BOT_TOKEN"] = token
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in done.stderr
    if token:
        assert token not in done.stderr + done.stdout
        assert "secretsecret" not in done.stderr + done.stdout


@pytest.mark.parametrize("webhook", [False, True])
def test_run_explains_an_unreachable_bot_api_in_one_line(tmp_path: Path, webhook: bool) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL"))}
    port = free_port()  # nothing listens there: connection refused
    env.update(
        TELEGRAM_BOT_TOKEN=GOOD,
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{port}/bot",
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
    )
    args = (
        ["--webhook", "https://skillbot.example/hook", "--port", str(free_port())]
        if webhook
        else []
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("skillbot run: 无法连接 Telegram Bot API")
    assert f"cannot reach the Telegram Bot API at http://127.0.0.1:{port}" in last
    assert "Traceback" not in output
    assert "AAHabcdefghijklmnop" not in output


def test_run_explains_a_token_telegram_refuses(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake_telegram.fail(Fault(401, "Unauthorized"), method="getMe", times=None)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL"))}
    env.update(
        TELEGRAM_BOT_TOKEN=fake_telegram.token,
        TELEGRAM_API_BASE_URL=fake_telegram.base_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "拒绝了 TELEGRAM_BOT_TOKEN" in done.stderr.strip().splitlines()[-1]
    assert "Traceback" not in output
    assert fake_telegram.token.split(":")[1] not in output
