"""Splitting Telegram HTML, the plain-text fallback and the token log filter."""

from __future__ import annotations

import html
import io
import logging

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.telegram.formatting import (
    MAX_MESSAGE_UTF16,
    TokenRedactingFilter,
    html_to_plain,
    split_html,
    split_plain,
    utf16_len,
)
from bot.telegram.handlers.replies import render
from nlp.engine import get_engine
from nlp.reply import Block, Reply
from tests.support.fake_telegram import telegram_html_error

TOKEN = "123456789:AAHsecretsecretsecretsecretsecret12"


def _plain_of(parts: list[str]) -> str:
    return "".join(html_to_plain(p) for p in parts)


def test_short_text_is_one_part() -> None:
    assert split_html("<b>焊工</b>\n3850 元") == ["<b>焊工</b>\n3850 元"]


def test_cuts_prefer_paragraphs_and_reopen_tags() -> None:
    text = "<b>" + "甲" * 30 + "\n\n" + "乙" * 30 + "</b>"
    parts = split_html(text, limit=50)
    assert parts == ["<b>" + "甲" * 30 + "</b>", "<b>" + "乙" * 30 + "</b>"]


def test_never_cuts_inside_an_entity_or_a_surrogate_pair() -> None:
    text = "&amp;😀" * 50
    for limit in range(12, 40):
        parts = split_html(text, limit=limit)
        assert all(telegram_html_error(p) is None and utf16_len(p) <= limit for p in parts)
        assert _plain_of(parts) == html.unescape(text)


def test_plain_split_counts_utf16() -> None:
    parts = split_plain("😀" * 3000)
    assert [utf16_len(p) for p in parts] == [4096, 1904]


def test_html_to_plain() -> None:
    assert html_to_plain("<b>a &lt;b&gt;</b> &amp; <i>c</i>") == "a <b> & c"


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(question=_TEXT, extra=st.lists(_TEXT, max_size=40), limit=st.integers(40, 4096))
def test_every_rendered_reply_is_valid_telegram_html_within_the_limit(
    question: str, extra: list[str], limit: int
) -> None:
    """Any text through the engine, plus arbitrary blocks, splits into valid messages."""
    reply = get_engine().answer(question)
    reply.blocks.append(Block(question * 3, extra, source=question))
    body = render(reply)
    parts = split_html(body, limit=limit)
    assert parts
    for part in parts:
        assert telegram_html_error(part) is None, part
        assert utf16_len(part) <= limit
    # Nothing is lost but whitespace at the cuts.
    assert "".join(_plain_of(parts).split()) == "".join(html_to_plain(body).split())


@settings(max_examples=100, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=60))
def test_long_replies_split_below_4096(lines: list[str]) -> None:
    body = render(Reply([Block(lines[0] * 40, [line * 20 for line in lines[1:]], "附件1")]))
    parts = split_html(body)
    assert all(utf16_len(p) <= MAX_MESSAGE_UTF16 and telegram_html_error(p) is None for p in parts)


def test_token_filter_redacts_messages_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(TokenRedactingFilter([TOKEN]))
    logger = logging.getLogger("test.token")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("POST https://api.telegram.org/bot%s/getMe", TOKEN)
        try:
            raise RuntimeError(f"failed https://api.telegram.org/bot{TOKEN}/sendMessage")
        except RuntimeError:
            logger.exception("request failed")
        logger.info("secret half alone: %s", TOKEN.split(":")[1])
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "getMe" in out and "RuntimeError" in out
    assert TOKEN.split(":")[1] not in out
