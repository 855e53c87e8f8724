"""Commands: /start (with deep links), /help and the quick lookups (/calc, /code, /online, /cy).

A deep link ``https://t.me/<bot>?start=<payload>`` opens an answer: a catalogue code
(``start=6-18-02-04``), an entrepreneurship programme's code (``start=JCDI``) or the short id of
an answer shared from inline mode (``start=s_…``, ``Store.share_question``).  A payload that
opens nothing gets a polite /help.  The menus themselves are ``bot.telegram.menus``.
"""

from __future__ import annotations

import asyncio
import html
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.store.health import DATABASE_ERRORS
from bot.store.state import SHARED_ID_PREFIX, TOPICS
from bot.telegram import texts
from bot.telegram.context import BotContext
from bot.telegram.handlers.chat import answer_text, send_answer
from bot.telegram.handlers.replies import send_html, thread_of
from bot.telegram.keyboards import examples_keyboard

# Command → the engine intent it forces (see Engine.answer).
LOOKUPS = {"calc": "subsidy", "code": "code", "online": "online", "cy": "entrepreneurship"}
# Start parameters that only open the bot (the inline results' own button).
PLAIN_STARTS = frozenset({"", "inline"})


async def start(update: Update, context: BotContext) -> None:
    """Open a deep link's answer, or greet the user and offer example questions as buttons."""
    chat = update.effective_chat
    assert chat is not None
    payload = context.args[0] if context.args else ""
    if payload not in PLAIN_STARTS:
        await open_deep_link(update, context, payload)
        return
    await send_html(
        context.bot,
        chat.id,
        html.escape(texts.GREETING),
        examples_keyboard(context.services.engine.examples),
        thread_id=thread_of(update.effective_message),
    )


async def open_deep_link(update: Update, context: BotContext, payload: str) -> None:
    """Answer what ``start=<payload>`` names: a code, a programme, a shared answer; else /help."""
    if payload.startswith(SHARED_ID_PREFIX):
        try:
            question = await asyncio.to_thread(context.services.store.shared_question, payload)
        except DATABASE_ERRORS:  # the database is down: the link cannot be read now
            question = None
        if question is not None:
            await answer_text(update, context, question)
            return
    reply = context.services.engine.open_link(payload)
    if reply is not None:
        await send_answer(update, context, payload, reply)
        return
    await send_help(update, context, lead=texts.LINK_UNKNOWN)


def help_text(username: str) -> str:
    """/help's text (escaped HTML) naming the bot by its @username."""
    return html.escape(texts.HELP.format(username=username, topics="、".join(TOPICS)))


async def send_help(update: Update, context: BotContext, lead: str = "") -> None:
    """Send /help: short, the bot's real @username, three example questions as buttons."""
    chat = update.effective_chat
    assert chat is not None
    body = help_text(context.bot.username)
    if lead:
        body = html.escape(lead) + "\n\n" + body
    await send_html(
        context.bot,
        chat.id,
        body,
        examples_keyboard(context.services.engine.examples, limit=texts.HELP_EXAMPLES),
        thread_id=thread_of(update.effective_message),
    )


async def help_command(update: Update, context: BotContext) -> None:
    """Explain what can be asked, how to ask inline and how to get notices."""
    await send_help(update, context)


async def lookup(update: Update, context: BotContext) -> None:
    """Answer /calc, /code, /online or /cy with the engine, topic forced."""
    message = update.effective_message
    assert message is not None and message.text is not None
    command = message.text.split()[0].lstrip("/").split("@")[0].lower()
    query = " ".join(context.args or [])
    if not query and command in texts.USAGE:
        chat = update.effective_chat
        assert chat is not None
        await send_html(
            context.bot, chat.id, html.escape(texts.USAGE[command]), thread_id=thread_of(message)
        )
        return
    await answer_text(update, context, query or "创业培训", intent=LOOKUPS[command])


async def unknown_command(update: Update, context: BotContext) -> None:
    """Point to /help for a command the bot does not have."""
    chat = update.effective_chat
    assert chat is not None
    await send_html(
        context.bot,
        chat.id,
        html.escape(texts.UNKNOWN_COMMAND),
        thread_id=thread_of(update.effective_message),
    )


# Commands are new messages only: PTB's default also fires on an edited message (and channel
# posts), which would answer (or act) again and slip past the flood guard.
NEW_MESSAGE = filters.UpdateType.MESSAGE


def register(application: Application[Any, BotContext, Any, Any, Any, Any]) -> None:
    """Add the command handlers (unknown private commands last)."""
    application.add_handler(CommandHandler("start", start, filters=NEW_MESSAGE))
    application.add_handler(CommandHandler("help", help_command, filters=NEW_MESSAGE))
    application.add_handler(CommandHandler(list(LOOKUPS), lookup, filters=NEW_MESSAGE))


def register_fallback(application: Application[Any, BotContext, Any, Any, Any, Any]) -> None:
    """Answer unknown commands in private chats (registered after every other command)."""
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & filters.COMMAND,
            unknown_command,
        )
    )
