"""bot.telegram.handlers.notices through the real PTB Application against the stand-in Bot API,
on each backend."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.store.state import Store
from tests.support.fake_telegram import FakeTelegram, html_to_text
from tests.telegram.conftest import NOTICE_GROUP as GROUP
from tests.telegram.conftest import NOTICE_GROUP_ADMIN as ADMIN
from tests.telegram.conftest import NOTICE_STAFF as STAFF

MEMBER = 8


async def _send(
    notices_app: Application[Any, Any, Any, Any, Any, Any],
    fake_telegram: FakeTelegram,
    chat_id: int,
    text: str,
    **kwargs: Any,
) -> str:
    """Process one user message; return the bot's reply in that chat (plain text)."""
    before = len(fake_telegram.calls("sendMessage", chat_id=chat_id))
    update = fake_telegram.push_message(chat_id, text, **kwargs)
    await notices_app.process_update(Update.de_json(update, notices_app.bot))
    replies = fake_telegram.calls("sendMessage", chat_id=chat_id)[before:]
    return "\n".join(html_to_text(c.text) for c in replies)


async def test_group_admin_subscribes_and_unsubscribes(
    notices_app: Any, fake_telegram: FakeTelegram, store: Store
) -> None:
    reply = await _send(
        notices_app, fake_telegram, GROUP, "/subscribe 创业 紧缺", chat_type="group", user_id=ADMIN
    )
    assert "已订阅" in reply and "创业、紧缺" in reply
    sub = store.subscription(GROUP)
    assert sub is not None and sub.active and sub.topics == ("创业", "紧缺")
    assert fake_telegram.calls("getChatMember", chat_id=GROUP)
    reply = await _send(
        notices_app, fake_telegram, GROUP, "/unsubscribe 创业", chat_type="group", user_id=ADMIN
    )
    assert "仍订阅：紧缺" in reply
    reply = await _send(
        notices_app, fake_telegram, GROUP, "/unsubscribe", chat_type="group", user_id=1
    )  # owner
    assert "已退订全部通知" in reply
    sub = store.subscription(GROUP)
    assert sub is not None and not sub.active


async def test_plain_member_may_not_subscribe_the_group(
    notices_app: Any, fake_telegram: FakeTelegram, store: Store
) -> None:
    reply = await _send(
        notices_app, fake_telegram, GROUP, "/subscribe", chat_type="group", user_id=MEMBER
    )
    assert "只有本群管理员" in reply
    assert store.subscription(GROUP) is None


async def test_person_subscribes_in_private_and_unknown_topics_are_explained(
    notices_app: Any, fake_telegram: FakeTelegram, store: Store
) -> None:
    reply = await _send(notices_app, fake_telegram, 55, "/subscribe 烹饪")
    assert "不认识的主题：烹饪" in reply and "创业" in reply
    assert store.subscription(55) is None
    reply = await _send(notices_app, fake_telegram, 55, "/subscribe")
    assert "已订阅" in reply and "全部" in reply
    sub = store.subscription(55)
    assert sub is not None and sub.chat_type == "private"


async def test_notify_is_for_staff_in_private(
    notices_app: Any, fake_telegram: FakeTelegram, store: Store
) -> None:
    store.subscribe(GROUP, "group", ["创业"])
    store.subscribe(-200, "group", ["紧缺"])
    assert "只有管理人员" in await _send(notices_app, fake_telegram, MEMBER, "/notify 你好")
    assert "私聊" in await _send(
        notices_app, fake_telegram, GROUP, "/notify 你好", chat_type="group", user_id=STAFF
    )
    assert "用法" in await _send(notices_app, fake_telegram, STAFF, "/notify")
    reply = await _send(notices_app, fake_telegram, STAFF, "/notify 创业 创业补贴申报\n即日起开始")
    assert "已排队：1 个订阅（主题 创业）" in reply
    status = store.recent_notices()[0]
    assert (status.topic, status.text) == ("创业", "创业补贴申报\n即日起开始")


async def test_group_migration_moves_the_subscription(
    notices_app: Any, fake_telegram: FakeTelegram, store: Store
) -> None:
    store.subscribe(GROUP, "group")
    for update in fake_telegram.push_migration(GROUP, -1_000_000_000_100):
        await notices_app.process_update(Update.de_json(update, notices_app.bot))
    assert store.subscription(GROUP) is None
    moved = store.subscription(-1_000_000_000_100)
    assert moved is not None and moved.active


async def test_job_queue_delivers_queued_notices(
    notices_app: Any, fake_telegram: FakeTelegram, store: Store
) -> None:
    store.subscribe(GROUP, "group")
    store.subscribe(55, "private")
    store.queue_notice("明天起报名", "全部")
    await notices_app.start()
    try:
        calls = await fake_telegram.await_calls(
            "sendMessage", where=lambda c: "明天起报名" in c.text, count=2, timeout=20
        )
    finally:
        await notices_app.stop()
    assert {c.chat_id for c in calls} == {GROUP, 55}
    status = store.recent_notices()[0]
    assert status.delivered == 2


async def test_notify_body_may_start_on_the_next_line(
    notices_app: Any, fake_telegram: FakeTelegram, store: Store
) -> None:
    store.subscribe(GROUP, "group", ["创业"])
    reply = await _send(notices_app, fake_telegram, STAFF, "/notify\n3月1日起报名，详见附件")
    assert "已排队：1 个订阅（主题 全部）" in reply
    reply = await _send(notices_app, fake_telegram, STAFF, "/notify 创业\n申报开始\n第二行")
    assert "主题 创业" in reply
    assert [(s.topic, s.text) for s in store.recent_notices()] == [
        ("创业", "申报开始\n第二行"),
        ("全部", "3月1日起报名，详见附件"),
    ]


async def test_long_replies_are_split_and_edits_are_not_commands(
    notices_app: Any, fake_telegram: FakeTelegram, store: Store
) -> None:
    reply = await _send(notices_app, fake_telegram, 56, "/subscribe " + "&" * 4080)
    replies = fake_telegram.calls("sendMessage", chat_id=56)
    assert len(replies) >= 2 and all(c.status == 200 for c in replies)
    assert "不认识的主题" in reply and reply.count("&") >= 4080
    store.subscribe(GROUP, "group")
    update = fake_telegram.push_message(STAFF, "/notify 明天截止")
    await notices_app.process_update(Update.de_json(update, notices_app.bot))
    edited = {
        "update_id": update["update_id"] + 1000,
        "edited_message": {
            **update["message"],
            "edit_date": update["message"]["date"] + 1,
            "text": "/notify 后天截止",
        },
    }
    await notices_app.process_update(Update.de_json(edited, notices_app.bot))
    assert [s.text for s in store.recent_notices()] == ["明天截止"]
    assert len(fake_telegram.calls("sendMessage", chat_id=STAFF)) == 1
