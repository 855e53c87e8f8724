"""The one command line, ``skillbot``: ask, chat, run, catalog, report, notify, db.

Imports are done inside each command so that ``skillbot ask`` loads only what answering needs
(no Telegram, no SQLAlchemy).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _cmd_ask(args: argparse.Namespace) -> int:
    from bot.cli import console

    if args.jsonl:
        return console.ask_jsonl(sys.stdin, sys.stdout)
    if not args.question:
        print(
            '用法：skillbot ask "问题"  或  skillbot ask --jsonl < questions.jsonl',
            file=sys.stderr,
        )
        return 2
    return console.ask_once(" ".join(args.question), sys.stdout)


def _cmd_chat(args: argparse.Namespace) -> int:
    from bot.cli import console

    return console.chat(sys.stdin, sys.stdout)


def _cmd_catalog(args: argparse.Namespace) -> int:
    if args.format in ("xlsx", "csv"):
        from bot.cli.export import export

        if args.output:
            with open(args.output, "wb") as fh:
                return export(args.format, fh, year=args.year)
        return export(args.format, sys.stdout.buffer, year=args.year)
    from bot.cli import console

    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            return console.catalog_export(args.format, fh, year=args.year)
    return console.catalog_export(args.format, sys.stdout, year=args.year)


def _cmd_aliases(args: argparse.Namespace) -> int:
    from bot.cli.aliases import aliases_cli

    return aliases_cli(args)


def _cmd_web(args: argparse.Namespace) -> int:
    from bot.web.server import web_cli

    return web_cli(args)


def _cmd_run(args: argparse.Namespace) -> int:
    from bot.telegram.app import run_from_cli

    return run_from_cli(args)


def _cmd_report(args: argparse.Namespace) -> int:
    from bot.cli.report import report_cli

    return report_cli(args)


def _cmd_notify(args: argparse.Namespace) -> int:
    from bot.cli.notify import notify_cli

    return notify_cli(args)


def _cmd_db(args: argparse.Namespace) -> int:
    from bot.cli.db import db_cli

    return db_cli(args)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser for every sub-command."""
    parser = argparse.ArgumentParser(
        prog="skillbot",
        description="淮安市2024年政府补贴性职业技能培训问答（淮人社发〔2024〕22号）",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="回答一个问题；--jsonl 批量问答")
    ask.add_argument("question", nargs="*", help="问题文本")
    ask.add_argument(
        "--jsonl", action="store_true", help='stdin 每行 {"chat": "...", "text": "..."}'
    )
    ask.set_defaults(func=_cmd_ask)

    chat = sub.add_parser("chat", help="控制台对话（无需 Telegram token）")
    chat.set_defaults(func=_cmd_chat)

    catalog = sub.add_parser("catalog", help="目录导出")
    catalog_sub = catalog.add_subparsers(dest="catalog_command", required=True)
    export = catalog_sub.add_parser("export", help="导出全部目录条目")
    export.add_argument(
        "--format",
        choices=["json", "csv", "xlsx"],
        default="json",
        help="json：机器读取；csv（带 BOM，中文表头）/ xlsx（每类一张表）：给人看",
    )
    export.add_argument("-o", "--output", metavar="FILE", help="写入文件（默认标准输出）")
    export.add_argument("--year", default="2024", help="政策年度（默认 2024）")
    export.set_defaults(func=_cmd_catalog)

    run = sub.add_parser("run", help="运行 Telegram 机器人（需要 TELEGRAM_BOT_TOKEN）")
    run.add_argument("--webhook", metavar="URL", help="以 webhook 方式运行，公开地址")
    run.add_argument("--listen", default="127.0.0.1", help="webhook 监听地址")
    run.add_argument("--port", type=int, default=8443, help="webhook 监听端口")
    run.add_argument("--web-port", type=int, default=None, help="同时提供查询页面的端口")
    run.add_argument("--web-listen", default="127.0.0.1", help="查询页面监听地址")
    run.set_defaults(func=_cmd_run)

    report = sub.add_parser("report", help="管理报表")
    report.add_argument("what", choices=["unanswered"], help="unanswered：未能回答/差评的问题")
    report.add_argument("--limit", type=int, default=50)
    report.set_defaults(func=_cmd_report)

    notify = sub.add_parser("notify", help="群通知：发送与状态")
    notify_sub = notify.add_subparsers(dest="notify_command", required=True)
    send = notify_sub.add_parser("send", help="为所有匹配的订阅排队一条通知")
    send.add_argument("text")
    send.add_argument("--topic", default="全部")
    send.add_argument("--at", default=None, help='定时发送，如 "2024-03-01 09:00"')
    send.add_argument("--wait", action="store_true", help="显示进度直到发送完毕")
    status = notify_sub.add_parser("status", help="查看通知发送状态")
    status.add_argument("id", nargs="?", type=int)
    resend = notify_sub.add_parser("resend", help="把通知重新发给发送失败的聊天")
    resend.add_argument("id", type=int)
    resend.add_argument("--failed", action="store_true", required=True, help="只重发失败的")
    notify.set_defaults(func=_cmd_notify)

    aliases = sub.add_parser("aliases", help="工作人员教的叫法：导出 / 导入（YAML）")
    aliases_sub = aliases.add_subparsers(dest="action", required=True)
    aliases_export = aliases_sub.add_parser("export", help="导出为 aliases.yaml 格式")
    aliases_export.add_argument("-o", "--output", metavar="FILE")
    aliases_import = aliases_sub.add_parser("import", help="从 aliases.yaml 格式导入")
    aliases_import.add_argument("file", help="YAML 文件，- 为标准输入")
    aliases.set_defaults(func=_cmd_aliases)

    web = sub.add_parser("web", help="热线查询页面与 JSON 接口")
    web.add_argument(
        "--listen", default="127.0.0.1", help="监听地址（非本机需 SKILLBOT_WEB_TOKEN）"
    )
    web.add_argument("--port", type=int, default=8080)
    web.set_defaults(func=_cmd_web)

    db = sub.add_parser("db", help="数据库迁移")
    db.add_argument("action", choices=["upgrade", "current", "check", "purge"])
    db.add_argument(
        "--days", type=int, default=None, help="purge：保留天数（默认 SKILLBOT_RETENTION_DAYS）"
    )
    db.set_defaults(func=_cmd_db)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``skillbot`` command line."""
    args = build_parser().parse_args(argv)
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        # answers are Chinese whatever the locale; undecodable input bytes become U+FFFD
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:
        from bot.store.health import DATABASE_ERRORS, explain

        if not isinstance(error, DATABASE_ERRORS):
            raise
        print(f"skillbot {args.command}: {explain(error, _database_url())}", file=sys.stderr)
        return 1


def _database_url() -> str | None:
    """The database in use, for error messages (its password is never shown)."""
    from bot.settings import Settings, SettingsError

    try:
        return Settings.from_env(require_token=False).database_url
    except SettingsError:
        return None
