"""Questions: any text in a private chat is a question; the same path serves groups and commands.

Follow-up context is kept per person in each chat (:func:`conversation_of`): in a group, one
person's "那车工呢" continues their own question, not the last speaker's.  It lives in the
database (``Store``), so it survives restarts and is shared by several instances.  Next to the
engine's context the bot keeps, under ``_bot``, the questions (and answers) its recent 👍/👎
buttons refer to (the button can carry only a short key) and the feedback waiting for a comment
(``handlers.feedback``).

Every answer carries 「分享」 (inline mode with the names of the entries it answers, or the
question when it answers none) and, in private chats, 👍/👎.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from telegram import Chat, Message, Update
from telegram.constants import ChatType
from telegram.ext import Application, MessageHandler, filters

from bot.render import as_text
from bot.telegram import journal, people_texts
from bot.telegram.context import BotContext
from bot.telegram.conversations import BOT_STATE, conversation_of
from bot.telegram.handlers.replies import render, send_html, thread_of
from bot.telegram.keyboards import reply_markup
from nlp.reply import Reply

FEEDBACK_KEEP = 20
FEEDBACK_ANSWER_CHARS = 600
TURNS_KEEP = 4  # the last turns a hand-off shows staff


def split_state(stored: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a stored context into the engine's part and the bot's own part."""
    engine_ctx = {k: v for k, v in stored.items() if k != BOT_STATE}
    bot_state = stored.get(BOT_STATE)
    return engine_ctx, dict(bot_state) if isinstance(bot_state, dict) else {}


def remember_question(bot_state: dict[str, Any], question: str, answer: str = "") -> str:
    """Keep ``question`` and the ``answer`` given for the feedback buttons; return the key the
    buttons carry."""
    key = secrets.token_hex(4)
    asked = bot_state.get("fb")
    asked = dict(asked) if isinstance(asked, dict) else {}
    asked[key] = {"q": question, "a": answer[:FEEDBACK_ANSWER_CHARS]}
    bot_state["fb"] = dict(list(asked.items())[-FEEDBACK_KEEP:])
    return key


def remember_turn(bot_state: dict[str, Any], question: str, reply: Reply) -> None:
    """Keep the last few turns (question, headline, understood) for a hand-off to show."""
    turns = bot_state.get("turns")
    turns = list(turns) if isinstance(turns, list) else []
    turns.append([question[:200], reply.headline[:200], reply.understood])
    bot_state["turns"] = turns[-TURNS_KEEP:]


async def load_state(
    context: BotContext, conversation: tuple[int, int]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read a conversation's stored context."""
    chat_id, user_id = conversation
    stored = await asyncio.to_thread(context.services.store.get_context, chat_id, user_id)
    return split_state(stored)


async def save_state(
    context: BotContext,
    conversation: tuple[int, int],
    engine_ctx: dict[str, Any],
    bot_state: dict[str, Any],
) -> None:
    """Store a conversation's context (the engine's and the bot's)."""
    chat_id, user_id = conversation
    stored = {**engine_ctx, BOT_STATE: bot_state} if bot_state else dict(engine_ctx)
    await asyncio.to_thread(context.services.store.save_context, chat_id, user_id, stored)


def wants_feedback(chat: Chat, reply: Reply) -> bool:
    """👍/👎 go under every answer in private chats (questions back with buttons included)."""
    return chat.type == ChatType.PRIVATE and bool(reply.blocks)


def share_query(context: BotContext, question: str, reply: Reply) -> str:
    """What 「分享」 types into inline mode: the entries the reply answers, else the question
    (nothing for a reply not understood, or only asking which entry)."""
    if not reply.understood:
        return ""
    names = context.services.engine.share_query(reply)
    if names or (reply.choices and not reply.about):
        return names
    return question


def markup_for(
    context: BotContext, chat: Chat, question: str, reply: Reply, bot_state: dict[str, Any]
) -> Any:
    """The keyboard under ``reply``: its choices, 👍/👎 (private chats; the question and the
    answer kept for them in ``bot_state``) and 「分享」."""
    key = None
    if wants_feedback(chat, reply):
        key = remember_question(bot_state, question, as_text(reply, with_choices=False))
    return reply_markup(
        reply.choices, key, share_query(context, question, reply), handoff=not reply.understood
    )


async def answer_text(
    update: Update, context: BotContext, text: str, intent: str | None = None
) -> None:
    """Answer ``text`` in the update's chat with the engine, continuing the sender's
    conversation."""
    engine = context.services.engine
    if intent is None and "human" in engine.requests(text):
        from bot.telegram.handlers.handoff import request_handoff

        await request_handoff(update, context, people_texts.TRIGGER_WORDS.format(text=text))
        return
    conversation = conversation_of(update)
    engine_ctx, bot_state = await load_state(context, conversation)
    reply = engine.answer(text, engine_ctx or None, intent=intent)
    await send_answer(update, context, text, reply, bot_state)


async def send_answer(
    update: Update,
    context: BotContext,
    question: str,
    reply: Reply,
    bot_state: dict[str, Any] | None = None,
) -> Message | None:
    """Send ``reply`` to ``question`` in the update's chat and keep the conversation after it
    (``bot_state``: the sender's, when already loaded)."""
    chat = update.effective_chat
    assert chat is not None
    journal.note(reply)
    conversation = conversation_of(update)
    if bot_state is None:
        bot_state = (await load_state(context, conversation))[1]
    if not reply.understood:
        await asyncio.to_thread(
            context.services.store.log_question,
            question,
            "unanswered",
            chat_id=conversation[0],
            user_id=conversation[1],
        )
    remember_turn(bot_state, question, reply)
    markup = markup_for(context, chat, question, reply, bot_state)
    await save_state(context, conversation, reply.context, bot_state)
    message = update.effective_message
    reply_to = message.message_id if message and chat.type != ChatType.PRIVATE else None
    return await send_html(
        context.bot,
        chat.id,
        render(reply),
        markup,
        reply_to=reply_to,
        thread_id=thread_of(message),
    )


async def on_private_text(update: Update, context: BotContext) -> None:
    """Answer a private message as a question."""
    assert update.message is not None and update.message.text is not None
    await answer_text(update, context, update.message.text)


def register(application: Application[Any, BotContext, Any, Any, Any, Any]) -> None:
    """Treat every private text message as a question."""
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE
            & filters.ChatType.PRIVATE
            & filters.TEXT
            & ~filters.COMMAND,
            on_private_text,
        )
    )
