"""Level words, intent keywords and filler words as data (nlp/data/lexicon.yaml), checked
on load."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.catalogue import LEVELS, DataError

# facts about a message that intent rules may test besides its intents
FLAGS = ("@ref", "@it", "@entry", "@minutes", "@count", "@level")
PATH = Path(__file__).resolve().parent / "data" / "lexicon.yaml"


@dataclass(frozen=True)
class IntentRule:
    """When every intent of ``when`` was found and none of ``unless``: drop one, add another."""

    when: frozenset[str]
    unless: frozenset[str]
    drop: str
    add: str


@dataclass(frozen=True)
class Lexicon:
    """Words the understanding relies on, longest first where order matters."""

    levels: tuple[tuple[str, str], ...]
    intents: tuple[tuple[str, str], ...]  # (keyword, intent), longest keyword first
    filler: frozenset[str]
    places: tuple[str, ...]  # places other than 淮安 (the notice is Huai'an's)
    typo_suffixes: dict[str, str]  # 公 → 工: a wrong last character that sounds the same
    clause_words: dict[str, str]  # 挂着 → 挂课: people's words for the notice's own words
    intent_rules: tuple[IntentRule, ...] = ()
    selectors: tuple[tuple[str, str], ...] = ()  # 专项 → special_ability: parts and filters
    references: tuple[str, ...] = ()
    pronouns: tuple[str, ...] = ()  # 它, 这个工种: one entry pointed back at
    follow_ons: tuple[str, ...] = ()  # 那, 呢, 也: a message that goes on from the last
    domain_words: tuple[str, ...] = ()  # 培训, 参加, 证: the message is about training

    @cached_property
    def explained(self) -> re.Pattern[str]:
        """Level words, intent keywords and one-character filler (的, 考, 是): what may stand
        beside a name without being part of it.  Longer filler (系统) may be part of a name."""
        words = {w for w, _ in self.levels} | {w for w, _ in self.intents}
        words |= {w for w in self.filler if len(w) == 1}
        return re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))

    def keyword_spans(self, text: str) -> list[tuple[int, int, str, str]]:
        """Intent keywords in ``text``, longest first and never overlapping: (start, end, word,
        intent).  A keyword followed by 师/员 is part of a job title (珠宝鉴定师), not a topic."""
        spans: list[tuple[int, int, str, str]] = []
        work = text
        for word, intent in self.intents:
            if word not in work:
                continue
            for found in re.finditer(re.escape(word), work):
                if work[found.end() : found.end() + 1] in ("师", "员"):
                    continue
                spans.append((found.start(), found.end(), word, intent))
                work = work[: found.start()] + " " * len(word) + work[found.end() :]
        return spans  # in the order found: longest keyword first


@lru_cache(maxsize=1)
def load(path: Path = PATH) -> Lexicon:
    """Load and validate the lexicon; a keyword claimed by two intents is an error."""
    with open(path, encoding="utf-8") as fh:
        raw = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    levels = []
    for word, level in raw["levels"].items():
        if level not in LEVELS:
            raise DataError(path, f"levels.{word}", word, f"unknown level {level!r}")
        levels.append((str(word), level))
    owner: dict[str, str] = {}
    for intent, words in raw["intents"].items():
        for word in words:
            key = str(word).casefold()
            if key in owner:
                raise DataError(
                    path, f"intents.{intent}", key, f"already a keyword of {owner[key]}"
                )
            owner[key] = intent
    return Lexicon(
        levels=tuple(sorted(levels, key=lambda p: -len(p[0]))),
        intents=tuple(sorted(owner.items(), key=lambda p: -len(p[0]))),
        filler=frozenset(str(w) for w in raw["filler"]),
        places=tuple(sorted((str(p) for p in raw["places"]), key=lambda p: -len(p))),
        typo_suffixes={str(k): str(v) for k, v in (raw.get("typo_suffixes") or {}).items()},
        clause_words={str(k): str(v) for k, v in (raw.get("clause_words") or {}).items()},
        references=tuple(str(w) for w in raw.get("references") or ()),
        pronouns=tuple(str(w) for w in raw.get("pronouns") or ()),
        follow_ons=tuple(str(w) for w in raw.get("follow_ons") or ()),
        domain_words=tuple(str(w) for w in raw.get("domain_words") or ()),
        selectors=tuple(
            (str(w).casefold(), str(f)) for w, f in (raw.get("selectors") or {}).items()
        ),
        intent_rules=tuple(
            _rules(
                path,
                raw.get("intent_rules") or [],
                {*raw["intents"], *FLAGS},
            )
        ),
    )


def _rules(path: Path, raw: list[dict[str, Any]], known: set[str]) -> list[IntentRule]:
    """Intent rules from data; every name must be a known intent (or @ref / @entry)."""
    rules = []
    for n, rule in enumerate(raw, 1):
        when, unless = rule.get("when"), rule.get("unless") or []
        if not isinstance(when, list) or not when or not isinstance(unless, list):
            raise DataError(path, f"intent_rules[{n}]", "when", "a list of intents is required")
        drop, add = str(rule.get("drop") or ""), str(rule.get("add") or "")
        for name in [*map(str, when), *map(str, unless), drop, add]:
            if name and name not in known:
                raise DataError(path, f"intent_rules[{n}]", name, "not an intent")
        rules.append(IntentRule(frozenset(map(str, when)), frozenset(map(str, unless)), drop, add))
    return rules
