"""A deliverer in its own process, for the kill-mid-broadcast test and the benchmark.

    python -m tests.telegram.deliver_worker DATABASE_URL BASE_URL TOKEN [--rate 30] [--concurrency 8]

Delivers until nothing is left, then exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.store.state import Store
from bot.telegram.delivery import Deliverer


async def main() -> None:
    """Deliver the outbox of ``DATABASE_URL`` through the Bot API at ``BASE_URL``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("base_url")
    parser.add_argument("token")
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--lease", type=float, default=120.0)
    args = parser.parse_args()
    store = Store(args.url)
    request = HTTPXRequest(connection_pool_size=64, read_timeout=5.0)
    async with Bot(args.token, base_url=args.base_url, request=request) as bot:
        deliverer = Deliverer(
            bot,
            store,
            messages_per_second=args.rate,
            concurrency=args.concurrency,
            lease=timedelta(seconds=args.lease),
            backoff_base=0.05,
            startup_pause=0.0,
        )
        print("delivering", flush=True)
        await deliverer.run_until_idle(timeout=600)
    store.close()


if __name__ == "__main__":
    asyncio.run(main())
