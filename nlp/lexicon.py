"""Level words, intent keywords and filler words as data (nlp/data/lexicon.yaml), checked
on load."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from knowledge.catalogue import LEVELS, DataError

PATH = Path(__file__).resolve().parent / "data" / "lexicon.yaml"


@dataclass(frozen=True)
class Lexicon:
    """Words the understanding relies on, longest first where order matters."""

    levels: tuple[tuple[str, str], ...]
    intents: tuple[tuple[str, str], ...]  # (keyword, intent), longest keyword first
    filler: frozenset[str]
    places: tuple[str, ...]  # places other than 淮安 (the notice is Huai'an's)
    typo_suffixes: dict[str, str]  # 公 → 工: a wrong last character that sounds the same
    clause_words: dict[str, str]  # 挂着 → 挂课: people's words for the notice's own words


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
    )
