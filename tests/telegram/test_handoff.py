"""Hand-off to a person, end to end through the real Application against the stand-in Bot API:
request (words, /human, the 「转人工」 button), the staff group's message, a staff reply relayed
with copyMessage, the worker's next message passed on, /close and 结束人工, the timeout, forum
topics, and the same with the bot restarted in the middle (``skillbot run`` subprocesses)."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.settings import Settings
from bot.store.people import QuestionAction
from bot.store.state import Store
from bot.telegram import people_texts, texts
from bot.telegram.keyboards import FEEDBACK_DOWN, HANDOFF
from tests.support.fake_telegram import Call, FakeTelegram, Fault
from tests.telegram.conftest import (
    STAFF_CHAT,
    STAFF_MEMBER,
    BotProcess,
    Harness,
    running_harness,
)

WORKER = 501


def _sent_to(fake: FakeTelegram, chat_id: int) -> list[Call]:
    return [c for c in fake.calls(chat_id=chat_id) if c.method in ("sendMessage", "copyMessage")]


async def _next_to(h: Harness, chat_id: int, before: int, where: Any = None) -> Call:
    """The first message (sent or copied) to ``chat_id`` after the first ``before``."""
    calls = await h.fake.await_calls(
        chat_id=chat_id,
        where=lambda c: (
            c.method in ("sendMessage", "copyMessage")
            and c.status == 200
            and (where is None or where(c))
        ),
        count=before + 1,
    )
    return calls[before]


def _staff_message(fake: FakeTelegram, text: str, **kwargs: Any) -> dict[str, Any]:
    return fake.message_update(
        STAFF_CHAT, text, user_id=STAFF_MEMBER, chat_type="supergroup", **kwargs
    )


def _header(fake: FakeTelegram) -> dict[str, Any]:
    return next(
        m for m in fake.messages(STAFF_CHAT) if m.get("text", "").startswith("🙋 转人工 #")
    )


async def test_the_whole_handoff_by_replies(staff_harness: Harness) -> None:
    h, fake = staff_harness, staff_harness.fake
    miss = await h.ask(WORKER, "宇航员补贴多少")
    buttons = [b["callback_data"] for b in miss.buttons()]
    assert HANDOFF in buttons  # the bot could not help: a person is one tap away

    staff_before = len(_sent_to(fake, STAFF_CHAT))
    worker_before = len(_sent_to(fake, WORKER))
    await h.press(WORKER, HANDOFF)
    header_call = await _next_to(h, STAFF_CHAT, staff_before)
    assert f"id {WORKER}" in header_call.text and "宇航员补贴多少" in header_call.text
    assert (
        "「转人工」按钮" in header_call.text
        and f"tg://user?id={WORKER}" in header_call.params["text"]
    )
    assert {b["text"] for b in header_call.buttons()} == {"设为别名", "结束"}
    told = await _next_to(h, WORKER, worker_before)
    assert "结束人工" in told.text

    # a staff reply to the hand-off's message reaches the worker, marked as from a person
    worker_before = len(_sent_to(fake, WORKER))
    await h.feed(_staff_message(fake, "您好，宇航员不在补贴目录里。", reply_to=_header(fake)))
    mark = await _next_to(h, WORKER, worker_before)
    copied = await _next_to(h, WORKER, worker_before + 1)
    assert "工作人员回复" in mark.text and str(STAFF_MEMBER) not in mark.text
    assert copied.method == "copyMessage" and copied.params["from_chat_id"] == STAFF_CHAT
    assert fake.messages(WORKER)[-1]["text"] == "您好，宇航员不在补贴目录里。"

    # the worker's next message goes to the staff group, not to the engine
    staff_before = len(_sent_to(fake, STAFF_CHAT))
    worker_before = len(_sent_to(fake, WORKER))
    await h.feed(fake.message_update(WORKER, "那焊工技师补贴多少"))
    passed = await _next_to(h, STAFF_CHAT, staff_before)
    assert passed.method == "copyMessage" and passed.params["from_chat_id"] == WORKER
    assert passed.params["reply_parameters"]["message_id"] == _header(fake)["message_id"]
    await h.settle()
    assert len(_sent_to(fake, WORKER)) == worker_before  # no bot answer meanwhile

    # a reply to that passed-on message belongs to the same hand-off
    worker_before = len(_sent_to(fake, WORKER))
    copy_in_staff = fake.messages(STAFF_CHAT)[-1]
    await h.feed(_staff_message(fake, "焊工技师是3850元。", reply_to=copy_in_staff))
    await _next_to(h, WORKER, worker_before + 1)
    assert fake.messages(WORKER)[-1]["text"] == "焊工技师是3850元。"

    # /close as a reply ends it; the bot answers again
    worker_before = len(_sent_to(fake, WORKER))
    await h.feed(_staff_message(fake, "/close", reply_to=_header(fake)))
    closed = await _next_to(h, WORKER, worker_before)
    assert "机器人继续" in closed.text
    answer = await h.ask(WORKER, "焊工技师补贴多少")
    assert "3850" in answer.text


async def test_words_and_the_end_word_open_and_close(staff_harness: Harness) -> None:
    h, fake = staff_harness, staff_harness.fake
    staff_before = len(_sent_to(fake, STAFF_CHAT))
    told = await h.ask(WORKER, "我要问人")
    assert "转接工作人员" in told.text
    header = await _next_to(h, STAFF_CHAT, staff_before)
    assert "用户发送：我要问人" in header.text
    again = await h.ask(WORKER, "/human")
    assert "已经在人工服务中" in again.text
    ended = await h.ask(WORKER, "结束人工")
    assert "机器人继续" in ended.text
    await h.fake.await_calls(chat_id=STAFF_CHAT, where=lambda c: "已结束" in c.text)
    assert "3850" in (await h.ask(WORKER, "焊工技师补贴多少")).text


async def test_forum_topic_per_worker(staff_harness: Harness) -> None:
    h, fake = staff_harness, staff_harness.fake
    fake.set_forum(STAFF_CHAT)
    await h.ask(WORKER, "/human")
    header = _header(fake)
    thread = header["message_thread_id"]
    assert fake.topics == {(STAFF_CHAT, thread): f"User{WORKER} · {WORKER}"}

    staff_before = len(_sent_to(fake, STAFF_CHAT))
    await h.feed(fake.message_update(WORKER, "有人吗"))
    passed = await _next_to(h, STAFF_CHAT, staff_before)
    assert passed.params["message_thread_id"] == thread and "reply_parameters" not in passed.params

    worker_before = len(_sent_to(fake, WORKER))
    in_topic = {"message_thread_id": thread, "is_topic_message": True}
    await h.feed(_staff_message(fake, "在的，请讲。", **in_topic))
    await _next_to(h, WORKER, worker_before + 1)
    assert fake.messages(WORKER)[-1]["text"] == "在的，请讲。"

    await h.feed(_staff_message(fake, "/close", **in_topic))
    await h.settle()
    assert "机器人继续" in fake.messages(WORKER)[-1]["text"]
    again = await h.ask(WORKER, "转人工")  # the same worker's next hand-off reuses their topic
    assert "转接工作人员" in again.text, again.text
    assert len(fake.calls("createForumTopic")) == 1
    assert _header_count(fake) == 2


def _header_count(fake: FakeTelegram) -> int:
    return sum(m.get("text", "").startswith("🙋 转人工 #") for m in fake.messages(STAFF_CHAT))


async def test_nobody_answering_falls_back_to_the_contact_offices(
    staff_settings: Settings, app_store: Store, fake_telegram: FakeTelegram
) -> None:
    quick = dataclasses.replace(staff_settings, handoff_timeout=0.5)
    async with running_harness(quick, app_store, fake_telegram) as h:
        await h.ask(WORKER, "转人工")
        fallback = await h.fake.await_calls(
            chat_id=WORKER, where=lambda c: "暂时没能回复" in c.text
        )
        assert "联系单位" in fallback[0].text
        await h.fake.await_calls(chat_id=STAFF_CHAT, where=lambda c: "超时" in c.text)
        assert "3850" in (await h.ask(WORKER, "焊工技师补贴多少")).text


async def test_without_a_staff_chat_the_contact_offices_answer(harness: Harness) -> None:
    for text in ("转人工", "/human"):
        reply = await harness.ask(WORKER, text)
        assert "没有在线的人工服务" in reply.text and "联系单位" in reply.text
    assert not harness.fake.calls("copyMessage")


async def test_a_staff_reply_to_a_closed_handoff_is_not_relayed(staff_harness: Harness) -> None:
    h, fake = staff_harness, staff_harness.fake
    await h.ask(WORKER, "/human")
    await h.ask(WORKER, "/close")
    await h.feed(_staff_message(fake, "还在吗", reply_to=_header(fake)))
    await h.settle()
    assert "已经结束" in fake.messages(STAFF_CHAT)[-1]["text"]
    assert not fake.calls("copyMessage", chat_id=WORKER)


def test_a_handoff_survives_a_restart(fake_telegram: FakeTelegram, tmp_path: Path) -> None:
    fake = fake_telegram
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    env = {"SKILLBOT_STAFF_CHAT": str(STAFF_CHAT)}
    bot = BotProcess(fake, url, tmp_path / "bot.log", env=env).start()
    fake.push_message(WORKER, "/human")
    fake.wait_for("sendMessage", chat_id=WORKER, timeout=20)
    bot.stop()

    bot = BotProcess(fake, url, tmp_path / "bot.log", env=env).start()
    try:
        header = _header(fake)
        reply = fake.make_message(
            STAFF_CHAT,
            "重启后也能回复。",
            user_id=STAFF_MEMBER,
            chat_type="supergroup",
            reply_to=header,
        )
        fake.push_update({"message": reply})
        fake.wait_for("copyMessage", chat_id=WORKER, timeout=20)
        fake.push_message(WORKER, "收到，谢谢")
        passed = fake.wait_for("copyMessage", chat_id=STAFF_CHAT, timeout=20)
        assert passed[0].params["reply_parameters"]["message_id"] == header["message_id"]
    finally:
        bot.stop()


async def test_forget_during_a_handoff_ends_it_and_staff_replies_reach_nobody(
    staff_harness: Harness,
) -> None:
    h, fake = staff_harness, staff_harness.fake
    await h.ask(WORKER, "/human")
    header = _header(fake)
    staff_before = len(_sent_to(fake, STAFF_CHAT))
    await h.ask(WORKER, "/forget")
    ended = await _next_to(h, STAFF_CHAT, staff_before)
    assert "用户已删除记录" in ended.text
    assert h.services.people.open_handoffs_of_person(WORKER) == []

    staff_before = len(_sent_to(fake, STAFF_CHAT))
    await h.feed(_staff_message(fake, "焊工技师补贴多少", reply_to=header))
    await h.settle()
    answers = _sent_to(fake, STAFF_CHAT)[staff_before:]
    assert [c.text for c in answers] == [people_texts.STAFF_NO_HANDOFF]  # not the bot's answer
    assert not fake.calls("copyMessage", chat_id=WORKER)


async def test_a_staff_reply_that_cannot_reach_the_worker_is_said_in_the_staff_chat(
    staff_harness: Harness,
) -> None:
    h, fake = staff_harness, staff_harness.fake
    await h.ask(WORKER, "/human")
    fake.fail(Fault.blocked(), method="copyMessage", chat_id=WORKER)
    staff_before = len(_sent_to(fake, STAFF_CHAT))
    await h.feed(_staff_message(fake, "焊工技师补贴多少", reply_to=_header(fake)))
    await h.settle()
    answers = [c for c in _sent_to(fake, STAFF_CHAT)[staff_before:] if c.status == 200]
    assert len(answers) == 1 and answers[0].text.startswith("未能转给用户：")
    assert "blocked" in answers[0].text


async def test_opting_out_during_a_handoff_is_an_opt_out_not_a_message_to_staff(
    staff_harness: Harness,
) -> None:
    h, fake = staff_harness, staff_harness.fake
    await h.ask(WORKER, "/human")
    staff_before = len(_sent_to(fake, STAFF_CHAT))
    reply = await h.ask(WORKER, "退订")
    assert "订阅" in reply.text  # the notices' answer
    assert len(_sent_to(fake, STAFF_CHAT)) == staff_before
    staff_before = len(_sent_to(fake, STAFF_CHAT))
    await h.feed(fake.message_update(WORKER, "有人吗"))  # the hand-off is still open
    await _next_to(h, STAFF_CHAT, staff_before)


async def test_wanting_a_person_after_a_thumbs_down_shows_staff_the_question(
    staff_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    h, fake = staff_harness, staff_harness.fake
    answer = await h.ask(WORKER, "电工技师补贴多少")
    down = next(
        b for b in answer.buttons() if b.get("callback_data", "").startswith(FEEDBACK_DOWN)
    )
    await h.press(WORKER, down["callback_data"])
    asked = (await fake.await_calls("sendMessage", chat_id=WORKER, count=2))[1]
    person = asked.buttons()[texts.PERSON_CHOICE]
    staff_before = len(_sent_to(fake, STAFF_CHAT))
    await h.press(WORKER, person["callback_data"], message=fake.messages(WORKER)[-1])
    header = await _next_to(h, STAFF_CHAT, staff_before)
    assert "触发：👎 想找人工：电工技师补贴多少" in header.text
    assert {b["text"] for b in header.buttons()} == {"设为别名", "结束"}
    await h.settle()
    assert any("intent=handoff_open" in r.getMessage() for r in caplog.records)
    with h.store._read() as session:
        actions = session.scalars(select(QuestionAction)).all()
    assert [(a.text, a.action, a.acted_by) for a in actions] == [
        ("电工技师补贴多少", "handed_off", "worker")
    ]
