"""Catalogue navigation: items by number (附件2第100项), lists and counts with filters
(带星号的工种有哪些, 专项能力一共多少个, 生活服务类里哪些是紧缺的) and the difference between
two categories' bases (A类技师比C类多多少).

The filter words are data (``selectors`` in nlp/data/lexicon.yaml); the figures come from the
knowledge of the policy year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from knowledge.catalogue import Entry, Knowledge
from nlp.lexicon import Lexicon
from nlp.normalise import cn_number
from nlp.reply import Block

SHOW = 30  # a list longer than this is cut (a chat message, not a spreadsheet)
_RANGE = re.compile(
    r"第?\s*([0-9一二两三四五六七八九十百]{1,4})\s*(?:项|个|号)?\s*(?:到|至|-|~)\s*"
    r"第?\s*([0-9一二两三四五六七八九十百]{1,4})"
)
_FIRST_N = re.compile(r"前\s*([0-9一二两三四五六七八九十]{1,3})\s*[个项名位条]?")
_LAST_N = re.compile(r"(?:最后|末尾|倒数)\s*([0-9一二两三四五六七八九十]{0,3})\s*[个项名位条]?")
_FROM_WHERE = re.compile(r"从第几|第几项开始|从哪项|从哪一项")


@dataclass(frozen=True)
class Selection:
    """Which part of the catalogue a question is about."""

    kind: str = "qualification"
    category: str | None = None
    shortage: bool = False
    starred: bool = False
    green: bool = False
    digital: bool = False

    def entries(self, k: Knowledge) -> list[Entry]:
        """The selected entries in the notice's order (附件3's order for the shortage list)."""
        found = [
            e
            for e in k.entries
            if e.kind == self.kind
            and (self.category is None or e.category == self.category)
            and (not self.shortage or e.shortage)
            and (not self.starred or e.online_over_40)
            and (not self.green or e.green)
            and (not self.digital or e.digital)
        ]
        if self.shortage:  # one item of 附件3 may cover two rows of 附件2 (家政服务员)
            found = list({e.shortage_seq: e for e in reversed(found)}.values())
            found.sort(key=lambda e: e.shortage_seq or 0)
        return found

    def describe(self) -> str:
        """附件2职业（工种）中C类、带“*”的 …"""
        part = "附件3紧缺型职业（工种）" if self.shortage else f"附件2{_PART[self.kind]}"
        marks = [
            word
            for on, word in (
                (self.category is not None, f"{self.category}类"),
                (self.starred, "带“*”"),
                (self.green, "带“L”（绿色职业）"),
                (self.digital, "带“S”（数字职业）"),
            )
            if on
        ]
        return part + ("中" + "、".join(marks) + "的" if marks else "")

    @property
    def source(self) -> str:
        return "附件3" if self.shortage else "附件2"


_PART = {
    "qualification": "职业（工种）",
    "special_ability": "专项职业能力",
    "training_certificate": "培训合格证书",
}


def selection(text: str, category: str | None, lexicon: Lexicon) -> Selection:
    """The filters a question names (its words, its category)."""
    flags = {flag for word, flag in lexicon.selectors if word in text}
    kind = next((f for f in ("special_ability", "training_certificate") if f in flags), None)
    return Selection(
        kind=kind or "qualification",
        category=category,
        shortage="shortage" in flags and kind is None,
        starred="starred" in flags,
        green="green" in flags,
        digital="digital" in flags,
    )


def names_a_part(text: str, lexicon: Lexicon) -> bool:
    """Whether the text names a part of the catalogue (附件2, 专项职业能力, 紧缺目录 …)."""
    return any(word in text for word, _ in lexicon.selectors) or "目录" in text


def asks_where(text: str) -> bool:
    """从第几项开始: where a part starts."""
    return bool(_FROM_WHERE.search(text))


def asks_part(text: str) -> bool:
    """前五个 / 最后三个 / 第129到135项: a stretch of a list."""
    return any(p.search(text) for p in (_RANGE, _FIRST_N, _LAST_N))


def item(k: Knowledge, sel: Selection, number: int) -> Entry | None:
    """The ``number``-th item of a part as the notice numbers it (附件2 seq, 附件3 seq)."""
    if sel.shortage:
        return next((e for e in k.entries if e.shortage_seq == number), None)
    if sel.category is not None or sel.starred or sel.green or sel.digital:
        chosen = sel.entries(k)
        return chosen[number - 1] if 1 <= number <= len(chosen) else None
    kinds = (
        ("special_ability", "training_certificate")
        if sel.kind != "qualification"
        else ("qualification",)
    )
    return next((e for e in k.entries if e.kind in kinds and e.seq == number), None)


def listing(k: Knowledge, sel: Selection, text: str) -> tuple[Block, list[str]]:
    """A numbered list of the selection (or the part of it the text asks for) and its keys."""
    chosen = sel.entries(k)
    total = len(chosen)
    shown, where = chosen, ""
    m = _RANGE.search(text)
    if m:  # numbered as the notice numbers the part (附件3's own items), else by position
        lo, hi = cn_number(m.group(1)) or 0, cn_number(m.group(2)) or 0
        shown = [e for n, e in enumerate(chosen, 1) if lo <= _number(e, sel, n) <= hi]
        where = f"第{lo}至{hi}项"
    elif (m := _FIRST_N.search(text)) is not None:
        n = cn_number(m.group(1)) or 1
        shown, where = chosen[:n], f"前{n}项"
    elif (m := _LAST_N.search(text)) is not None:
        last = (cn_number(m.group(1)) if m.group(1) else 1) or 1
        shown, where = chosen[-last:], f"最后{last}项"
    lines = [_line(e, sel) for e in shown[:SHOW]]
    if len(shown) > SHOW:
        lines.append(
            f"……共 {len(shown)} 项，只列出前 {SHOW} 项；可以问“第N项是什么”或加上类别缩小范围"
        )
    head = f"{sel.describe()}共 {total} 项" + (f"，{where}：" if where else "：")
    if not shown:
        head = f"{sel.describe()}共 {total} 项，没有{where or '符合条件的'}"
    return Block(head, lines, sel.source), [e.key for e in shown[:SHOW]]


def count(k: Knowledge, sel: Selection, text: str) -> Block:
    """How many entries a selection has; with 从第几项开始, where it starts."""
    chosen = sel.entries(k)
    lines = []
    if chosen and _FROM_WHERE.search(text):
        first = chosen[0]
        lines.append(f"从第{first.seq}项开始，第一个是{first.name}（{first.code}）")
    whole = replace(sel, category=None)  # 一共多少…其中A类多少 / A、B、C类各多少
    everything = whole.entries(k)
    by_cat = {c: sum(1 for e in everything if e.category == c) for c in "ABC"}
    if any(by_cat.values()):
        split = "，".join(f"{c}类 {n} 个" for c, n in by_cat.items())
        lines.append(f"{whole.describe()}共 {len(everything)} 个，其中 {split}")
    return Block(f"{sel.describe()}共 {len(chosen)} 个", lines, sel.source)


def difference(k: Knowledge, categories: list[str], level: str | None, kind: str) -> Block:
    """附件1: how much more one category's base is than another's (at one level)."""
    a, b = categories[:2]
    if kind == "special_ability":
        rows = k.bases["special_ability"]
        x, y, name = rows[a][0], rows[b][0], "专项职业能力证书"
    else:
        rows = k.bases["certificate"]
        level = level or "L1"
        x, y, name = rows[a][level][0], rows[b][level][0], k.bases["levels"][level]
    more, less = (a, b) if x >= y else (b, a)
    return Block(
        f"{name}：{more}类比{less}类多 {abs(x - y)} 元/人",
        [f"{a}类 {x} 元，{b}类 {y} 元（补贴基准，紧缺型职业技师及以上另上浮）"],
        "附件1",
    )


def _number(e: Entry, sel: Selection, position: int) -> int:
    """An entry's number in the part the question is about."""
    if sel.shortage:
        return e.shortage_seq or 0
    if sel == Selection(kind=sel.kind):
        return e.seq
    return position


def _line(e: Entry, sel: Selection) -> str:
    number = f"附件3第{e.shortage_seq}项" if sel.shortage else f"第{e.seq}项"
    cat = f"{e.category}类，" if e.category else ""
    return f"{number} {e.name}（{cat}{e.code}）"
