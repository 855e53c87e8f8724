"""The answer as a structured object, rendered at the edge (plain text for the CLI, HTML for
Telegram).

Every user-visible answer is a :class:`Reply`: blocks of short Chinese lines, each block with the
source it cites (附件1, 通知第一条 …), optional choices (disambiguation / "which level?"
buttons) and
the follow-up context to keep for the chat.  Nothing here knows about Telegram; ``bot/`` turns
choices into inline keyboards and ``html()`` into a message.
"""

from __future__ import annotations

import html as _html
from dataclasses import dataclass, field
from typing import Any

from nlp.conversation import Conversation


@dataclass(frozen=True)
class Choice:
    """One button: ``label`` is shown; ``payload`` (≤ 64 bytes) goes back to ``Engine.choose``."""

    label: str
    payload: str


@dataclass
class Block:
    """One answered question: a headline (the figure first), how it was reached, and the source."""

    headline: str
    lines: list[str] = field(default_factory=list)
    source: str = ""
    amount: int | None = None  # the figure in yuan the headline gives, if it gives one


@dataclass
class Reply:
    """A whole reply to one message."""

    blocks: list[Block] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    understood: bool = True
    conversation: Conversation = field(default_factory=Conversation)

    @property
    def context(self) -> dict[str, Any]:
        """The conversation after this reply, serialised for storage."""
        return self.conversation.to_dict()

    def text(self, *, with_choices: bool = True) -> str:
        """Render as plain text (CLI, batch protocol, evaluation)."""
        parts = []
        for block in self.blocks:
            lines = [block.headline, *block.lines]
            if block.source:
                lines.append(f"来源：{block.source}")
            parts.append("\n".join(lines))
        if self.choices and with_choices:
            parts.append("可选：" + " / ".join(c.label for c in self.choices))
        return "\n\n".join(parts)

    def html(self) -> str:
        """Render as Telegram HTML; every piece of text is escaped."""
        esc = _html.escape
        parts = []
        for block in self.blocks:
            lines = [f"<b>{esc(block.headline)}</b>", *(esc(line) for line in block.lines)]
            if block.source:
                lines.append(f"<i>来源：{esc(block.source)}</i>")
            parts.append("\n".join(lines))
        return "\n\n".join(parts)

    @property
    def headline(self) -> str:
        """The first headline, for compact cards."""
        return self.blocks[0].headline if self.blocks else ""
