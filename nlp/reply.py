"""The answer as a structured object: what the engine hands to a channel, which renders it
(:mod:`bot.render`: plain text for the console and JSON lines, HTML for Telegram).

Every user-visible answer is a :class:`Reply`: blocks of short Chinese lines, each block with the
source it cites (附件1, 通知第一条 …) and the figure it gives, optional choices (disambiguation /
"which level?" buttons) and the conversation after it.  Nothing here renders or knows a channel.
"""

from __future__ import annotations

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
    # What this reply answers (not what the conversation was about before it): the entry keys
    # and the intents, in the order asked — for a channel's share button and its logs.
    about: list[str] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)

    @property
    def context(self) -> dict[str, Any]:
        """The conversation after this reply, serialised for storage."""
        return self.conversation.to_dict()

    @property
    def headline(self) -> str:
        """The first headline, for compact cards."""
        return self.blocks[0].headline if self.blocks else ""
