"""bot.telegram.delivery against the stand-in Bot API: limits, faults, a kill mid-broadcast, two
deliverers, migrated groups and long notices — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import html
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.store.state import DELIVERED, OutboxMessage, Store, utcnow
from bot.telegram.delivery import Deliverer, render_notice
from tests.support.fake_telegram import Call, FakeTelegram, Fault, html_to_text, utf16_len

REPO = Path(__file__).resolve().parents[2]
GROUPS = 120


def _subscribe_groups(store: Store, n: int = GROUPS) -> list[int]:
    chats = [-(1000 + i) for i in range(n)]
    for chat in chats:
        store.subscribe(chat, "group")
    return chats


def _deliverer(bot: Any, store: Store, **options: Any) -> Deliverer:
    options.setdefault("backoff_base", 0.05)
    options.setdefault("backoff_max", 0.5)
    options.setdefault("startup_pause", 0.0)
    return Deliverer(bot, store, **options)


def peak_per_second(calls: list[Call]) -> int:
    """The most calls that arrived within any one-second window."""
    times = sorted(c.time for c in calls)
    peak, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


def accepted(fake_telegram: FakeTelegram) -> Counter[Any]:
    """How many copies each chat accepted (status 200)."""
    return Counter(c.chat_id for c in fake_telegram.calls("sendMessage") if c.status == 200)


async def test_broadcast_with_faults(
    store: Store, fake_telegram: FakeTelegram, make_bot: Callable[[], Any]
) -> None:
    """120 groups; 403, 400, 429, 502, timeouts and a migration injected: every reachable group
    gets the notice, each failure is recorded with its reason, ≤ 30 messages in any second."""
    chats = _subscribe_groups(store)
    kicked, missing, flaky, slow = chats[0:5], chats[5:7], chats[10:15], chats[20:22]
    dead_gateway, migrating, throttled = chats[40], chats[30], chats[50]
    new_id = -1_000_000_000_000 + migrating
    for chat in kicked:
        fake_telegram.fail(Fault.kicked(), method="sendMessage", chat_id=chat, times=None)
    for chat in missing:
        fake_telegram.fail(Fault.chat_not_found(), method="sendMessage", chat_id=chat, times=None)
    for chat in flaky:
        fake_telegram.fail(Fault.bad_gateway(), method="sendMessage", chat_id=chat, times=2)
    for chat in slow:
        fake_telegram.fail(Fault.slow(1.5), method="sendMessage", chat_id=chat, times=1)
    fake_telegram.fail(Fault.bad_gateway(), method="sendMessage", chat_id=dead_gateway, times=None)
    fake_telegram.fail(Fault.migrated(new_id), method="sendMessage", chat_id=migrating, times=None)
    fake_telegram.fail(Fault.retry_after(1), method="sendMessage", chat_id=throttled, times=1)
    notice_id, queued = store.queue_notice("2024年培训目录已更新 <附件2> & 紧缺工种", "全部")
    assert queued == GROUPS

    deliverer = _deliverer(await make_bot(), store, max_attempts=4)
    await deliverer.run_until_idle(timeout=90)

    got = accepted(fake_telegram)
    unreachable = {*kicked, *missing, dead_gateway}
    reachable = (set(chats) - unreachable - {migrating}) | {new_id}
    assert {chat for chat in got} == reachable
    # Only a message whose answer timed out may have arrived twice.
    assert {chat for chat, n in got.items() if n > 1} <= set(slow)
    status = store.notice_status(notice_id)
    assert status is not None
    assert (status.delivered, status.failed, status.pending) == (GROUPS - 8, 8, 0)
    reasons = dict(status.failures)
    assert reasons["403 Forbidden: bot was kicked from the group chat"] == 5
    assert reasons["400 Chat not found"] == 2
    assert reasons["network: Bad Gateway（已尝试 4 次）"] == 1
    for chat in (*kicked, *missing):
        sub = store.subscription(chat)
        assert sub is not None and not sub.active
    gateway_sub = store.subscription(dead_gateway)
    assert gateway_sub is not None and gateway_sub.active  # may come back: not deactivated
    assert store.subscription(migrating) is None
    moved = store.subscription(new_id)
    assert moved is not None and moved.active

    sends = fake_telegram.calls("sendMessage")
    assert peak_per_second(sends) <= 30
    (too_many,) = [c for c in sends if c.status == 429]
    during_pause = [c for c in sends if too_many.time + 0.1 < c.time < too_many.time + 0.95]
    assert during_pause == []
    assert all(c.params["parse_mode"] == "HTML" for c in sends)
    assert (
        html_to_text(sends[-1].text).split("\n\n")[1] == "2024年培训目录已更新 <附件2> & 紧缺工种"
    )


async def test_kill_mid_broadcast_then_resume(
    database_url: str, store: Store, fake_telegram: FakeTelegram, make_bot: Callable[[], Any]
) -> None:
    """A deliverer process is SIGKILLed mid-broadcast; another resumes after the lease: nobody
    is skipped and only the messages in flight at the kill (≤ concurrency) arrive twice."""
    chats = _subscribe_groups(store)
    store.queue_notice("报名截止提醒", "全部")
    concurrency = 4
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.telegram.deliver_worker",
            database_url,
            fake_telegram.base_url,
            fake_telegram.token,
            "--concurrency",
            str(concurrency),
            "--lease",
            "3",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        await fake_telegram.await_calls("sendMessage", count=40, timeout=60)
    finally:
        worker.send_signal(signal.SIGKILL)
        _, err = worker.communicate(timeout=30)
    assert worker.returncode == -signal.SIGKILL, err.decode()[-2000:]
    with store._session() as session:
        delivered_at_kill = set(
            session.scalars(select(OutboxMessage.chat_id).where(OutboxMessage.state == DELIVERED))
        )
    assert 30 <= len(delivered_at_kill) < GROUPS

    resumed = _deliverer(await make_bot(), store, startup_pause=1.0)
    await resumed.run_until_idle(timeout=60)

    got = accepted(fake_telegram)
    assert set(got) == set(chats)
    repeated = {chat for chat, n in got.items() if n > 1}
    assert len(repeated) <= concurrency
    assert not repeated & delivered_at_kill
    status = store.notice_status(1)
    assert status is not None and (status.delivered, status.pending) == (GROUPS, 0)
    assert peak_per_second(fake_telegram.calls("sendMessage")) <= 30


async def test_two_deliverers_never_double_send(
    database_url: str, store: Store, fake_telegram: FakeTelegram, make_bot: Callable[[], Any]
) -> None:
    """Two instances (own store, own bot) drain one outbox at once: one copy per chat."""
    chats = _subscribe_groups(store, 90)
    for i in range(10):
        store.subscribe(10 + i, "private")
    store.queue_notice("第一条", "全部")
    store.queue_notice("第二条", "全部")
    other_store = Store(database_url)
    try:
        first = _deliverer(await make_bot(), store, messages_per_second=60, batch_size=10)
        second = _deliverer(await make_bot(), other_store, messages_per_second=60, batch_size=10)
        await asyncio.gather(first.run_until_idle(timeout=60), second.run_until_idle(timeout=60))
    finally:
        other_store.close()
    texts = Counter((c.chat_id, c.text) for c in fake_telegram.calls("sendMessage"))
    assert len(texts) == 2 * (len(chats) + 10)
    assert set(texts.values()) == {1}
    assert first.stats.delivered > 0 and second.stats.delivered > 0


async def test_migrated_group_gets_one_copy(
    store: Store, fake_telegram: FakeTelegram, make_bot: Callable[[], Any]
) -> None:
    """A group upgraded to a supergroup, whose new id is also subscribed already: one copy,
    sent to the new id; later notices go straight there."""
    old, new, alone_old, alone_new = -77, -1_000_000_000_077, -78, -1_000_000_000_078
    store.subscribe(old, "group")
    store.subscribe(new, "supergroup")
    store.subscribe(alone_old, "group")
    fake_telegram.fail(Fault.migrated(new), method="sendMessage", chat_id=old, times=None)
    fake_telegram.fail(
        Fault.migrated(alone_new), method="sendMessage", chat_id=alone_old, times=None
    )
    notice_id, _ = store.queue_notice("政策调整", "全部")
    await _deliverer(await make_bot(), store).run_until_idle(timeout=30)
    assert accepted(fake_telegram) == Counter({new: 1, alone_new: 1})
    store.queue_notice("第二条", "全部")
    await _deliverer(await make_bot(), store).run_until_idle(timeout=30)
    assert accepted(fake_telegram) == Counter({new: 2, alone_new: 2})
    assert len(fake_telegram.calls("sendMessage", chat_id=old)) == 1
    status = store.notice_status(notice_id)
    assert status is not None and (status.delivered, status.merged, status.failed) == (2, 1, 0)


async def test_long_notice_is_split_escaped_and_complete(
    store: Store, fake_telegram: FakeTelegram, make_bot: Callable[[], Any]
) -> None:
    paragraph = "第{}条：焊工 <高级> & 电工 “技师” 🎓 补贴按目录标准执行。\n"
    text = "".join(paragraph.format(i) for i in range(400))
    store.subscribe(-5, "group")
    store.queue_notice(text, "全部")
    await _deliverer(await make_bot(), store).run_until_idle(timeout=30)
    parts = fake_telegram.calls("sendMessage", chat_id=-5)
    assert len(parts) >= 3 and all(c.status == 200 for c in parts)
    # Telegram counts the text after entity parsing: &amp; is one unit
    assert all(utf16_len(html_to_text(c.text)) <= 4096 for c in parts)
    whole = "\n".join(html_to_text(c.text) for c in parts)
    header, footer = "淮安职业培训补贴通知\n\n", "\n\n不想再收到：群管理员发送 /unsubscribe"
    assert whole == header + text.strip() + footer  # the header first, the way out last


async def test_per_chat_limits(
    store: Store, fake_telegram: FakeTelegram, make_bot: Callable[[], Any]
) -> None:
    """A person gets ≤ 1 message per (scaled) interval; a group over its per-minute limit waits."""
    store.subscribe(5, "private")
    store.subscribe(-6, "group")
    for i in range(3):
        store.queue_notice(f"第{i}条", "全部")
    deliverer = _deliverer(
        await make_bot(), store, private_messages_per_second=5, group_messages_per_minute=2
    )
    await deliverer.drain()
    await deliverer.drain()
    private = [c.time for c in fake_telegram.calls("sendMessage", chat_id=5)]
    assert len(private) == 3
    assert min(b - a for a, b in pairwise(private)) >= 0.19
    assert len(fake_telegram.calls("sendMessage", chat_id=-6)) == 2
    with store._session() as session:
        (waiting,) = session.scalars(
            select(OutboxMessage).where(OutboxMessage.state == "pending")
        ).all()
    assert waiting.chat_id == -6
    assert waiting.available_at > utcnow() + timedelta(seconds=50)


def test_notice_rendering_escapes_and_never_cuts_an_entity_or_a_surrogate_pair() -> None:
    assert len(render_notice("&" * 5000)) == 2  # as Telegram counts: not 7
    text = "&" * 5000 + "😀" * 3000
    parts = render_notice(text, "private", "S")
    body = "".join(html.unescape(p) for p in parts)
    assert body == "<b>S</b>\n\n" + text + "\n\n<i>不想再收到：回复“退订”</i>"
    for part in parts:
        assert utf16_len(html.unescape(part)) <= 4096
        assert html.unescape(part).count("&") == part.count("&amp;")  # no entity was cut
    assert render_notice("  <b>短通知</b>  ", "supergroup", "<人社>") == [
        "<b>&lt;人社&gt;</b>\n\n&lt;b&gt;短通知&lt;/b&gt;\n\n"
        "<i>不想再收到：群管理员发送 /unsubscribe</i>"
    ]
