"""``skillbot report unanswered``: the questions the bot could not answer or got 👎 for, with
counts, most frequent first (for adding aliases).  The log holds question text and time only,
never who asked; ``/stats`` shows the same to the admins in Telegram."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TextIO

from bot.settings import Settings, SettingsError


def report_lines(rows: Sequence[tuple[str, int, datetime]]) -> list[str]:
    """One line per question: count, last seen (UTC), text.

    >>> report_lines([("焊工补多少", 3, datetime(2024, 3, 1, 9, 30))])
    ['3\\t2024-03-01 09:30\\t焊工补多少']
    """
    return [f"{count}\t{seen:%Y-%m-%d %H:%M}\t{text}" for text, count, seen in rows]


def report_cli(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Print the unanswered-question report (``skillbot report unanswered``)."""
    from bot.store.state import Store

    out = out or sys.stdout
    try:
        settings = Settings.from_env(require_token=False)
    except SettingsError as error:
        print(f"skillbot report: {error}", file=sys.stderr)
        return 2
    store = Store(settings.database_url)
    try:
        rows = store.unanswered_report(limit=max(1, args.limit))
    finally:
        store.close()
    if not rows:
        print("暂无未能回答或被点踩的问题。", file=out)
        return 0
    print("次数\t最近（UTC）\t问题", file=out)
    for line in report_lines(rows):
        print(line, file=out)
    return 0
