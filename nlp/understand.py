"""Turning one message (and the chat's context) into a :class:`Query`: targets, level, intents."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from calculator.codes import find_codes, occupation_code
from knowledge.catalogue import Knowledge
from nlp.lexicon import Lexicon
from nlp.matcher import Hit, TermIndex
from nlp.normalise import cn_number

# Intents that are about one target (an occupation, a special ability, a programme …).
TARGET_INTENTS = ("subsidy", "hours", "online", "code", "shortage", "transition")
_ORDINAL = re.compile(r"第\s*([0-9一二两三四五六七八九十]{1,3})\s*[个项号]?|序号\s*([0-9]{1,2})")
_TOTAL_HOURS = re.compile(
    r"(?:总|共|一共|总共)\D{0,4}?([0-9]{1,4})\s*(?:个)?(?:课时|学时)"
    r"|([0-9]{1,4})\s*(?:个)?(?:课时|学时)"
)
_MINUTES = re.compile(r"([0-9]{1,5})\s*分钟|([0-9]{1,3})\s*(?:个)?(?:小时|钟头)")
_USED = re.compile(r"(?:已经|已|领了|领过|用了|申领了)\D{0,4}?([0-9一二两三四五六七八九十])\s*次")


@dataclass
class Query:
    """What one message asks."""

    text: str
    hits: list[Hit] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    ambiguous: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    level: str | None = None
    intents: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    code_notes: dict[str, str] = field(default_factory=dict)
    unknown_codes: list[str] = field(default_factory=list)
    content: list[str] = field(default_factory=list)
    city: str | None = None
    ordinal: int | None = None
    total_hours: int | None = None
    minutes: int | None = None
    used_claims: int | None = None
    follow_up: bool = False


def parse(text: str, knowledge: Knowledge, lexicon: Lexicon, index: TermIndex) -> Query:
    """Parse normalised ``text`` (context is applied later by the engine)."""
    low = text.casefold()
    q = Query(text=low)
    masked = low
    for code in find_codes(text):
        _resolve_code(code, q, knowledge)
        masked = masked.replace(code.casefold(), " " * len(code))
    for hit in index.scan(masked):
        q.hits.append(hit)
        masked = masked[: hit.start] + " " * (hit.end - hit.start) + masked[hit.end :]
        if len(hit.keys) == 1:
            _add(q.targets, hit.keys[0])
        else:
            q.ambiguous.append((hit.term, hit.keys))
    for city in knowledge.entrepreneurship["cities"]:
        if city in masked:
            q.city = city
            masked = masked.replace(city + "市", " ").replace(city, " ")
            break
    m = _ORDINAL.search(masked)
    if m:
        q.ordinal = cn_number(m.group(1) or m.group(2))
    m = _USED.search(masked)
    if m:
        q.used_claims = cn_number(m.group(1))
    m = _TOTAL_HOURS.search(masked)
    if m:
        q.total_hours = int(m.group(1) or m.group(2))
    m = _MINUTES.search(masked)
    if m:
        q.minutes = int(m.group(1)) if m.group(1) else int(m.group(2)) * 60
    for word, intent in lexicon.intents:
        if word in masked:
            _add(q.intents, intent)
            masked = masked.replace(word, " ")
    for word, level in lexicon.levels:
        if word in masked:
            q.level = q.level or level
            masked = masked.replace(word, " ")
    if "appraisal" in q.intents and "subsidy" in q.intents:
        q.intents.remove("subsidy")
    if "entrepreneurship" in q.intents and "categories" in q.intents:
        q.intents.remove("categories")  # 创业培训的类别 is the entrepreneurship A–D classes
    if "transition" in q.intents and "code" in q.intents:
        q.intents.remove("code")  # the transition answer gives both the current and legacy codes
    if "online" in q.intents and "hours" in q.intents:
        q.intents.remove("hours")  # the online answer states the hours it is computed from
    q.text_rest = masked  # type: ignore[attr-defined]
    return q


def _add(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)


def _resolve_code(code: str, q: Query, knowledge: Knowledge) -> None:
    """Codes are matched exactly, never fuzzily."""
    if code.startswith("JC"):
        if re.fullmatch(r"JCB\d{2}-\d{2}", code):
            q.code_notes[code] = "local"
            _add(q.targets, code)
            return
        _add(q.targets, code)
        return
    found = False
    if code in knowledge.by_code:
        for e in knowledge.by_code[code]:
            _add(q.targets, e.key)
        found = True
    if re.fullmatch(r"\d{7}|A\d{9}", code):
        for t in knowledge.transitions:
            if t.legacy_code == code:
                for e in knowledge.by_code.get(t.current_dashed, ()):
                    _add(q.targets, e.key)
                    q.code_notes[e.key] = (
                        f"旧编码 {code}（附件4 过渡期间：{t.legacy_name}）对应现行目录"
                        f"「{e.name}」{e.code}"
                    )
                found = True
        if code[0].isdigit():
            dashed = occupation_code(code)
            for e in knowledge.by_code.get(dashed, ()):
                _add(q.targets, e.key)
                found = True
    if not found:
        q.unknown_codes.append(code)
