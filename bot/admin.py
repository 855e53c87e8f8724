"""Admin views: the questions the bot could not answer or got 👎 for, with counts.

``skillbot report unanswered`` prints them; ``/stats`` shows them to the user ids in
``SKILLBOT_ADMINS``.  The log holds question text and time only, never who asked.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot import texts
from bot.context import BotContext
from bot.handlers.commands import NEW_MESSAGE
from bot.handlers.replies import send_html, thread_of
from bot.settings import Settings, SettingsError

STATS_LIMIT = 30


def report_lines(rows: Sequence[tuple[str, int, datetime]]) -> list[str]:
    """One line per question: count, last seen (UTC), text.

    >>> report_lines([("焊工补多少", 3, datetime(2024, 3, 1, 9, 30))])
    ['3\\t2024-03-01 09:30\\t焊工补多少']
    """
    return [f"{count}\t{seen:%Y-%m-%d %H:%M}\t{text}" for text, count, seen in rows]


def report_cli(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Print the unanswered-question report (``skillbot report unanswered``)."""
    from bot.store.state import Store

    out = out or sys.stdout
    try:
        settings = Settings.from_env(require_token=False)
    except SettingsError as error:
        print(f"skillbot report: {error}", file=sys.stderr)
        return 2
    store = Store(settings.database_url)
    try:
        rows = store.unanswered_report(limit=max(1, args.limit))
    finally:
        store.close()
    if not rows:
        print(texts.NO_UNANSWERED, file=out)
        return 0
    print("次数\t最近（UTC）\t问题", file=out)
    for line in report_lines(rows):
        print(line, file=out)
    return 0


async def stats(update: Update, context: BotContext) -> None:
    """Show admins the questions not understood or disliked."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None
    thread_id = thread_of(update.effective_message)
    if user is None or not context.settings.is_admin(user.id):
        await send_html(context.bot, chat.id, html.escape(texts.ADMIN_ONLY), thread_id=thread_id)
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


def register(application: Application[Any, BotContext, Any, Any, Any, Any]) -> None:
    """Add /stats."""
    application.add_handler(CommandHandler("stats", stats, filters=NEW_MESSAGE))
