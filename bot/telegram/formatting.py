"""Telegram text at the edge: splitting HTML into messages, plain-text fallback, token redaction.

Telegram counts a message's length in UTF-16 code units after entity parsing (at most 4096).
:func:`split_html` counts the *markup too*, so every part is within the limit however Telegram
counts it; parts are cut at a paragraph, a line, a sentence or a space when one is near, never
inside a tag or an entity, and the tags open at a cut are closed and reopened in the next part.
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from collections.abc import Iterable

MAX_MESSAGE_UTF16 = 4096
# A notice longer than this many messages is a document, not a notice: refused.
MAX_NOTICE_MESSAGES = 3


class NoticeTextError(ValueError):
    """A notice text that must not be sent (empty, invisible, too long); the message says why."""


_TOKEN_RE = re.compile(
    r"<[^<>]*>|&(?:[a-zA-Z]{2,8}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});|.", re.DOTALL
)
_TAG_NAME_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)")
# Where a cut reads well, best first: between paragraphs, between lines, after a sentence/clause.
_PARAGRAPH, _LINE, _SOFT, _ANYWHERE = 3, 2, 1, 0
_SOFT_BREAKS = frozenset(" 。！？；，、,.;!?)）")


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (Telegram's unit).

    >>> utf16_len("焊工😀")
    4
    """
    return len(text.encode("utf-16-le")) // 2


def split_html(text: str, limit: int = MAX_MESSAGE_UTF16) -> list[str]:
    """Split Telegram HTML into parts of at most ``limit`` UTF-16 units, each valid on its own.

    >>> split_html("<b>ab cd</b>", limit=10)
    ['<b>ab</b>', '<b>cd</b>']
    """
    return _split(_TOKEN_RE.findall(text), limit, markup=True)


def split_plain(text: str, limit: int = MAX_MESSAGE_UTF16) -> list[str]:
    """Split plain text into parts of at most ``limit`` UTF-16 units."""
    return _split(list(text), limit, markup=False)


def notice_parts(text: str) -> list[str]:
    """A plain-text notice as Telegram HTML messages: split on its *text* length, as Telegram
    counts it after entity parsing (``&`` is one unit, not the five of ``&amp;``), then escaped.

    >>> [len(p) for p in notice_parts("&" * 5000)]
    [20480, 4520]
    """
    return [html.escape(part, quote=False) for part in split_plain(text.strip())]


def check_notice_text(text: str) -> str:
    """The notice text to queue (trimmed), or :class:`NoticeTextError` saying why not.

    >>> check_notice_text("  明早开班  ")
    '明早开班'
    >>> check_notice_text("\u200b\u200b")
    Traceback (most recent call last):
    ...
    bot.telegram.formatting.NoticeTextError: 通知内容为空或只有不可见字符
    """
    text = text.strip()
    if not any(_visible(ch) for ch in text):
        raise NoticeTextError("通知内容为空或只有不可见字符")
    units = utf16_len(text)
    messages = len(split_plain(text))
    if messages > MAX_NOTICE_MESSAGES:
        raise NoticeTextError(
            f"通知太长：{units} 个字符（按 Telegram 的计法），要分成 {messages} 条消息；"
            f"最多 {MAX_NOTICE_MESSAGES} 条（约 {MAX_NOTICE_MESSAGES * MAX_MESSAGE_UTF16} 字符）。"
            "请精简，或发链接"
        )
    return text


def _visible(char: str) -> bool:
    """Whether a character shows (not a space, a control, a format or zero-width character)."""
    return not char.isspace() and unicodedata.category(char) not in ("Cc", "Cf", "Zs", "Zl", "Zp")


def html_to_plain(text: str) -> str:
    """Drop the tags of Telegram HTML and unescape its entities.

    >>> html_to_plain("<b>焊工</b> &lt;3&gt; &amp;")
    '焊工 <3> &'
    """
    return html.unescape(re.sub(r"<[^<>]*>", "", text))


def _split(tokens: list[str], limit: int, *, markup: bool) -> list[str]:
    parts: list[str] = []
    stack: tuple[tuple[str, str], ...] = ()  # (tag name, opening tag) open at the cut
    pos, count = 0, len(tokens)
    while pos < count:
        while pos < count and tokens[pos].isspace():  # no part starts with blank lines
            pos += 1
        if pos == count:
            break
        opening = "".join(tag for _, tag in stack)
        size = utf16_len(opening)
        open_now = stack
        cuts: dict[int, tuple[int, tuple[tuple[str, str], ...]]] = {}
        i = pos
        while i < count:
            token = tokens[i]
            after = _apply(open_now, token) if markup else open_now
            closing = sum(len(name) + 3 for name, _ in after)
            if size + utf16_len(token) + closing > limit and i > pos:
                break
            size += utf16_len(token)
            open_now = after
            i += 1
            if len(token) == 1:
                if token == "\n":
                    level = _PARAGRAPH if i >= 2 and tokens[i - 2] == "\n" else _LINE
                    cuts[level] = (i, open_now)
                elif token in _SOFT_BREAKS:
                    cuts[_SOFT] = (i, open_now)
            cuts[_ANYWHERE] = (i, open_now)
        if i < count:
            taken = i - pos
            level = next(
                lv
                for lv in (_PARAGRAPH, _LINE, _SOFT, _ANYWHERE)
                if lv in cuts and (lv == _ANYWHERE or cuts[lv][0] - pos >= taken // 2)
            )
            i, open_now = cuts[level]
        body = "".join(tokens[pos:i])
        closing_tags = "".join(f"</{name}>" for name, _ in reversed(open_now))
        part = (opening + body).rstrip() + closing_tags if markup else body.rstrip()
        if (html_to_plain(part) if markup else part).strip():
            parts.append(part)
        stack, pos = open_now, i
    return parts


def _apply(stack: tuple[tuple[str, str], ...], token: str) -> tuple[tuple[str, str], ...]:
    """The open-tag stack after ``token``."""
    match = _TAG_NAME_RE.match(token) if token.startswith("<") else None
    if not match:
        return stack
    closing, name = match.group(1), match.group(2).lower()
    if not closing:
        return (*stack, (name, token))
    for depth in range(len(stack) - 1, -1, -1):
        if stack[depth][0] == name:
            return stack[:depth] + stack[depth + 1 :]
    return stack


class TokenRedactingFilter(logging.Filter):
    """Replace secrets (the bot token) in log records, their arguments and their tracebacks."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # The token's secret half alone also identifies the bot: redact it too.
        parts = {s for s in secrets if s} | {s.split(":", 1)[1] for s in secrets if ":" in s}
        self._secrets = sorted((p for p in parts if len(p) >= 8), key=len, reverse=True)

    def redact(self, text: str) -> str:
        """Return ``text`` with every secret replaced."""
        for secret in self._secrets:
            text = text.replace(secret, "<TOKEN>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the record's message and traceback now, redacted."""
        if not self._secrets:
            return True
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install_token_filter(token: str, *extra_secrets: str) -> TokenRedactingFilter:
    """Attach a :class:`TokenRedactingFilter` to every handler of the root logger."""
    token_filter = TokenRedactingFilter([token, *extra_secrets])
    for handler in logging.getLogger().handlers:
        handler.addFilter(token_filter)
    return token_filter
