"""Benchmark: one notice to 5,000 subscriptions through the stand-in Bot API at Telegram's limit.

    .venv/bin/python -m bench.notify_bench [--count 5000] [--rate 30] [--url DATABASE_URL]

Prints the delivery rate (goal ≥ 95 % of the limit), the peak in any one-second window, and the
losses (subscriptions that got nothing: goal 0) and duplicates.  A reported figure, not a test:
5,000 messages at 30/s take about three minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from pathlib import Path

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.store.state import Store
from bot.telegram.delivery import Deliverer
from tests.support.fake_telegram import FakeTelegram
from tests.telegram.test_delivery import peak_per_second


async def run(count: int, rate: float, url: str, concurrency: int) -> None:
    """Queue one notice for ``count`` chats and deliver it, printing the figures."""
    store = Store(url)
    started = time.perf_counter()
    for i in range(count):
        # Mostly groups, every tenth a person, as a city's training groups and staff would be.
        store.subscribe(
            10_000 + i if i % 10 == 0 else -1_000_000_000_000 - i,
            "private" if i % 10 == 0 else "supergroup",
        )
    notice_id, queued = store.queue_notice(
        "2024年补贴性职业技能培训目录已更新，请查看附件2。", "全部"
    )
    print(f"database: {store.engine.url.render_as_string(hide_password=True)}")
    print(f"queued {queued} outbox rows in {time.perf_counter() - started:.1f} s")
    with FakeTelegram() as fake:
        request = HTTPXRequest(connection_pool_size=64, read_timeout=5.0)
        async with Bot(fake.token, base_url=fake.base_url, request=request) as bot:
            deliverer = Deliverer(
                bot, store, messages_per_second=rate, concurrency=concurrency, startup_pause=0.0
            )
            started = time.perf_counter()
            await deliverer.run_until_idle(timeout=count / rate * 3 + 60)
            wall = time.perf_counter() - started
        sends = fake.calls("sendMessage")
    status = store.notice_status(notice_id)
    store.close()
    assert status is not None
    copies = Counter(c.chat_id for c in sends if c.status == 200)
    span = max(c.time for c in sends) - min(c.time for c in sends)
    achieved = (len(sends) - 1) / span if span else float("inf")
    print(f"sent {len(sends)} messages in {span:.1f} s (wall {wall:.1f} s)")
    print(f"rate {achieved:.2f} msg/s = {achieved / rate:.1%} of the {rate:g}/s limit")
    print(f"peak in any 1 s window: {peak_per_second(sends)}")
    print(f"delivered {status.delivered}, failed {status.failed}, pending {status.pending}")
    print(
        f"lost (no copy): {queued - len(copies)}, "
        f"duplicated: {sum(n > 1 for n in copies.values())}"
    )


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        asyncio.run(run(args.count, args.rate, url, args.concurrency))


if __name__ == "__main__":
    main()
