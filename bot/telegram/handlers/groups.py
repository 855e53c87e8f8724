"""Groups: answer only what is addressed to the bot (@mention, a reply to it, a command).

Commands are answered by their own handlers everywhere.  A group upgraded to a supergroup keeps
its stored conversations and subscription under the new id: ``notices.follow_migration``, the
one migration handler, moves them.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import Application, MessageHandler, filters

from bot.telegram.context import BotContext
from bot.telegram.handlers.chat import answer_text

logger = logging.getLogger(__name__)


def addresses_bot(message: Message) -> bool:
    """Whether a group message is meant for the bot: a mention, a reply to it, or a command."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    bot = message.get_bot()
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and reply.from_user.id == bot.id:
        return True
    username = (bot.username or "").lower()
    for entity, text in message.parse_entities().items():
        if entity.type == MessageEntity.MENTION and text[1:].lower() == username:
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot.id:
            return True
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            target = text.partition("@")[2].lower()
            return not target or target == username
    return False


class _AddressedToBot(filters.MessageFilter):
    """Group messages meant for the bot."""

    def filter(self, message: Message) -> bool:
        return addresses_bot(message)


ADDRESSED_TO_BOT = _AddressedToBot(name="AddressedToBot")


def without_mention(message: Message) -> str:
    """The message text with the bot's @username removed."""
    username = message.get_bot().username or ""
    text = message.text or ""
    if username:
        text = re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.IGNORECASE)
    return " ".join(text.split())


async def on_group_question(update: Update, context: BotContext) -> None:
    """Answer a group message addressed to the bot."""
    message = update.message
    assert message is not None
    text = without_mention(message)
    if text:
        await answer_text(update, context, text)


def register(application: Application[Any, BotContext, Any, Any, Any, Any]) -> None:
    """Answer addressed group messages; stay silent otherwise."""
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE
            & filters.ChatType.GROUPS
            & filters.TEXT
            & ~filters.COMMAND
            & ADDRESSED_TO_BOT,
            on_group_question,
        )
    )
