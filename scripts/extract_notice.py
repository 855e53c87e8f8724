#!/usr/bin/env python3
"""Derive knowledge/data/2024/{catalogue,shortage,transition}.csv from the notice text (dev only).

The running project never reads ../shared: it reads the CSV files this script wrote (and that are
committed).  Re-run it only when the seed changes:

    python scripts/extract_notice.py ../shared/seed/huaian-2024-subsidised-training-notice.txt

The notice's table mess is handled here explicitly, and each case is recorded in a ``note`` column
so that tests/knowledge checks every oddity against the data files.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "knowledge" / "data" / "2024"
KIND_BY_SECTION = {
    "职业资格证书、职业技能等级证书": "qualification",
    "专项职业能力证书": "special_ability",
    "培训合格证书": "training_certificate",
}
WORD_ARTIFACT = "[bookmark: _GoBack]"  # a Word bookmark left in 附件3 row 8


def table_rows(text: str) -> list[tuple[int, list[str]]]:
    """Split the text into table rows: cells start with a tab; a line without one continues
    a cell."""
    rows: list[tuple[int, list[str]]] = []
    cur: tuple[int, list[str]] | None = None
    for lineno, line in enumerate(text.split("\n"), 1):
        if line.startswith("\t"):
            if cur is None:
                cur = (lineno, [])
            cur[1].append(line[1:])
        elif line == "":
            if cur:
                rows.append(cur)
            cur = None
        elif cur:
            cur[1][-1] += "\n" + line
        else:
            rows.append((lineno, ["#TEXT", line.strip()]))
    if cur:
        rows.append(cur)
    return rows


def split_marks(printed: str) -> tuple[str, bool, bool, bool]:
    """'*物流服务师L' -> ('物流服务师', online_over_40, green, digital).

    The marks sit before any parenthesised sub-types: 轨道交通列车司机L（…）.
    """
    name = printed.replace(WORD_ARTIFACT, "").strip()
    star = name.startswith("*")
    name = name.lstrip("*")
    head, paren, tail = name.partition("（")
    m = re.fullmatch(r"(.*?[\u4e00-\u9fff）])(L/S|L|S)?", head)
    assert m, printed
    marks = m.group(2) or ""
    return m.group(1) + paren + tail, star, "L" in marks, "S" in marks


def section(
    rows: list[tuple[int, list[str]]], start: str, end: str
) -> list[tuple[int, list[str]]]:
    i = next(k for k, r in enumerate(rows) if r[1] == ["#TEXT", start])
    j = next(k for k, r in enumerate(rows) if r[1] == ["#TEXT", end]) if end else len(rows)
    return [r for r in rows[i:j] if r[1][0] != "#TEXT"]


def main(seed: str) -> None:
    rows = table_rows(Path(seed).read_text(encoding="utf-8"))
    write_catalogue(section(rows, "附件2", "附件3"))
    write_shortage(section(rows, "附件3", "附件4"))
    write_transition(section(rows, "附件4", "附件5"))


def write_catalogue(rows: list[tuple[int, list[str]]]) -> None:
    out = []
    kind = ""
    for lineno, cells in rows[1:]:  # header row first
        head, seq, category, printed, code = cells
        if head:  # the section cell is repeated at page breaks; blank = merged with the one above
            kind = KIND_BY_SECTION[head.replace("\n", "")]
        name, star, green, digital = split_marks(printed)
        out.append(
            {
                "kind": kind,
                "seq": int(seq),
                "category": category,
                "name": name,
                "code": code,
                "online_over_40": int(star),
                "green": int(green),
                "digital": int(digital),
                "printed": printed,
                "line": lineno,
            }
        )
    write("catalogue.csv", out)


def write_shortage(rows: list[tuple[int, list[str]]]) -> None:
    out = []
    for lineno, (seq, printed, code, certificate) in rows[1:]:
        name = split_marks(printed)[0]
        note = (
            "原表名称前带 Word 书签残留 [bookmark: _GoBack]，已去除"
            if WORD_ARTIFACT in printed
            else ""
        )
        out.append(
            {
                "seq": int(seq),
                "name": name,
                "code": code,
                "certificate": certificate,
                "printed": printed.replace(WORD_ARTIFACT, ""),
                "line": lineno,
                "note": note,
            }
        )
    write("shortage.csv", out)


def write_transition(rows: list[tuple[int, list[str]]]) -> None:
    out: list[dict[str, object]] = []
    situation = ""
    for lineno, cells in rows[2:]:  # two header rows
        head, cur_cat, cur_code, cur_printed, old_cat, old_code, old_name = cells
        if head:
            situation = head.replace("\n", "")
        notes = []
        if not (old_cat or old_code or old_name):
            # 工具钳工: the legacy cells are blank because they are merged with the row above.
            prev = out[-1]
            old_cat, old_code, old_name = (
                str(prev["legacy_category"]),
                str(prev["legacy_code"]),
                str(prev["legacy_name"]),
            )
            notes.append("原表过渡期间三栏空白，属上一行合并单元格")
        elif not old_cat:
            notes.append("原表过渡期间工种类别空白")
        codes = [c.strip() for c in re.split(r"[、\n]", old_code) if c.strip()]
        if len(codes) > 1:
            notes.append("原表一个单元格内有两个编码：" + "、".join(codes))
        if not re.fullmatch(r"\d{7}", codes[0]):
            notes.append(f"过渡编码 {codes[0]} 与其他七位编码格式不同，按原表保留")
        cur_name = split_marks(cur_printed)[0]
        for code in codes:
            out.append(
                {
                    "situation": situation,
                    "current_category": cur_cat,
                    "current_code": cur_code,
                    "current_name": cur_name,
                    "legacy_category": old_cat,
                    "legacy_code": code,
                    "legacy_name": old_name,
                    "line": lineno,
                    "note": "；".join(notes),
                }
            )
    write("transition.csv", out)


def write(name: str, rows: list[dict[str, object]]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / name, "w", encoding="utf-8", newline="") as fh:
        fh.write(
            "# 来源：淮人社发〔2024〕22号；由 scripts/extract_notice.py 从通知原文生成，"
            "line 为原文行号\n"
        )
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{name}: {len(rows)} rows")


if __name__ == "__main__":
    main(
        sys.argv[1]
        if len(sys.argv) > 1
        else "../shared/seed/huaian-2024-subsidised-training-notice.txt"
    )
