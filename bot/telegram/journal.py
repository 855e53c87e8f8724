"""One INFO line per handled update: the kind of chat, the intent, understood or not, latency.

The update processor wraps each admitted update in :func:`handled` (``throttle``); handlers say
what the engine made of a message with :func:`note`.  The line never holds the message's text,
the token or who sent it: a command is logged by its name, a question by its intents.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from telegram import Update

from nlp.reply import Reply

logger = logging.getLogger("skillbot.updates")


@dataclass
class Outcome:
    """What handling one update came to."""

    intent: str = "-"
    understood: bool | None = None


_CURRENT: contextvars.ContextVar[Outcome | None] = contextvars.ContextVar(
    "skillbot_update_outcome", default=None
)


def note(reply: Reply) -> None:
    """Record what the engine made of the update being handled (no-op outside one)."""
    outcome = _CURRENT.get()
    if outcome is not None:
        outcome.intent = "+".join(reply.intents) or "-"
        outcome.understood = reply.understood


def note_intent(intent: str) -> None:
    """Record what the update asked when it was not a question (a button, a feedback)."""
    outcome = _CURRENT.get()
    if outcome is not None:
        outcome.intent = intent


def describe(update: Update) -> tuple[str, str]:
    """The kind of chat of ``update`` and its default intent: a command's name, "button",
    "inline", else "-" until a handler notes one.

    >>> from telegram import Chat, Message
    >>> from datetime import datetime
    >>> message = Message(1, datetime.now(), Chat(5, "private"), text="/calc 焊工 技师")
    >>> describe(Update(1, message=message))
    ('private', '/calc')
    """
    if update.inline_query is not None:
        return "inline", "inline"
    chat = update.effective_chat
    kind = str(chat.type) if chat is not None else "-"
    if update.callback_query is not None:
        return kind, "button"
    message = update.effective_message
    text = message.text if message is not None else None
    if text and text.startswith("/"):
        return kind, text.split(None, 1)[0].split("@", 1)[0][:32]
    return kind, "-"


async def handled(update: object, coroutine: Awaitable[Any]) -> None:
    """Run ``coroutine`` (the handling of ``update``) and log one line about it."""
    if not isinstance(update, Update):
        await coroutine
        return
    chat_kind, default_intent = describe(update)
    outcome = Outcome(intent=default_intent)
    token = _CURRENT.set(outcome)
    started = time.perf_counter()
    failed = False
    try:
        await coroutine
    except BaseException:
        failed = True
        raise
    finally:
        _CURRENT.reset(token)
        understood = {None: "-", True: "yes", False: "no"}[outcome.understood]
        logger.info(
            "update %s: chat=%s intent=%s understood=%s latency=%.0fms%s",
            update.update_id,
            chat_kind,
            outcome.intent,
            understood,
            (time.perf_counter() - started) * 1000,
            " failed" if failed else "",
        )
