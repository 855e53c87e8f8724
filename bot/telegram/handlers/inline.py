"""Inline mode (``@bot 焊工 技师``): up to 10 compact result cards from the engine."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, InlineQueryHandler

from bot.telegram import texts
from bot.telegram.context import BotContext
from bot.telegram.formatting import split_html
from bot.telegram.handlers.replies import render

logger = logging.getLogger(__name__)

MAX_CARDS = 10
# Cards depend only on the query text, not on who asks: shared cache, kept short.
CACHE_SECONDS = 30


def _result_id(card_id: str) -> str:
    """Telegram result ids are at most 64 bytes."""
    if len(card_id.encode()) <= 64:
        return card_id
    return hashlib.sha256(card_id.encode()).hexdigest()[:64]


async def on_inline_query(update: Update, context: BotContext) -> None:
    """Answer an inline query with compact cards."""
    query = update.inline_query
    assert query is not None
    cards = context.services.engine.inline(query.query[:256], limit=MAX_CARDS)
    results = [
        InlineQueryResultArticle(
            id=_result_id(card.id),
            title=card.title[:100] or card.reply.headline[:100],
            description=card.description[:200],
            input_message_content=InputTextMessageContent(
                split_html(render(card.reply))[0], parse_mode=ParseMode.HTML
            ),
        )
        for card in cards[:MAX_CARDS]
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
