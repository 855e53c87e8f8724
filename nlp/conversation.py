"""The dialogue state of one conversation: what it is about, carried from message to message.

One typed object per conversation (one per person in a group).  It is serialised at the edge
(:meth:`Conversation.to_dict` / :meth:`Conversation.from_dict`) for the bot's database, and
whatever comes back from storage is treated as untrusted: unknown or malformed fields are dropped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

LEVEL_KEYS = ("L1", "L2", "L3", "L4", "L5", "PASS")
MAX_SUBJECTS = 5
MAX_CHOICES = 8
MAX_LISTED = 30


@dataclass
class Conversation:
    """What the conversation is about after the last answer."""

    subjects: list[str] = field(default_factory=list)  # entry keys answered last (焊工, 车工)
    topics: list[str] = field(default_factory=list)  # what was asked of them (subsidy, code …)
    level: str | None = None  # the level asked about (技师 → L2)
    policy: list[str] = field(default_factory=list)  # a policy topic asked without an entry
    taken: list[str] = field(default_factory=list)  # entrepreneurship programmes, in order taken
    local_city: str | None = None  # 附件5: the city of a local programme code
    choices: list[str] = field(default_factory=list)  # entries offered to choose from
    choice_term: str = ""  # the name that was ambiguous (钳工)
    pending_topics: list[str] = field(default_factory=list)  # the question waiting for a choice
    pending_level: str | None = None
    listed: list[str] = field(default_factory=list)  # entries of the last list (上面第三个)
    mentioned: list[str] = field(default_factory=list)  # entries named so far, oldest first
    list_part: int | None = None  # the attachment last counted in (附件3第104项 → 第105呢)
    year: str | None = None  # the policy year the conversation is about, if not the newest

    def to_dict(self) -> dict[str, Any]:
        """The JSON-serialisable form kept in the database (empty fields left out)."""
        return {k: v for k, v in asdict(self).items() if v not in (None, "", [])}

    @classmethod
    def from_dict(
        cls, data: object, *, topics: tuple[str, ...] = (), policy: tuple[str, ...] = ()
    ) -> Conversation:
        """Rebuild from storage; anything malformed is dropped, never trusted.

        ``topics``/``policy`` are the intent names allowed in those fields (empty: any word).
        Dicts written before this class existed (``targets``, ``intents``, ``pending`` …) are
        read too.
        """
        if isinstance(data, Conversation):
            return replace(data)
        if not isinstance(data, dict):
            return cls()
        legacy = {
            "targets": "subjects",
            "intents": "topics",
            "local": "local_city",
            "term": "choice_term",
        }
        raw = {legacy.get(k, k): v for k, v in data.items()}
        pending = raw.get("pending")
        if isinstance(pending, dict):
            raw.setdefault("pending_topics", pending.get("intents"))
            raw.setdefault("pending_level", pending.get("level"))
        conv = cls()
        conv.subjects = _keys(raw.get("subjects"), MAX_SUBJECTS)
        conv.topics = _words(raw.get("topics"), topics)
        conv.level = _level(raw.get("level"))
        conv.policy = _words(raw.get("policy"), policy)[:5]
        conv.taken = _keys(raw.get("taken"), 6)
        conv.local_city = _short(raw.get("local_city"), 8)
        conv.choices = _keys(raw.get("choices"), MAX_CHOICES)
        conv.choice_term = (_short(raw.get("choice_term"), 40) or "") if conv.choices else ""
        conv.pending_topics = _words(raw.get("pending_topics"), topics)
        conv.pending_level = _level(raw.get("pending_level"))
        conv.listed = _keys(raw.get("listed"), MAX_LISTED)
        conv.mentioned = _keys(raw.get("mentioned"), MAX_SUBJECTS)
        part = raw.get("list_part")
        conv.list_part = part if isinstance(part, int) and part in (2, 3) else None
        year = raw.get("year")
        conv.year = year if isinstance(year, str) and year.isdigit() and len(year) == 4 else None
        return conv

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The names of the stored fields."""
        return tuple(f.name for f in fields(cls))


def _keys(value: object, limit: int) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str) and 0 < len(v) <= 40][:limit]


def _words(value: object, allowed: tuple[str, ...]) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str) and (not allowed or v in allowed)][:8]


def _level(value: object) -> str | None:
    return value if isinstance(value, str) and value in LEVEL_KEYS else None


def _short(value: object, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None
