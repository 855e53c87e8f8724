"""bot.notify_handlers through the real PTB Application against the stand-in Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application, ApplicationBuilder

from bot.notify_handlers import NotifySettings, register
from bot.store.state import Store
from tests.support.fake_telegram import FakeTelegram, html_to_text

GROUP, ADMIN, MEMBER, STAFF = -100, 7, 8, 99


@pytest.fixture
async def app(
    store: Store, fake_telegram: FakeTelegram
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """An initialised Application with the notice handlers; delivery polled every 0.1 s."""
    application = (
        ApplicationBuilder().token(fake_telegram.token).base_url(fake_telegram.base_url).build()
    )
    register(
        application,
        store,
        settings=NotifySettings(admins=frozenset({STAFF}), interval=0.1),
        startup_pause=0.0,
    )
    fake_telegram.set_chat_admins(GROUP, [ADMIN], owner=1)
    async with application:
        yield application


async def _send(
    app: Application[Any, Any, Any, Any, Any, Any],
    fake_telegram: FakeTelegram,
    chat_id: int,
    text: str,
    **kwargs: Any,
) -> str:
    """Process one user message; return the bot's reply in that chat (plain text)."""
    before = len(fake_telegram.calls("sendMessage", chat_id=chat_id))
    update = fake_telegram.push_message(chat_id, text, **kwargs)
    await app.process_update(Update.de_json(update, app.bot))
    replies = fake_telegram.calls("sendMessage", chat_id=chat_id)[before:]
    return "\n".join(html_to_text(c.text) for c in replies)


async def test_group_admin_subscribes_and_unsubscribes(
    app: Any, fake_telegram: FakeTelegram, store: Store
) -> None:
    reply = await _send(
        app, fake_telegram, GROUP, "/subscribe 创业 紧缺", chat_type="group", user_id=ADMIN
    )
    assert "已订阅" in reply and "创业、紧缺" in reply
    sub = store.subscription(GROUP)
    assert sub is not None and sub.active and sub.topics == ("创业", "紧缺")
    assert fake_telegram.calls("getChatMember", chat_id=GROUP)
    reply = await _send(
        app, fake_telegram, GROUP, "/unsubscribe 创业", chat_type="group", user_id=ADMIN
    )
    assert "仍订阅：紧缺" in reply
    reply = await _send(
        app, fake_telegram, GROUP, "/unsubscribe", chat_type="group", user_id=1
    )  # owner
    assert "已退订全部通知" in reply
    sub = store.subscription(GROUP)
    assert sub is not None and not sub.active


async def test_plain_member_may_not_subscribe_the_group(
    app: Any, fake_telegram: FakeTelegram, store: Store
) -> None:
    reply = await _send(app, fake_telegram, GROUP, "/subscribe", chat_type="group", user_id=MEMBER)
    assert "只有本群管理员" in reply
    assert store.subscription(GROUP) is None


async def test_person_subscribes_in_private_and_unknown_topics_are_explained(
    app: Any, fake_telegram: FakeTelegram, store: Store
) -> None:
    reply = await _send(app, fake_telegram, 55, "/subscribe 烹饪")
    assert "不认识的主题：烹饪" in reply and "创业" in reply
    assert store.subscription(55) is None
    reply = await _send(app, fake_telegram, 55, "/subscribe")
    assert "已订阅" in reply and "全部" in reply
    sub = store.subscription(55)
    assert sub is not None and sub.chat_type == "private"


async def test_notify_is_for_staff_in_private(
    app: Any, fake_telegram: FakeTelegram, store: Store
) -> None:
    store.subscribe(GROUP, "group", ["创业"])
    store.subscribe(-200, "group", ["紧缺"])
    assert "只有管理人员" in await _send(app, fake_telegram, MEMBER, "/notify 你好")
    assert "私聊" in await _send(
        app, fake_telegram, GROUP, "/notify 你好", chat_type="group", user_id=STAFF
    )
    assert "用法" in await _send(app, fake_telegram, STAFF, "/notify")
    reply = await _send(app, fake_telegram, STAFF, "/notify 创业 创业补贴申报\n即日起开始")
    assert "已排队：1 个订阅（主题 创业）" in reply
    status = store.recent_notices()[0]
    assert (status.topic, status.text) == ("创业", "创业补贴申报\n即日起开始")


async def test_group_migration_moves_the_subscription(
    app: Any, fake_telegram: FakeTelegram, store: Store
) -> None:
    store.subscribe(GROUP, "group")
    for update in fake_telegram.push_migration(GROUP, -1_000_000_000_100):
        await app.process_update(Update.de_json(update, app.bot))
    assert store.subscription(GROUP) is None
    moved = store.subscription(-1_000_000_000_100)
    assert moved is not None and moved.active


async def test_job_queue_delivers_queued_notices(
    app: Any, fake_telegram: FakeTelegram, store: Store
) -> None:
    store.subscribe(GROUP, "group")
    store.subscribe(55, "private")
    store.queue_notice("明天起报名", "全部")
    await app.start()
    try:
        calls = await fake_telegram.await_calls(
            "sendMessage", where=lambda c: c.text == "明天起报名", count=2, timeout=20
        )
    finally:
        await app.stop()
    assert {c.chat_id for c in calls} == {GROUP, 55}
    status = store.recent_notices()[0]
    assert status.delivered == 2


async def test_notify_body_may_start_on_the_next_line(
    app: Any, fake_telegram: FakeTelegram, store: Store
) -> None:
    store.subscribe(GROUP, "group", ["创业"])
    reply = await _send(app, fake_telegram, STAFF, "/notify\n3月1日起报名，详见附件")
    assert "已排队：1 个订阅（主题 全部）" in reply
    reply = await _send(app, fake_telegram, STAFF, "/notify 创业\n申报开始\n第二行")
    assert "主题 创业" in reply
    assert [(s.topic, s.text) for s in store.recent_notices()] == [
        ("创业", "申报开始\n第二行"),
        ("全部", "3月1日起报名，详见附件"),
    ]


async def test_long_replies_are_split_and_edits_are_not_commands(
    app: Any, fake_telegram: FakeTelegram, store: Store
) -> None:
    reply = await _send(app, fake_telegram, 56, "/subscribe " + "&" * 4080)
    replies = fake_telegram.calls("sendMessage", chat_id=56)
    assert len(replies) >= 2 and all(c.status == 200 for c in replies)
    assert "不认识的主题" in reply and reply.count("&") >= 4080
    store.subscribe(GROUP, "group")
    update = fake_telegram.push_message(STAFF, "/notify 明天截止")
    await app.process_update(Update.de_json(update, app.bot))
    edited = {
        "update_id": update["update_id"] + 1000,
        "edited_message": {
            **update["message"],
            "edit_date": update["message"]["date"] + 1,
            "text": "/notify 后天截止",
        },
    }
    await app.process_update(Update.de_json(edited, app.bot))
    assert [s.text for s in store.recent_notices()] == ["明天截止"]
    assert len(fake_telegram.calls("sendMessage", chat_id=STAFF)) == 1
