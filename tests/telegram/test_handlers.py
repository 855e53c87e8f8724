"""Handlers through the real Application (in-process, against the stand-in Bot API server)."""

from __future__ import annotations

import html

import pytest

from bot.telegram import texts
from bot.telegram.keyboards import FEEDBACK_DOWN, FEEDBACK_UP
from tests.support.fake_telegram import Fault, telegram_html_error
from tests.telegram.conftest import ADMIN_ID, Harness

PRIVATE = 1001
GROUP = -2001


async def test_private_question_gets_the_figure_with_feedback_buttons(harness: Harness) -> None:
    call = await harness.ask(PRIVATE, "焊工技师补贴多少")
    assert "3850" in call.text
    assert call.params["parse_mode"] == "HTML"
    assert telegram_html_error(call.text) is None
    up, down, share = call.buttons()
    assert up["callback_data"].startswith(FEEDBACK_UP)
    assert down["callback_data"].startswith(FEEDBACK_DOWN)
    assert (share["text"], share["switch_inline_query"]) == (texts.SHARE_BUTTON, "焊工")


async def test_start_offers_examples_and_an_example_button_answers(harness: Harness) -> None:
    greeting = await harness.ask(PRIVATE, "/start")
    assert html.escape(texts.GREETING.splitlines()[0]) in greeting.text
    buttons = greeting.buttons()
    assert buttons and all(b["callback_data"].startswith("bot:ex:") for b in buttons)
    await harness.press(PRIVATE, buttons[0]["callback_data"])
    answers = await harness.fake.await_calls("sendMessage", chat_id=PRIVATE, count=2)
    assert "3850" in answers[1].text  # 焊工考技师能补多少？


async def test_help_is_short_names_the_bot_and_says_how_to_get_notices(harness: Harness) -> None:
    call = await harness.ask(PRIVATE, "/help")
    assert f"@{harness.fake.username} 焊工 技师" in call.text and "@机器人用户名" not in call.text
    assert "/calc" in call.text and "/subscribe" in call.text and "管理员" in call.text
    assert len(call.text) <= 400 and call.text.count("\n") <= 8  # one phone screen
    examples = call.buttons()
    assert [b["text"] for b in examples] == harness.services.engine.examples[:3]
    await harness.press(PRIVATE, examples[0]["callback_data"])
    answers = await harness.fake.await_calls("sendMessage", chat_id=PRIVATE, count=2)
    assert "3850" in answers[1].text


async def test_quick_lookup_commands(harness: Harness) -> None:
    assert "3850" in (await harness.ask(PRIVATE, "/calc 焊工 技师")).text
    assert "焊工" in (await harness.ask(PRIVATE, "/code 6-18-02-04")).text
    assert "40%" in (await harness.ask(PRIVATE, "/online 电工")).text
    # /cy asks the engine for 创业培训: its programmes and their codes come from 附件5 alone
    entrepreneurship = (await harness.ask(PRIVATE, "/cy")).text
    assert (
        "SYB" in entrepreneurship and "JCB" in entrepreneurship and "1000 元" in entrepreneurship
    )
    assert html.escape(texts.USAGE["calc"]) == (await harness.ask(PRIVATE, "/calc")).text


async def test_unknown_private_command_points_to_help(harness: Harness) -> None:
    assert (await harness.ask(PRIVATE, "/nonsense")).text == texts.UNKNOWN_COMMAND


async def test_command_menus_are_registered_per_scope_on_start(harness: Harness) -> None:
    fake = harness.fake

    def menu(scope: dict[str, object]) -> list[str]:
        return [c["command"] for c in fake.commands(scope)]

    private = menu({"type": "all_private_chats"})
    assert private == [c for c, _ in texts.PRIVATE_COMMANDS]
    assert {"calc", "code", "online", "cy", "subscribe"} <= set(private)
    assert "notify" not in private and "stats" not in private
    assert menu({"type": "all_group_chats"}) == ["help", "subscribe", "unsubscribe"]
    admins = fake.commands({"type": "all_chat_administrators"})
    assert "创业" in next(c["description"] for c in admins if c["command"] == "subscribe")
    staff = menu({"type": "chat", "chat_id": ADMIN_ID})
    assert staff == [*private, *(c for c, _ in texts.STAFF_COMMANDS)]
    assert fake.commands() == []  # nothing left in the default scope
    assert fake.menu_button() == {"type": "commands"}
    registered = {"start", "help", "calc", "code", "online", "cy", "subscribe", "unsubscribe"}
    registered |= {"notify", "stats", "human", "alias", "unalias", "close", "privacy", "forget"}
    listed = {
        c["command"] for call in fake.calls("setMyCommands") for c in call.params["commands"]
    }
    assert listed <= registered  # only commands that have a handler


async def test_ambiguous_name_asks_with_buttons_and_a_press_answers_in_place(
    harness: Harness,
) -> None:
    question = await harness.ask(PRIVATE, "钳工补贴")
    buttons = question.buttons()
    assert len(buttons) >= 2 and all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    answered = await harness.press(PRIVATE, buttons[0]["callback_data"])
    assert answered.status == 200
    edit = (await harness.fake.await_calls("editMessageText", chat_id=PRIVATE))[0]
    assert edit.params["message_id"] == question.response["result"]["message_id"]
    assert buttons[0]["text"] in edit.text and "元" in edit.text
    level = next(b for b in edit.buttons() if b["text"] == "技师")
    await harness.press(PRIVATE, level["callback_data"])
    edits = await harness.fake.await_calls("editMessageText", chat_id=PRIVATE, count=2)
    assert "3850" in edits[1].text


async def test_untrusted_callback_data_gets_a_polite_answer(harness: Harness) -> None:
    await harness.ask(PRIVATE, "钳工补贴")
    for data in ("x" * 65, "pick:\n", "bot:unknown", "pick:nonexistent-key", "lv:L9", "…"):
        answer = await harness.press(PRIVATE, data)
        assert answer.params.get("text") == texts.BUTTON_EXPIRED
    await harness.settle()
    assert not harness.fake.calls("editMessageText")
    assert texts.APOLOGY not in [c.text for c in harness.fake.calls("sendMessage")]


async def test_thumbs_down_logs_the_question_without_identity(harness: Harness) -> None:
    answer = await harness.ask(PRIVATE, "焊工技师补贴多少")
    down = next(
        b["callback_data"]
        for b in answer.buttons()
        if b.get("callback_data", "").startswith(FEEDBACK_DOWN)
    )
    reply = await harness.press(PRIVATE, down)
    assert reply.params["text"] == texts.FEEDBACK_DOWN
    edit = (await harness.fake.await_calls("editMessageReplyMarkup", chat_id=PRIVATE))[0]
    kept = [b for row in edit.params["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in kept] == [texts.SHARE_BUTTON]  # 👍/👎 gone, 分享 stays
    await harness.press(PRIVATE, down)  # a second press logs nothing more
    await harness.settle()
    assert [(t, n) for t, n, _ in harness.store.unanswered_report()] == [("焊工技师补贴多少", 1)]


async def test_thumbs_up_logs_nothing(harness: Harness) -> None:
    answer = await harness.ask(PRIVATE, "电工技师补贴多少")
    await harness.press(PRIVATE, answer.buttons()[0]["callback_data"])
    await harness.settle()
    assert harness.store.unanswered_report() == []


async def test_not_understood_questions_are_counted_in_stats_for_admins_only(
    harness: Harness,
) -> None:
    for _ in range(2):
        await harness.ask(PRIVATE, "宇航员补贴多少")
    assert (await harness.ask(PRIVATE, "/stats")).text == texts.ADMIN_ONLY
    stats = await harness.ask(ADMIN_ID, "/stats")
    assert "2 次" in stats.text and "宇航员补贴多少" in stats.text


async def test_group_answers_only_when_addressed(harness: Harness) -> None:
    fake, bot = harness.fake, f"@{harness.fake.username}"
    await harness.feed(fake.message_update(GROUP, "焊工技师补贴多少", user_id=5))
    await harness.feed(fake.message_update(GROUP, "/calc@other_bot 焊工 技师", user_id=5))
    mention = fake.message_update(GROUP, f"{bot} 电工技师补贴多少", user_id=5)
    await harness.feed(mention)
    replies = await fake.await_calls("sendMessage", chat_id=GROUP)
    await harness.settle()
    assert len(fake.calls("sendMessage", chat_id=GROUP)) == 1
    assert "3850" in replies[0].text
    # no 👍/👎 in groups, but the answer can be shared
    assert [b["text"] for b in replies[0].buttons()] == [texts.SHARE_BUTTON]
    assert replies[0].params["reply_parameters"]["message_id"] == mention["message"]["message_id"]
    bot_message = fake.messages(GROUP)[-1]
    follow_up = await harness.ask(GROUP, "那高级技师呢", user_id=5, reply_to=bot_message)
    assert "4730" in follow_up.text
    command = await harness.ask(GROUP, f"/calc{bot} 焊工 技师", user_id=5)
    assert "3850" in command.text


async def test_each_person_in_a_group_follows_up_on_their_own_question(harness: Harness) -> None:
    bot, alice, bob = f"@{harness.fake.username}", 5, 6
    assert "3850" in (await harness.ask(GROUP, f"{bot} 焊工技师补贴多少", user_id=alice)).text
    assert "4730" in (await harness.ask(GROUP, f"{bot} 电工高级技师补贴多少", user_id=bob)).text
    # Bob spoke last, but Alice's "那车工呢" continues her 技师, and Bob's his 高级技师.
    alices = await harness.ask(GROUP, f"{bot} 那车工呢", user_id=alice)
    assert "车工 技师（二级）：3850" in alices.text and "4730" not in alices.text
    bobs = await harness.ask(GROUP, f"{bot} 那车工呢", user_id=bob)
    assert "车工 高级技师（一级）：4730" in bobs.text
    assert harness.store.get_context(GROUP, GROUP) == {}  # nothing kept for the group as such


async def test_group_migration_moves_everyones_context(harness: Harness) -> None:
    bot, old, new, alice, bob = f"@{harness.fake.username}", -3001, -1003001, 5, 6
    await harness.ask(old, f"{bot} 电工技师补贴多少", chat_type="group", user_id=alice)
    await harness.ask(old, f"{bot} 焊工高级技师补贴多少", chat_type="group", user_id=bob)
    await harness.feed(*harness.fake.migration_updates(old, new))
    await harness.settle()
    assert harness.store.get_context(old, alice) == harness.store.get_context(old, bob) == {}
    alices = await harness.ask(new, f"{bot} 那高级技师呢", user_id=alice)
    assert "电工 高级技师（一级）：4730" in alices.text
    bobs = await harness.ask(new, f"{bot} 那技师呢", user_id=bob)
    assert "焊工 技师（二级）：3850" in bobs.text


async def test_inline_query_answers_compact_cards(harness: Harness) -> None:
    await harness.feed(harness.fake.inline_update("焊工 技师"))
    call = (await harness.fake.await_calls("answerInlineQuery"))[0]
    results = call.params["results"]
    assert 1 <= len(results) <= 10
    # The same for everyone: cached by Telegram, not personal.
    assert call.params["cache_time"] == 300 and not call.params.get("is_personal")
    content = results[0]["input_message_content"]
    assert "3850" in content["message_text"] and content["parse_mode"] == "HTML"
    assert "4730" in content["message_text"]  # every level, not only the one asked
    assert results[0]["description"].startswith("焊工 技师（二级）：3850")
    [[open_in_bot]] = results[0]["reply_markup"]["inline_keyboard"]
    assert open_in_bot["url"] == f"https://t.me/{harness.fake.username}?start=6-18-02-04"
    assert all(
        telegram_html_error(r["input_message_content"]["message_text"]) is None for r in results
    )


async def test_markup_in_a_question_is_escaped(harness: Harness) -> None:
    call = await harness.ask(PRIVATE, "<b>焊工</b>&<script>")
    assert call.status == 200 and telegram_html_error(call.text) is None
    assert "<script>" not in call.text


async def test_unparseable_html_falls_back_to_plain_text(harness: Harness) -> None:
    harness.fake.fail(Fault(400, "Bad Request: can't parse entities: test"), method="sendMessage")
    await harness.feed(harness.fake.message_update(PRIVATE, "焊工技师补贴多少"))
    calls = await harness.fake.await_calls("sendMessage", chat_id=PRIVATE, count=2)
    assert calls[0].status == 400
    assert calls[1].status == 200 and "parse_mode" not in calls[1].params
    assert "3850" in calls[1].text and "<b>" not in calls[1].text


async def test_flood_is_throttled_with_one_notice_and_others_are_unaffected(
    harness: Harness,
) -> None:
    flooder, other = 4001, 4002
    await harness.feed(
        *[harness.fake.message_update(flooder, "焊工技师补贴多少") for _ in range(30)]
    )
    await harness.feed(harness.fake.message_update(other, "电工技师补贴多少"))
    await harness.settle()
    texts_sent = [c.text for c in harness.fake.calls("sendMessage", chat_id=flooder)]
    assert texts_sent.count(texts.FLOOD_NOTICE) == 1
    assert sum("3850" in t for t in texts_sent) == 20
    assert "3850" in harness.fake.calls("sendMessage", chat_id=other)[0].text


async def test_chat_order_is_kept_under_concurrency(harness: Harness) -> None:
    chat = 5001
    # The first answer is slow to be accepted; the follow-up must still come after it.
    harness.fake.fail(Fault.slow(0.5), method="sendMessage", chat_id=chat)
    await harness.feed(
        harness.fake.message_update(chat, "电工技师补贴多少"),
        harness.fake.message_update(chat, "那高级技师呢"),
    )
    calls = await harness.fake.await_calls("sendMessage", chat_id=chat, count=2)
    assert "3850" in calls[0].text and "4730" in calls[1].text


async def test_handler_error_is_logged_and_the_user_gets_an_apology(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(harness.services.engine, "answer", broken)
    call = await harness.ask(PRIVATE, "焊工技师补贴多少")
    assert call.text == texts.APOLOGY
    await harness.settle()
    assert any(r.exc_info and "engine exploded" in str(r.exc_info[1]) for r in caplog.records)


async def test_transient_errors_are_retried_only_where_safe(harness: Harness) -> None:
    harness.fake.fail(Fault.bad_gateway(), method="answerCallbackQuery", times=2)
    question = await harness.ask(PRIVATE, "钳工补贴")
    answered = await harness.press(PRIVATE, question.buttons()[0]["callback_data"])
    assert answered.status == 502
    oks = await harness.fake.await_calls("answerCallbackQuery", where=lambda c: c.status == 200)
    assert len(oks) == 1 and len(harness.fake.calls("answerCallbackQuery")) == 3
    # A 502 means Telegram did not take the message: a reply is sent again (for about a
    # minute), so a question asked during a Bot API hiccup still gets its answer, once.
    harness.fake.fail(Fault.bad_gateway(), method="sendMessage", chat_id=PRIVATE + 1, times=2)
    call = await harness.ask(PRIVATE + 1, "焊工技师补贴多少")
    assert "3850" in call.text
    sends = harness.fake.calls("sendMessage", chat_id=PRIVATE + 1)
    assert [c.status for c in sends] == [502, 502, 200]


async def test_retry_after_is_honoured(harness: Harness) -> None:
    harness.fake.fail(Fault.retry_after(1), method="sendMessage", chat_id=PRIVATE)
    await harness.feed(harness.fake.message_update(PRIVATE, "焊工技师补贴多少"))
    calls = await harness.fake.await_calls("sendMessage", chat_id=PRIVATE, count=2)
    assert calls[0].status == 429 and calls[1].status == 200 and "3850" in calls[1].text
    assert calls[1].time - calls[0].time >= 1.0


async def test_long_reply_is_split_with_the_keyboard_under_the_last_part(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nlp.reply import Block, Reply

    long_reply = Reply(
        [Block(f"第{i}段 <焊工> & 电工", ["补贴说明" * 40] * 3, "附件1") for i in range(40)]
    )
    monkeypatch.setattr(harness.services.engine, "answer", lambda *args, **kwargs: long_reply)
    await harness.feed(harness.fake.message_update(PRIVATE, "很长的问题"))
    await harness.settle()
    parts = harness.fake.calls("sendMessage", chat_id=PRIVATE)
    assert len(parts) > 1 and all(p.status == 200 for p in parts)
    assert [bool(p.buttons()) for p in parts] == [False] * (len(parts) - 1) + [True]
