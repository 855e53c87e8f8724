"""``skillbot db upgrade|current|check``: the schema of ``DATABASE_URL`` (or the SQLite default)
against the newest Alembic migration."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import Engine

from bot.store.db import current_revision, head_revision, make_engine, upgrade


def _display_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def db_cli(args: argparse.Namespace) -> int:
    """``skillbot db upgrade|current|check``."""
    engine = make_engine()
    try:
        if args.action == "upgrade":
            upgrade(engine)
            print(f"已升级到 {current_revision(engine)}（{_display_url(engine)}）")
            return 0
        current, head = current_revision(engine), head_revision()
        if args.action == "current":
            print(f"{current or '（空数据库）'}{'（最新）' if current == head else ''}")
            return 0
        if current != head:
            print(
                f"数据库结构不是最新：当前 {current or '（空）'}，最新 {head}；"
                "请运行 skillbot db upgrade",
                file=sys.stderr,
            )
            return 1
        print(f"数据库结构为最新（{head}）")
        return 0
    finally:
        engine.dispose()
