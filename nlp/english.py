"""Basic English questions: English words for the main concepts, levels and common occupations
(nlp/data/english.yaml) are replaced by their Chinese before understanding; answers stay in
Chinese.  Leftover English words that name nothing (what, is, the) are dropped, so they are not
mistaken for an unknown occupation."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from knowledge.catalogue import DataError

PATH = Path(__file__).resolve().parent / "data" / "english.yaml"
_LETTERS = re.compile(r"[a-z]")
_WORD = re.compile(r"(?<![0-9a-z])[a-z][a-z'-]*(?![0-9a-z])")


@dataclass(frozen=True)
class English:
    """English phrase → Chinese, matched whole-word, longest first, ignoring case."""

    words: dict[str, str]
    pattern: re.Pattern[str] | None

    def translate(self, text: str, keep: Iterable[str] = ()) -> str:
        """``text`` with known English replaced; other English words dropped unless in ``keep``
        (catalogue terms written in Latin letters: ps, cad, iyb).  Text without English
        letters comes back unchanged."""
        low = text.casefold()
        if self.pattern is None or not _LETTERS.search(low):
            return text
        out = self.pattern.sub(lambda m: " " + self.words[_key(m.group(0))] + " ", low)
        if out == low:
            return text  # no English phrase of ours: ascii aliases and codes stay as they are
        kept = set(keep)
        out = _WORD.sub(lambda m: m.group(0) if m.group(0) in kept else " ", out)
        return re.sub(r"\s+", " ", out).strip()


@lru_cache(maxsize=1)
def load(path: Path = PATH) -> English:
    """Load and check the English vocabulary (a phrase in two sections is an error)."""
    if not path.exists():
        return English({}, None)
    with open(path, encoding="utf-8") as fh:
        raw = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    words: dict[str, str] = {}
    for section, table in raw.items():
        for phrase, chinese in (table or {}).items():
            key = _key(str(phrase))
            if key in words:
                raise DataError(path, section, key, "phrase listed twice")
            words[key] = str(chinese)
    if not words:
        return English({}, None)
    alternatives = "|".join(
        r"[\s-]+".join(map(re.escape, w.split())) for w in sorted(words, key=len, reverse=True)
    )
    pattern = re.compile(rf"(?<![0-9a-z])(?:{alternatives})(?![0-9a-z])")
    return English(words, pattern)


def _key(phrase: str) -> str:
    """One spelling of a phrase: lower case, one space between words (e-commerce)."""
    return " ".join(re.split(r"[\s-]+", phrase.casefold().strip()))
