"""Flood control, retry safety and untrusted callback data, as units."""

from __future__ import annotations

import httpx
import pytest
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.keyboards import Callback, parse_callback, reply_markup
from bot.throttle import FloodGuard, Verdict, safe_to_retry
from nlp.reply import Choice


def test_flood_guard_allows_twenty_in_ten_seconds_then_notifies_once() -> None:
    now = [0.0]
    guard = FloodGuard(clock=lambda: now[0])
    verdicts = []
    for _ in range(25):
        verdicts.append(guard.check(1))
        now[0] += 0.1
    assert verdicts[:20] == [Verdict.ALLOW] * 20
    assert verdicts[20:] == [Verdict.NOTIFY] + [Verdict.DROP] * 4
    assert guard.check(2) is Verdict.ALLOW  # nobody else is affected
    now[0] += 10.5
    assert guard.check(1) is Verdict.ALLOW


def _error_caused_by(error: NetworkError, cause: BaseException) -> NetworkError:
    error.__cause__ = cause
    return error


def test_safe_to_retry() -> None:
    never_sent = _error_caused_by(TimedOut(), httpx.ConnectTimeout("x"))
    unknown = _error_caused_by(TimedOut(), httpx.ReadTimeout("x"))
    assert safe_to_retry("sendMessage", never_sent)
    assert not safe_to_retry("sendMessage", unknown)
    assert not safe_to_retry("sendMessage", NetworkError("Bad Gateway"))
    assert safe_to_retry("editMessageText", unknown)
    assert safe_to_retry("answerCallbackQuery", NetworkError("Bad Gateway"))
    assert not safe_to_retry("editMessageText", BadRequest("Message to edit not found"))
    assert not safe_to_retry("getUpdates", never_sent)


@pytest.mark.parametrize("data", [None, "", "x" * 65, "焊" * 22, "a\nb", "a\x00", "bot:fb+:XYZ",
                                  "bot:ex:abc", "bot:other", 42])
def test_invalid_callback_data_is_refused(data: object) -> None:
    assert parse_callback(data) is None


def test_callback_data_kinds() -> None:
    assert parse_callback("pick:q154") == Callback("choice", "pick:q154")
    assert parse_callback("bot:ex:3") == Callback("example", "3")
    assert parse_callback("bot:fb-:0123abcd") == Callback("feedback_down", "0123abcd")


def test_keyboard_skips_payloads_that_cannot_be_callback_data() -> None:
    markup = reply_markup([Choice("好", "pick:q1"), Choice("太长", "p" * 65)], None)
    assert markup is not None
    assert [b.callback_data for row in markup.inline_keyboard for b in row] == ["pick:q1"]
    assert reply_markup([], "0123abcd") is not None and reply_markup([], None) is None
