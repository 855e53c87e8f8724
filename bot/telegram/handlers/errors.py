"""The one error handler: log first (the token is redacted by the log filter), then apologise —
but only where the bot would have answered: a button press, a private message, or a group
message addressed to the bot (never for chatter or service messages it only listens to)."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application

from bot.telegram import texts
from bot.telegram.context import BotContext
from bot.telegram.handlers.groups import addresses_bot
from bot.telegram.handlers.replies import thread_of

logger = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    """Log the error and send the user a short apology."""
    kind = type(update).__name__
    if isinstance(update, Update):
        kind = f"update {update.update_id}"
    logger.error("error while handling %s", kind, exc_info=context.error)
    if not isinstance(update, Update) or isinstance(context.error, Forbidden):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.APOLOGY)
        elif wants_apology(update) and update.message is not None:
            await context.bot.send_message(
                update.message.chat_id, texts.APOLOGY, message_thread_id=thread_of(update.message)
            )
    except TelegramError as error:
        logger.warning("could not send the apology: %s", error)


def wants_apology(update: Update) -> bool:
    """Whether the update was a question to the bot: a new message in a private chat, or a
    group message addressed to it (not chatter, not a service message, not an edit)."""
    message = update.message
    if message is None:
        return False
    if message.chat.type == ChatType.PRIVATE:
        return True
    return message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP) and addresses_bot(message)


def register(application: Application[Any, BotContext, Any, Any, Any, Any]) -> None:
    """Install the error handler."""
    application.add_error_handler(on_error)
