"""Notice delivery as ``build_application`` wires it: the deliverer's own Bot, paced and
switched by the settings, no retries of 429 inside ``send_message`` (which ran past the lease
and let a second deliverer send a copy)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from telegram import Bot

from bot.settings import Settings
from bot.store.state import Store
from bot.telegram.app import build_application
from bot.telegram.context import Services
from bot.telegram.delivery import Deliverer
from nlp.engine import get_engine
from tests.support.fake_telegram import FakeTelegram, Fault

GROUP = -4101


def test_the_deliverer_follows_the_settings(settings: Settings, app_store: Store) -> None:
    paced = dataclasses.replace(settings, notify_rate=7.5)
    services = Services(engine=get_engine(), store=app_store)
    app = build_application(paced, services)
    assert services.deliverer is not None and services.deliverer.messages_per_second == 7.5
    assert app.job_queue is not None and app.job_queue.get_jobs_by_name("notice-delivery")
    off = Services(engine=get_engine(), store=app_store)
    app = build_application(dataclasses.replace(settings, delivery=False), off)
    assert off.deliverer is None
    assert app.job_queue is not None and not app.job_queue.get_jobs_by_name("notice-delivery")


async def test_a_429_is_not_retried_past_the_lease_two_deliverers_send_one_copy(
    settings_without_delivery_job: Settings, store: Store, fake_telegram: FakeTelegram
) -> None:
    services = Services(engine=get_engine(), store=store)
    app = build_application(settings_without_delivery_job, services)
    deliverer = services.deliverer
    assert isinstance(deliverer, Deliverer) and isinstance(deliverer.bot, Bot)
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
        await deliverer.bot.shutdown()
    copies = [c for c in fake_telegram.calls("sendMessage", chat_id=GROUP) if c.status == 200]
    assert len(copies) == 1
    status = store.recent_notices()[0]
    assert (status.delivered, status.pending) == (1, 0)
