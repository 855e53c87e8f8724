"""Inline keyboards and the callback data they carry.

Callback data comes back from Telegram untrusted: :func:`parse_callback` validates its length and
characters before anything looks at it.  The bot's own buttons use the ``bot:`` prefix; any other
valid data is an engine :class:`~nlp.reply.Choice` payload for ``Engine.choose``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram import texts
from nlp.reply import Choice

logger = logging.getLogger(__name__)

MAX_CALLBACK_BYTES = 64
MAX_EXAMPLES = 6
FEEDBACK_UP, FEEDBACK_DOWN, EXAMPLE = "bot:fb+:", "bot:fb-:", "bot:ex:"
_FEEDBACK_KEY_RE = re.compile(r"[0-9a-f]{8}")
_EXAMPLE_INDEX_RE = re.compile(r"[0-9]{1,2}")  # ASCII: str.isdigit also takes "²" and "٣"


@dataclass(frozen=True)
class Callback:
    """A parsed button press: ``kind`` is "choice", "feedback_up", "feedback_down" or "example"."""

    kind: str
    value: str


def is_valid_callback_data(data: object) -> bool:
    """Whether ``data`` is something our buttons could have sent (≤ 64 bytes, printable).

    >>> [is_valid_callback_data(d) for d in ("bot:ex:1", "x\\n", "", "焊" * 22)]
    [True, False, False, False]
    """
    if not isinstance(data, str) or not data:
        return False
    if len(data.encode("utf-8", "surrogatepass")) > MAX_CALLBACK_BYTES:
        return False
    return data.isprintable() and not any(c in data for c in "\u2028\u2029\ufeff")


def parse_callback(data: object) -> Callback | None:
    """Parse untrusted callback data; ``None`` when it cannot be ours."""
    if not is_valid_callback_data(data):
        return None
    assert isinstance(data, str)
    if data.startswith((FEEDBACK_UP, FEEDBACK_DOWN)):
        key = data[len(FEEDBACK_UP) :]
        if not _FEEDBACK_KEY_RE.fullmatch(key):
            return None
        return Callback("feedback_up" if data.startswith(FEEDBACK_UP) else "feedback_down", key)
    if data.startswith(EXAMPLE):
        index = data[len(EXAMPLE) :]
        return Callback("example", index) if _EXAMPLE_INDEX_RE.fullmatch(index) else None
    if data.startswith("bot:"):
        return None
    return Callback("choice", data)


def choice_rows(choices: Sequence[Choice]) -> list[list[InlineKeyboardButton]]:
    """Buttons for the engine's choices: two per row when the labels are short."""
    buttons = []
    for choice in choices:
        if not is_valid_callback_data(choice.payload) or choice.payload.startswith("bot:"):
            logger.warning("skipping a choice whose payload cannot be callback data")
            continue
        buttons.append(InlineKeyboardButton(choice.label[:60], callback_data=choice.payload))
    per_row = 2 if all(len(b.text) <= 8 for b in buttons) else 1
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def feedback_row(key: str) -> list[InlineKeyboardButton]:
    """👍/👎 under an answer; ``key`` finds the question again (8 hex digits)."""
    return [
        InlineKeyboardButton(texts.FEEDBACK_UP_BUTTON, callback_data=FEEDBACK_UP + key),
        InlineKeyboardButton(texts.FEEDBACK_DOWN_BUTTON, callback_data=FEEDBACK_DOWN + key),
    ]


def reply_markup(
    choices: Sequence[Choice], feedback_key: str | None
) -> InlineKeyboardMarkup | None:
    """The keyboard under a reply: its choices, else feedback buttons, else none."""
    rows = choice_rows(choices)
    if not rows and feedback_key:
        rows = [feedback_row(feedback_key)]
    return InlineKeyboardMarkup(rows) if rows else None


def examples_keyboard(examples: Sequence[str]) -> InlineKeyboardMarkup | None:
    """One button per example question (the question itself is looked up by index)."""
    rows = [
        [InlineKeyboardButton(text[:60], callback_data=f"{EXAMPLE}{i}")]
        for i, text in enumerate(examples[:MAX_EXAMPLES])
    ]
    return InlineKeyboardMarkup(rows) if rows else None
