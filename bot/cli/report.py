"""``skillbot report unanswered``: the questions the bot could not answer or got 👎 for, with
counts by channel (Telegram, the command line, the lookup page) and what staff did about each
(taught a name, handed off, ignored), most frequent first; then what the newest 👎 told: the
answer that was given, what was wrong (哪里不对？) and the comment.  The log holds question text,
time and channel only, never who asked; ``/stats`` shows the same to the admins in Telegram."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from bot.cli.environment import settings_for
from bot.store.people import MissedQuestion

ACTION_NAMES = {"taught": "已设别名", "handed_off": "已转人工", "ignored": "已忽略"}

if TYPE_CHECKING:
    from bot.store.state import Feedback

FEEDBACK_SHOWN = 20
ANSWER_SHOWN = 80


def report_lines(rows: Sequence[MissedQuestion]) -> list[str]:
    """One line per question: count, where it was asked, last seen (UTC), what staff did, text.

    >>> from datetime import datetime
    >>> from bot.store.people import MissedQuestion
    >>> report_lines([MissedQuestion("铁裁缝补多少", 3, datetime(2024, 3, 1, 9, 30),
    ...     {"telegram": 2, "web": 1}, "taught", "铁裁缝 → 焊工")])
    ['3\\ttelegram 2，web 1\\t2024-03-01 09:30\\t已设别名 铁裁缝 → 焊工\\t铁裁缝补多少']
    """
    lines = []
    for row in rows:
        channels = "，".join(f"{c} {n}" for c, n in sorted(row.channels.items()))
        done = f"{ACTION_NAMES.get(row.action, row.action)} {row.detail}".strip() or "—"
        lines.append(
            f"{row.count}\t{channels}\t{row.last_asked:%Y-%m-%d %H:%M}\t{done}\t{row.text}"
        )
    return lines


def feedback_lines(entries: Sequence[Feedback]) -> list[str]:
    """One line per 👎 that said more: time (UTC), question, what was wrong, comment, answer.

    >>> from datetime import datetime
    >>> from bot.store.state import Feedback
    >>> entry = Feedback("焊工技师", "3850 元/人\\n…", "数字不对", "", datetime(2024, 3, 1))
    >>> feedback_lines([entry])
    ['2024-03-01 00:00\\t焊工技师\\t数字不对\\t-\\t3850 元/人 …']
    """
    lines = []
    for entry in entries:
        answer = " ".join(entry.answer.split())
        if len(answer) > ANSWER_SHOWN:
            answer = answer[: ANSWER_SHOWN - 1] + "…"
        fields = (entry.question, entry.detail or "-", entry.comment or "-", answer or "-")
        lines.append(f"{entry.asked_at:%Y-%m-%d %H:%M}\t" + "\t".join(fields))
    return lines


def report_cli(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Print the unanswered-question report (``skillbot report unanswered``)."""
    from bot.store.people import People
    from bot.store.state import Store

    out = out or sys.stdout
    settings = settings_for("report")
    if settings is None:
        return 2
    store = Store(settings.database_url)
    try:
        rows = People(store).unanswered(limit=max(1, args.limit))
        feedback = store.feedback_report(limit=FEEDBACK_SHOWN)
    finally:
        store.close()
    if not rows:
        print("暂无未能回答或被点踩的问题。", file=out)
        return 0
    print("次数\t渠道\t最近（UTC）\t处理\t问题", file=out)
    for line in report_lines(rows):
        print(line, file=out)
    if feedback:
        print("\n点踩反馈（最近）\n时间（UTC）\t问题\t哪里不对\t说明\t给出的回答", file=out)
        for line in feedback_lines(feedback):
            print(line, file=out)
    return 0
