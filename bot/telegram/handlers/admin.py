"""``/stats``: the questions the bot could not answer or got 👎 for, with counts, shown to the
user ids in ``SKILLBOT_ADMINS``, in a private chat or the staff group (``skillbot report
unanswered`` prints the same).  Never in another group: question texts may hold phone numbers,
and every member would see them.  The report shows question text, time and channel only, never
who asked; the newest 👎 follow with what was wrong and the comment.
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
from bot.telegram.handlers.teach import report_keyboard

STATS_LIMIT = 30
FEEDBACK_LIMIT = 5
BUTTONS = 10  # 「设为别名」 / 「忽略」 for the most asked entries nobody dealt with yet
ACTION_NAMES = {"taught": "已设别名", "handed_off": "已转人工", "ignored": "已忽略"}


async def stats(update: Update, context: BotContext) -> None:
    """Show admins the questions not understood or disliked."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None
    thread_id = thread_of(update.effective_message)
    if user is None or not context.settings.is_admin(user.id):
        await send_html(context.bot, chat.id, html.escape(texts.ADMIN_ONLY), thread_id=thread_id)
        return
    if not is_staff_place(chat, context.settings.staff_chat):
        await send_html(
            context.bot, chat.id, html.escape(texts.ADMIN_PRIVATE_ONLY), thread_id=thread_id
        )
        return
    rows = await asyncio.to_thread(context.services.people.unanswered, STATS_LIMIT)
    feedback = await asyncio.to_thread(context.services.store.feedback_report, FEEDBACK_LIMIT)
    if not rows:
        await send_html(
            context.bot, chat.id, html.escape(texts.NO_UNANSWERED), thread_id=thread_id
        )
        return
    lines = [f"<b>{html.escape(texts.UNANSWERED_TITLE)}</b>"]
    for row in rows:
        line = f"{row.count} 次（{row.last_asked:%m-%d %H:%M}）{row.text}"
        if len(row.channels) > 1 or set(row.channels) - {"telegram"}:
            line += "［" + "，".join(f"{c} {n}" for c, n in sorted(row.channels.items())) + "］"
        if row.action:
            line += f" → {ACTION_NAMES.get(row.action, row.action)} {row.detail}".rstrip()
        lines.append(html.escape(line))
    if feedback:
        lines += ["", f"<b>{html.escape(texts.FEEDBACK_TITLE)}</b>"]
        lines += [
            html.escape(
                f"👎 {f.question} — {f.detail or '?'}" + (f"：{f.comment}" if f.comment else "")
            )
            for f in feedback
        ]
    keyboard = report_keyboard([(r.text, r.last_id) for r in rows if not r.action][:BUTTONS])
    await send_html(context.bot, chat.id, "\n".join(lines), keyboard, thread_id=thread_id)


def is_staff_place(chat: Chat, staff_chat: int | None = None) -> bool:
    """Where staff reports may be shown: a private chat with the admin, or the staff group."""
    return chat.type == ChatType.PRIVATE or (staff_chat is not None and chat.id == staff_chat)


def register(application: Application[Any, BotContext, Any, Any, Any, Any]) -> None:
    """Add /stats."""
    application.add_handler(CommandHandler("stats", stats, filters=NEW_MESSAGE))
