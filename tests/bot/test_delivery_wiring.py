"""Notice delivery as ``build_application`` wires it: the deliverer's own Bot, no retries of 429
inside ``send_message`` (which ran past the lease and let a second deliverer send a copy)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from bot.app import build_application
from bot.context import Services
from bot.delivery import Deliverer
from bot.notify_handlers import DELIVERER_KEY
from bot.settings import Settings
from bot.store.state import Store
from nlp.engine import get_engine
from tests.support.fake_telegram import FakeTelegram, Fault

GROUP = -4101


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The JobQueue does not deliver on its own during the test."""
    return dataclasses.replace(settings, delivery_interval=3600.0)


async def test_a_429_is_not_retried_past_the_lease_two_deliverers_send_one_copy(
    settings: Settings, store: Store, fake_telegram: FakeTelegram
) -> None:
    app = build_application(settings, Services(engine=get_engine(), store=store))
    deliverer = app.bot_data[DELIVERER_KEY]
    assert isinstance(deliverer, Deliverer)
    assert deliverer.bot is not app.bot and getattr(deliverer.bot, "rate_limiter", None) is None
    lease = timedelta(seconds=2)
    deliverer.lease, deliverer.startup_pause = lease, 0.0
    other = Deliverer(deliverer.bot, store, worker_id="other", lease=lease, startup_pause=0.0)
    await asyncio.to_thread(store.subscribe, GROUP, "supergroup")
    await asyncio.to_thread(store.queue_notice, "明天截止报名")
    fake_telegram.fail(Fault.retry_after(1), method="sendMessage", chat_id=GROUP, times=3)
    async with app:
        first = asyncio.create_task(deliverer.drain())
        await fake_telegram.await_calls("sendMessage", chat_id=GROUP)
        await asyncio.sleep(lease.total_seconds() + 0.3)  # the first claim's lease is over
        await other.run_until_idle(timeout=30)
        await asyncio.wait_for(first, 30)
        await deliverer.run_until_idle(timeout=30)
        await app.bot_data["delivery_bot"].shutdown()
    copies = [c for c in fake_telegram.calls("sendMessage", chat_id=GROUP) if c.status == 200]
    assert len(copies) == 1
    status = store.recent_notices()[0]
    assert (status.delivered, status.pending) == (1, 0)
