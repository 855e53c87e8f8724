"""Which updates the bot acts on, and where it answers: new messages only, one migration handler,
busy chats that do not hold up others, apologies only where it would have answered, forum
topics, and flood control of presses, edits and anonymous admins (the real Application,
in-process, against the stand-in Bot API server)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from bot.telegram import texts
from tests.support.fake_telegram import Fault
from tests.telegram.conftest import ADMIN_ID, Harness

PRIVATE = 1101
GROUP = -2101
TOPIC = 77
ANONYMOUS_ADMIN = 1087968824  # GroupAnonymousBot: every anonymous admin of every group


def _edited(update: dict[str, Any], update_id: int, text: str | None = None) -> dict[str, Any]:
    message = dict(update["message"])
    message["edit_date"] = message["date"] + 1
    if text is not None:
        message["text"] = text
    return {"update_id": update_id, "edited_message": message}


def _in_topic(update: dict[str, Any]) -> dict[str, Any]:
    update["message"].update(message_thread_id=TOPIC, is_topic_message=True)
    update["message"]["chat"]["is_forum"] = True
    return update


async def test_an_edited_command_does_nothing_and_a_notify_queues_once(harness: Harness) -> None:
    fake, store = harness.fake, harness.store
    await asyncio.to_thread(store.subscribe, GROUP, "supergroup")
    notify = fake.message_update(ADMIN_ID, "/notify 3月1日截止报名")
    await harness.feed(notify)
    first = (await fake.await_calls("sendMessage", chat_id=ADMIN_ID))[0]
    assert "已排队：1 个订阅" in first.text
    await harness.feed(_edited(notify, notify["update_id"] + 10_000, "/notify 3月2日截止报名"))
    # The same message handled again (webhook retry, another instance): one notice still.
    await harness.feed({**notify, "update_id": notify["update_id"] + 20_000})
    replies = await fake.await_calls("sendMessage", chat_id=ADMIN_ID, count=2)
    await harness.settle()
    assert replies[1].text == first.text and len(fake.calls("sendMessage", chat_id=ADMIN_ID)) == 2
    assert [(s.text, s.total) for s in store.recent_notices()] == [("3月1日截止报名", 1)]

    lookup = fake.message_update(PRIVATE, "/calc 焊工 技师")
    await harness.feed(lookup)
    await fake.await_calls("sendMessage", chat_id=PRIVATE)
    await harness.feed(*[_edited(lookup, lookup["update_id"] + 30_000 + i) for i in range(5)])
    await harness.settle()
    assert len(fake.calls("sendMessage", chat_id=PRIVATE)) == 1


async def test_a_slow_busy_group_does_not_hold_up_other_chats(harness: Harness) -> None:
    """One addressed group question whose answer is slow, then 300 chatter messages in that
    group: a private question is still answered at once (before: every slot waited on the
    group's lock, and the private chat waited for the slow answer)."""
    fake, slow = harness.fake, 6.0
    fake.fail(Fault.slow(slow), method="sendMessage", chat_id=GROUP, times=1)
    await harness.feed(
        fake.message_update(
            GROUP, f"@{fake.username} 焊工技师补贴多少", chat_type="supergroup", user_id=1
        )
    )
    await fake.await_calls("sendMessage", chat_id=GROUP)  # arrived; answered only after 6 s
    await harness.feed(
        *[
            fake.message_update(GROUP, f"闲聊 {i}", chat_type="supergroup", user_id=10 + i)
            for i in range(300)
        ]
    )
    start = time.monotonic()
    await harness.feed(fake.message_update(PRIVATE, "电工技师补贴多少"))
    answer = (await fake.await_calls("sendMessage", chat_id=PRIVATE, timeout=slow - 2))[0]
    assert "3850" in answer.text and time.monotonic() - start < slow - 2
    await harness.settle()
    assert len(fake.calls("sendMessage", chat_id=GROUP)) == 1  # chatter is not answered


async def test_a_migration_is_handled_once_and_a_failure_there_is_not_apologised_for(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = -3101, -1003101
    calls: list[tuple[int, int]] = []
    real = harness.store.migrate_chat

    def counted(old_id: int, new_id: int) -> None:
        calls.append((old_id, new_id))
        real(old_id, new_id)

    monkeypatch.setattr(harness.store, "migrate_chat", counted)
    await harness.feed(*harness.fake.migration_updates(old, new))
    await harness.settle()
    assert calls == [(old, new)]

    def broken(old_id: int, new_id: int) -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(harness.store, "migrate_chat", broken)
    await harness.feed(*harness.fake.migration_updates(old - 1, new - 1))
    await harness.settle()
    assert texts.APOLOGY not in [c.text for c in harness.fake.calls("sendMessage")]


async def test_apology_only_where_the_bot_would_have_answered_and_in_the_topic(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(harness.services.engine, "answer", broken)
    fake = harness.fake
    question = _in_topic(
        fake.message_update(
            GROUP, f"@{fake.username} 焊工技师补贴多少", chat_type="supergroup", user_id=5
        )
    )
    await harness.feed(question)
    apology = (await fake.await_calls("sendMessage", chat_id=GROUP))[0]
    assert apology.text == texts.APOLOGY and apology.params["message_thread_id"] == TOPIC
    assert (await harness.ask(PRIVATE, "焊工技师补贴多少")).text == texts.APOLOGY


async def test_every_reply_in_a_forum_topic_goes_to_the_topic(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nlp.reply import Block, Reply

    fake = harness.fake
    help_call = await harness.ask(
        GROUP, f"/help@{fake.username}", user_id=5, message_thread_id=TOPIC, is_topic_message=True
    )
    assert help_call.params["message_thread_id"] == TOPIC
    long_reply = Reply([Block(f"第{i}段", ["补贴说明" * 40] * 3, "附件1") for i in range(40)])
    monkeypatch.setattr(harness.services.engine, "answer", lambda *args, **kwargs: long_reply)
    before = len(fake.calls("sendMessage", chat_id=GROUP))
    await harness.feed(
        _in_topic(
            fake.message_update(
                GROUP, f"@{fake.username} 很长的问题", chat_type="supergroup", user_id=5
            )
        )
    )
    await harness.settle()
    parts = fake.calls("sendMessage", chat_id=GROUP)[before:]
    assert len(parts) > 1 and all(p.status == 200 for p in parts)
    assert [p.params.get("message_thread_id") for p in parts] == [TOPIC] * len(parts)


async def test_flood_notice_goes_to_the_topic(harness: Harness) -> None:
    """(A private chat with topics: a group's 20-a-minute limit would delay the notice.)"""
    fake, chat = harness.fake, PRIVATE + 2
    await harness.feed(
        *[
            fake.message_update(chat, "/calc", message_thread_id=TOPIC, is_topic_message=True)
            for _ in range(21)
        ]
    )
    await harness.settle()
    notices = [c for c in fake.calls("sendMessage", chat_id=chat) if c.text == texts.FLOOD_NOTICE]
    assert len(notices) == 1 and notices[0].params["message_thread_id"] == TOPIC


async def test_button_presses_and_edits_count_against_the_flood_limit(harness: Harness) -> None:
    fake = harness.fake
    greeting = await harness.ask(PRIVATE, "/start")
    example = greeting.buttons()[0]["callback_data"]
    message = fake.messages(PRIVATE)[-1]
    for _ in range(24):  # with /start: 25 in a few seconds
        await harness.feed(fake.callback_update(PRIVATE, example, message=message))
    await harness.settle()
    answers = fake.calls("answerCallbackQuery")
    assert [a.params.get("text") for a in answers].count(texts.FLOOD_NOTICE) == 1
    assert len(fake.calls("sendMessage", chat_id=PRIVATE)) == 20  # /start + 19 examples

    edits = PRIVATE + 1
    lookup = fake.message_update(edits, "/calc 焊工 技师")
    await harness.feed(lookup)
    await harness.feed(*[_edited(lookup, lookup["update_id"] + 40_000 + i) for i in range(20)])
    await harness.settle()
    assert [c.text for c in fake.calls("sendMessage", chat_id=edits)].count(
        texts.FLOOD_NOTICE
    ) == 1


async def test_anonymous_admins_of_two_groups_are_not_one_flooder(harness: Harness) -> None:
    fake = harness.fake
    for group in (GROUP, GROUP - 1):
        updates = [
            fake.message_update(
                group,
                f"@{fake.username} 焊工技师补贴多少",
                chat_type="supergroup",
                user_id=ANONYMOUS_ADMIN,
                sender_chat={"id": group, "type": "supergroup", "title": "G"},
            )
            for _ in range(12)
        ]
        await harness.feed(*updates)
    await harness.settle()
    for group in (GROUP, GROUP - 1):
        sent = [c.text for c in fake.calls("sendMessage", chat_id=group)]
        assert texts.FLOOD_NOTICE not in sent and len(sent) == 12
