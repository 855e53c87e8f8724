"""``/privacy`` (what is kept, why, for how long, how to erase it) and ``/forget`` (erase
everything kept about the person who sends it, in the database every instance shares)."""

from __future__ import annotations

import asyncio
import html
import logging
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.store.health import DATABASE_ERRORS, one_line
from bot.telegram import texts
from bot.telegram.context import BotContext
from bot.telegram.handlers.commands import NEW_MESSAGE
from bot.telegram.handlers.handoff import end_for_forget
from bot.telegram.handlers.replies import send_html, thread_of

log = logging.getLogger(__name__)

PURGE_EVERY = timedelta(days=1)
PURGE_FIRST = 60.0  # seconds after start: not in the way of starting


async def privacy(update: Update, context: BotContext) -> None:
    """Say what is kept about people, why, for how long, and how to erase it."""
    chat = update.effective_chat
    assert chat is not None
    text = texts.PRIVACY.format(days=context.settings.retention_days)
    await send_html(
        context.bot, chat.id, html.escape(text), thread_id=thread_of(update.effective_message)
    )


async def forget(update: Update, context: BotContext) -> None:
    """Erase everything kept about the sender, and say what was erased."""
    chat, user = update.effective_chat, update.effective_sender
    assert chat is not None
    if user is None:
        return
    try:
        await end_for_forget(context, user.id)  # an open hand-off ends, staff are told
        gone = await asyncio.to_thread(context.services.store.forget, user.id)
    except DATABASE_ERRORS as error:
        log.warning("/forget failed: %s", one_line(error))
        reply = texts.FORGET_FAILED
    else:
        reply = texts.FORGOTTEN.format(
            conversations=gone.conversations,
            questions=gone.questions,
            subscriptions=gone.subscriptions,
            handoffs=gone.handoffs,
        )
    await send_html(
        context.bot, chat.id, html.escape(reply), thread_id=thread_of(update.effective_message)
    )


async def purge(context: BotContext) -> None:
    """Daily: delete logged questions, idle conversations and closed hand-offs older than the
    retention."""
    days = context.settings.retention_days
    try:
        purged = await asyncio.to_thread(context.services.store.purge, timedelta(days=days))
    except DATABASE_ERRORS as error:
        log.warning("retention purge skipped: %s", one_line(error))
        return
    if purged.questions or purged.conversations or purged.handoffs:
        log.info(
            "retention purge (%d days): %d questions, %d conversations, %d hand-offs",
            days,
            purged.questions,
            purged.conversations,
            purged.handoffs,
        )


def register(application: Application[Any, BotContext, Any, Any, Any, Any]) -> None:
    """Add /privacy and /forget, and the daily retention purge."""
    application.add_handler(CommandHandler("privacy", privacy, filters=NEW_MESSAGE))
    application.add_handler(CommandHandler("forget", forget, filters=NEW_MESSAGE))
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            purge, interval=PURGE_EVERY.total_seconds(), first=PURGE_FIRST, name="purge"
        )
