"""Commands: /start, /help, the quick lookups (/calc, /code, /online, /cy) and the command menu."""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.telegram import texts
from bot.telegram.context import BotContext
from bot.telegram.handlers.chat import answer_text
from bot.telegram.handlers.replies import render, send_html, thread_of
from bot.telegram.keyboards import examples_keyboard

# Command → the engine intent it forces (see Engine.answer).
LOOKUPS = {"calc": "subsidy", "code": "code", "online": "online", "cy": "entrepreneurship"}


async def start(update: Update, context: BotContext) -> None:
    """Greet the user and offer example questions as buttons."""
    chat = update.effective_chat
    assert chat is not None
    await send_html(
        context.bot,
        chat.id,
        html.escape(texts.GREETING),
        examples_keyboard(context.services.engine.examples),
        thread_id=thread_of(update.effective_message),
    )


async def help_command(update: Update, context: BotContext) -> None:
    """Explain what can be asked."""
    chat = update.effective_chat
    assert chat is not None
    body = html.escape(texts.HELP_INTRO) + "\n\n" + render(context.services.engine.help_reply())
    await send_html(context.bot, chat.id, body, thread_id=thread_of(update.effective_message))


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


async def set_command_menu(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register the command menu (setMyCommands); a failure only costs the menu."""
    try:
        await application.bot.set_my_commands([BotCommand(c, d) for c, d in texts.COMMANDS])
    except TelegramError as error:
        logging.getLogger(__name__).warning("setMyCommands failed: %s", error)


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
