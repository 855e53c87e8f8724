"""End to end: ``python -m bot.cli run`` in a subprocess, over HTTP, against the stand-in server.

One bot process serves the module's tests (each on chats of its own); restart and webhook tests
start their own, and the two-instance tests two webhook processes on one database.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.fake_telegram import Call, FakeTelegram, telegram_html_error
from tests.telegram.conftest import (
    ADMIN_ID,
    PUBLIC_WEBHOOK_URL,
    ROOT,
    WEBHOOK_SECRET,
    BotProcess,
    WebhookInstance,
    deliver,
    free_port,
    wait_until,
)


def _answers(fake: FakeTelegram, chat_id: int, count: int = 1) -> list[Call]:
    return fake.wait_for("sendMessage", chat_id=chat_id, count=count, timeout=20)


def test_private_question_gets_the_figure(served: tuple[FakeTelegram, BotProcess]) -> None:
    fake, _ = served
    fake.push_message(10, "焊工技师补贴多少")
    assert "3850" in _answers(fake, 10)[0].text
    # Only the update types some handler acts on are requested (no edits, reactions…).
    assert fake.calls("getUpdates")[-1].params["allowed_updates"] == [
        "message",
        "callback_query",
        "inline_query",
    ]


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
    call = fake.wait_for(
        "answerInlineQuery",
        timeout=20,
        where=lambda c: c.params.get("inline_query_id") == query_id,
    )[0]
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
    served: tuple[FakeTelegram, BotProcess],
) -> None:
    fake, _ = served
    chats = range(100_000, 100_400)
    started = time.monotonic()
    for chat in chats:
        fake.push_message(chat, "焊工技师补贴多少")
    in_range = set(chats)
    calls = fake.wait_for(
        "sendMessage",
        count=400,
        timeout=90,
        where=lambda c: c.chat_id in in_range and c.status == 200,
    )
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


@pytest.mark.parametrize("configured_secret", [None, "configured_secret-123"])
def test_webhook_checks_the_secret_token(
    fake_telegram: FakeTelegram, tmp_path: Path, configured_secret: str | None
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    env = {"TELEGRAM_WEBHOOK_SECRET": configured_secret} if configured_secret else {}
    bot = BotProcess(
        fake_telegram,
        f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        tmp_path / "bot.log",
        "--webhook",
        url,
        "--listen",
        "127.0.0.1",
        "--port",
        str(port),
        env=env,
    )
    bot.start(ready_method="setWebhook")
    set_webhook = fake_telegram.calls("setWebhook")[-1]
    secret = set_webhook.params["secret_token"]
    assert set_webhook.params["url"] == url
    assert set_webhook.params["allowed_updates"] == ["message", "callback_query", "inline_query"]
    if configured_secret:
        assert secret == configured_secret
    update = fake_telegram.message_update(30, "焊工技师补贴多少")
    assert deliver(fake_telegram, url, update, None) == 403
    assert deliver(fake_telegram, url, update, "wrong") == 403
    assert deliver(fake_telegram, url, update, secret) == 200
    assert "3850" in _answers(fake_telegram, 30)[0].text
    assert deliver(fake_telegram, url, update, secret) == 200  # Telegram retrying: answered once
    follow = fake_telegram.message_update(30, "那高级技师呢")
    assert deliver(fake_telegram, url, follow, secret) == 200
    calls = _answers(fake_telegram, 30, count=2)
    assert "4730" in calls[1].text and len(fake_telegram.calls("sendMessage", chat_id=30)) == 2
    bot.stop()
    assert secret not in bot.log()


def test_two_webhook_instances_share_context_and_dedupe_updates(
    fake_telegram: FakeTelegram, webhook_pair: tuple[WebhookInstance, WebhookInstance]
) -> None:
    a, b = webhook_pair
    registered = fake_telegram.calls("setWebhook")
    assert [c.params["url"] for c in registered] == [PUBLIC_WEBHOOK_URL] * 2
    assert [c.params["secret_token"] for c in registered] == [WEBHOOK_SECRET] * 2

    # A conversation continued on the other instance: the context is in the shared database.
    assert a.deliver(fake_telegram.message_update(40, "电工技师补贴多少")) == 200
    assert "3850" in _answers(fake_telegram, 40)[0].text
    assert b.deliver(fake_telegram.message_update(40, "那高级技师呢")) == 200
    assert "4730" in _answers(fake_telegram, 40, count=2)[1].text
    assert b.deliver(fake_telegram.message_update(40, "那高级技师呢"), secret=None) == 403

    # Telegram (or the load balancer) hands the same update to both at once: answered once.
    chats = range(41, 46)
    updates = [fake_telegram.message_update(chat, "焊工技师补贴多少") for chat in chats]
    for update in updates:
        barrier = threading.Barrier(2)

        def post(
            instance: WebhookInstance,
            update: dict[str, object] = update,
            barrier: threading.Barrier = barrier,
        ) -> int:
            barrier.wait(10)
            return instance.deliver(update)

        with ThreadPoolExecutor(2) as pool:
            assert list(pool.map(post, (a, b))) == [200, 200]
    for update in updates:
        chat = update["message"]["chat"]["id"]
        assert "3850" in _answers(fake_telegram, chat)[0].text
        # Once the other instance logged the skip, both have decided: nothing more can come.
        skipped = f"update {update['update_id']} already handled elsewhere"

        def settled(chat: int = chat, skipped: str = skipped) -> bool:
            logs = a.bot.log() + b.bot.log()
            return skipped in logs or len(fake_telegram.calls("sendMessage", chat_id=chat)) > 1

        wait_until(settled, 20, f"{skipped!r} in a log")
        assert len(fake_telegram.calls("sendMessage", chat_id=chat)) == 1
        assert (a.bot.log() + b.bot.log()).count(skipped) == 1


def test_menus_per_scope_and_the_menu_button_are_set_at_start(
    served: tuple[FakeTelegram, BotProcess],
) -> None:
    fake, _ = served

    def menu(scope: dict[str, object]) -> list[str]:
        return [c["command"] for c in fake.commands(scope)]

    private = menu({"type": "all_private_chats"})
    assert private[:5] == ["help", "calc", "code", "online", "cy"] and "subscribe" in private
    assert menu({"type": "all_group_chats"}) == ["help", "subscribe", "unsubscribe"]
    assert menu({"type": "all_chat_administrators"}) == ["help", "subscribe", "unsubscribe"]
    assert {"notify", "stats", "alias"} <= set(menu({"type": "chat", "chat_id": ADMIN_ID}))
    assert all(
        "\u4e00" <= c["description"][0] <= "\u9fff"  # in Chinese
        for call in fake.calls("setMyCommands")
        for c in call.params["commands"]
    )
    assert fake.menu_button() == {"type": "commands"}


def test_help_names_the_bot_and_deep_links_open_answers(
    served: tuple[FakeTelegram, BotProcess],
) -> None:
    fake, _ = served
    fake.push_message(16, "/help")
    help_call = _answers(fake, 16)[0]
    assert f"@{fake.username}" in help_call.text and "/subscribe" in help_call.text
    assert len(help_call.buttons()) == 3
    fake.push_message(16, "/start 6-18-02-04")
    assert "4730" in _answers(fake, 16, count=2)[1].text
    fake.push_message(16, "/start JCDI")
    assert "JCDI" in _answers(fake, 16, count=3)[2].text
    fake.push_message(16, "/start no-such-thing")
    unknown = _answers(fake, 16, count=4)[3]
    assert "链接打不开" in unknown.text and f"@{fake.username}" in unknown.text


def test_thumbs_down_comment_reaches_the_report_and_logs_hold_no_question(
    served: tuple[FakeTelegram, BotProcess],
) -> None:
    fake, bot = served
    fake.push_message(17, "电工技师补贴多少")
    answer = _answers(fake, 17)[0]
    share = [b for b in answer.buttons() if "switch_inline_query" in b]
    assert share[0]["switch_inline_query"] == "电工"
    down = next(b for b in answer.buttons() if b.get("callback_data", "").startswith("bot:fb-:"))
    fake.push_callback(17, down["callback_data"], message=fake.messages(17)[-1])
    asked = _answers(fake, 17, count=2)[1]
    assert asked.text == "哪里不对？"
    fake.push_callback(17, asked.buttons()[1]["callback_data"], message=fake.messages(17)[-1])
    _answers(fake, 17, count=3)  # the comment prompt
    fake.push_message(17, "我问的是电工高级技师", reply_to=fake.messages(17)[-1])
    assert "谢谢" in _answers(fake, 17, count=4)[3].text
    report = subprocess.run(
        [sys.executable, "-m", "bot.cli", "report", "unanswered"],
        cwd=ROOT,
        env={**bot.env, "TELEGRAM_BOT_TOKEN": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert (
        "电工技师补贴多少\t没答到我问的\t我问的是电工高级技师\t电工 技师（二级）：3850" in report
    )
    bot.wait_for_log("chat=private intent=feedback_comment")
    log = bot.log()
    assert "chat=private intent=subsidy understood=yes latency=" in log
    assert "电工技师补贴多少" not in log and "我问的是" not in log


def test_empty_inline_query_offers_examples(served: tuple[FakeTelegram, BotProcess]) -> None:
    fake, _ = served
    update = fake.push_inline_query("", user_id=19)
    query_id = update["inline_query"]["id"]
    call = fake.wait_for(
        "answerInlineQuery",
        timeout=20,
        where=lambda c: c.params.get("inline_query_id") == query_id,
    )[0]
    results = call.params["results"]
    assert results[0]["title"] == "焊工考技师能补多少？"
    assert results[0]["reply_markup"]["inline_keyboard"][0][0]["url"] == (
        f"https://t.me/{fake.username}?start=6-18-02-04"
    )
