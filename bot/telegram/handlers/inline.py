"""Inline mode (``@bot 焊工 技师``): up to 10 compact result cards from the engine.

An empty query offers the example questions as cards; a card for an entry shows the figures
for every level.  Each understood card carries a deep link back to the bot that opens the same
answer: the entry's code (``start=6-18-02-04``, ``start=JCDI``), else the short id of the
question (``start=s_…``, kept by ``Store.share_question``).  Cards depend on the query alone,
never on who asks, so Telegram caches them for everyone (``cache_time``, not personal).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

from telegram import (
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, InlineQueryHandler

from bot.store.health import DATABASE_ERRORS
from bot.telegram import journal, texts
from bot.telegram.context import BotContext
from bot.telegram.formatting import split_html
from bot.telegram.handlers.replies import render
from bot.telegram.keyboards import open_in_bot
from nlp.engine import Card

logger = logging.getLogger(__name__)

MAX_CARDS = 10
MAX_QUERY_CHARS = 256
# Cards depend only on the query text and the loaded notice, not on who asks.
CACHE_SECONDS = 300


def _result_id(card_id: str) -> str:
    """Telegram result ids are at most 64 bytes."""
    if len(card_id.encode()) <= 64:
        return card_id
    return hashlib.sha256(card_id.encode()).hexdigest()[:64]


async def _link_back(
    context: BotContext, card: Card, question: str
) -> InlineKeyboardMarkup | None:
    """The 「在机器人中打开」 button of a card: by the entry's code when the card is what the
    code opens (the entry's figures), else by the question's short id."""
    reply = card.reply
    if not reply.understood or not context.bot.username:
        return None
    code = None
    if len(reply.about) == 1 and set(reply.intents) <= {"subsidy"}:
        code = context.services.engine.link_code(reply.about[0])
    if code is None:
        try:
            code = await asyncio.to_thread(context.services.store.share_question, question)
        except DATABASE_ERRORS:  # the database is down: a card without the link back
            return None
    return open_in_bot(context.bot.username, code)


async def on_inline_query(update: Update, context: BotContext) -> None:
    """Answer an inline query with compact cards (the examples for an empty query)."""
    query = update.inline_query
    assert query is not None
    text = query.query[:MAX_QUERY_CHARS]
    cards = context.services.engine.inline(text, limit=MAX_CARDS)[:MAX_CARDS]
    journal.note_intent("inline_examples" if not text.strip() else "inline")
    results = [
        InlineQueryResultArticle(
            id=_result_id(card.id),
            title=card.title[:100] or card.reply.headline[:100],
            description=card.description[:200],
            input_message_content=InputTextMessageContent(
                split_html(render(card.reply))[0], parse_mode=ParseMode.HTML
            ),
            reply_markup=await _link_back(context, card, text.strip() or card.title),
        )
        for card in cards
    ]
    try:
        await query.answer(
            results,
            cache_time=CACHE_SECONDS,
            is_personal=False,
            button=InlineQueryResultsButton(texts.INLINE_OPEN_BOT, start_parameter="inline"),
        )
    except BadRequest as error:
        # The user typed on: an old query id is expected, not an error.
        if (
            "query is too old" not in error.message.lower()
            and "query id is invalid" not in error.message.lower()
        ):
            raise
        logger.debug("inline query expired: %s", error)


def register(application: Application[Any, BotContext, Any, Any, Any, Any]) -> None:
    """Handle inline queries."""
    application.add_handler(InlineQueryHandler(on_inline_query))
