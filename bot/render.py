"""Rendering a structured :class:`~nlp.reply.Reply` for a channel: plain text (console, JSON
lines, evaluation) and Telegram HTML, where every piece of text is escaped; and a notice's
delivery counts, the same words on the command line and in the admin's Telegram message."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from nlp.reply import Reply

if TYPE_CHECKING:
    from bot.store.state import NoticeStatus


def as_text(reply: Reply, *, with_choices: bool = True) -> str:
    """Plain text: each block's headline, lines and source, then the choices."""
    parts = []
    for block in reply.blocks:
        lines = [block.headline, *block.lines]
        if block.source:
            lines.append(f"来源：{block.source}")
        parts.append("\n".join(lines))
    if reply.choices and with_choices:
        parts.append("可选：" + " / ".join(c.label for c in reply.choices))
    return "\n\n".join(parts)


def as_html(reply: Reply) -> str:
    """Telegram HTML: the headline bold, the source italic, everything escaped.

    >>> from nlp.reply import Block
    >>> as_html(Reply([Block("<b>", ["a&b"], "附件1")]))
    '<b>&lt;b&gt;</b>\\na&amp;b\\n<i>来源：附件1</i>'
    """
    esc = html.escape
    parts = []
    for block in reply.blocks:
        lines = [f"<b>{esc(block.headline)}</b>", *(esc(line) for line in block.lines)]
        if block.source:
            lines.append(f"<i>来源：{esc(block.source)}</i>")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def notice_counts(status: NoticeStatus) -> str:
    """A notice's delivery counts: 已送达 N / 失败 M / 等待 K (of the total, with the rows
    merged by a group's move or cancelled by an unsubscribe when there are any)."""
    line = (
        f"已送达 {status.delivered} / 失败 {status.failed} / 等待 {status.pending}"
        f"（共 {status.total}"
    )
    if status.merged:
        line += f"，群升级合并 {status.merged}"
    if status.cancelled:
        line += f"，已退订取消 {status.cancelled}"
    return line + "）"
