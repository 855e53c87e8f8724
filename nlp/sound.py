"""The sound tier: names written with same-sounding characters (voice input, pinyin input:
茶亿师, 电汗工, 家正服务员), typed as toneless pinyin (chegong, kafeishi) or as initials (fsg).

Every catalogue term is indexed by its toneless syllables.  A stretch of the question that sounds
exactly like a term but is not written like one is a sound hit; when one sound names entries whose
answers differ, the engine asks, as for any ambiguous name.

Readings come from pypinyin's single-character table (the first, most common reading of each
character, tones stripped).  Only that table is loaded — not pypinyin's phrase dictionary, which
would cost tens of megabytes for nothing a catalogue name needs.
"""

from __future__ import annotations

import importlib.util
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_WORD = re.compile(r"[a-z]{1,24}")
_JOB_END = ("工", "员", "师", "手")


def _load_readings() -> dict[int, str]:
    """pypinyin's table of character readings, loaded without the rest of the package."""
    spec = importlib.util.find_spec("pypinyin")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pypinyin is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "pinyin_dict.py"
    module_spec = importlib.util.spec_from_file_location("_skillbot_pinyin_dict", path)
    if module_spec is None or module_spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    table: dict[int, str] = module.pinyin_dict
    return table


def _toneless(reading: str) -> str:
    plain = "".join(ch for ch in unicodedata.normalize("NFD", reading) if ord(ch) < 128)
    return plain.replace("v", "u")


MAX_READINGS = 16  # a term's readings when some of its characters have several (调: diao, tiao)


# Sounds many speakers (and their voice input) do not tell apart: zh/z, ch/c, sh/s, n/l,
# -ng/-n (收营员 for 收银员, 酿照工 for 酿造工).
_LOOSE = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("ng", "n"))


def _loose(syllable: str) -> str:
    for a, b in _LOOSE:
        syllable = syllable.replace(a, b)
    return "l" + syllable[1:] if syllable.startswith("n") else syllable


@dataclass(frozen=True)
class SoundHit:
    """A stretch of the question that sounds like a catalogue term."""

    start: int
    end: int
    written: str
    term: str
    keys: tuple[str, ...]


class SoundIndex:
    """Catalogue terms by their sound: syllables, joined pinyin and initials."""

    def __init__(self, terms: Iterable[tuple[str, tuple[str, ...]]]) -> None:
        self._terms = list(terms)
        self._ready = False
        self._lock = threading.Lock()
        self._readings: dict[int, str] = {}
        self._cache: dict[str, str] = {}
        self.by_sound: dict[tuple[str, ...], dict[str, tuple[str, ...]]] = {}
        self.by_pinyin: dict[str, dict[str, tuple[str, ...]]] = {}
        self.by_initials: dict[str, dict[str, tuple[str, ...]]] = {}
        self.lengths: list[int] = []

    def _build(self) -> None:
        with self._lock:
            if self._ready:
                return
            self._readings = _load_readings()
            for term, keys in self._terms:
                if len(term) < 2 or not all("\u4e00" <= ch <= "\u9fff" for ch in term):
                    continue
                readings = self._readings_of(term)
                for sound in readings:
                    self.by_sound.setdefault(tuple(map(_loose, sound)), {})[term] = keys
                    self.by_pinyin.setdefault("".join(sound), {})[term] = keys
                if len(term) >= 3 and readings:  # initials of the usual reading only
                    initials = "".join(s[0] for s in readings[0])
                    self.by_initials.setdefault(initials, {})[term] = keys
            self.lengths = sorted({len(s) for s in self.by_sound}, reverse=True)
            self._ready = True

    def _readings_of(self, term: str) -> list[tuple[str, ...]]:
        """Every reading of a term (each character's readings combined, at most 16)."""
        readings: list[tuple[str, ...]] = [()]
        for ch in term:
            found = self._readings.get(ord(ch))
            if not found:
                return []
            options = list(dict.fromkeys(_toneless(r) for r in found.split(",")))
            readings = [(*r, o) for r in readings for o in options][:MAX_READINGS]
        return readings

    def syllables(self, text: str) -> tuple[str, ...]:
        """Toneless syllables of CJK ``text``; '' for a character without a reading."""
        out = []
        for ch in text:
            syllable = self._cache.get(ch)
            if syllable is None:
                reading = self._readings.get(ord(ch))
                syllable = _toneless(reading.split(",", 1)[0]) if reading else ""
                self._cache[ch] = syllable
            out.append(syllable)
        return tuple(out)

    def scan(self, text: str) -> list[SoundHit]:
        """Stretches of ``text`` that sound like a term without being written like it,
        leftmost-longest; a two-character stretch only for a job title (汗工 → 焊工)."""
        self._build()
        hits: list[SoundHit] = []
        sound = tuple(map(_loose, self.syllables(text)))
        i, n = 0, len(text)
        while i < n:
            for length in self.lengths:
                if i + length > n:
                    continue
                found = self.by_sound.get(sound[i : i + length])
                written = text[i : i + length]
                if not found or written in found or not all(sound[i : i + length]):
                    continue
                if length == 2 and not any(t.endswith(_JOB_END) for t in found):
                    continue  # two characters only for a job title: 电公, 焊公 → 电工, 焊工
                term = min(found, key=lambda t: _differences(t, written))
                keys = tuple(dict.fromkeys(k for ks in found.values() for k in ks))
                hits.append(SoundHit(i, i + length, written, term, keys))
                i += length
                break
            else:
                i += 1
        return hits

    def latin(self, text: str, known: set[str]) -> list[SoundHit]:
        """Words typed in pinyin that sound like a term: whole (chegong), spaced syllables
        (dian ti an zhuang wei xiu gong), the end of a longer name (pengtiaoshi → 中式烹调师,
        西式烹调师), or initials (fsg)."""
        self._build()
        words = [m for m in _WORD.finditer(text) if m.group(0) not in known]
        hits: list[SoundHit] = []
        i = 0
        while i < len(words):
            for j in range(min(len(words), i + 12), i, -1):  # the longest run first
                if any(words[k + 1].start() - words[k].end() > 1 for k in range(i, j - 1)):
                    continue  # only words separated by one space belong together
                typed = "".join(w.group(0) for w in words[i:j])
                found = self._by_typed(typed) if len(typed) >= 3 else {}
                if found:
                    keys = tuple(dict.fromkeys(k for ks in found.values() for k in ks))
                    start, end = words[i].start(), words[j - 1].end()
                    hits.append(SoundHit(start, end, text[start:end], next(iter(found)), keys))
                    i = j
                    break
            else:
                i += 1
        return hits

    def _by_typed(self, typed: str) -> dict[str, tuple[str, ...]]:
        found = self.by_pinyin.get(typed) or (
            self.by_initials.get(typed) if len(typed) <= 5 else None
        )
        if found:
            return found
        found = self._by_stem(typed)
        if found or len(typed) < 8:
            return found
        # the end of a longer name: 烹调师 typed for 中式烹调师 and 西式烹调师
        return {
            t: ks
            for sound, terms in self.by_pinyin.items()
            if sound.endswith(typed) and len(sound) > len(typed)
            for t, ks in terms.items()
        }

    def _by_stem(self, word: str) -> dict[str, tuple[str, ...]]:
        """zhibu → 织补师, 织布工: pinyin of a job title without its last syllable."""
        if len(word) < 4:
            return {}
        found: dict[str, tuple[str, ...]] = {}
        for ending in ("shi", "gong", "yuan"):
            found.update(self.by_pinyin.get(word + ending, {}))
        return found


def _differences(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b, strict=False))
