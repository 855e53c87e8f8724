"""The hotline's lookup: entries matching what is typed so far, best first, as cards of facts.

What a person at a desk types while the caller talks: a name or part of one, an alias (taught
ones included), a code with or without dashes (6-18-02-04, 6180204, 61802), a legacy code of
附件4, pinyin (hangong) or initials (hg).  Each card carries every figure of the entry — the amount
of every level with the shortage uplift applied (through :class:`~nlp.compose.Answers`, so the
figures are the chat's), minimum hours, the online rule, the citation — and a one-line answer
to paste into a chat window.  Reads the engine's term index; keeps nothing of its own but a
sorted list of pinyin keys, built on first use.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

from knowledge.catalogue import Entry
from nlp.compose import LEVEL_ORDER
from nlp.normalise import normalise

MAX_RESULTS = 20
KIND_NAMES = {
    "qualification": "职业（工种）",
    "special_ability": "专项职业能力",
    "training_certificate": "培训合格证书",
}
_DIGITS = re.compile(r"[0-9]{2,10}")
_LATIN = re.compile(r"[a-z]{2,40}")
# how good a match is: the lower, the earlier
EXACT, PREFIX, CODE, SOUND, CONTAINS = 0, 1, 2, 3, 4


@dataclass
class Card:
    """One entry's facts for the lookup page and the API."""

    key: str
    name: str
    kind: str
    category: str
    code: str
    shortage: bool
    online_over_40: bool
    online: str
    amounts: dict[str, int] = field(default_factory=dict)
    min_hours: dict[str, int | None] = field(default_factory=dict)
    citation: str = ""
    text: str = ""

    def as_json(self) -> dict[str, Any]:
        """The API's shape of a card."""
        return {
            "key": self.key,
            "name": self.name,
            "kind": self.kind,
            "category": self.category,
            "code": self.code,
            "shortage": self.shortage,
            "online_over_40": self.online_over_40,
            "online": self.online,
            "amounts": self.amounts,
            "min_hours": self.min_hours,
            "citation": self.citation,
            "text": self.text,
        }


class Lookup:
    """Search one engine's entries as a hotline operator types."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.k = engine.k
        self._cards: dict[str, Card] = {}
        self._pinyin: list[tuple[str, str]] | None = None  # (typed form, term), sorted
        self._lock = threading.Lock()

    def search(self, query: str, limit: int = MAX_RESULTS) -> list[Card]:
        """Cards of the entries ``query`` matches, best first, at most ``limit``.

        >>> from nlp.engine import get_engine
        >>> look = Lookup(get_engine())
        >>> [c.name for c in look.search("6-18-02-04")], look.search("hangong")[0].name
        (['焊工'], '焊工')
        >>> line, _, source = look.search("焊工")[0].text.partition(" · ")
        >>> print(line); print(source)
        焊工 6-18-02-04 A类 紧缺 合格500 初级1000 中级1500 高级2000 技师3850 高级技师4730
        附件1、附件2第143项、附件3第68项、通知第一条
        """
        text = unicodedata.normalize("NFKC", normalise(query)).casefold().strip()
        text = re.sub(r"\s+", "", text)
        if not text:
            return []
        ranked: dict[str, tuple[int, int, str]] = {}

        def add(keys: tuple[str, ...] | list[str], rank: int, term: str) -> None:
            for key in keys:
                if key not in self.k.by_key:
                    continue  # programmes and other trainings have no card
                best = ranked.get(key)
                candidate = (rank, len(term), term)
                if best is None or candidate < best:
                    ranked[key] = candidate

        digits = text.replace("-", "")
        if _DIGITS.fullmatch(digits):
            self._by_code(digits, add)
        terms = self.engine.index.terms
        for term, (keys, _) in terms.items():
            if text == term:
                add(keys, EXACT, term)
            elif term.startswith(text):
                add(keys, PREFIX, term)
            elif len(text) >= 2 and text in term:
                add(keys, CONTAINS, term)
        if _LATIN.fullmatch(text):
            self._by_sound(text, add)
        order = sorted(ranked, key=lambda k: (*ranked[k][:2], self.k.by_key[k].seq))
        return [self.card(key) for key in order[:limit]]

    def _by_code(self, digits: str, add: Any) -> None:
        for e in self.k.entries:
            if e.code.replace("-", "").startswith(digits):
                add((e.key,), CODE if len(digits) < 7 else EXACT, e.code)
        for t in self.k.transitions:
            if t.legacy_code.startswith(digits):
                keys = [e.key for e in self.k.by_code.get(t.current_dashed, ())]
                add(keys, CODE if len(digits) < 7 else EXACT, t.legacy_code)

    def _by_sound(self, typed: str, add: Any) -> None:
        """Pinyin (hangong, or its beginning hang) and initials (hg)."""
        table = self._pinyin_table()
        i = bisect_left(table, (typed, ""))
        while i < len(table) and table[i][0].startswith(typed):
            form, term = table[i]
            rank = PREFIX if form == typed else SOUND
            add(self.engine.index.terms.get(term, ((), 0))[0], rank, form)
            i += 1

    def _pinyin_table(self) -> list[tuple[str, str]]:
        if self._pinyin is None:
            with self._lock:
                if self._pinyin is None:
                    sound = self.engine.index.sound
                    sound.scan("")  # builds the pinyin and initials index on first use
                    rows = {
                        (form, term) for form, terms in sound.by_pinyin.items() for term in terms
                    }
                    for term in self.engine.index.catalogue_terms:  # initials, 焊工 → hg too
                        syllables = sound.syllables(term)
                        if len(term) >= 2 and all(syllables):
                            rows.add(("".join(s[0] for s in syllables), term))
                    self._pinyin = sorted(rows)
        return self._pinyin

    def card(self, key: str) -> Card:
        """Every fact of one entry, with a one-line answer (cached: the figures are data)."""
        found = self._cards.get(key)
        if found is None:
            found = self._cards[key] = self._make_card(self.k.by_key[key])
        return found

    def _make_card(self, e: Entry) -> Card:
        a = self.engine.a
        amounts: dict[str, int] = {}
        min_hours: dict[str, int | None] = {}
        citation = ["附件1", f"附件2第{e.seq}项"]
        if e.kind == "qualification":
            for level in reversed(LEVEL_ORDER[:-1]):
                subsidy, hours = a.level_subsidy(e, level)
                name = a.levels[level].split("（")[0]
                amounts[name], min_hours[name] = int(subsidy.amount), hours
            subsidy, hours = a.level_subsidy(e, "PASS")
            amounts = {"合格": int(subsidy.amount), **amounts}
            min_hours = {"合格": hours, **min_hours}
        elif e.kind == "special_ability":
            amount, hours = self.k.bases["special_ability"][e.category]
            amounts["专项职业能力"], min_hours["专项职业能力"] = int(amount), int(hours)
        else:
            amount, hours = self.k.bases["training_certificate"][e.name]
            amounts["培训合格证书"], min_hours["培训合格证书"] = int(amount), int(hours)
        if e.shortage:
            citation.append(f"附件3第{e.shortage_seq}项")
            citation.append("通知第一条")
        online = a.online(e.key, None, None).headline.partition("：")[2]
        marks = [e.code, f"{e.category}类" if e.category else "", "紧缺" if e.shortage else ""]
        figures = " ".join(f"{name}{amount}" for name, amount in amounts.items())
        line = " ".join(part for part in (e.name, *marks, figures) if part)
        return Card(
            key=e.key,
            name=e.name,
            kind=KIND_NAMES.get(e.kind, e.kind),
            category=e.category,
            code=e.code,
            shortage=e.shortage,
            online_over_40=e.online_over_40,
            online=online,
            amounts=amounts,
            min_hours=min_hours,
            citation="、".join(citation),
            text=f"{line} · {'、'.join(citation)}",
        )
