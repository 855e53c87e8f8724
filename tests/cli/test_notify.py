"""``skillbot notify send|status`` (bot.cli.notify) on both databases."""

from __future__ import annotations

import asyncio
import io
from argparse import Namespace
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.cli.commands import main
from bot.cli.notify import notify_cli, parse_at, wait_for_notice
from bot.store.state import Store, utcnow
from bot.telegram.delivery import Deliverer
from tests.support.fake_telegram import FakeTelegram, Fault

pytestmark = pytest.mark.usefixtures("subscribed_database")


def _send(text: str, **options: Any) -> tuple[int, str, str]:
    args = Namespace(notify_command="send", text=text, topic="全部", at=None, wait=False)
    for key, value in options.items():
        setattr(args, key, value)
    out, err = io.StringIO(), io.StringIO()
    return notify_cli(args, out, err), out.getvalue(), err.getvalue()


def _status(notice_id: int | None = None) -> tuple[int, str]:
    out = io.StringIO()
    code = notify_cli(Namespace(notify_command="status", id=notice_id), out, io.StringIO())
    return code, out.getvalue()


def test_send_queues_for_the_matching_subscriptions() -> None:
    assert _send("目录更新")[:2] == (
        0,
        "通知 #1 已排队：3 个订阅（主题 全部）\n"
        "由运行中的机器人发送；查看进度：skillbot notify status 1\n",
    )
    code, out, _ = _send("创业补贴", topic="创业")
    assert "2 个订阅" in out
    code, out = _status()
    assert code == 0 and "通知 #2：已送达 0 / 失败 0 / 等待 2（共 2）" in out


def test_send_refuses_bad_input() -> None:
    assert _send("x", topic="烹饪")[0] == 2
    assert _send("   ")[0] == 2
    code, _, err = _send("x", at="明天早上")
    assert code == 2 and "2024-03-01 09:00" in err


def test_scheduled_notice_is_stored_in_utc(store: Store) -> None:
    beijing = (utcnow() + timedelta(days=2, hours=8)).replace(hour=9, minute=0, second=0)
    code, out, _ = _send("开班", at=f"{beijing:%Y-%m-%d} 09:00")
    assert code == 0 and f"{beijing:%Y-%m-%d} 09:00 发送" in out
    status = store.notice_status(1)
    assert status is not None and status.send_at == beijing.replace(microsecond=0) - timedelta(
        hours=8
    )
    assert parse_at("2024-03-01T09:00+08:00") == datetime(2024, 3, 1, 1, 0)


def test_status_of_an_unknown_notice_fails() -> None:
    assert _status(99)[0] == 1
    assert main(["notify", "status"]) == 0


async def test_wait_shows_progress_until_done_with_failure_reasons(
    store: Store, fake_telegram: FakeTelegram, make_bot: Any
) -> None:
    fake_telegram.fail(Fault.blocked(), method="sendMessage", chat_id=3, times=None)
    notice_id, _ = store.queue_notice("报名截止", "全部")
    out = io.StringIO()
    waiting = asyncio.create_task(
        asyncio.to_thread(wait_for_notice, store, notice_id, out, interval=0.05, timeout=30)
    )
    # The deliverer's first second is silent: the progress starts from "nothing sent".
    deliverer = Deliverer(await make_bot(), store, startup_pause=0.5)
    await deliverer.run_until_idle(timeout=30)
    assert await waiting == 1  # one failure
    text = out.getvalue()
    progress = [line for line in text.splitlines() if line.startswith("通知 #")]
    assert "等待 3" in progress[0]
    assert "通知 #1：已送达 2 / 失败 1 / 等待 0（共 3）" in text
    assert "1 × 403 Forbidden: bot was blocked by the user" in text


def test_wait_says_at_once_when_no_instance_is_delivering(store: Store) -> None:
    notice_id, _ = store.queue_notice("报名截止", "全部")
    out = io.StringIO()
    assert wait_for_notice(store, notice_id, out, interval=0.01, timeout=0.05) == 3
    assert "没有正在运行的投递实例" in out.getvalue().splitlines()[0]
