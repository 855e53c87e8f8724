"""``skillbot report unanswered`` (bot.cli.report) on both databases."""

from __future__ import annotations

import argparse
import io

import pytest

from bot.cli.report import report_cli
from bot.store.state import Store


def test_report_unanswered_lists_questions_with_counts(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(database_url)
    for text, reason in [
        ("天气", "unanswered"),
        ("天气", "unanswered"),
        ("焊工补多少", "thumbs_down"),
    ]:
        store.log_question(text, reason)
    store.close()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    out = io.StringIO()
    assert report_cli(argparse.Namespace(what="unanswered", limit=10), out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == "次数\t渠道\t最近（UTC）\t处理\t问题"
    assert lines[1].startswith("2\ttelegram 2\t") and lines[1].endswith("\t—\t天气")
    assert lines[2].startswith("1\t") and lines[2].endswith("\t焊工补多少")
