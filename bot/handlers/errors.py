"""The one error handler: log first (the token is redacted by the log filter), then apologise."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application

from bot import texts
from bot.context import BotContext

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
        elif update.effective_chat is not None and update.effective_message is not None:
            await context.bot.send_message(update.effective_chat.id, texts.APOLOGY)
    except TelegramError as error:
        logger.warning("could not send the apology: %s", error)


def register(application: Application[Any, BotContext, Any, Any, Any, Any]) -> None:
    """Install the error handler."""
    application.add_error_handler(on_error)
