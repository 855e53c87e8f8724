"""Questions: any text in a private chat is a question; the same path serves groups and commands.

Follow-up context is kept per person in each chat (:func:`conversation_of`): in a group, one
person's "那车工呢" continues their own question, not the last speaker's.  It lives in the
database (``Store``), so it survives restarts and is shared by several instances.  Next to the
engine's context the bot keeps, under ``_bot``, the questions its recent 👍/👎 buttons refer to
(the button can carry only a short key).
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from telegram import Chat, Update
from telegram.constants import ChatType
from telegram.ext import Application, MessageHandler, filters

from bot.telegram.context import BotContext
from bot.telegram.handlers.replies import render, send_html, thread_of
from bot.telegram.keyboards import reply_markup
from nlp.reply import Reply

BOT_STATE = "_bot"
FEEDBACK_KEEP = 20


def split_state(stored: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a stored context into the engine's part and the bot's own part."""
    engine_ctx = {k: v for k, v in stored.items() if k != BOT_STATE}
    bot_state = stored.get(BOT_STATE)
    return engine_ctx, dict(bot_state) if isinstance(bot_state, dict) else {}


def remember_question(bot_state: dict[str, Any], question: str) -> str:
    """Keep ``question`` for the feedback buttons; return the key the buttons carry."""
    key = secrets.token_hex(4)
    asked = bot_state.get("fb")
    asked = dict(asked) if isinstance(asked, dict) else {}
    asked[key] = question
    bot_state["fb"] = dict(list(asked.items())[-FEEDBACK_KEEP:])
    return key


def conversation_of(update: Update) -> tuple[int, int]:
    """Whose conversation ``update`` continues: (chat id, sender id).

    The sender is the person who wrote or pressed; a private chat's person is the chat itself.
    An anonymous admin or a channel posting in a group is its ``sender_chat`` (as the flood
    guard counts them).
    """
    chat, sender = update.effective_chat, update.effective_sender
    assert chat is not None
    return chat.id, sender.id if sender is not None else chat.id


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
    """👍/👎 go under understood answers in private chats (not under a question back)."""
    return chat.type == ChatType.PRIVATE and reply.understood and not reply.choices


async def answer_text(
    update: Update, context: BotContext, text: str, intent: str | None = None
) -> None:
    """Answer ``text`` in the update's chat with the engine, continuing the sender's
    conversation."""
    chat = update.effective_chat
    assert chat is not None
    conversation = conversation_of(update)
    engine_ctx, bot_state = await load_state(context, conversation)
    reply = context.services.engine.answer(text, engine_ctx or None, intent=intent)
    if not reply.understood:
        await asyncio.to_thread(
            context.services.store.log_question,
            text,
            "unanswered",
            chat_id=conversation[0],
            user_id=conversation[1],
        )
    key = remember_question(bot_state, text) if wants_feedback(chat, reply) else None
    await save_state(context, conversation, reply.context, bot_state)
    message = update.effective_message
    reply_to = message.message_id if message and chat.type != ChatType.PRIVATE else None
    await send_html(
        context.bot,
        chat.id,
        render(reply),
        reply_markup(reply.choices, key),
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
