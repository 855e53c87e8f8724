"""Turning one message (and the chat's context) into a :class:`Query`: targets, level, intents."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from calculator.codes import find_code_spans, occupation_code
from knowledge.catalogue import Knowledge
from nlp.lexicon import Lexicon
from nlp.matcher import NAME, NOT_LISTED, Hit, TermIndex
from nlp.normalise import cn_number

# Intents that are about one target (an occupation, a special ability, a programme …).
TARGET_INTENTS = ("subsidy", "hours", "online", "code", "shortage", "transition")
_ORDINAL = re.compile(r"第\s*([0-9一二两三四五六七八九十]{1,3})\s*[个项号]?|序号\s*([0-9]{1,2})")
_CLAIMED = re.compile(
    r"(?<![0-9])([1-9][0-9]{2,3})\s*(?:元|块)?\s*(?:吗|嘛|么|对吗|对不对|是不是|？|\?)"
)
_CATEGORY = re.compile(r"(?<![a-z])([abc])类")
_CATEGORY_WORDS = {"生产制造类": "A", "生产服务类": "B", "办事人员": "B", "生活服务类": "C"}
_NEGATED = re.compile(r"不(?:是|考|要|是考|用)?$")
_STARS = re.compile(r"([一二三四五1-5])星")
_COUNT = re.compile(r"(?:领|申领|申请|补|拿)\D{0,2}?([0-9一二两三四五六七八九十])\s*次")
_YEAR = re.compile(r"(20[12][0-9])\s*年(?!版)")  # 大典2022年版 is an edition, not a year
_TOTAL_HOURS = re.compile(
    r"(?:总课时|总学时|课时总数)\D{0,3}?([0-9]{1,4})"
    r"|(?:总|共|一共|总共)\D{0,4}?([0-9]{1,4})\s*(?:个)?(?:课时|学时)"
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
    level_marks: list[tuple[int, str]] = field(default_factory=list)  # (position, level)
    target_pos: dict[str, int] = field(default_factory=dict)
    places: list[str] = field(default_factory=list)  # places other than 淮安 the text names
    years: list[int] = field(default_factory=list)
    legacy_terms: list[str] = field(default_factory=list)
    not_listed: list[str] = field(default_factory=list)  # 宠物美容师: known not to be listed
    taken: list[str] = field(
        default_factory=list
    )  # programmes attended, in order (from context)  # names found only in 附件4's old column
    category: str | None = None  # A类/B类/C类 named without an occupation
    asked_count: int | None = None  # 一年能领4次吗
    stars: int | None = None  # 四星级机构
    claimed_amount: int | None = None  # 焊工技师是3850吗: a figure the asker wants confirmed
    text_rest: str = ""

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
    """Parse normalised ``text`` (context is applied later by the engine).

    Everything found is blanked out of ``masked`` with spaces of the same length, so positions
    stay comparable (which level belongs to which occupation).
    """
    low = text.casefold()
    q = Query(text=low)
    masked = low

    def blank(start: int, end: int) -> None:
        nonlocal masked
        masked = masked[:start] + " " * (end - start) + masked[end:]

    for start, end, code in find_code_spans(text):
        before = len(q.targets)
        _resolve_code(code, q, knowledge)
        for key in q.targets[before:]:
            q.target_pos.setdefault(key, start)
        for _, keys in q.ambiguous:
            for key in keys:
                q.target_pos.setdefault(key, start)
        blank(start, end)
    boundaries: set[int] | None = None
    for hit in index.scan(masked):
        if hit.source != NAME and len(hit.term) == 2:
            # a two-character alias must be a word of its own: 家政 is not in 国家政策
            if boundaries is None:
                boundaries = index.word_boundaries(low)
            if hit.start not in boundaries or hit.end not in boundaries:
                continue
        if hit.keys == (NOT_LISTED,):
            q.not_listed.append(hit.term)
            blank(hit.start, hit.end)
            continue
        q.hits.append(hit)
        if hit.source != NAME and any(t.legacy_name == hit.term for t in knowledge.transitions):
            q.legacy_terms.append(hit.term)
        blank(hit.start, hit.end)
        for key in hit.keys:
            q.target_pos.setdefault(key, hit.start)
        if len(hit.keys) == 1:
            _add(q.targets, hit.keys[0])
        else:
            q.ambiguous.append((hit.term, hit.keys))
    q.years = [int(year) for year in _YEAR.findall(masked)]
    for place in [*knowledge.entrepreneurship["cities"], *lexicon.places]:
        if place not in masked:
            continue
        for found in re.finditer(re.escape(place) + "(?:市|省)?", masked):
            if place in knowledge.entrepreneurship["cities"] and q.city is None:
                q.city = place
            if place != "淮安":
                _add(q.places, place)
            blank(found.start(), found.end())
    m = _CLAIMED.search(masked)
    if m:
        q.claimed_amount = int(m.group(1))  # 焊工技师是3850吗
    m = _CATEGORY.search(masked)
    if m:
        q.category = m.group(1).upper()
    for phrase, category in _CATEGORY_WORDS.items():  # 附件1备注1: 生活服务类 is C
        start = masked.find(phrase)
        if start >= 0:
            q.category = category
            blank(start, start + len(phrase))
    m = _STARS.search(masked)
    if m:
        q.stars = cn_number(m.group(1))
    m = _COUNT.search(masked)
    if m:
        q.asked_count = cn_number(m.group(1))
    m = _ORDINAL.search(masked)
    if m:
        q.ordinal = cn_number(m.group(1) or m.group(2))
    m = _USED.search(masked)
    if m:
        q.used_claims = cn_number(m.group(1))
    m = _TOTAL_HOURS.search(masked)
    if m:
        q.total_hours = int(next(g for g in m.groups() if g))
    m = _MINUTES.search(masked)
    if m:
        q.minutes = int(m.group(1)) if m.group(1) else int(m.group(2)) * 60
    for word, intent in lexicon.intents:
        if word not in masked:
            continue
        for found in re.finditer(re.escape(word), masked):
            if masked[found.end() : found.end() + 1] in ("师", "员"):
                continue  # 珠宝鉴定师 is a job title, not a question about 鉴定补贴
            _add(q.intents, intent)
            blank(found.start(), found.end())
    for word, level in lexicon.levels:
        if word not in masked:
            continue
        for found in re.finditer(re.escape(word), masked):
            if not _NEGATED.search(
                masked[max(0, found.start() - 4) : found.start()]
            ):  # 不是考技师
                q.level_marks.append((found.start(), level))
            blank(found.start(), found.end())
    q.level_marks.sort()
    q.level = q.level_marks[0][1] if q.level_marks else None
    if "appraisal" in q.intents and "subsidy" in q.intents and not q.targets:
        q.intents.remove("subsidy")  # 鉴定能补多少: the appraisal subsidy is the question
    if "entrepreneurship" in q.intents and "categories" in q.intents:
        q.intents.remove("categories")  # 创业培训的类别 is the entrepreneurship A–D classes
    if "transition" in q.intents and "code" in q.intents:
        q.intents.remove("code")  # the transition answer gives both the current and legacy codes
    if "online" in q.intents and "offline" in q.intents:
        q.intents.remove("offline")  # 线上线下课时比例: the online share is the rule asked about
    if "marks" in q.intents and ("online" in q.intents or re.search(r"它|这个|这", low)):
        q.intents.remove("marks")  # 它带星号吗: the star of that entry, i.e. its online rule
        _add(q.intents, "online")
    if "basis" in q.intents and "notice" in q.intents:
        q.intents.remove("notice")  # 根据省里哪个文件: the provincial basis
    if "online" in q.intents and "hours" in q.intents:
        q.intents.remove("hours")  # the online answer states the hours it is computed from
    q.text_rest = masked
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
        entries = knowledge.by_code[code]
        if len(entries) > 1:  # 4-10-01-06: two 家政服务员 rows share one code
            q.ambiguous.append((code, tuple(e.key for e in entries)))
        else:
            _add(q.targets, entries[0].key)
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
