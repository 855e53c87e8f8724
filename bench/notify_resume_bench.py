"""Benchmark: a deliverer killed (SIGKILL) mid-broadcast and restarted — how soon is every
reachable group served?

    .venv/bin/python -m bench.notify_resume_bench [--runs 20] [--groups 120] [--url DATABASE_URL]

Each run: 120 groups subscribed (5 have removed the bot: 403; 5 answer 502 twice; one answers
429 retry_after=1 once; one answers 502 once more after the restart), one notice queued, a
deliverer process started with the production settings (the shared send budget, a 4 s lease
renewed by a heartbeat every second, claims of two seconds' worth), SIGKILLed after a random
number of accepted messages (5 to 110), and a new one started at once.  Reported per run and
worst of all runs:

* recovery: seconds from the restart to the last reachable group's first accepted copy (target
  ≤ 10 s; the floor is the time to send what was left at 30/s);
* repeated: groups that accepted the notice twice (target: at most the messages in flight when
  the first deliverer died);
* peak: the most sendMessage calls the stand-in received in any one-second window, both
  deliverers together (target ≤ 30).

A reported figure, not a test: 20 runs take about four minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONCURRENCY = 8


async def deliver(url: str, base_url: str, token: str) -> None:
    """The deliverer process: production defaults, until nothing is left."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from bot.store.state import Store
    from bot.telegram.budget import SendBudget
    from bot.telegram.delivery import Deliverer

    store = Store(url)
    request = HTTPXRequest(connection_pool_size=32, read_timeout=5.0)
    async with Bot(token, base_url=base_url, request=request) as bot:
        deliverer = Deliverer(
            bot, store, concurrency=CONCURRENCY, budget=SendBudget(store), backoff_base=1.0
        )
        print("delivering", flush=True)
        await deliverer.run_until_idle(timeout=600)
        await deliverer.close()
    store.close()


def one_run(url: str, groups: int, rng: random.Random) -> tuple[float, int, int, int]:
    """One kill and resume; (recovery seconds, repeated groups, in flight bound, peak/s)."""
    from bot.store.state import Store
    from tests.support.fake_telegram import FakeTelegram, Fault
    from tests.telegram.test_delivery import peak_per_second

    store = Store(url)
    chats = [-(1000 + i) for i in range(groups)]
    for chat in chats:
        store.subscribe(chat, "group")
    kicked, flaky = chats[:5], chats[5:10]
    throttled, late_flaky = chats[10], chats[11]
    with FakeTelegram() as fake:
        for chat in kicked:
            fake.fail(Fault.kicked(), method="sendMessage", chat_id=chat, times=None)
        for chat in flaky:
            fake.fail(Fault.bad_gateway(), method="sendMessage", chat_id=chat, times=2)
        fake.fail(Fault.retry_after(1), method="sendMessage", chat_id=throttled, times=1)
        store.queue_notice("报名截止提醒：本周五前提交材料。", "全部")
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        command = [sys.executable, "-m", "bench.notify_resume_bench", "--worker", url]
        command += [fake.base_url, fake.token]
        first = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL)
        kill_after = rng.randint(5, 110)
        fake.wait_for(
            "sendMessage", where=lambda c: c.status == 200, count=kill_after, timeout=120
        )
        first.send_signal(signal.SIGKILL)
        first.wait(30)
        fake.fail(Fault.bad_gateway(), method="sendMessage", chat_id=late_flaky, times=1)
        restart = time.monotonic()
        second = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL)
        reachable = set(chats) - set(kicked)
        try:
            fake.wait_for(
                "sendMessage",
                where=lambda c: c.status == 200,
                count=len(reachable),
                timeout=120,
            )
            second.wait(120)
        finally:
            if second.poll() is None:
                second.kill()
        sends = fake.calls("sendMessage")
    store.close()
    accepted = [c for c in sends if c.status == 200]
    first_copy: dict[object, float] = {}
    for call in accepted:
        first_copy.setdefault(call.chat_id, call.time)
    missing = reachable - set(first_copy)
    if missing:
        raise AssertionError(f"never served: {sorted(missing)}")
    recovery = max(first_copy[c] for c in reachable) - restart
    repeated = sum(1 for n in Counter(c.chat_id for c in accepted).values() if n > 1)
    return recovery, repeated, CONCURRENCY, peak_per_second(sends)


def main() -> None:
    """Run the benchmark (or, with ``--worker``, be the deliverer process)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", nargs=3, metavar=("URL", "BASE_URL", "TOKEN"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--groups", type=int, default=120)
    parser.add_argument("--url", default=None, help="a database URL (default: SQLite files)")
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(deliver(*args.worker))
        return
    rng = random.Random(args.seed)
    worst = (0.0, 0, 0)
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            url = args.url or f"sqlite:///{Path(tmp) / f'run{run}.sqlite3'}"
            if args.url:
                _empty(args.url)
            recovery, repeated, bound, peak = one_run(url, args.groups, rng)
            print(
                f"run {run + 1:2}: recovery {recovery:5.2f} s, repeated {repeated} "
                f"(≤ {bound} in flight), peak {peak}/s",
                flush=True,
            )
            worst = (max(worst[0], recovery), max(worst[1], repeated), max(worst[2], peak))
    print(
        f"worst of {args.runs}: recovery {worst[0]:.2f} s (target ≤ 10 s), "
        f"repeated {worst[1]} (≤ {CONCURRENCY}), peak {worst[2]}/s (≤ 30)"
    )


def _empty(url: str) -> None:
    """Drop every table of a PostgreSQL database given with --url (a fresh start per run)."""
    from sqlalchemy import text

    from bot.store.db import make_engine

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


if __name__ == "__main__":
    main()
