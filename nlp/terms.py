"""Finding what a question is about: exact terms first (names, sub-types, aliases, legacy names,
codes), then — only when nothing matched exactly — jieba segmentation and rapidfuzz similarity.

Exact matching never scans the whole catalogue: it looks up the substrings of the question in a
dict of terms.  The private jieba tokenizer (catalogue names and aliases as user words) is built
once, on first need.  It segments exactly as jieba does with its own dictionary, but does not
load that dictionary's ~500,000 entries as Python objects (~0.4 s, ~60 MB): the dictionary is
sorted once into a file of the user's cache dir (~0.5 s, the first time on a machine) and words
are looked up in it by bisection as jieba asks for them.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
import sys
import threading
import unicodedata
from array import array
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from knowledge.catalogue import Knowledge
from nlp.lexicon import Lexicon
from nlp.sound import SoundIndex

# Priority of a term's source: a current name beats an alias beats a legacy (附件4) name.
NAME, ALIAS, LEGACY, SOUND = 0, 1, 2, 3
NOT_LISTED = "none"  # the key of names that look like a catalogue name but are not in it
OTHER_TRAININGS = {
    "职工岗前培训": ("职工岗前培训", "岗前培训"),
    "项目制培训": ("项目制培训", "项目制"),
    "企业新型学徒制培训": ("企业新型学徒制培训", "新型学徒制", "学徒制"),
}
_ASCII = re.compile(r"[0-9a-z]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Hit:
    """A term found in the question and the targets it names."""

    start: int
    end: int
    term: str
    keys: tuple[str, ...]
    source: int


class TermIndex:
    """Every way of naming a target, casefolded, mapped to target keys."""

    def __init__(self, knowledge: Knowledge, lexicon: Lexicon) -> None:
        self.knowledge = knowledge
        self.lexicon = lexicon
        best: dict[str, tuple[int, list[str]]] = {}

        def add(term: str, key: str, source: int) -> None:
            # the same normal form as the question: 健康照护（老人） is 健康照护(老人) after NFKC
            term = unicodedata.normalize("NFKC", term).strip().casefold()
            if len(term) < 2:
                return
            prio, keys = best.get(term, (99, []))
            if source < prio:
                best[term] = (source, [key])
            elif source == prio and key not in keys:
                keys.append(key)

        for e in knowledge.entries:
            add(e.name, e.key, NAME)
            add(e.base_name, e.key, NAME)
            for sub in e.subtypes:
                add(sub, e.key, NAME)
            add(e.name.replace(" ", ""), e.key, NAME)
        for e in knowledge.entries:
            if e.kind == "special_ability" and e.name.endswith("制作") and len(e.name) >= 4:
                add(e.name[: -len("制作")], e.key, ALIAS)  # 黄桥烧饼制作 → 黄桥烧饼
        for term in knowledge.aliases_none:
            add(term, NOT_LISTED, NAME)  # 宠物美容师 contains 美容师 but is another job
        by_name: dict[str, list[str]] = {}
        for e in knowledge.entries:
            by_name.setdefault(e.name, []).append(e.key)
        for alias, names in knowledge.aliases.items():
            for name in names:
                for key in by_name[name]:
                    add(alias, key, ALIAS)
        for t in knowledge.transitions:
            for e in knowledge.by_code.get(t.current_dashed, ()):
                add(t.legacy_name, e.key, LEGACY)
        for prog in knowledge.entrepreneurship["programmes"]:
            add(prog["name"], prog["code"], NAME)
            if prog["abbr"]:
                add(prog["abbr"], prog["code"], NAME)
                add(prog["abbr"] + "培训", prog["code"], NAME)
        add("创业实训", "JCCM", ALIAS)
        add("网络创业", "JCCW", ALIAS)
        add("创业能力+政策+技能综合培训", "cy:B", NAME)
        add("其他创业能力培训", "cy:B", NAME)
        for name, terms in OTHER_TRAININGS.items():
            for term in terms:
                add(term, f"o:{name}", NAME)
        self.terms = {t: (tuple(keys), prio) for t, (prio, keys) in best.items()}
        self.catalogue_terms = self.terms  # what a taught name never shadows (see teach)
        self.sound = SoundIndex(
            (t, keys) for t, (keys, _) in self.terms.items() if keys != (NOT_LISTED,)
        )
        self.latin_terms = {t for t in self.terms if re.fullmatch(r"[0-9a-z+]+", t)}
        # beginnings and endings of longer terms: 服务员 ends 家政服务员, 电商 begins 电商直播
        self.prefixes: dict[str, set[str]] = {}  # the keys of the terms each prefix begins
        self.shortest: dict[str, int] = {}  # the shortest such term's length
        for term, (keys, _) in self.terms.items():
            for i in range(2, len(term)):
                self.prefixes.setdefault(term[:i], set()).update(keys)
                self.shortest[term[:i]] = min(self.shortest.get(term[:i], 99), len(term))
        self.suffixes = {t[i:] for t in self.terms for i in range(1, len(t) - 1)}
        self.lengths = sorted({len(t) for t in self.terms}, reverse=True)
        self.names = list(self.terms)
        self._by_char: dict[str, set[int]] = {}
        for i, name in enumerate(self.names):
            for ch in set(name):
                self._by_char.setdefault(ch, set()).add(i)
        self._tokenizer = None
        self._lock = threading.Lock()

    def teach(self, taught: Mapping[str, tuple[str, ...]]) -> list[str]:
        """Replace the names taught at run time (name → keys) as aliases of the exact tier; return
        those refused: shorter than two characters, or already a term of the catalogue's own (a
        taught name never shadows a catalogue name, sub-type, alias or legacy name).

        The new table is built aside and swapped in whole, so an answer in progress sees the old
        one or the new one.  Only the exact tier learns them (the sound tier, the unique
        beginnings and the jieba words stay the catalogue's).

        >>> from knowledge.catalogue import load
        >>> from nlp.lexicon import load as lexicon
        >>> index = TermIndex(load("2024"), lexicon())
        >>> index.teach({"铁裁缝": ("q6180204",), "焊工": ("q6180204",)})
        ['焊工']
        >>> index.scan("铁裁缝技师")[0].keys
        ('q6180204',)
        """
        terms = dict(self.catalogue_terms)
        refused = []
        for name, keys in taught.items():
            term = unicodedata.normalize("NFKC", name).strip().casefold()
            if len(term) < 2 or term in self.catalogue_terms or not keys:
                refused.append(name)
                continue
            terms[term] = (tuple(keys), ALIAS)
        lengths = sorted({len(t) for t in terms}, reverse=True)
        self.terms, self.lengths = terms, lengths
        return refused

    def scan(self, text: str) -> list[Hit]:
        """Leftmost-longest exact matches of known terms in casefolded ``text``."""
        hits: list[Hit] = []
        i, n = 0, len(text)
        while i < n:
            for length in self.lengths:
                if i + length > n:
                    continue
                term = text[i : i + length]
                found = self.terms.get(term)
                if found and not self._glued_ascii(text, i, i + length):
                    hits.append(Hit(i, i + length, term, found[0], found[1]))
                    i += length
                    break
            else:
                i += 1
        return hits

    @staticmethod
    def _glued_ascii(text: str, start: int, end: int) -> bool:
        """An ASCII term (ps, cad) must not be part of a longer ASCII word (gps, cadre)."""
        if not _ASCII.match(text[start]):
            return False
        before = start > 0 and _ASCII.match(text[start - 1])
        after = end < len(text) and _ASCII.match(text[end - 1]) and _ASCII.match(text[end])
        return bool(before or after)

    @property
    def tokenizer(self) -> Any:
        """The private jieba tokenizer with catalogue names, aliases and keywords as user words."""
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    self._tokenizer = self.build_tokenizer()
        return self._tokenizer

    def user_words(self) -> Iterator[tuple[str, int]]:
        """The words added to jieba's dictionary, with their frequencies, in the order added."""
        for term in self.terms:
            yield term, 200000
        for word, _ in self.lexicon.levels:
            yield word, 200000
        for word, _ in self.lexicon.intents:
            yield word, 100000

    def build_tokenizer(self, *, full: bool = False) -> Any:
        """A new jieba tokenizer with the user words, on jieba's dictionary looked up in the
        sorted file (or, with ``full``, loaded the way jieba loads it: the reference that tests
        and scripts/compare_tokenizers.py compare with)."""
        jieba = _jieba()
        if full:
            tok = jieba.Tokenizer()
            tok.initialize()
        else:
            words = _sorted_dictionary(_jieba_dictionary(jieba), _cache_dir())
            tok = jieba.Tokenizer(str(words.source))
            # what jieba's initialize() would set, without reading dict.txt
            tok.FREQ, tok.total, tok.initialized = Frequencies(words), words.total, True
        for word, weight in self.user_words():
            tok.add_word(word, freq=weight)
        return tok

    def word_boundaries(self, text: str) -> set[int]:
        """Offsets where jieba (with the catalogue as user words) puts a word boundary."""
        offsets, pos = {0}, 0
        for token in self.tokenizer.lcut(text):
            pos += len(token)
            offsets.add(pos)
        return offsets

    def content_words(self, text: str) -> list[str]:
        """The stretch of ``text`` that could name an occupation, as words: from the first to the
        last word that is not filler, a level or an intent word (single characters in between kept,
        so a typo inside a name stays in the phrase)."""
        skip = (
            self.lexicon.filler
            | {w for w, _ in self.lexicon.levels}
            | {w for w, _ in self.lexicon.intents}
        )
        tokens: list[str] = []
        for tok in self.tokenizer.lcut(text):
            tok = tok.strip()
            if not tok:
                continue
            glue_ascii = tokens and _ASCII.fullmatch(tok[0]) and _ASCII.fullmatch(tokens[-1][-1])
            glue_single = (
                tokens
                and len(tok) == 1
                and tok not in skip
                and _CJK.fullmatch(tok)
                and len(tokens[-1]) >= 1
                and tokens[-1] not in skip
                and all(_CJK.fullmatch(ch) for ch in tokens[-1])
                and len(tokens[-1]) <= 2
                and (len(tokens[-1]) == 1 or tokens[-1][-1] not in "的了")
            )
            if glue_ascii or glue_single:
                tokens[-1] += tok  # "gps" split around the user word "ps"; 纹/绣/师 → 纹绣师
            else:
                tokens.append(tok)
        content = [
            i
            for i, tok in enumerate(tokens)
            if len(tok) >= 2
            and tok not in skip
            and not tok.isdigit()
            and re.search(r"[\u4e00-\u9fffa-z]", tok)
        ]
        if not content:
            return []
        first, last = content[0], content[-1]
        while first > 0 and len(tokens[first - 1]) == 1 and tokens[first - 1] not in skip:
            first -= 1
        while (
            last + 1 < len(tokens) and len(tokens[last + 1]) == 1 and tokens[last + 1] not in skip
        ):
            last += 1
        return [
            tok
            for tok in tokens[first : last + 1]
            if tok and tok not in skip and re.search(r"[\u4e00-\u9fffa-z]", tok)
        ]

    def fuzzy(
        self, phrase: str, limit: int = 5, *, loose: bool = False
    ) -> list[tuple[str, float, tuple[str, ...]]]:
        """Closest terms to ``phrase`` (0–100), best first: whole-string similarity, or with
        ``loose`` a partial-overlap score that is only good for suggestions."""
        # A term sharing no character with the phrase scores 0: score only the others.
        ids: set[int] = set().union(
            *(self._by_char.get(ch, set()) for ch in set(phrase.casefold()))
        )
        names = [self.names[i] for i in sorted(ids)]
        results = process.extract(
            phrase.casefold(),
            names,
            scorer=fuzz.WRatio if loose else fuzz.ratio,
            limit=limit,
            score_cutoff=40,
        )
        return [(term, score, self.terms[term][0]) for term, score, _ in results]


def _jieba() -> Any:
    """jieba, imported without pkg_resources: jieba only uses it to open its own files and opens
    them directly without it, and importing it costs ~50 ms."""
    if "jieba" not in sys.modules and "pkg_resources" not in sys.modules:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # → ImportError
        try:
            import jieba
        finally:
            if sys.modules.get("pkg_resources", 0) is None:
                del sys.modules["pkg_resources"]
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


class SortedDictionary:
    """jieba's dictionary as one sorted block of words (UTF-8, so byte order is character
    order), their offsets and frequencies, and the total frequency: a word or a prefix of a word
    is found by bisection, in ~10 µs, without a Python object per word."""

    MAGIC = b"skbjieb1"
    HEADER = struct.Struct("=8sIQ")  # magic, number of words, total frequency

    def __init__(self, data: bytes, source: Path) -> None:
        magic, n, total = self.HEADER.unpack_from(data)
        start = self.HEADER.size
        self.base = start + 4 * (2 * n + 1)
        if magic != self.MAGIC or len(data) < self.base:
            raise ValueError("not a sorted jieba dictionary")
        offsets = memoryview(data)[start : start + 4 * (n + 1)].cast("I")
        freqs = memoryview(data)[start + 4 * (n + 1) : self.base].cast("I")
        if len(data) != self.base + offsets[n]:
            raise ValueError("a sorted jieba dictionary cut short")
        self.data, self.offsets, self.freqs = data, offsets, freqs
        self.n, self.total, self.source = n, total, source

    @classmethod
    def build(cls, source: Path) -> bytes:
        """The file's bytes from jieba's dict.txt, read as jieba reads it: ``word freq [tag]`` a
        line, a word listed twice keeps its last frequency, the total counts every line."""
        freq: dict[bytes, int] = {}
        total = 0
        with open(source, "rb") as fh:
            for line in fh:
                word, count = line.strip().split(b" ")[:2]
                freq[word] = int(count)
                total += int(count)
        words = sorted(freq)
        offsets = array("I", [0])
        for word in words:
            offsets.append(offsets[-1] + len(word))
        freqs = array("I", (freq[w] for w in words))
        header = cls.HEADER.pack(cls.MAGIC, len(words), total)
        return header + offsets.tobytes() + freqs.tobytes() + b"".join(words)

    def word(self, i: int) -> bytes:
        return self.data[self.base + self.offsets[i] : self.base + self.offsets[i + 1]]

    def find(self, word: str) -> int | None:
        """jieba's prefix table entry: the word's frequency, 0 for a prefix of a word that is
        not a word itself, None for neither."""
        key = word.encode("utf-8")
        i = bisect_left(range(self.n), key, key=self.word)
        if i < self.n:
            found = self.word(i)
            if found == key:
                return int(self.freqs[i])
            if found.startswith(key):
                return 0
        return None


class Frequencies:
    """A tokenizer's ``FREQ``, which jieba reads with ``in``, ``[]`` and ``get`` and writes with
    ``[]=`` (user words): the words added, then the dictionary, each answer remembered."""

    SEEN_MAX = 50_000  # remembered look-ups (words and non-words of the questions seen)

    def __init__(self, dictionary: SortedDictionary) -> None:
        self.dictionary = dictionary
        self.added: dict[str, int] = {}
        self.seen: dict[str, int | None] = {}

    def get(self, word: str, default: Any = None) -> Any:
        found = self.added.get(word)
        if found is None:
            try:
                found = self.seen[word]
            except KeyError:
                if len(self.seen) >= self.SEEN_MAX:
                    self.seen.clear()
                found = self.seen[word] = self.dictionary.find(word)
        return default if found is None else found

    def __contains__(self, word: str) -> bool:
        return self.get(word) is not None

    def __getitem__(self, word: str) -> int:
        found = self.get(word)
        if found is None:
            raise KeyError(word)
        return int(found)

    def __setitem__(self, word: str, freq: int) -> None:
        self.added[word] = freq


def _jieba_dictionary(jieba: Any) -> Path:
    return Path(jieba.__file__).resolve().with_name(jieba.DEFAULT_DICT_NAME)


def _cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("skillbot"))


@lru_cache(maxsize=4)
def _sorted_dictionary(source: Path, cache_dir: Path) -> SortedDictionary:
    """The sorted form of ``source`` from the cache dir, made and saved there first if it is
    not there yet (named after the source's path, size and time, so a new jieba makes a new
    one); kept in memory alone if the cache dir cannot be written."""
    stat = source.stat()
    key = f"{source}|{stat.st_size}|{stat.st_mtime_ns}|{sys.byteorder}|{SortedDictionary.MAGIC!r}"
    path = cache_dir / f"jieba-{hashlib.sha256(key.encode()).hexdigest()[:16]}.sorted"
    try:
        return SortedDictionary(path.read_bytes(), source)
    except (OSError, ValueError, struct.error):
        pass
    import logging  # here: the exact path never needs them
    import tempfile

    data = SortedDictionary.build(source)
    tmp = None
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".jieba-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)  # whole or not at all, whoever writes it at the same time
    except OSError as exc:
        logging.getLogger(__name__).warning(
            "jieba's sorted dictionary not saved in %s: %s", cache_dir, exc
        )
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return SortedDictionary(data, source)
