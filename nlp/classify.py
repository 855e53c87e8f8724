"""Classify: what a message asks, as intents found from data (keywords in nlp/data/lexicon.yaml).

Several intents at once are normal (车工技师补贴多少，可以网上培训吗).  Which of two found
intents wins when they overlap is a table of rules in the same file, not code.
"""

from __future__ import annotations

from nlp.extract import Entities
from nlp.lexicon import Lexicon


def classify(ent: Entities, lexicon: Lexicon) -> list[str]:
    """The intents of one message, in the order the message asks them."""
    intents: list[str] = []
    # in the order the message asks them: 鉴定费和培训补贴 → the appraisal first
    for _, _, _, intent in sorted(lexicon.keyword_spans(ent.rest)):
        if intent not in intents:
            intents.append(intent)
    flags = set()
    if refers_back(ent.text, lexicon):
        flags.add("@ref")
    if any(word in ent.text for word in lexicon.pronouns):
        flags.add("@it")
    if ent.targets or ent.ambiguous:
        flags.add("@entry")
    if ent.minutes:
        flags.add("@minutes")
    if ent.used_claims is not None or ent.asked_count is not None:
        flags.add("@count")
    if ent.level_marks:
        flags.add("@level")
    for rule in lexicon.intent_rules:  # in order; each sees what the ones before it left
        present = set(intents) | flags
        if rule.when <= present and not rule.unless & present:
            if rule.drop in intents:
                intents.remove(rule.drop)
            flags.discard(rule.drop)
            if rule.add and rule.add not in intents:
                # where what made it was asked: 培训补贴和鉴定费 → the subsidy before the appraisal
                at = [intents.index(i) + 1 for i in rule.when if i in intents]
                intents.insert(min(at, default=len(intents)), rule.add)
    return intents


def refers_back(text: str, lexicon: Lexicon) -> bool:
    """Whether the message points back at what was said before (它, 这个, 上面两个)."""
    return any(word in text for word in lexicon.references)
