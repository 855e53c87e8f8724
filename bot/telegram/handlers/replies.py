"""Sending a reply: split into messages, keyboard under the last, plain text if HTML fails.

A reply never fails because of formatting: when Telegram answers "can't parse entities" the same
text goes again without markup.  A reply to a message in a forum topic goes to that topic, every
part of it (``thread_id``, see :func:`thread_of`).
"""

from __future__ import annotations

import html
import logging

from telegram import Bot, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.render import as_html
from bot.telegram import texts
from bot.telegram.formatting import html_to_plain, split_html, split_plain
from nlp.reply import Reply

logger = logging.getLogger(__name__)


def render(reply: Reply) -> str:
    """The reply as Telegram HTML, never empty."""
    body = as_html(reply)
    if html_to_plain(body).strip():
        return body
    return html.escape(texts.PICK_ONE if reply.choices else texts.EMPTY_REPLY)


def thread_of(message: Message | None) -> int | None:
    """The forum topic ``message`` is in (None outside topics, or for a reply chain)."""
    if message is None or not message.is_topic_message:
        return None
    return message.message_thread_id


def is_parse_error(error: BadRequest) -> bool:
    """Whether Telegram rejected the markup (not the request)."""
    return "can't parse entities" in error.message.lower()


def is_not_modified(error: BadRequest) -> bool:
    """Whether an edit changed nothing (harmless)."""
    return "message is not modified" in error.message.lower()


async def send_html(
    bot: Bot,
    chat_id: int,
    html_text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    reply_to: int | None = None,
    thread_id: int | None = None,
) -> Message | None:
    """Send ``html_text`` as one or more messages; the keyboard goes under the last one.

    The first part replies to ``reply_to``; every part goes to forum topic ``thread_id``."""
    parts = split_html(html_text)
    last = None
    for index, part in enumerate(parts):
        is_last = index == len(parts) - 1
        last = await _send_part(
            bot,
            chat_id,
            part,
            markup if is_last else None,
            reply_to if index == 0 else None,
            thread_id,
        )
    return last


async def _send_part(
    bot: Bot,
    chat_id: int,
    part: str,
    markup: InlineKeyboardMarkup | None,
    reply_to: int | None,
    thread_id: int | None,
) -> Message:
    reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
    try:
        return await bot.send_message(
            chat_id,
            part,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            reply_parameters=reply,
            message_thread_id=thread_id,
        )
    except BadRequest as error:
        if not is_parse_error(error):
            raise
        logger.warning("Telegram could not parse a reply's HTML (%s); sending plain text", error)
    plain = split_plain(html_to_plain(part))
    message = None
    for index, text in enumerate(plain):
        message = await bot.send_message(
            chat_id,
            text,
            parse_mode=None,
            reply_parameters=reply if index == 0 else None,
            reply_markup=markup if index == len(plain) - 1 else None,
            message_thread_id=thread_id,
        )
    assert message is not None
    return message


async def edit_html(
    message: Message,
    html_text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Replace ``message`` with ``html_text`` (overflow parts follow as new messages)."""
    parts = split_html(html_text) or [html_text]
    first_markup = markup if len(parts) == 1 else None
    try:
        await _edit_part(message, parts[0], first_markup)
    except BadRequest as error:
        if is_not_modified(error):
            return
        # Too old, deleted, inaccessible: answer below it instead.
        logger.info("could not edit message (%s); sending a new one", error)
        await send_html(
            message.get_bot(), message.chat_id, html_text, markup, thread_id=thread_of(message)
        )
        return
    if len(parts) > 1:
        await send_html(
            message.get_bot(),
            message.chat_id,
            "\n".join(parts[1:]),
            markup,
            thread_id=thread_of(message),
        )


async def _edit_part(message: Message, part: str, markup: InlineKeyboardMarkup | None) -> None:
    try:
        await message.edit_text(part, parse_mode=ParseMode.HTML, reply_markup=markup)
        return
    except BadRequest as error:
        if not is_parse_error(error):
            raise
        logger.warning("Telegram could not parse an edit's HTML (%s); using plain text", error)
    await message.edit_text(
        split_plain(html_to_plain(part))[0], parse_mode=None, reply_markup=markup
    )
