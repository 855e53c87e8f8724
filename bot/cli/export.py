"""The catalogue for people: ``skillbot catalog export --format xlsx`` (one sheet per kind) and
``--format csv`` (UTF-8 with a BOM, so Excel opens it as Chinese), Chinese headers, every
level's amount with the shortage uplift applied, minimum hours, the online rule and the
citation — the lookup page's cards (:mod:`nlp.lookup`), for the entries read through the
database.  ``--format json`` stays the machines' export (:func:`bot.cli.console.catalog_export`).
"""

from __future__ import annotations

import csv
import io
from typing import IO, Any

KIND_SHEETS = {
    "qualification": "职业（工种）",
    "special_ability": "专项职业能力",
    "training_certificate": "培训合格证书",
}
BASE_HEADERS = {
    "seq": "序号",
    "name": "名称",
    "code": "编码",
    "category": "类别",
    "shortage": "紧缺型职业",
    "green": "绿色职业",
    "digital": "数字职业",
}
YES, NO = "是", "否"


def people_rows(year: str = "2024") -> dict[str, list[dict[str, Any]]]:
    """Rows with Chinese headers, by kind, in catalogue order."""
    from bot.cli.console import engine_for_year
    from bot.store.sync import catalogue_rows
    from nlp.lookup import Lookup

    engine = engine_for_year(year)
    look = Lookup(engine)
    by_seq = {(e.kind, e.seq): e.key for e in engine.k.entries}
    sheets: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KIND_SHEETS}
    for row in catalogue_rows(year):
        card = look.card(by_seq[(row["kind"], row["seq"])])
        out: dict[str, Any] = {"类型": KIND_SHEETS[row["kind"]]}
        for field, header in BASE_HEADERS.items():
            value = row[field]
            out[header] = (YES if value else NO) if isinstance(value, bool) else value
        for level, amount in card.amounts.items():
            out[f"{level}补贴（元）"] = amount
        for level, hours in card.min_hours.items():
            out[f"{level}最低课时"] = hours if hours is not None else ""
        out["线上培训"] = card.online
        out["出处"] = card.citation
        sheets[row["kind"]].append(out)
    return sheets


def write_csv(sheets: dict[str, list[dict[str, Any]]], out: IO[bytes]) -> None:
    """Every row in one table, UTF-8 with a BOM (Excel reads it as UTF-8)."""
    headers: list[str] = []
    for rows in sheets.values():
        for row in rows:
            headers += [h for h in row if h not in headers]
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=headers, restval="")
    writer.writeheader()
    for rows in sheets.values():
        writer.writerows(rows)
    out.write(text.getvalue().encode("utf-8-sig"))


def write_xlsx(sheets: dict[str, list[dict[str, Any]]], out: IO[bytes]) -> None:
    """One sheet per kind, headers bold and frozen, columns sized to their text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for kind, rows in sheets.items():
        sheet = book.create_sheet(KIND_SHEETS[kind])
        headers = list(rows[0]) if rows else []
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([row.get(h, "") for h in headers])
        sheet.freeze_panes = "C2"
        for index, header in enumerate(headers, 1):
            width = max([len(str(header))] + [len(str(r.get(header, ""))) for r in rows[:200]])
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = min(60, 2 + 2 * width)
    book.save(out)


def export(fmt: str, out: IO[bytes], year: str = "2024") -> int:
    """Write the people's catalogue as ``xlsx`` or ``csv``."""
    sheets = people_rows(year)
    (write_xlsx if fmt == "xlsx" else write_csv)(sheets, out)
    return 0
