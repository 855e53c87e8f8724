"""Hand-off to a person (转人工): a worker reaches staff, staff answer, the bot steps aside.

A worker asks by writing it (the engine's ``human`` intent: 转人工, 人工客服, 找工作人员…), with
/human, or with the 「转人工」 button under a reply that did not help.  :func:`request_handoff`
is the one entry point (other flows, e.g. after 👎, call it too).  Without a staff chat
(``SKILLBOT_STAFF_CHAT``) the worker gets the notice's contact offices instead.

The staff group gets one message per hand-off: who, what triggered it and the last few turns.
In a forum group each worker has a topic of their own (created once, reused); otherwise the
worker's messages reply to that message.  A staff member answers by replying to any message of
the hand-off (or inside the topic): the bot sends a line saying a person answers, then copies
the message (``copyMessage``: formatting and media survive; the staff member's name is shown
only with ``SKILLBOT_HANDOFF_SHOW_STAFF``).  While it is open the worker's messages go to the
staff group; 结束人工 or /close (the worker's, or a staff member's as a reply or in the topic)
ends it.  Nobody answering within ``SKILLBOT_HANDOFF_TIMEOUT`` ends it too, with the contact
offices.  Everything is in the database (:class:`~bot.store.people.People`): any instance
carries on any hand-off, before and after a restart.  While the database is away the bot
answers as if no hand-off were open and /human names the contact offices.  /forget ends an
open hand-off (staff are told); a staff reply to one of the bot's messages that belongs to no
open hand-off, or that cannot reach the worker, is said so in the staff chat, never answered
as a question.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from datetime import timedelta
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.store.health import DATABASE_ERRORS, one_line
from bot.store.people import HandoffInfo
from bot.store.state import TIMED_OUT
from bot.telegram import journal, texts
from bot.telegram import people_texts as t
from bot.telegram.context import BotContext, settings_of
from bot.telegram.conversations import BOT_STATE, REPLIES_TO_COMMENT_PROMPT, conversation_of
from bot.telegram.handlers.replies import render, send_html, thread_of
from bot.telegram.keyboards import HANDOFF

logger = logging.getLogger(__name__)

HANDOFF_GROUP = -1  # before the question handlers: an open hand-off takes the worker's messages
CLOSE = "bot:hc:"  # + hand-off id: the staff message's 结束 button
RECENT_TURNS = 4
NEW_MESSAGE = filters.UpdateType.MESSAGE
STAFF_CHAT_OR_DATABASE: tuple[type[BaseException], ...] = (TelegramError, *DATABASE_ERRORS)
# 「退订」 is the notices' opt-out (handlers/notices.py, the same words), not a message to staff.
_OPT_OUT_WORDS = "|".join(map(re.escape, texts.OPT_OUT_WORDS))
OPT_OUT = filters.Regex(re.compile(rf"^\s*(?:{_OPT_OUT_WORDS})\s*[。.!！]?\s*$"))


# --- starting ----------------------------------------------------------------------------------


async def request_handoff(
    update: Update, context: BotContext, trigger: str, question: str = ""
) -> None:
    """Start a hand-off for the update's sender, or, without a staff chat (or while the
    database is away), answer with the notice's contact offices.  ``trigger`` says what led
    here (shown to staff); ``question`` is the question the bot missed, when the caller knows
    it (else the last one of the conversation not understood)."""
    journal.note_intent("handoff_open")
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None
    message = update.effective_message
    thread_id = thread_of(message)
    staff_chat = context.settings.staff_chat
    if staff_chat is None:
        await _send_contacts(context, chat.id, t.HANDOFF_NO_STAFF, thread_id)
        return
    if chat.type != ChatType.PRIVATE or user is None:
        await send_html(context.bot, chat.id, html.escape(t.HANDOFF_GROUP), thread_id=thread_id)
        return
    turns, missed = await _recent_turns(context, update)
    missed = question or missed
    people = context.services.people
    try:
        info, new = await asyncio.to_thread(
            people.open_handoff, chat.id, user.id, user.full_name, staff_chat, trigger, missed
        )
    except DATABASE_ERRORS:  # the outage is logged by the store
        await _send_contacts(context, chat.id, t.HANDOFF_NO_STAFF, None)
        return
    if not new:
        await send_html(context.bot, chat.id, html.escape(t.HANDOFF_ALREADY_OPEN))
        return
    try:
        await _post_to_staff(context, info, user, turns)
    except STAFF_CHAT_OR_DATABASE as error:
        logger.warning(
            "could not open hand-off %s in the staff chat: %s", info.id, one_line(error)
        )
        try:
            await asyncio.to_thread(people.close_handoff, info.id, "staff chat unreachable")
        except DATABASE_ERRORS:
            pass  # it times out instead
        await _send_contacts(context, chat.id, t.HANDOFF_NO_STAFF, None)
        return
    if missed:
        try:  # who handed off is not recorded: the report never says who asked
            await asyncio.to_thread(
                people.record_action, missed, "handed_off", f"#{info.id}", "worker"
            )
        except DATABASE_ERRORS:
            pass
    await send_html(context.bot, chat.id, html.escape(t.HANDOFF_OPENED))


async def _recent_turns(context: BotContext, update: Update) -> tuple[list[list[str]], str]:
    """The sender's last turns (question, the bot's headline, understood) and the last question
    the bot could not answer ('' when none)."""
    chat_id, user_id = conversation_of(update)
    stored = await asyncio.to_thread(context.services.store.get_context, chat_id, user_id)
    bot_state = stored.get(BOT_STATE) if isinstance(stored.get(BOT_STATE), dict) else {}
    raw = bot_state.get("turns") if isinstance(bot_state, dict) else None
    turns = [
        [str(turn[0]), str(turn[1]), "1" if turn[2] else ""]
        for turn in (raw if isinstance(raw, list) else [])
        if isinstance(turn, list) and len(turn) == 3
    ][-RECENT_TURNS:]
    missed = next((q for q, _, understood in reversed(turns) if not understood), "")
    return turns, missed


async def _post_to_staff(
    context: BotContext, info: HandoffInfo, user: User, turns: list[list[str]]
) -> None:
    """The hand-off's message in the staff group (in the worker's own topic in a forum)."""
    staff_chat = info.staff_chat_id
    thread_id = await _topic_for(context, info, user)
    who = t.STAFF_WHO.format(name=user.full_name, user_id=user.id)
    if user.username:
        who += f" @{user.username}"
    lines = [
        f"<b>{html.escape(t.STAFF_HEADER.format(id=info.id))}</b>",
        f'<a href="tg://user?id={user.id}">{html.escape(who)}</a>',
        html.escape(t.STAFF_TRIGGER.format(trigger=info.trigger)),
        html.escape(t.STAFF_RECENT),
    ]
    for question, answer, _ in turns:
        lines.append(html.escape(f"{t.ASKED}{question}"))
        lines.append(html.escape(f"{t.ANSWERED}{answer}"))
    if not turns:
        lines.append(html.escape(t.STAFF_NO_RECENT))
    lines.append(f"<i>{html.escape(t.STAFF_HOW)}</i>")
    buttons = [InlineKeyboardButton(t.CLOSE_BUTTON, callback_data=f"{CLOSE}{info.id}")]
    if info.question:
        buttons.insert(0, InlineKeyboardButton(t.ALIAS_BUTTON, callback_data=f"bot:al:h{info.id}"))
    header = await send_html(
        context.bot,
        staff_chat,
        "\n".join(lines),
        InlineKeyboardMarkup([buttons]),
        thread_id=thread_id,
    )
    assert header is not None
    await asyncio.to_thread(
        context.services.people.place_handoff, info.id, header.message_id, thread_id
    )


async def _topic_for(context: BotContext, info: HandoffInfo, user: User) -> int | None:
    """The worker's forum topic in a forum staff group (created on their first hand-off)."""
    staff_chat = await context.bot.get_chat(info.staff_chat_id)
    if not staff_chat.is_forum:
        return None
    people = context.services.people
    known = await asyncio.to_thread(
        people.topic_of, info.staff_chat_id, info.worker_chat_id, info.worker_user_id
    )
    if known is not None:
        return known
    name = t.STAFF_TOPIC.format(name=user.full_name, user_id=user.id)[:128]
    topic = await context.bot.create_forum_topic(info.staff_chat_id, name)
    return topic.message_thread_id


async def _send_contacts(
    context: BotContext, chat_id: int, intro: str, thread_id: int | None
) -> None:
    """``intro`` and the notice's contact offices (from the engine)."""
    body = html.escape(intro) + "\n" + render(context.services.engine.contacts_reply())
    await send_html(context.bot, chat_id, body, thread_id=thread_id)


# --- the worker's side -------------------------------------------------------------------------


async def human_command(update: Update, context: BotContext) -> None:
    """/human: reach a person."""
    await request_handoff(update, context, t.TRIGGER_COMMAND)


async def handoff_button(update: Update, context: BotContext) -> None:
    """The 「转人工」 button under a reply that did not help."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await request_handoff(update, context, t.TRIGGER_BUTTON)


async def on_worker_message(update: Update, context: BotContext) -> None:
    """While a hand-off is open, pass the worker's messages to the staff group (结束人工 ends
    it); otherwise (or while the database is away) let the question handlers answer."""
    message, chat, user = update.message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None:
        return
    people = context.services.people
    try:
        info = await asyncio.to_thread(people.open_handoff_of, chat.id, user.id)
    except DATABASE_ERRORS:  # as if none were open: the bot answers (the store logs the outage)
        return
    if info is None:
        return
    if message.text and "human_end" in context.services.engine.requests(message.text):
        await _close_or_say(context, info, str(user.id), chat.id, None)
        raise ApplicationHandlerStop
    journal.note_intent("handoff_relay")
    reply = None
    if info.thread_id is None and info.header_message_id is not None:
        reply = ReplyParameters(info.header_message_id, allow_sending_without_reply=True)
    try:
        copied = await context.bot.copy_message(
            info.staff_chat_id,
            chat.id,
            message.message_id,
            message_thread_id=info.thread_id,
            reply_parameters=reply,
        )
    except TelegramError as error:
        logger.warning("could not pass a worker's message to the staff chat: %s", error)
        raise ApplicationHandlerStop from None
    try:
        await asyncio.to_thread(
            people.link_message, info.id, info.staff_chat_id, copied.message_id
        )
    except DATABASE_ERRORS:
        pass  # passed on; a reply to this copy finds the hand-off by its topic or not at all
    raise ApplicationHandlerStop


async def close_command(update: Update, context: BotContext) -> None:
    """/close: a worker ends their hand-off; staff end one as a reply or inside its topic."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    assert chat is not None and message is not None
    people = context.services.people
    if chat.type == ChatType.PRIVATE and user is not None:
        try:
            info = await asyncio.to_thread(people.open_handoff_of, chat.id, user.id)
        except DATABASE_ERRORS:
            await send_html(context.bot, chat.id, html.escape(t.DATABASE_AWAY))
            return
        if info is None:
            await send_html(context.bot, chat.id, html.escape(t.HANDOFF_NOTHING_TO_CLOSE))
            return
        await _close_or_say(context, info, str(user.id), chat.id, None)
        return
    if chat.id != context.settings.staff_chat:
        return
    try:
        info = await _handoff_of_staff_message(context, message)
    except DATABASE_ERRORS:
        await _reply_in_staff_chat(context, message, t.DATABASE_AWAY)
        return
    if info is None or not info.is_open:
        await send_html(
            context.bot,
            chat.id,
            html.escape(t.HANDOFF_NOT_OPEN),
            reply_to=message.message_id,
            thread_id=thread_of(message),
        )
        return
    await _close_or_say(context, info, _staff_name(user), chat.id, thread_of(message))


async def close_button(update: Update, context: BotContext) -> None:
    """The 结束 button on a hand-off's staff message."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not await context.services.staff.is_staff(
        context.bot, context.settings, query.from_user.id
    ):
        await query.answer(t.STAFF_ONLY)
        return
    await query.answer()
    handoff_id = query.data[len(CLOSE) :]
    try:
        info = await asyncio.to_thread(context.services.people.handoff, int(handoff_id))
        if info is not None and info.is_open:
            await _close(context, info, by=_staff_name(query.from_user))
    except DATABASE_ERRORS:
        if isinstance(query.message, Message):
            await _reply_in_staff_chat(context, query.message, t.DATABASE_AWAY)


async def _close(context: BotContext, info: HandoffInfo, by: str) -> None:
    """End a hand-off (once, whoever else tries): tell the worker and the staff group."""
    journal.note_intent("handoff_end")
    if not await asyncio.to_thread(context.services.people.close_handoff, info.id, by):
        return
    await send_html(context.bot, info.worker_chat_id, html.escape(t.HANDOFF_CLOSED_WORKER))
    await _tell_staff(context, info, t.STAFF_CLOSED.format(id=info.id, by=by))


async def _close_or_say(
    context: BotContext, info: HandoffInfo, by: str, chat_id: int, thread_id: int | None
) -> None:
    """:func:`_close`, or, while the database is away, say so in ``chat_id``."""
    try:
        await _close(context, info, by)
    except DATABASE_ERRORS:
        await send_html(context.bot, chat_id, html.escape(t.DATABASE_AWAY), thread_id=thread_id)


async def end_for_forget(context: BotContext, user_id: int) -> None:
    """Before /forget erases a person's hand-offs: end the open one and tell the staff group
    (else a staff reply would find nothing).  Database errors are the caller's."""
    people = context.services.people
    for info in await asyncio.to_thread(people.open_handoffs_of_person, user_id):
        if await asyncio.to_thread(people.close_handoff, info.id, "forget"):
            await _tell_staff(context, info, t.STAFF_FORGOTTEN)


async def _tell_staff(context: BotContext, info: HandoffInfo, text: str) -> None:
    """A line about the hand-off in its topic, or as a reply to its message."""
    try:
        await send_html(
            context.bot,
            info.staff_chat_id,
            html.escape(text),
            reply_to=info.header_message_id if info.thread_id is None else None,
            thread_id=info.thread_id,
        )
    except TelegramError as error:
        logger.warning("could not tell the staff chat about hand-off %s: %s", info.id, error)


def _staff_name(user: User | None) -> str:
    return user.full_name if user is not None else "工作人员"


async def _reply_in_staff_chat(context: BotContext, message: Message, text: str) -> None:
    """A line in the staff chat, as a reply to ``message``."""
    try:
        await send_html(
            context.bot,
            message.chat_id,
            html.escape(text),
            reply_to=message.message_id,
            thread_id=thread_of(message),
        )
    except TelegramError as error:
        logger.warning("could not answer in the staff chat: %s", error)


def _answers_the_bot(message: Message) -> bool:
    """Whether a staff-group message replies to one of the bot's messages (a hand-off's, in the
    staff group: its header, a relayed message, the topic it opened) without naming the bot."""
    reply, bot = message.reply_to_message, message.get_bot()
    if reply is None or reply.from_user is None or reply.from_user.id != bot.id:
        return False
    username = (bot.username or "").lower()
    for entity, text in message.parse_entities().items():
        if entity.type == MessageEntity.MENTION and text[1:].lower() == username:
            return False
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot.id:
            return False
    return True


# --- the staff side ----------------------------------------------------------------------------


async def _handoff_of_staff_message(context: BotContext, message: Message) -> HandoffInfo | None:
    """The hand-off a staff-group message answers: by the message it replies to, else by the
    forum topic it is in."""
    people = context.services.people
    reply = message.reply_to_message
    if reply is not None:
        info = await asyncio.to_thread(
            people.handoff_for_message, message.chat_id, reply.message_id
        )
        if info is not None:
            return info
    if message.is_topic_message and message.message_thread_id is not None:
        return await asyncio.to_thread(
            people.handoff_in_topic, message.chat_id, message.message_thread_id
        )
    return None


async def on_staff_message(update: Update, context: BotContext) -> None:
    """Relay a staff member's answer to the worker, marked as from a person.  A reply to one of
    the bot's messages that belongs to no open hand-off (closed, erased by /forget) is not
    taken as a question to the bot: staff are told it reached nobody."""
    message = update.message
    assert message is not None
    try:
        info = await _handoff_of_staff_message(context, message)
    except DATABASE_ERRORS:
        if _answers_the_bot(message):
            await _reply_in_staff_chat(context, message, t.DATABASE_AWAY)
            raise ApplicationHandlerStop from None
        return
    if info is None:
        if _answers_the_bot(message):
            await _reply_in_staff_chat(context, message, t.STAFF_NO_HANDOFF)
            raise ApplicationHandlerStop
        return  # staff talking among themselves (or asking the bot by name)
    if not info.is_open:
        await _reply_in_staff_chat(context, message, t.HANDOFF_NOT_OPEN)
        raise ApplicationHandlerStop
    journal.note_intent("handoff_relay")
    mark = t.HANDOFF_STAFF_REPLY
    if context.settings.handoff_show_staff and message.from_user is not None:
        mark += f"（{message.from_user.full_name}）"
    try:
        await send_html(context.bot, info.worker_chat_id, f"<i>{html.escape(mark)}</i>")
        await context.bot.copy_message(info.worker_chat_id, message.chat_id, message.message_id)
    except TelegramError as error:
        logger.warning("could not relay a staff reply of hand-off %s: %s", info.id, error)
        await _reply_in_staff_chat(context, message, t.STAFF_NOT_RELAYED.format(error=error))
        raise ApplicationHandlerStop from None
    try:
        await asyncio.to_thread(context.services.people.mark_answered, info.id)
    except DATABASE_ERRORS:
        pass  # relayed; it may still time out
    raise ApplicationHandlerStop  # an answer to the worker, not a question to the bot


async def check_timeouts(context: BotContext) -> None:
    """Close hand-offs nobody answered in time: the worker gets the contact offices."""
    settings = context.settings
    people = context.services.people
    try:
        due = await asyncio.to_thread(
            people.unanswered_handoffs, timedelta(seconds=settings.handoff_timeout)
        )
    except DATABASE_ERRORS:
        return  # the store logs the outage; the next check catches up
    for info in due:
        try:
            closed = await asyncio.to_thread(people.close_handoff, info.id, "timeout", TIMED_OUT)
        except DATABASE_ERRORS:
            return
        if not closed:
            continue  # another instance took it
        try:
            await _send_contacts(context, info.worker_chat_id, t.HANDOFF_TIMEOUT_WORKER, None)
        except TelegramError as error:
            logger.warning("could not tell a worker their hand-off timed out: %s", error)
        await _tell_staff(context, info, t.STAFF_TIMED_OUT.format(id=info.id))


def timeout_interval(timeout: float) -> float:
    """How often to look for hand-offs past their time: a few times per timeout, at most
    every 30 s.

    >>> timeout_interval(1800.0), timeout_interval(2.0)
    (30.0, 0.5)
    """
    return min(30.0, max(0.2, timeout / 4))


# --- wiring ------------------------------------------------------------------------------------


def register(application: Application[Any, BotContext, Any, Any, Any, Any]) -> None:
    """Add /human, /close, the buttons, the worker's and (with a staff chat) the staff
    group's messages, and the timeout check."""
    application.add_handler(CommandHandler("human", human_command, filters=NEW_MESSAGE))
    application.add_handler(CommandHandler("close", close_command, filters=NEW_MESSAGE))
    application.add_handler(CallbackQueryHandler(handoff_button, pattern=f"^{HANDOFF}$"))
    application.add_handler(CallbackQueryHandler(close_button, pattern=rf"^{CLOSE}[0-9]{{1,18}}$"))
    application.add_handler(
        MessageHandler(
            NEW_MESSAGE
            & filters.ChatType.PRIVATE
            & ~filters.COMMAND
            & ~OPT_OUT
            & ~REPLIES_TO_COMMENT_PROMPT,
            on_worker_message,
        ),
        group=HANDOFF_GROUP,
    )
    settings = settings_of(application)
    if settings.staff_chat is None:
        return
    application.add_handler(
        MessageHandler(
            NEW_MESSAGE
            & filters.Chat(settings.staff_chat)
            & ~filters.COMMAND
            & ~filters.StatusUpdate.ALL,
            on_staff_message,
        ),
        group=HANDOFF_GROUP,
    )
    if application.job_queue is not None:
        interval = timeout_interval(settings.handoff_timeout)
        application.job_queue.run_repeating(
            check_timeouts, interval=interval, first=interval, name="handoff-timeouts"
        )
