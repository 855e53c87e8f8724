"""End to end: ``python -m bot.cli run`` in a subprocess, over HTTP, against the stand-in server.

One bot process serves the module's tests (each on chats of its own); restart and webhook tests
start their own.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot.conftest import BotProcess
from tests.support.fake_telegram import Call, FakeTelegram, telegram_html_error



@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeTelegram, BotProcess]]:
    """A stand-in server and one running bot for the module."""
    tmp = tmp_path_factory.mktemp("e2e")
    with FakeTelegram() as fake:
        bot = BotProcess(fake, f"sqlite:///{tmp / 'bot.sqlite3'}", tmp / "bot.log").start()
        yield fake, bot
        bot.stop()
        assert fake.token not in bot.log() and fake.token.split(":")[1] not in bot.log()


def _answers(fake: FakeTelegram, chat_id: int, count: int = 1) -> list[Call]:
    return fake.wait_for("sendMessage", chat_id=chat_id, count=count, timeout=20)


def test_private_question_gets_the_figure(served: tuple[FakeTelegram, BotProcess]) -> None:
    fake, _ = served
    fake.push_message(10, "焊工技师补贴多少")
    assert "3850" in _answers(fake, 10)[0].text


def test_start_greets_with_example_buttons(served: tuple[FakeTelegram, BotProcess]) -> None:
    fake, _ = served
    fake.push_message(11, "/start")
    call = _answers(fake, 11)[0]
    assert "你好" in call.text and len(call.buttons()) >= 3
    assert fake.calls("setMyCommands")


def test_inline_query_answers_cards(served: tuple[FakeTelegram, BotProcess]) -> None:
    fake, _ = served
    update = fake.push_inline_query("焊工 技师", user_id=12)
    query_id = update["inline_query"]["id"]
    call = fake.wait_for("answerInlineQuery", timeout=20,
                         where=lambda c: c.params.get("inline_query_id") == query_id)[0]
    results = call.params["results"]
    assert 1 <= len(results) <= 10
    assert "3850" in results[0]["input_message_content"]["message_text"]


def test_group_stays_silent_unless_mentioned(served: tuple[FakeTelegram, BotProcess]) -> None:
    fake, _ = served
    group = -13
    fake.push_message(group, "焊工技师补贴多少", user_id=13)
    mention = fake.push_message(group, f"@{fake.username} 电工技师补贴多少", user_id=13)
    replies = _answers(fake, group)
    # The unaddressed message came first in the same chat: had it been answered, it would be first.
    fake.wait_confirmed(mention["update_id"])
    assert len(fake.calls("sendMessage", chat_id=group)) == 1
    assert replies[0].params["reply_parameters"]["message_id"] == mention["message"]["message_id"]
    assert "3850" in replies[0].text


def test_ambiguous_name_buttons_then_press(served: tuple[FakeTelegram, BotProcess]) -> None:
    fake, _ = served
    fake.push_message(14, "钳工补贴")
    question = _answers(fake, 14)[0]
    buttons = question.buttons()
    assert len(buttons) >= 2
    fake.push_callback(14, buttons[1]["callback_data"])
    edit = fake.wait_for("editMessageText", chat_id=14, timeout=20)[0]
    assert buttons[1]["text"] in edit.text and "元" in edit.text
    assert fake.wait_for("answerCallbackQuery", timeout=20)


def test_markup_question_gets_valid_html(served: tuple[FakeTelegram, BotProcess]) -> None:
    fake, _ = served
    fake.push_message(15, "<b>焊工</b>&<script>")
    call = _answers(fake, 15)[0]
    assert call.status == 200 and telegram_html_error(call.text) is None
    assert "<script>" not in call.text


def test_400_concurrent_chats_are_each_answered_exactly_once(
        served: tuple[FakeTelegram, BotProcess]) -> None:
    fake, _ = served
    chats = range(100_000, 100_400)
    started = time.monotonic()
    for chat in chats:
        fake.push_message(chat, "焊工技师补贴多少")
    in_range = set(chats)
    calls = fake.wait_for("sendMessage", count=400, timeout=90,
                          where=lambda c: c.chat_id in in_range and c.status == 200)
    elapsed = time.monotonic() - started
    assert sorted(c.chat_id for c in calls) == list(chats)
    assert all("3850" in c.text for c in calls)
    print(f"\n400 chats answered in {elapsed:.1f}s")


def test_context_survives_a_restart(fake_telegram: FakeTelegram, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    bot = BotProcess(fake_telegram, database, tmp_path / "bot.log").start()
    fake_telegram.push_message(20, "电工技师补贴多少")
    assert "3850" in _answers(fake_telegram, 20)[0].text
    bot.stop()  # SIGTERM: graceful, exit code 0
    bot = BotProcess(fake_telegram, database, tmp_path / "bot.log").start()
    fake_telegram.push_message(20, "那高级技师呢")
    assert "4730" in _answers(fake_telegram, 20, count=2)[1].text
    bot.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _deliver(fake: FakeTelegram, url: str, update: dict[str, object], secret: str | None) -> int:
    deadline = time.monotonic() + 20
    while True:
        try:
            return fake.deliver_webhook(url, update, secret)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # the webhook server binds just before setWebhook returns


@pytest.mark.parametrize("configured_secret", [None, "configured_secret-123"])
def test_webhook_checks_the_secret_token(fake_telegram: FakeTelegram, tmp_path: Path,
                                         configured_secret: str | None) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/hook"
    env = {"TELEGRAM_WEBHOOK_SECRET": configured_secret} if configured_secret else {}
    bot = BotProcess(fake_telegram, f"sqlite:///{tmp_path / 'bot.sqlite3'}", tmp_path / "bot.log",
                     "--webhook", url, "--listen", "127.0.0.1", "--port", str(port), env=env)
    bot.start(ready_method="setWebhook")
    set_webhook = fake_telegram.calls("setWebhook")[-1]
    secret = set_webhook.params["secret_token"]
    assert set_webhook.params["url"] == url
    if configured_secret:
        assert secret == configured_secret
    update = fake_telegram.message_update(30, "焊工技师补贴多少")
    assert _deliver(fake_telegram, url, update, None) == 403
    assert _deliver(fake_telegram, url, update, "wrong") == 403
    assert _deliver(fake_telegram, url, update, secret) == 200
    assert "3850" in _answers(fake_telegram, 30)[0].text
    assert _deliver(fake_telegram, url, update, secret) == 200  # Telegram retrying: answered once
    follow = fake_telegram.message_update(30, "那高级技师呢")
    assert _deliver(fake_telegram, url, follow, secret) == 200
    calls = _answers(fake_telegram, 30, count=2)
    assert "4730" in calls[1].text and len(fake_telegram.calls("sendMessage", chat_id=30)) == 2
    bot.stop()
    assert secret not in bot.log()
