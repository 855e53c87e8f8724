"""``skillbot aliases export|import``: the names staff taught, as YAML in the form of
``knowledge/data/<year>/aliases.yaml`` (叫法: [目录名称]), to be reviewed into that file; each
name's who, when and why as a comment.  Import teaches every name of such a file (an unknown
entry or a name of the catalogue's own is reported and skipped)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, Any

import yaml

from bot.cli.environment import settings_for

HEADER = (
    "# 工作人员教的叫法（skillbot aliases export）。\n"
    "# 核对后并入 knowledge/data/<年度>/aliases.yaml。\n"
    "# 叫法: [目录名称]   # 谁教的，何时（UTC），为什么\n"
)


def export_yaml(taught: list[Any], out: IO[str]) -> None:
    """Write taught names as aliases.yaml lines, with who/when/why comments."""
    out.write(HEADER)
    for name in taught:
        why = " ".join(f"{name.taught_by}，{name.taught_at:%Y-%m-%d %H:%M}，{name.reason}".split())
        out.write(f"{_scalar(name.name)}: [{_scalar(name.entry_name)}]  # {why}\n")


def _scalar(text: str) -> str:
    """A YAML scalar: plain when it can be, else double-quoted.

    >>> _scalar("铁裁缝"), _scalar("a: b")
    ('铁裁缝', '"a: b"')
    """
    if text and text == text.strip() and not any(c in text for c in ":#[]{},&*!|>'\"%@`"):
        return text
    return json.dumps(text, ensure_ascii=False)


def import_yaml(text: str, engine: Any, people: Any, by: str) -> tuple[int, list[str]]:
    """Teach every name of an aliases.yaml text; (taught, problems)."""
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        return 0, ["不是 叫法: [目录名称] 形式的 YAML"]
    taught, problems = 0, []
    by_name = {e.name: e.key for e in engine.k.entries}
    for name, targets in data.items():
        names = targets if isinstance(targets, list) else [targets]
        keys = [by_name.get(str(t)) for t in names]
        if len(names) != 1 or keys[0] is None:
            problems.append(f"{name}: 目录中没有唯一的条目 {names}")
            continue
        if not engine.can_teach(str(name)):
            problems.append(f"{name}: 已是目录中的名称或别名")
            continue
        people.teach(str(name), keys[0], str(names[0]), by, "skillbot aliases import")
        taught += 1
    return taught, problems


def aliases_cli(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    """Run ``skillbot aliases export [-o FILE]`` or ``skillbot aliases import FILE``."""
    from bot.store.people import People
    from bot.store.state import Store

    out = out or sys.stdout
    settings = settings_for("aliases")
    if settings is None:
        return 2
    store = Store(settings.database_url)
    try:
        people = People(store)
        if args.action == "export":
            if args.output:
                with open(args.output, "w", encoding="utf-8") as fh:
                    export_yaml(people.taught(), fh)
            else:
                export_yaml(people.taught(), out)
            return 0
        from nlp.engine import get_engine

        source = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
        with source:
            taught, problems = import_yaml(source.read(), get_engine(), people, "cli")
        for problem in problems:
            print(f"skillbot aliases import: {problem}", file=sys.stderr)
        print(f"已导入 {taught} 个叫法", file=out)
        return 1 if problems and not taught else 0
    finally:
        store.close()
