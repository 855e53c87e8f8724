"""What makes the bot feel native to Telegram (issue 10), through the real Application against
the stand-in Bot API: deep links, 「分享」, feedback that asks, inline examples and links back,
「退订」, notices that say who sent them, the admin's progress message, one log line per update."""

from __future__ import annotations

import argparse
import asyncio
import html
import io
import logging
from typing import Any

import pytest
from telegram import Update

from bot.cli.report import report_cli
from bot.settings import Settings
from bot.store.state import Store
from bot.telegram import texts
from bot.telegram.keyboards import FEEDBACK_DOWN
from bot.telegram.menus import command_menus, menu_button
from tests.support.fake_telegram import Call, FakeTelegram, Fault
from tests.telegram.conftest import NOTICE_GROUP, NOTICE_STAFF, Harness

PRIVATE = 3001


def test_every_scope_has_a_whole_menu_and_a_staff_group_gets_the_staff_commands() -> None:
    settings = Settings(token="1:x", admins=frozenset({11, 12}))
    menus = command_menus(settings, staff_chats=[-500])
    scopes = [m.scope.to_dict() for m in menus]
    assert scopes == [
        {"type": "all_private_chats"},
        {"type": "all_group_chats"},
        {"type": "all_chat_administrators"},
        {"type": "chat", "chat_id": 11},
        {"type": "chat", "chat_id": 12},
        {"type": "chat", "chat_id": -500},
    ]
    staff_group = [c.command for c in menus[-1].bot_commands()]
    assert staff_group == [c for c, _ in texts.STAFF_GROUP_COMMANDS]
    assert {"stats", "alias", "unalias", "close"} <= set(staff_group)
    assert "notify" not in staff_group  # an admin's private chat only
    admin_descriptions = {c.command: c.description for c in menus[2].bot_commands()}
    assert "全部、创业、紧缺、目录、截止、政策" in admin_descriptions["subscribe"]
    assert all(len(c.description) <= 256 for m in menus for c in m.bot_commands())
    assert menu_button(settings).type == "commands"
    lookup = Settings(token="1:x", web_url="https://example.org/lookup")
    assert menu_button(lookup).to_dict() == {
        "type": "web_app",
        "text": texts.MENU_BUTTON_LOOKUP,
        "web_app": {"url": "https://example.org/lookup"},
    }


async def test_a_scope_telegram_refuses_costs_only_that_scope(
    fake_telegram: FakeTelegram, settings: Settings, app_store: Store
) -> None:
    from bot.telegram.app import build_application
    from bot.telegram.context import Services
    from bot.telegram.menus import install_menus
    from nlp.engine import get_engine

    fake_telegram.fail(
        Fault(400, "Bad Request: chat not found"),
        method="setMyCommands",
        where=lambda _, params: params.get("scope", {}).get("type") == "chat",
    )
    app = build_application(settings, Services(engine=get_engine(), store=app_store))
    async with app:
        await install_menus(app)
    assert fake_telegram.commands({"type": "all_group_chats"})
    assert not fake_telegram.commands({"type": "chat", "chat_id": 777})
    assert fake_telegram.calls("setChatMenuButton")


def _link(fake: FakeTelegram, payload: str) -> str:
    return f"https://t.me/{fake.username}?start={payload}"


async def test_deep_link_with_a_catalogue_code_opens_every_level(harness: Harness) -> None:
    answer = await harness.ask(PRIVATE, "/start 6-18-02-04")
    assert "焊工" in answer.text and "4730" in answer.text and "1000" in answer.text
    share = [b for b in answer.buttons() if "switch_inline_query" in b]
    assert share[0]["switch_inline_query"] == "焊工"
    # The link starts a conversation about the entry: a follow-up continues it.
    assert "3850" in (await harness.ask(PRIVATE, "那技师呢")).text


async def test_deep_link_with_a_programme_code(harness: Harness) -> None:
    answer = await harness.ask(PRIVATE, "/start JCDI")
    assert "IYB" in answer.text and "JCDI" in answer.text and "1500" in answer.text


async def test_deep_link_with_a_shared_answers_short_id(harness: Harness) -> None:
    short = harness.store.share_question("一年可以领几次培训补贴")
    answer = await harness.ask(PRIVATE, f"/start {short}")
    assert "3 次" in answer.text


@pytest.mark.parametrize("payload", ["nonsense", "1-02-03-04", "s_doesnotexist"])
async def test_unknown_deep_link_gets_a_polite_help(harness: Harness, payload: str) -> None:
    answer = await harness.ask(PRIVATE, f"/start {payload}")
    assert answer.text.startswith(html.escape(texts.LINK_UNKNOWN))
    assert f"@{harness.fake.username}" in answer.text and "/subscribe" in answer.text
    assert len(answer.buttons()) == texts.HELP_EXAMPLES


async def test_plain_start_and_the_inline_button_greet(harness: Harness) -> None:
    for text in ("/start", "/start inline"):
        greeting = await harness.ask(PRIVATE, text)
        assert html.escape(texts.GREETING.splitlines()[0]) in greeting.text


async def test_share_button_names_the_entry_or_the_question(harness: Harness) -> None:
    def shared(call: Call) -> list[str]:
        return [b["switch_inline_query"] for b in call.buttons() if "switch_inline_query" in b]

    assert shared(await harness.ask(PRIVATE, "焊工高级，车工技师")) == ["焊工 车工"]
    assert shared(await harness.ask(PRIVATE, "SYB补贴多少")) == ["SYB"]
    # An answer about no entry shares its question; one not understood shares nothing.
    assert shared(await harness.ask(PRIVATE, "一年可以领几次培训补贴")) == [
        "一年可以领几次培训补贴"
    ]
    assert shared(await harness.ask(PRIVATE, "宇航员补贴多少")) == []
    # A question back carries 👍/👎 too, and an answer chosen by a button carries 分享.
    question = await harness.ask(PRIVATE, "钳工补贴")
    assert any(b.get("callback_data", "").startswith(FEEDBACK_DOWN) for b in question.buttons())
    await harness.press(PRIVATE, question.buttons()[1]["callback_data"])
    edit = (await harness.fake.await_calls("editMessageText", chat_id=PRIVATE))[-1]
    assert shared(edit) == ["机修钳工"]


async def test_thumbs_down_asks_what_was_wrong_and_takes_one_comment_for_the_report(
    harness: Harness, app_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = harness.fake
    answer = await harness.ask(PRIVATE, "焊工技师补贴多少")
    down = next(
        b for b in answer.buttons() if b.get("callback_data", "").startswith(FEEDBACK_DOWN)
    )
    await harness.press(PRIVATE, down["callback_data"])
    asked = await fake.await_calls("sendMessage", chat_id=PRIVATE, count=2)
    assert asked[1].text == texts.WHAT_WAS_WRONG
    assert [b["text"] for b in asked[1].buttons()] == list(texts.WRONG_CHOICES)
    wrong_figure = asked[1].buttons()[0]["callback_data"]
    await harness.press(PRIVATE, wrong_figure, message=fake.messages(PRIVATE)[-1])
    prompt = (await fake.await_calls("sendMessage", chat_id=PRIVATE, count=3))[2]
    assert prompt.text == texts.ASK_COMMENT and prompt.params["reply_markup"]["force_reply"]
    noted = (await fake.await_calls("editMessageText", chat_id=PRIVATE))[-1]
    assert noted.text == texts.FEEDBACK_NOTED.format(detail="数字不对")
    prompt_message = fake.messages(PRIVATE)[-1]
    thanks = await harness.ask(PRIVATE, "应该是4000元", reply_to=prompt_message)
    assert thanks.text == texts.COMMENT_THANKS
    # One comment is taken: a second reply to the prompt is a question like any other.
    assert "4730" in (await harness.ask(PRIVATE, "焊工高级技师呢", reply_to=prompt_message)).text

    monkeypatch.setenv("DATABASE_URL", app_database_url)
    out = io.StringIO()
    assert report_cli(argparse.Namespace(what="unanswered", limit=10), out) == 0
    report = out.getvalue()
    assert "焊工技师补贴多少\t数字不对\t应该是4000元\t焊工 技师（二级）：3850 元/人" in report
    assert "焊工高级技师呢" not in report
    stats = await harness.ask(777, "/stats")
    assert "数字不对：应该是4000元" in stats.text


async def test_wanting_a_person_starts_the_hand_off_or_names_the_contacts(
    harness: Harness,
) -> None:
    fake = harness.fake
    answer = await harness.ask(PRIVATE, "电工技师补贴多少")
    down = next(
        b for b in answer.buttons() if b.get("callback_data", "").startswith(FEEDBACK_DOWN)
    )
    await harness.press(PRIVATE, down["callback_data"])
    asked = (await fake.await_calls("sendMessage", chat_id=PRIVATE, count=2))[1]
    person = asked.buttons()[texts.PERSON_CHOICE]
    assert person["text"] == "想找人工"
    await harness.press(PRIVATE, person["callback_data"], message=fake.messages(PRIVATE)[-1])
    offer = (await fake.await_calls("sendMessage", chat_id=PRIVATE, count=3))[2]
    contacts = harness.services.engine.k.clause("contacts")["text"]
    # no staff group configured: the hand-off answers with the offices the notice names
    assert "人工" in offer.text and contacts in offer.text
    await harness.settle()
    [feedback] = harness.store.feedback_report()
    assert (feedback.question, feedback.detail) == ("电工技师补贴多少", "想找人工")


async def test_empty_inline_query_offers_example_cards_linking_back(harness: Harness) -> None:
    await harness.feed(harness.fake.inline_update(""))
    call = (await harness.fake.await_calls("answerInlineQuery"))[0]
    results = call.params["results"]
    assert len(results) >= 3 and results[0]["title"] == "焊工考技师能补多少？"
    assert "3850" in results[0]["input_message_content"]["message_text"]
    assert call.params["cache_time"] > 0 and not call.params.get("is_personal")
    links = [r["reply_markup"]["inline_keyboard"][0][0]["url"] for r in results]
    prefix = _link(harness.fake, "")
    assert all(link.startswith(prefix) for link in links)
    # A policy example links by the short id of its question, which opens it again.
    policy = next(r for r in results if r["title"] == "一年可以领几次培训补贴")
    payload = policy["reply_markup"]["inline_keyboard"][0][0]["url"].removeprefix(prefix)
    assert payload.startswith("s_")
    assert "3 次" in (await harness.ask(PRIVATE, f"/start {payload}")).text


async def test_private_opt_out_word_unsubscribes(harness: Harness) -> None:
    assert "已订阅" in (await harness.ask(PRIVATE, "/subscribe")).text
    assert (await harness.ask(PRIVATE, "退订")).text.startswith("已退订全部通知")
    subscription = harness.store.subscription(PRIVATE)
    assert subscription is not None and not subscription.active
    assert "当前没有订阅" in (await harness.ask(PRIVATE, "退订")).text
    # Inside a question it is a question, not an opt-out.
    assert "退订" not in (await harness.ask(PRIVATE, "焊工技师补贴多少")).text


async def test_one_log_line_per_handled_update_without_the_question(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="skillbot.updates")
    await harness.ask(PRIVATE, "焊工技师补贴多少")
    await harness.ask(PRIVATE, "宇航员补贴多少")
    await harness.ask(PRIVATE, "/calc 焊工 技师")
    await harness.feed(harness.fake.message_update(-4001, "大家好", user_id=5))  # not for the bot
    await harness.feed(harness.fake.inline_update("焊工"))
    await harness.fake.await_calls("answerInlineQuery")
    await harness.settle()
    lines = [r.getMessage() for r in caplog.records if r.name == "skillbot.updates"]
    assert len(lines) == 4
    assert "chat=private intent=subsidy understood=yes latency=" in lines[0]
    assert "chat=private intent=subsidy understood=no" in lines[1]
    assert "intent=subsidy understood=yes" in lines[2]
    assert "chat=inline intent=inline" in lines[3]
    assert all("ms" in line for line in lines)
    logged = "\n".join(lines)
    assert "焊工" not in logged and "宇航员" not in logged and harness.fake.token not in logged


async def test_notices_carry_the_sender_and_the_way_out_and_the_admin_sees_progress(
    notices_app: Any, fake_telegram: FakeTelegram, store: Store
) -> None:
    store.subscribe(NOTICE_GROUP, "group")
    store.subscribe(55, "private")
    store.subscribe(56, "private")
    fake_telegram.fail(Fault.blocked(), method="sendMessage", chat_id=56, times=None)
    await notices_app.start()
    try:
        update = fake_telegram.message_update(NOTICE_STAFF, "/notify 明天起报名")
        await notices_app.process_update(Update.de_json(update, notices_app.bot))
        final = texts.NOTIFY_DONE.format(
            notice_id=1, topic="全部", counts="已送达 2 / 失败 1 / 等待 0（共 3）"
        )
        await fake_telegram.await_calls(
            "editMessageText", chat_id=NOTICE_STAFF, where=lambda c: c.text == final, timeout=20
        )
    finally:
        await notices_app.stop()
    first = fake_telegram.calls("sendMessage", chat_id=NOTICE_STAFF)[0]
    assert "已排队：3 个订阅" in first.text and "等待 3" in first.text
    [progress] = fake_telegram.messages(NOTICE_STAFF)
    assert progress["text"] == final  # the same message, edited to the final counts
    group = fake_telegram.calls("sendMessage", chat_id=NOTICE_GROUP)[0]
    person = fake_telegram.calls("sendMessage", chat_id=55)[0]
    assert group.text.startswith("<b>淮安职业培训补贴通知</b>\n\n明天起报名")
    assert group.text.endswith("<i>不想再收到：群管理员发送 /unsubscribe</i>")
    assert person.text.endswith("<i>不想再收到：回复“退订”</i>")


async def test_notice_sender_is_configurable(
    fake_telegram: FakeTelegram, store: Store, make_bot: Any
) -> None:
    from bot.telegram.delivery import Deliverer

    store.subscribe(57, "private")
    store.queue_notice("开班", "全部")
    deliverer = Deliverer(await make_bot(), store, startup_pause=0.0, sender="淮安市人社局")
    await asyncio.wait_for(deliverer.run_until_idle(), 20)
    [sent] = fake_telegram.calls("sendMessage", chat_id=57)
    assert sent.text.startswith("<b>淮安市人社局</b>")
