"""Inline keyboards and the callback data they carry.

Every answer carries 👍/👎 (private chats) and 「分享」 (``switch_inline_query`` with the names
of the entries it answers); a 👎 is followed by 「哪里不对？」 and its choices.  Deep links
(``https://t.me/<bot>?start=<payload>``) are built here too.

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

from bot.telegram import people_texts, texts
from nlp.reply import Choice

logger = logging.getLogger(__name__)

MAX_CALLBACK_BYTES = 64
MAX_EXAMPLES = 6
MAX_SHARE_QUERY = 64
FEEDBACK_UP, FEEDBACK_DOWN, EXAMPLE = "bot:fb+:", "bot:fb-:", "bot:ex:"
WHY = "bot:why:"  # bot:why:<key>:<index of texts.WRONG_CHOICES>
HANDOFF = "bot:hu"  # 转人工 (bot.telegram.handlers.handoff)
_FEEDBACK_KEY_RE = re.compile(r"[0-9a-f]{8}")
_WHY_RE = re.compile(r"([0-9a-f]{8}):([0-9])")
# Telegram's start parameter: up to 64 of A-Z a-z 0-9 _ -.
_START_PARAMETER_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_EXAMPLE_INDEX_RE = re.compile(r"[0-9]{1,2}")  # ASCII: str.isdigit also takes "²" and "٣"


@dataclass(frozen=True)
class Callback:
    """A parsed button press: ``kind`` is "choice", "feedback_up", "feedback_down", "example"
    or "why" (``value`` then ``key:index``)."""

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
    if data.startswith(WHY):
        match = _WHY_RE.fullmatch(data[len(WHY) :])
        if not match or int(match.group(2)) >= len(texts.WRONG_CHOICES):
            return None
        return Callback("why", match.group(0))
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


def share_row(query: str) -> list[InlineKeyboardButton]:
    """「分享」: opens inline mode in a chat the user picks, with ``query`` typed in."""
    query = " ".join(query.split())[:MAX_SHARE_QUERY]
    return [InlineKeyboardButton(texts.SHARE_BUTTON, switch_inline_query=query)] if query else []


def reply_markup(
    choices: Sequence[Choice],
    feedback_key: str | None,
    share_query: str = "",
    *,
    handoff: bool = False,
) -> InlineKeyboardMarkup | None:
    """The keyboard under a reply: its choices, then 👍/👎, then 「分享」 (each when given);
    with ``handoff`` (the bot could not help) a 「转人工」 button last."""
    rows = choice_rows(choices)
    if feedback_key:
        rows.append(feedback_row(feedback_key))
    share = share_row(share_query)
    if share:
        rows.append(share)
    if handoff:
        rows.append([InlineKeyboardButton(people_texts.HANDOFF_BUTTON, callback_data=HANDOFF)])
    return InlineKeyboardMarkup(rows) if rows else None


def without_feedback(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """``markup`` once its 👍/👎 were pressed: the other rows (choices, 「分享」) stay."""
    if markup is None:
        return None
    rows = [
        row
        for row in markup.inline_keyboard
        if not any(
            isinstance(b.callback_data, str)
            and b.callback_data.startswith((FEEDBACK_UP, FEEDBACK_DOWN))
            for b in row
        )
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def what_was_wrong_keyboard(key: str) -> InlineKeyboardMarkup:
    """「哪里不对？」's choices, two a row."""
    buttons = [
        InlineKeyboardButton(label, callback_data=f"{WHY}{key}:{index}")
        for index, label in enumerate(texts.WRONG_CHOICES)
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def deep_link(username: str, payload: str) -> str | None:
    """``https://t.me/<bot>?start=<payload>``, or None when ``payload`` cannot be one.

    >>> deep_link("skillbot_test_bot", "6-18-02-04")
    'https://t.me/skillbot_test_bot?start=6-18-02-04'
    >>> deep_link("skillbot_test_bot", "焊工") is None
    True
    """
    if not username or not _START_PARAMETER_RE.fullmatch(payload):
        return None
    return f"https://t.me/{username}?start={payload}"


def open_in_bot(username: str, payload: str) -> InlineKeyboardMarkup | None:
    """The button under an inline card that opens the same answer in the bot."""
    url = deep_link(username, payload)
    if url is None:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(texts.INLINE_OPEN_ANSWER, url=url)]])


def examples_keyboard(
    examples: Sequence[str], limit: int = MAX_EXAMPLES
) -> InlineKeyboardMarkup | None:
    """One button per example question (the question itself is looked up by index)."""
    rows = [
        [InlineKeyboardButton(text[:60], callback_data=f"{EXAMPLE}{i}")]
        for i, text in enumerate(examples[: min(limit, MAX_EXAMPLES)])
    ]
    return InlineKeyboardMarkup(rows) if rows else None
