"""Flood control, retry safety and untrusted callback data, as units."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from telegram import Chat, Message, Update, User
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.telegram.keyboards import Callback, parse_callback, reply_markup, without_feedback
from bot.telegram.throttle import ChatOrderedProcessor, FloodGuard, Verdict, safe_to_retry
from nlp.reply import Choice


def test_flood_guard_allows_twenty_in_ten_seconds_then_notifies_once() -> None:
    now = [0.0]
    guard = FloodGuard(clock=lambda: now[0])
    verdicts = []
    for _ in range(25):
        verdicts.append(guard.check(1))
        now[0] += 0.1
    assert verdicts[:20] == [Verdict.ALLOW] * 20
    assert verdicts[20:] == [Verdict.NOTIFY] + [Verdict.DROP] * 4
    assert guard.check(2) is Verdict.ALLOW  # nobody else is affected
    now[0] += 10.5
    assert guard.check(1) is Verdict.ALLOW


def _error_caused_by(error: NetworkError, cause: BaseException) -> NetworkError:
    error.__cause__ = cause
    return error


def test_safe_to_retry() -> None:
    never_sent = _error_caused_by(TimedOut(), httpx.ConnectTimeout("x"))
    unknown = _error_caused_by(TimedOut(), httpx.ReadTimeout("x"))
    assert safe_to_retry("sendMessage", never_sent)
    assert not safe_to_retry("sendMessage", unknown)
    # Telegram answered 502: it did not take the message, so sending again cannot duplicate it
    assert safe_to_retry("sendMessage", NetworkError("Bad Gateway"))
    dropped = _error_caused_by(NetworkError("x"), httpx.RemoteProtocolError("closed"))
    assert not safe_to_retry("sendMessage", dropped)  # sent, and its fate is unknown
    assert safe_to_retry("editMessageText", unknown)
    assert safe_to_retry("answerCallbackQuery", NetworkError("Bad Gateway"))
    assert not safe_to_retry("editMessageText", BadRequest("Message to edit not found"))
    assert not safe_to_retry("getUpdates", never_sent)


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "x" * 65,
        "焊" * 22,
        "a\nb",
        "a\x00",
        "bot:fb+:XYZ",
        "bot:ex:abc",
        "bot:other",
        42,
        "bot:why:0123abcd:4",  # there are four choices
        "bot:why:0123abcd",
        "bot:why:XYZ:1",
    ],
)
def test_invalid_callback_data_is_refused(data: object) -> None:
    assert parse_callback(data) is None


def test_callback_data_kinds() -> None:
    assert parse_callback("pick:q154") == Callback("choice", "pick:q154")
    assert parse_callback("bot:ex:3") == Callback("example", "3")
    assert parse_callback("bot:fb-:0123abcd") == Callback("feedback_down", "0123abcd")
    assert parse_callback("bot:why:0123abcd:3") == Callback("why", "0123abcd:3")


def test_keyboard_under_an_answer_choices_then_feedback_then_share() -> None:
    markup = reply_markup([Choice("技师", "lv:q1||L2")], "0123abcd", " 焊工  车工 ")
    assert markup is not None
    rows = [[b.text for b in row] for row in markup.inline_keyboard]
    assert rows == [["技师"], ["👍 有帮助", "👎 没帮助"], ["分享"]]
    assert markup.inline_keyboard[2][0].switch_inline_query == "焊工 车工"
    kept = without_feedback(markup)
    assert kept is not None and [[b.text for b in r] for r in kept.inline_keyboard] == [
        ["技师"],
        ["分享"],
    ]
    assert without_feedback(reply_markup([], "0123abcd")) is None
    assert reply_markup([], None, "") is None


def test_keyboard_skips_payloads_that_cannot_be_callback_data() -> None:
    markup = reply_markup([Choice("好", "pick:q1"), Choice("太长", "p" * 65)], None)
    assert markup is not None
    assert [b.callback_data for row in markup.inline_keyboard for b in row] == ["pick:q1"]
    assert reply_markup([], "0123abcd") is not None and reply_markup([], None) is None


# --- the update processor ------------------------------------------------------------------


def _update(update_id: int, chat_id: int, user_id: int | None = None) -> Update:
    chat = Chat(chat_id, "private" if chat_id > 0 else "supergroup")
    sender = User(user_id, "U", False) if user_id is not None else None
    message = Message(update_id, datetime.now(UTC), chat, from_user=sender, text="x")
    return Update(update_id, message=message)


async def test_a_chat_waiting_for_its_lock_holds_no_slot() -> None:
    """Two slots; one chat's first update hangs, five more of it wait: another chat's update
    still runs at once (a backlog waits for its chat's lock before it takes a slot)."""
    processor = ChatOrderedProcessor(2)
    release, ran = asyncio.Event(), []

    async def handle(name: str, wait: bool = False) -> None:
        ran.append(name)
        if wait:
            await release.wait()

    busy = [asyncio.create_task(processor.process_update(_update(1, -5), handle("a0", True)))]
    busy += [
        asyncio.create_task(processor.process_update(_update(i, -5), handle(f"a{i}")))
        for i in range(2, 7)
    ]
    other = asyncio.create_task(processor.process_update(_update(9, 42), handle("b")))
    await asyncio.wait_for(other, 2)  # before the fix: no free slot until a0 ends
    assert ran == ["a0", "b"]
    release.set()
    await asyncio.wait_for(asyncio.gather(*busy), 2)
    assert ran == ["a0", "b", "a2", "a3", "a4", "a5", "a6"]  # the chat's order is kept


async def test_unwanted_updates_and_a_chats_excess_backlog_are_dropped() -> None:
    processor = ChatOrderedProcessor(8, max_chat_backlog=3)
    processor.wanted = lambda update: update.update_id != 99
    release, ran = asyncio.Event(), []

    async def handle(update_id: int) -> None:
        ran.append(update_id)
        if update_id == 1:
            await release.wait()

    tasks = [
        asyncio.create_task(processor.process_update(_update(i, -5), handle(i)))
        for i in (1, 2, 3, 4, 5, 99)
    ]
    await asyncio.sleep(0)  # let every task reach the chat's lock (or be dropped)
    await asyncio.wait_for(asyncio.gather(*tasks[3:]), 2)  # dropped ones return at once
    release.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 2)
    assert ran == [1, 2, 3] and processor.dropped == 2


async def test_flood_guard_keys_anonymous_admins_by_their_chat() -> None:
    """Anonymous admins all post as GroupAnonymousBot: each group is its own sender."""
    processor = ChatOrderedProcessor(8)
    processor.counts = lambda update: True
    handled: list[int] = []

    async def handle(chat_id: int) -> None:
        handled.append(chat_id)

    anonymous = User(1087968824, "Group", True)
    for chat_id in (-11, -12):
        for i in range(15):
            update = _update(i, chat_id)
            message = update.message
            assert message is not None
            message._unfreeze()
            message.from_user, message.sender_chat = anonymous, message.chat
            await processor.process_update(update, handle(chat_id))
    assert handled.count(-11) == handled.count(-12) == 15
