"""The ``skillbot`` command line, run as a user or a script would run it."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.commands import build_parser

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: bytes | str = b"", env: dict | None = None, timeout: float = 60):
    data = stdin.encode() if isinstance(stdin, str) else stdin
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=data,
        capture_output=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8", "replace")


def test_ask_prints_the_answer():
    code, out, _ = run("ask", "焊工考技师能补多少？")
    assert code == 0
    assert out.startswith("焊工 技师（二级）：3850 元/人")


def test_ask_without_question_is_a_usage_error():
    code, _, err = run("ask")
    assert code == 2 and "用法" in err


def test_jsonl_batch_keeps_order_conversations_and_survives_bad_lines():
    lines = [
        json.dumps({"chat": "a", "text": "电工技师补贴多少"}, ensure_ascii=False),
        "{not json",
        json.dumps({"chat": "b", "text": "GYB编码"}, ensure_ascii=False),
        json.dumps(["a list"]),
        json.dumps({"chat": "a", "text": "那高级技师呢"}, ensure_ascii=False),
        json.dumps({"chat": "b", "text": "那SYB呢"}, ensure_ascii=False),
        json.dumps({"chat": "c", "text": 42}),
        json.dumps({"chat": "c", "text": "宇航员补贴多少"}, ensure_ascii=False),
    ]
    code, out, _ = run("ask", "--jsonl", stdin="\n".join(lines) + "\n")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == len(lines)
    assert "3850" in rows[0]["answer"]
    assert "error" in rows[1] and "error" in rows[3] and "error" in rows[6]
    assert "JCA" in rows[2]["answer"]
    assert "4730" in rows[4]["answer"]  # chat a kept its context across other chats' lines
    assert "JCB" in rows[5]["answer"]
    assert "未找到" in rows[7]["answer"] and rows[7]["understood"] is False
    assert all("<b>" not in r.get("answer", "") for r in rows)


def test_jsonl_bad_input_never_crashes_or_stalls():
    huge = json.dumps({"chat": "x", "text": "焊工" * 500_000}, ensure_ascii=False)
    lines = [
        b"",
        b"\xff\xfe\x00binary",
        huge.encode(),
        b'{"chat": "x", "text": "\\u0000\\u001b[31m<b>&"}',
        json.dumps({"chat": "y", "text": "焊工技师补贴"}, ensure_ascii=False).encode(),
    ]
    code, out, _ = run("ask", "--jsonl", stdin=b"\n".join(lines) + b"\n", timeout=60)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 5  # one output line per input line, empty ones included
    assert rows[0] == {"error": "malformed line: empty line"}
    assert "error" in rows[1]
    assert "answer" in rows[2] and "answer" in rows[3]
    assert "3850" in rows[4]["answer"]


def test_chat_console_conversation_with_numbered_choices():
    code, out, _ = run("chat", stdin="钳工技师补贴多少\n3\n那三级呢\n\n")
    assert code == 0
    assert "[1] 装配钳工" in out
    assert "工具钳工 技师（二级）：3500" in out
    assert "工具钳工 高级（三级）：2000" in out


@pytest.mark.parametrize("fmt", ["json"])
def test_catalog_export(tmp_path, fmt):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    code, out, err = run("catalog", "export", "--format", fmt, env=env)
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 702
    kinds = [r["kind"] for r in rows]
    assert kinds.count("qualification") == 542 and kinds.count("special_ability") == 158
    assert kinds.count("training_certificate") == 2
    first = rows[0]
    assert set(first) == {
        "kind",
        "seq",
        "category",
        "name",
        "code",
        "online_over_40",
        "green",
        "digital",
        "shortage",
    }
    assert first["name"] == "网络与信息安全管理员" and first["code"] == "4-04-04-02"
    assert (
        first["online_over_40"] is True and first["digital"] is True and first["shortage"] is True
    )
    # a second export reuses the loaded tables and gives the same rows
    assert run("catalog", "export", "--format", fmt, env=env)[1] == out


def _commands(parser, prefix=""):
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                yield f"{prefix}{name}".strip()
                yield from _commands(sub, f"{prefix}{name} ")


def test_every_cli_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"skillbot ([a-z]+(?: [a-z]+)?)", readme))
    for command in _commands(build_parser()):
        assert any(
            d == command or d.startswith(command + " ") or command.startswith(d)
            for d in documented
            if d.split()[0] == command.split()[0]
        ), command


def test_catalog_export_csv_for_excel(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "catalog", "export", "--format", "csv"],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, **env},
        timeout=60,
        check=True,
    )
    assert proc.stdout.startswith(b"\xef\xbb\xbf")  # a BOM: Excel opens it as UTF-8
    rows = list(csv.DictReader(io.StringIO(proc.stdout.decode("utf-8-sig"))))
    assert len(rows) == 702
    welder = next(r for r in rows if r["名称"] == "焊工")
    assert welder["编码"] == "6-18-02-04" and welder["紧缺型职业"] == "是"
    assert welder["技师补贴（元）"] == "3850" and welder["高级技师补贴（元）"] == "4730"
    assert welder["技师最低课时"] == "56" and "附件3第68项" in welder["出处"]


def test_catalog_export_xlsx_one_sheet_per_kind(tmp_path):
    from openpyxl import load_workbook

    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    target = tmp_path / "目录.xlsx"
    code, _, err = run("catalog", "export", "--format", "xlsx", "-o", str(target), env=env)
    assert code == 0, err
    book = load_workbook(target)
    assert book.sheetnames == ["职业（工种）", "专项职业能力", "培训合格证书"]
    sheet = book["职业（工种）"]
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["类型", "序号", "名称"] and "线上培训" in headers
    rows = [
        dict(zip(headers, (c.value for c in row), strict=False))
        for row in sheet.iter_rows(min_row=2)
    ]
    assert len(rows) == 542 and len(list(book["专项职业能力"].iter_rows(min_row=2))) == 158
    welder = next(r for r in rows if r["名称"] == "焊工")
    assert welder["技师补贴（元）"] == 3850 and welder["紧缺型职业"] == "是"
    special = dict(
        zip(
            [c.value for c in book["专项职业能力"][1]],
            [c.value for c in book["专项职业能力"][2]],
            strict=False,
        )
    )
    assert special["专项职业能力补贴（元）"] in (400, 600, 800)


def test_ask_logs_what_it_misses_and_learns_taught_names(tmp_path):
    from bot.store.people import People
    from bot.store.state import Store

    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env = {"DATABASE_URL": url}
    assert "未找到" in run("ask", "铁皮匠补贴多少", env=env)[1]
    store = Store(url)
    try:
        people = People(store)
        assert people.unanswered()[0].channels == {"cli": 1}
        people.teach("铁皮匠", "q6180204", "焊工", "7", "test")
    finally:
        store.close()
    assert "焊工" in run("ask", "铁皮匠技师补贴多少", env=env)[1].splitlines()[0]


def test_aliases_export_and_import(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    source = tmp_path / "aliases.yaml"
    source.write_text("铁裁缝: [焊工]\n车工: [焊工]\n铁皮匠: [没有这个]\n", encoding="utf-8")
    code, out, err = run("aliases", "import", str(source), env=env)
    assert code == 0 and "已导入 1 个叫法" in out
    assert "车工: 已是目录中的名称" in err and "铁皮匠" in err
    code, out, _ = run("aliases", "export", env=env)
    assert code == 0 and "铁裁缝:\n- 焊工" not in out
    assert any(
        line.startswith("铁裁缝: [焊工]") and "# cli，" in line for line in out.splitlines()
    ), out
