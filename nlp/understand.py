"""One message understood: its entities (:mod:`nlp.extract`) and intents (:mod:`nlp.classify`)
as a :class:`Query`, before the conversation is applied (:mod:`nlp.track`)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from knowledge.catalogue import Knowledge
from nlp.classify import classify
from nlp.extract import Entities, extract
from nlp.lexicon import Lexicon
from nlp.terms import TermIndex

# Intents that are about one target (an occupation, a special ability, a programme …).
TARGET_INTENTS = ("subsidy", "hours", "online", "code", "shortage", "transition")


@dataclass
class Query(Entities):
    """What one message asks: its entities, its intents and the level it is about."""

    intents: list[str] = field(default_factory=list)
    level: str | None = None
    follow_up: bool = False  # the subject comes from the conversation
    taken: list[str] = field(default_factory=list)  # programmes attended, in order (context)

    @property
    def text_rest(self) -> str:
        """What is left of the text once entities and intent words are blanked."""
        return self.residue

    def all_levels(self) -> list[str]:
        """Every level written in the message, in order (or the one given by a button)."""
        written = list(dict.fromkeys(level for _, level in sorted(self.level_marks)))
        return written or ([self.level] if self.level else [])

    def levels_for(self, key: str) -> list[str]:
        """The levels asked about for one target, in the order they were written.

        One level for the whole message applies to every target; with several targets and
        several levels, each target takes the levels written after it and before the next one
        (焊工高级，车工技师).
        """
        marks = sorted(self.level_marks)
        levels = list(dict.fromkeys(level for _, level in marks))
        if not levels:
            return [self.level] if self.level else []
        if len(self.targets) <= 1 or len(levels) == 1:
            return levels
        if key not in self.target_pos:
            return levels[:1]
        start = self.target_pos[key]
        later = [p for k, p in self.target_pos.items() if k in self.targets and p > start]
        end = min(later, default=len(self.text) + 1)
        return list(dict.fromkeys(level for p, level in marks if start <= p < end))


def parse(text: str, knowledge: Knowledge, lexicon: Lexicon, index: TermIndex) -> Query:
    """Extract and classify normalised ``text`` (the conversation is applied later)."""
    ent = extract(text, knowledge, lexicon, index)
    q = Query(**{f.name: getattr(ent, f.name) for f in fields(Entities)})
    q.intents = classify(ent, lexicon)
    q.level = q.level_marks[0][1] if q.level_marks else None
    return q
