"""``skillbot db upgrade|current|check``: the schema of ``DATABASE_URL`` (or the SQLite default)
against the newest Alembic migration; ``skillbot db purge [--days N]``: delete logged questions
and idle conversations older than ``SKILLBOT_RETENTION_DAYS`` (or N) days."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from sqlalchemy import Engine

from bot.cli.environment import settings_for
from bot.store.db import current_revision, head_revision, make_engine, upgrade


def _display_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _purge(args: argparse.Namespace) -> int:
    from bot.store.state import Store

    settings = settings_for("db")
    if settings is None:
        return 2
    days = settings.retention_days if args.days is None else args.days
    if days < 1:
        print("skillbot db purge: --days 应为不小于 1 的整数", file=sys.stderr)
        return 2
    store = Store(settings.database_url)
    try:
        purged = store.purge(timedelta(days=days))
    finally:
        store.close()
    print(
        f"已删除 {days} 天前的问题记录 {purged.questions} 条、闲置对话 {purged.conversations} 条"
    )
    return 0


def db_cli(args: argparse.Namespace) -> int:
    """``skillbot db upgrade|current|check|purge``."""
    if args.action == "purge":
        return _purge(args)
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
