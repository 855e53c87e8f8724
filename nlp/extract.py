"""Extract: normalised text → :class:`Entities` (what the message names), nothing about intent.

Codes, catalogue terms (exact tier), years, places, categories, numbers, ordinals, list
references and levels.  Everything found is blanked out of ``rest`` with spaces of the same
length, so positions stay comparable (which level belongs to which occupation) and what is left
is the part that may name something the exact tier did not find (the fuzzy and sound tiers in
:mod:`nlp.resolve` look there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from calculator.codes import find_code_spans, occupation_code
from knowledge.catalogue import Knowledge
from nlp.lexicon import Lexicon
from nlp.normalise import cn_number
from nlp.terms import NAME, NOT_LISTED, SOUND, Hit, TermIndex

_NUM = r"[0-9一二两三四五六七八九十百]{1,4}"
_ORDINAL = re.compile(rf"第\s*({_NUM})\s*[个项号条位]?|序号\s*([0-9]{{1,3}})")
_ITEM = re.compile(r"(?<![0-9a-z-])([0-9]{1,3})\s*[号项](?!课)")  # 专项158号
_HEADCOUNT = re.compile(r"([0-9]{1,4}|[一二两三四五六七八九十]{1,3})\s*(?:名|个人|位|人)")
_FORMER, _LATTER = re.compile(r"前一个|前者|前面那个"), re.compile(r"后一个|后者|后面那个")
_LIST_REF = re.compile(
    rf"附件\s*([1-5一二三四五])\s*(?:的|里|中|里面)?\s*"
    rf"(?:第\s*({_NUM})(?![0-9十百])\s*[个项号条]?|({_NUM})\s*[项号])(?!\s*(?:到|至|-|~))"
)
_CLAIMED = re.compile(
    r"(?<![0-9])([1-9][0-9]{2,3})\s*(?:元|块)?\s*(?:吗|嘛|么|对吗|对不对|是不是|？|\?)"
)
_CATEGORY = re.compile(r"(?<![a-z])([abc](?:\s*[、,，和与及/]?\s*[abc])*)\s*类")  # A、B、C类
_CATEGORY_WORDS = {"生产制造类": "A", "生产服务类": "B", "办事人员": "B", "生活服务类": "C"}
_NEGATED = re.compile(r"不(?:是|考|要|是考|用)?$")
_STARS = re.compile(r"([一二两三四五1-5])星")
_COUNT = re.compile(r"(?:领|申领|申请|补|拿)\D{0,2}?([0-9一二两三四五六七八九十])\s*次")
_CERTIFICATES = re.compile(r"(?<!第)([两俩二三四五2-5])\s*个?(?:证|证书|都)")
_YEAR = re.compile(r"(?<![0-9])((?:20)?[12][0-9])\s*年(?!版|工龄|以上|多)")  # not 大典2022年版
_TOTAL_HOURS = re.compile(
    r"(?:总课时|总学时|课时总数)\D{0,3}?([0-9]{1,4})"
    r"|(?:总|共|一共|总共)\D{0,4}?([0-9]{1,4})\s*(?:个)?(?:课时|学时)"
    r"|([0-9]{1,4})\s*(?:个)?(?:课时|学时)"
)
_MINUTES = re.compile(
    r"([0-9]{1,5})\s*分钟|([0-9一二两三四五六七八九十]{1,3})\s*(?:个)?(?:小时|钟头)"
)
_USED = re.compile(
    r"(?:已经|已|领了|领过|用了|申领了|拿了|拿过)\D{0,4}?([0-9一二两三四五六七八九十])\s*(?:次|回)"
)


@dataclass
class Entities:
    """What one message names."""

    text: str
    hits: list[Hit] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    ambiguous: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    target_pos: dict[str, int] = field(default_factory=dict)
    code_notes: dict[str, str] = field(default_factory=dict)
    unknown_codes: list[str] = field(default_factory=list)
    legacy_terms: list[str] = field(default_factory=list)  # names found only in 附件4's old column
    not_listed: list[str] = field(default_factory=list)  # 宠物美容师: known not to be listed
    level_marks: list[tuple[int, str]] = field(default_factory=list)  # (position, level)
    places: list[str] = field(default_factory=list)  # places other than 淮安 the text names
    years: list[int] = field(default_factory=list)
    city: str | None = None  # a city of 附件5's local codes
    category: str | None = None  # A类/B类/C类 named without an occupation
    categories: list[str] = field(default_factory=list)  # every category named, in order
    ordinal: int | None = None  # 第一个
    list_ref: tuple[int, int] | None = None  # 附件2第100项 → (2, 100)
    headcounts: list[tuple[int, int]] = field(default_factory=list)  # 3名 → (position, 3)
    total_hours: int | None = None
    minutes: int | None = None
    used_claims: int | None = None  # 已经领了两次
    asked_count: int | None = None  # 一年能领4次吗
    stars: int | None = None  # 四星级机构
    claimed_amount: int | None = None  # 焊工技师是3850吗: a figure the asker wants confirmed
    sounded: list[tuple[str, str]] = field(default_factory=list)  # (written, term it sounds as)
    rest: str = ""  # the text with every entity blanked (intent words kept)
    residue: str = ""  # ``rest`` without intent words either: what may name something unfound


def extract(text: str, knowledge: Knowledge, lexicon: Lexicon, index: TermIndex) -> Entities:
    """Find every entity of normalised ``text``."""
    low = text.casefold()
    ent = Entities(text=low)
    masked = low

    def blank(start: int, end: int) -> None:
        nonlocal masked
        masked = masked[:start] + " " * (end - start) + masked[end:]

    m = _LIST_REF.search(masked)
    if m:
        ent.list_ref = (cn_number(m.group(1)) or 0, cn_number(m.group(2) or m.group(3)) or 0)
        blank(*m.span())
    for start, end, code in find_code_spans(text):
        before = len(ent.targets)
        _resolve_code(code, ent, knowledge)
        for key in ent.targets[before:]:
            ent.target_pos.setdefault(key, start)
        for _, keys in ent.ambiguous:
            for key in keys:
                ent.target_pos.setdefault(key, start)
        blank(start, end)
    boundaries: set[int] | None = None
    exact = []
    for hit in index.scan(masked):
        if hit.source != NAME and len(hit.term) == 2:
            # a two-character alias must be a word of its own: 家政 is not in 国家政策
            if boundaries is None:
                boundaries = index.word_boundaries(low)
            if hit.start not in boundaries or hit.end not in boundaries:
                continue
        exact.append(hit)
    # a phrase of the lexicon that contains a name is not that name (人工客服 is not 客服)
    phrases = [(a, b) for a, b, _, _ in lexicon.keyword_spans(masked)]
    exact = [
        h
        for h in exact
        if not any(a <= h.start and h.end <= b and b - a > h.end - h.start for a, b in phrases)
    ]
    # a name said not to be meant is not meant (不是保洁 是保安员)
    exact = [h for h in exact if not _NEGATED.search(masked[max(0, h.start - 4) : h.start])]
    for hit in _with_sound(exact, masked, index, ent):
        blank(hit.start, hit.end)
        if hit.keys == (NOT_LISTED,):
            ent.not_listed.append(hit.term)
            continue
        ent.hits.append(hit)
        if hit.source != NAME and any(t.legacy_name == hit.term for t in knowledge.transitions):
            ent.legacy_terms.append(hit.term)
        for key in hit.keys:
            ent.target_pos.setdefault(key, hit.start)
        if len(hit.keys) == 1:
            _add(ent.targets, hit.keys[0])
        else:
            ent.ambiguous.append((hit.term, hit.keys))
    ent.years = [int(y) if len(y) == 4 else 2000 + int(y) for y in _YEAR.findall(masked)]
    home = knowledge.city in masked  # 在南京读完研回淮安了: the question is about 淮安
    for place in [*knowledge.entrepreneurship["cities"], *lexicon.places]:
        if place not in masked:
            continue
        for found in re.finditer(re.escape(place) + "(?:市|省)?", masked):
            if place in knowledge.entrepreneurship["cities"] and ent.city is None:
                ent.city = place
            if place != knowledge.city and not home:
                _add(ent.places, place)
            blank(found.start(), found.end())
    m = _CLAIMED.search(masked)
    if m:
        ent.claimed_amount = int(m.group(1))
    found_categories = [
        (m.start() + i, letter.upper())
        for m in _CATEGORY.finditer(masked)
        if not _NEGATED.search(masked[max(0, m.start() - 4) : m.start()])
        for i, letter in enumerate(re.findall(r"[abc]", m.group(1)))
    ]
    for phrase, category in _CATEGORY_WORDS.items():  # 附件1备注1: 生活服务类 is C
        start = masked.find(phrase)
        if start >= 0:
            found_categories.append((start, category))
            blank(start, start + len(phrase))
    ent.categories = list(dict.fromkeys(c for _, c in sorted(found_categories)))
    if ent.categories:
        ent.category = ent.categories[0]
    for pattern, name in (
        (_STARS, "stars"),
        (_COUNT, "asked_count"),
        (_ORDINAL, "ordinal"),
    ):
        m = pattern.search(masked)
        if m:
            setattr(ent, name, cn_number(next(g for g in m.groups() if g)))
    used = [cn_number(n) or 0 for n in _USED.findall(masked)]
    if used:  # 培训补贴领了两次，技能提升补贴也领了一次: they count together
        ent.used_claims = sum(used)
    m = _CERTIFICATES.search(masked)
    if m and ent.asked_count is None:
        ent.asked_count = cn_number(m.group(1).replace("俩", "两"))  # 同一年考两个证
    if ent.ordinal is None and (m := _ITEM.search(masked)) is not None:
        ent.ordinal = int(m.group(1))  # 专项158号: an item number without 第
    ent.headcounts = [(m.start(), cn_number(m.group(1)) or 0) for m in _HEADCOUNT.finditer(masked)]
    if ent.ordinal is None and _FORMER.search(masked):
        ent.ordinal = 1  # 前一个: the first of what was named
    elif ent.ordinal is None and _LATTER.search(masked):
        ent.ordinal = -1  # 后一个: the last
    m = _TOTAL_HOURS.search(masked)
    if m:
        ent.total_hours = int(next(g for g in m.groups() if g))
    m = _MINUTES.search(masked)
    if m:
        ent.minutes = int(m.group(1)) if m.group(1) else (cn_number(m.group(2)) or 0) * 60
    ent.rest = masked
    # levels are read where no intent keyword stands (培训合格证书 is not the level 合格)
    for start, end, _, _ in lexicon.keyword_spans(masked):
        blank(start, end)
    for word, level in lexicon.levels:
        if word not in masked:
            continue
        for found in re.finditer(re.escape(word), masked):
            if not _NEGATED.search(masked[max(0, found.start() - 4) : found.start()]):
                ent.level_marks.append((found.start(), level))  # not 不是考技师
            blank(found.start(), found.end())
            ent.rest = ent.rest[: found.start()] + " " * len(word) + ent.rest[found.end() :]
    ent.level_marks.sort()
    ent.residue = masked
    return ent


def _with_sound(exact: list[Hit], masked: str, index: TermIndex, ent: Entities) -> list[Hit]:
    """The sound tier: a stretch that sounds like a term but is written otherwise (茶亿师,
    家正服务员, chegong) is a hit too, and replaces an exact hit it contains (服务员).

    Looked for only where the exact tier left something unexplained: no hit at all, or a hit
    glued to characters it does not explain."""
    if exact:
        plain = index.lexicon.explained.sub(lambda m: " " * len(m.group(0)), masked)
        if not any(_glued(plain, h, index) for h in exact):
            return exact  # 焊工技师补贴多少: nothing a longer name could explain, no cost added
    found = index.sound.scan(masked) + index.sound.latin(masked, index.latin_terms)
    hits = list(exact)
    for sh in found:
        inside = [h for h in hits if h.start < sh.end and sh.start < h.end]
        if any(h.start < sh.start or h.end > sh.end for h in inside):
            continue  # overlaps an exact hit without containing it: the exact one stands
        if inside and sh.end - sh.start <= max(h.end - h.start for h in inside):
            continue
        hits = [h for h in hits if h not in inside]
        hits.append(Hit(sh.start, sh.end, sh.written, sh.keys, SOUND))
        ent.sounded.append((sh.written, sh.term))
    return sorted(hits, key=lambda h: h.start)


def _glued(text: str, hit: Hit, index: TermIndex) -> bool:
    """Characters right beside a hit that could make it a longer name (家正|服务员, 电商|值播,
    工业机器人|系统操做员): the hit begins or ends some longer term."""
    before, after = text[hit.start - 1 : hit.start], text[hit.end : hit.end + 1]
    return (_cjk(before) and hit.term in index.suffixes) or (
        _cjk(after) and hit.term in index.prefixes
    )


def _cjk(ch: str) -> bool:
    return bool(ch) and "\u4e00" <= ch <= "\u9fff"


def _add(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)


def _resolve_code(code: str, ent: Entities, knowledge: Knowledge) -> None:
    """Codes are matched exactly, never fuzzily."""
    if code.startswith("JC"):
        if re.fullmatch(r"JCB\d{2}-\d{2}", code):
            ent.code_notes[code] = "local"
        _add(ent.targets, code)
        return
    found = False
    if code in knowledge.by_code:
        entries = knowledge.by_code[code]
        if len(entries) > 1:  # 4-10-01-06: two 家政服务员 rows share one code
            ent.ambiguous.append((code, tuple(e.key for e in entries)))
        else:
            _add(ent.targets, entries[0].key)
        found = True
    if re.fullmatch(r"\d{7}|A\d{9}", code):
        for t in knowledge.transitions:
            if t.legacy_code == code:
                for e in knowledge.by_code.get(t.current_dashed, ()):
                    _add(ent.targets, e.key)
                    ent.code_notes[e.key] = (
                        f"旧编码 {code}（附件4 过渡期间：{t.legacy_name}）对应现行目录"
                        f"「{e.name}」{e.code}"
                    )
                found = True
        if code[0].isdigit():
            for e in knowledge.by_code.get(occupation_code(code), ()):
                _add(ent.targets, e.key)
                found = True
    if not found:
        ent.unknown_codes.append(code)
