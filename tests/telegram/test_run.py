"""``skillbot run`` (bot.telegram.app.run_from_cli) refusing a bad token or an unreachable Bot
API with one line and no traceback, the token never shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.fake_telegram import FakeTelegram, Fault
from tests.telegram.conftest import ROOT, free_port

GOOD = "123456789:AAHabcdefghijklmnopqrstuvwxyz0123456"


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


def _run_env(fake: FakeTelegram, database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL"))}
    env.update(
        TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_BASE_URL=fake.base_url, DATABASE_URL=database
    )
    return env


def test_run_survives_a_getme_500_at_start(fake_telegram: FakeTelegram, tmp_path: Path) -> None:
    """One 500 from getMe is retried (with backoff), not the end of the run."""
    from tests.telegram.conftest import BotProcess

    fake_telegram.fail(Fault(500, "Internal Server Error"), method="getMe", times=1)
    bot = BotProcess(fake_telegram, f"sqlite:///{tmp_path / 'bot.sqlite3'}", tmp_path / "log")
    bot.start()
    assert [c.status for c in fake_telegram.calls("getMe")][:2] == [500, 200]
    bot.stop()


@pytest.mark.parametrize("webhook", [False, True])
@pytest.mark.parametrize("answer", [{"unexpected": "shape"}, {"id": 1, "is_bot": False}])
def test_run_explains_a_getme_answer_of_the_wrong_shape(
    fake_telegram: FakeTelegram, tmp_path: Path, answer: dict[str, object], webhook: bool
) -> None:
    fake_telegram.bot_user = answer
    args = ["--webhook", "https://skillbot.example/hook", "--port", str(free_port())]
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", *(args if webhook else [])],
        cwd=ROOT,
        env=_run_env(fake_telegram, f"sqlite:///{tmp_path / 'bot.sqlite3'}"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "getMe" in done.stderr.strip().splitlines()[-1]


def test_run_explains_a_corrupt_database_in_one_line(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    corrupt = tmp_path / "bot.sqlite3"
    corrupt.write_bytes(b"not a database at all " * 200)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=ROOT,
        env=_run_env(fake_telegram, f"sqlite:///{corrupt}"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("skillbot run: 数据库") and "损坏" in last
