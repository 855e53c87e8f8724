"""Whose conversation a message continues, and what it answers: shared by the question, the
feedback and the hand-off handlers without their importing one another."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import filters

from bot.telegram import texts

BOT_STATE = "_bot"  # the bot's own part of a stored conversation (feedback keys, last turns)


def conversation_of(update: Update) -> tuple[int, int]:
    """Whose conversation ``update`` continues: (chat id, sender id).

    The sender is the person who wrote or pressed; a private chat's person is the chat itself.
    An anonymous admin or a channel posting in a group is its ``sender_chat`` (as the flood
    guard counts them).
    """
    chat, sender = update.effective_chat, update.effective_sender
    assert chat is not None
    return chat.id, sender.id if sender is not None else chat.id


class _RepliesToCommentPrompt(filters.MessageFilter):
    """A reply to the bot's 「可以再说一句哪里不对吗？」 prompt."""

    def filter(self, message: Message) -> bool:
        prompt = message.reply_to_message
        return (
            prompt is not None
            and prompt.from_user is not None
            and prompt.from_user.id == message.get_bot().id
            and prompt.text == texts.ASK_COMMENT
        )


REPLIES_TO_COMMENT_PROMPT = _RepliesToCommentPrompt(name="RepliesToCommentPrompt")
