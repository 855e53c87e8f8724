"""Rendering a structured :class:`~nlp.reply.Reply` for a channel: plain text (console, JSON
lines, evaluation) and Telegram HTML, where every piece of text is escaped."""

from __future__ import annotations

import html

from nlp.reply import Reply


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
