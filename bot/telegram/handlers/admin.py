"""``/stats``: the questions the bot could not answer or got 👎 for, with counts, shown to the
user ids in ``SKILLBOT_ADMINS`` in a private chat (``skillbot report unanswered`` prints the
same).  Never in a group: question texts may hold phone numbers, and every member would see
them.  The report shows question text and time only, never who asked.
"""

from __future__ import annotations

import asyncio
import html
from typing import Any

from telegram import Chat, Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler

from bot.telegram import texts
from bot.telegram.context import BotContext
from bot.telegram.handlers.commands import NEW_MESSAGE
from bot.telegram.handlers.replies import send_html, thread_of

STATS_LIMIT = 30


async def stats(update: Update, context: BotContext) -> None:
    """Show admins the questions not understood or disliked."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None
    thread_id = thread_of(update.effective_message)
    if user is None or not context.settings.is_admin(user.id):
        await send_html(context.bot, chat.id, html.escape(texts.ADMIN_ONLY), thread_id=thread_id)
        return
    if not is_staff_place(chat):
        await send_html(
            context.bot, chat.id, html.escape(texts.ADMIN_PRIVATE_ONLY), thread_id=thread_id
        )
        return
    rows = await asyncio.to_thread(context.services.store.unanswered_report, STATS_LIMIT)
    if not rows:
        await send_html(
            context.bot, chat.id, html.escape(texts.NO_UNANSWERED), thread_id=thread_id
        )
        return
    lines = [f"<b>{html.escape(texts.UNANSWERED_TITLE)}</b>"]
    lines += [f"{count} 次（{seen:%m-%d %H:%M}）{html.escape(text)}" for text, count, seen in rows]
    await send_html(context.bot, chat.id, "\n".join(lines), thread_id=thread_id)


def is_staff_place(chat: Chat) -> bool:
    """Where staff reports may be shown: a private chat with the admin."""
    return chat.type == ChatType.PRIVATE


def register(application: Application[Any, BotContext, Any, Any, Any, Any]) -> None:
    """Add /stats."""
    application.add_handler(CommandHandler("stats", stats, filters=NEW_MESSAGE))
