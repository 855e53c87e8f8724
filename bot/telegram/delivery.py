"""Delivering queued notices from the outbox to Telegram, within Telegram's limits.

A :class:`Deliverer` claims due outbox rows (``Store.claim_outbox``), sends each notice (escaped,
``parse_mode`` HTML, split into ≤ 4096-unit parts; the sender's name on the first line, how to
stop notices on the last — /unsubscribe in groups, 退订 in private) and records the outcome per
row:

* pacing: the shared :class:`~bot.telegram.budget.SendBudget` (30 a second for answers and
  notices of every instance together; without one, ≤ ``messages_per_second`` for this
  deliverer alone), ≤ ``group_messages_per_minute`` per group and
  ≤ ``private_messages_per_second`` per private chat — PTB's ``AIORateLimiter`` has no
  per-private-chat limit, so these limits live here;
* 429: every sender pauses for ``retry_after`` and the row is put back untouched;
* 5xx, timeouts, network errors: retried with exponential backoff capped at 30 s, for
  ``retry_for`` (12 hours) after the notice became due, then failed (``notify resend --failed``);
* 403 (blocked, kicked, deactivated) and 400 "chat not found": failed with the reason and the
  subscription deactivated;
* ``migrate_to_chat_id``: the subscription moves to the supergroup (``Store.migrate_chat``) and
  the notice is sent there, once.

Delivery is at-least-once: a row is marked delivered (and each part of a long notice recorded)
only after Telegram accepted it, so a deliverer killed mid-broadcast repeats at most the messages
in flight (≤ ``concurrency``).  Claims are small (what goes out in the next two seconds) and
short (a 4 s lease renewed by a heartbeat every second), so a killed instance's rows are taken
over within seconds; a clean stop gives them back at once.  Several deliverers on one database
never claim the same row, and share one send budget.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import random
import socket
import uuid
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.settings import NOTICE_SENDER
from bot.store.health import DATABASE_ERRORS, Outage
from bot.store.state import ClaimedMessage, Store, utcnow
from bot.telegram import texts
from bot.telegram.budget import Pacer, SendBudget
from bot.telegram.formatting import MAX_MESSAGE_UTF16, split_plain, utf16_len

log = logging.getLogger(__name__)

TELEGRAM_MESSAGES_PER_SECOND = 30.0
TELEGRAM_GROUP_MESSAGES_PER_MINUTE = 20
TELEGRAM_PRIVATE_MESSAGES_PER_SECOND = 1.0
_GROUP_TYPES = {"group", "supergroup", "channel"}
_MAX_MIGRATIONS = 2  # group → supergroup happens once; more means something is wrong
# A claim lasts LEASE unless renewed by the claimer's heartbeat (every HEARTBEAT_INTERVAL), so
# a killed instance's rows are free again within LEASE; each instance claims only what it sends
# in the next CLAIM_AHEAD_SECONDS.
LEASE = timedelta(seconds=4)
HEARTBEAT_INTERVAL = 1.0
CLAIM_AHEAD_SECONDS = 2.0
# Network errors, 5xx and 429 are retried for hours (a Bot API outage ends, a notice should
# still arrive), at most BACKOFF_MAX apart; only answers that cannot change (403, chat not
# found) end a delivery at once.
RETRY_FOR = timedelta(hours=12)
BACKOFF_MAX = 30.0


class MessageSender(Protocol):
    """Anything with PTB's ``Bot.send_message``."""

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> Any:
        """Send one message."""


# --- rendering --------------------------------------------------------------------------------


def render_notice(text: str, chat_type: str = "private", sender: str = NOTICE_SENDER) -> list[str]:
    """A notice as Telegram HTML: the sender's name first, the text escaped like any other
    user-visible text, how to stop notices last (by the kind of chat); split on its *text*
    length as Telegram counts it after entity parsing (≤ 4096 UTF-16 units a part, the
    sender's line and the way out included).

    >>> render_notice("A & B", "group", "淮安")
    ['<b>淮安</b>\\n\\nA &amp; B\\n\\n<i>不想再收到：群管理员发送 /unsubscribe</i>']
    """
    esc = html.escape
    opt_out = (
        texts.NOTICE_OPT_OUT_GROUP if chat_type in _GROUP_TYPES else texts.NOTICE_OPT_OUT_PRIVATE
    )
    head, tail = f"{sender}\n\n", f"\n\n{opt_out}"
    room = MAX_MESSAGE_UTF16 - utf16_len(head) - utf16_len(tail)
    parts = [esc(part, quote=False) for part in split_plain(text.strip(), room)]
    parts[0] = f"<b>{esc(sender)}</b>\n\n{parts[0]}"
    parts[-1] = f"{parts[-1]}\n\n<i>{esc(opt_out)}</i>"
    return parts


# --- pacing ------------------------------------------------------------------------------------


class ChatLimits:
    """Sliding-window limits per chat: groups per minute, private chats per second."""

    def __init__(
        self, group_per_minute: int, private_per_second: float, clock: Callable[[], float]
    ):
        """Telegram's defaults are 20 a minute per group and about one a second per person."""
        self._group = (group_per_minute, 60.0)
        self._private = (1, 1.0 / private_per_second)
        self._clock = clock
        self._sent: dict[int, deque[float]] = {}

    def _window(self, chat_id: int, chat_type: str) -> tuple[int, float]:
        is_group = chat_type in _GROUP_TYPES or (chat_type == "" and chat_id < 0)
        return self._group if is_group else self._private

    def delay(self, chat_id: int, chat_type: str) -> float:
        """Seconds until ``chat_id`` may receive another message."""
        count, period = self._window(chat_id, chat_type)
        sent = self._sent.get(chat_id)
        if not sent:
            return 0.0
        now = self._clock()
        while sent and sent[0] <= now - period:
            sent.popleft()
        if len(sent) < count:
            return 0.0
        return sent[0] + period - now

    def record(self, chat_id: int) -> None:
        """Count a message just sent to ``chat_id``."""
        self._sent.setdefault(chat_id, deque()).append(self._clock())
        if len(self._sent) > 10_000:
            horizon = self._clock() - 60.0
            for chat in [c for c, d in self._sent.items() if not d or d[-1] < horizon]:
                del self._sent[chat]


# --- delivering --------------------------------------------------------------------------------


@dataclass
class DeliveryStats:
    """What one deliverer did (for logs, tests and the benchmark)."""

    sent: int = 0
    delivered: int = 0
    failed: int = 0
    retried: int = 0
    migrated: int = 0


def _seconds(value: Any) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _retry_after(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _seconds(error.retry_after)


def _is_gone(error: BadRequest) -> bool:
    """400s that mean the chat is unreachable for good (not a problem with this message)."""
    message = error.message.lower()
    return any(
        phrase in message
        for phrase in ("chat not found", "group chat was deactivated", "peer_id_invalid")
    )


class Deliverer:
    """Sends due outbox rows through ``bot``; one per bot instance, or several in tests."""

    def __init__(
        self,
        bot: MessageSender,
        store: Store,
        *,
        worker_id: str | None = None,
        messages_per_second: float = TELEGRAM_MESSAGES_PER_SECOND,
        group_messages_per_minute: int = TELEGRAM_GROUP_MESSAGES_PER_MINUTE,
        private_messages_per_second: float = TELEGRAM_PRIVATE_MESSAGES_PER_SECOND,
        concurrency: int = 8,
        batch_size: int | None = None,
        lease: timedelta = LEASE,
        heartbeat_interval: float = HEARTBEAT_INTERVAL,
        claim_ahead: float = CLAIM_AHEAD_SECONDS,
        max_attempts: int | None = None,
        retry_for: timedelta = RETRY_FOR,
        backoff_base: float = 2.0,
        backoff_max: float = BACKOFF_MAX,
        max_chat_wait: float = 1.5,
        job_budget: float = 10.0,
        startup_pause: float = 1.0,
        sender: str = NOTICE_SENDER,
        budget: SendBudget | None = None,
    ) -> None:
        """Limits default to Telegram's; tests scale them down.  ``sender`` heads every
        notice (``SKILLBOT_NOTICE_SENDER``).  With ``budget`` the overall rate is the budget
        shared through the database (``messages_per_second`` is then only the pace this
        deliverer claims rows for)."""
        self.bot = bot
        self.store = store
        self.sender = sender
        self.worker_id = (
            worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        )[:64]
        self.messages_per_second = messages_per_second
        self.group_messages_per_minute = group_messages_per_minute
        self.private_messages_per_second = private_messages_per_second
        self.concurrency = concurrency
        # Claim only what goes out in the next few seconds: rows claimed by an instance that
        # dies are everybody else's again as soon as its short lease lapses.
        ahead = int(messages_per_second * claim_ahead)
        self.batch_size = batch_size or max(concurrency * 2, ahead)
        self.lease = lease
        self.heartbeat_interval = heartbeat_interval
        self.max_attempts = max_attempts
        self.retry_for = retry_for
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_chat_wait = max_chat_wait
        self.job_budget = job_budget
        self.startup_pause = startup_pause
        self.budget = budget
        self.outage = budget.outage if budget is not None else Outage(log, "notices wait")
        self.stats = DeliveryStats()
        self._pacer: Pacer | None = None
        self._chats: ChatLimits | None = None
        self._slots: asyncio.Semaphore | None = None
        self._running: asyncio.Task[int] | None = None
        self._beating: asyncio.Task[None] | None = None
        self._renewed = 0.0  # loop time of the last heartbeat that renewed our leases
        self._chat_locks: dict[int, tuple[asyncio.Lock, int]] = {}

    def _ensure_loop_state(self) -> None:
        if self._pacer is None:
            loop = asyncio.get_running_loop()
            self._pacer = Pacer(self.messages_per_second, clock=loop.time)
            self._chats = ChatLimits(
                self.group_messages_per_minute, self.private_messages_per_second, loop.time
            )
            self._slots = asyncio.Semaphore(self.concurrency)
            if self.budget is None:
                # Without the shared budget, a deliverer restarted right after a crash cannot
                # know what the dead one sent in its last second: wait that second out.
                self._pacer.pause(self.startup_pause)
        if self._beating is None or self._beating.done():
            self._beating = asyncio.create_task(self._beat_forever(), name="notice-heartbeat")

    # --- heartbeat -------------------------------------------------------------------------

    async def heartbeat(self) -> None:
        """Tell the database this instance is alive and renew the leases of its rows."""
        try:
            await asyncio.to_thread(
                self.store.heartbeat, self.worker_id, delivering=True, lease=self.lease
            )
            if self.budget is not None:
                self.budget.instances_seen = max(
                    1, await asyncio.to_thread(self.store.live_deliverers, self.lease * 2)
                )
        except DATABASE_ERRORS as error:
            self.outage.failed(error)
            return
        self._renewed = asyncio.get_running_loop().time()

    async def _beat_forever(self) -> None:
        while True:
            await self.heartbeat()
            await asyncio.sleep(self.heartbeat_interval)

    async def close(self) -> None:
        """Stop beating and give back the rows this instance holds (a clean stop)."""
        if self._beating is not None:
            self._beating.cancel()
            self._beating = None
        if self._running is not None and not self._running.done():
            self._running.cancel()
        try:
            await asyncio.to_thread(self.store.end_instance, self.worker_id)
        except DATABASE_ERRORS as error:
            self.outage.failed(error)

    # --- loops -----------------------------------------------------------------------------

    async def drain(self, budget: float | None = None) -> int:
        """Deliver every row claimable now and those freed while sending; return rows handled.

        Returns when nothing is claimable (rows waiting for a backoff or a scheduled time are
        left for the next call) or, with ``budget``, once that many seconds passed and the rows
        already claimed are done — so that the bot can stop without waiting for a broadcast.
        """
        self._ensure_loop_state()
        loop = asyncio.get_running_loop()
        deadline = None if budget is None else loop.time() + budget
        handled = 0
        inflight: set[asyncio.Task[None]] = set()
        low_water = max(1, self.batch_size // 2)
        exhausted = False
        try:
            while True:
                if deadline is not None and loop.time() > deadline:
                    exhausted = True
                elif not exhausted and len(inflight) <= low_water:
                    try:
                        claimed = await asyncio.to_thread(
                            self.store.claim_outbox,
                            self.worker_id,
                            self.batch_size - len(inflight),
                            self.lease,
                        )
                    except DATABASE_ERRORS as error:
                        self.outage.failed(error)  # logged once; the rows wait in the database
                        claimed = []
                    else:
                        self.outage.succeeded()
                        self._renewed = loop.time()
                    handled += len(claimed)
                    now = loop.time()
                    inflight.update(asyncio.create_task(self._deliver(m, now)) for m in claimed)
                    exhausted = not claimed
                if not inflight:
                    return handled
                done, inflight = await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
                exhausted = deadline is not None and loop.time() > deadline
                for task in done:
                    if task.exception() is not None:
                        log.error("delivery task failed", exc_info=task.exception())
        finally:
            for task in inflight:
                task.cancel()

    async def run_until_idle(self, timeout: float = 600.0, poll: float = 0.2) -> int:
        """Drain repeatedly until no row is pending or being sent (bounded by ``timeout``)."""
        handled = 0
        async with asyncio.timeout(timeout):
            while True:
                handled += await self.drain()
                due = await asyncio.to_thread(self.store.next_due)
                if due is None:
                    return handled
                await asyncio.sleep(min(max((due - utcnow()).total_seconds(), 0.0), poll) or 0.01)

    async def job(self, context: Any) -> None:
        """JobQueue callback: start a drain in the background unless one is running."""
        self._ensure_loop_state()
        if self._running is not None and not self._running.done():
            return
        budget = self.job_budget
        application = getattr(context, "application", None)
        if application is not None:
            self._running = application.create_task(self.drain(budget), name="notice-delivery")
        else:
            self._running = asyncio.create_task(self.drain(budget))

    # --- one row ---------------------------------------------------------------------------

    def _backoff(self, attempts: int) -> float:
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** max(attempts - 1, 0))
        return float(ceiling * random.uniform(0.5, 1.0))

    async def _record(self, method: Callable[..., bool], *args: Any, **kwargs: Any) -> None:
        try:
            recorded = await asyncio.to_thread(method, *args, **kwargs)
        except DATABASE_ERRORS as error:
            # The row stays claimed; once the lease lapses it is sent again (at least once).
            self.outage.failed(error)
            return
        if not recorded:
            log.warning("outbox row %s: claim lost before %s", args[0], method.__name__)

    async def _release(self, message: ClaimedMessage, seconds: float) -> None:
        """Give the row back untouched, due again in ``seconds``."""
        at = utcnow() + timedelta(seconds=seconds)
        await self._record(
            self.store.record_retry, message.outbox_id, self.worker_id, at, None, refund=True
        )

    async def _deliver(self, message: ClaimedMessage, claimed: float) -> None:
        assert self._slots is not None
        async with self._slots:
            try:
                await self._deliver_parts(message, claimed)
            except Exception as error:  # a bug must not strand the row until its lease ends
                log.exception("delivering outbox row %s failed", message.outbox_id)
                await self._retry_or_fail(message, f"error: {error!r}")

    async def _deliver_parts(self, message: ClaimedMessage, leased: float) -> None:
        assert self._pacer is not None and self._chats is not None
        loop = asyncio.get_running_loop()
        safe = self.lease.total_seconds() * 0.75
        parts = render_notice(message.text, message.chat_type, self.sender)
        chat_id, chat_type, index = message.chat_id, message.chat_type, message.parts_sent
        outbox_id, worker = message.outbox_id, self.worker_id
        migrations = 0
        while index < len(parts):
            if not await self._take_slot(chat_id, chat_type):
                wait = max(self._chats.delay(chat_id, chat_type), self._pacer.pause_left())
                await self._release(message, wait)
                return
            if loop.time() - max(leased, self._renewed) > safe:
                # Not renewed for too long (the database away, a long pause): another
                # deliverer may own it by now.
                await self._release(message, 0.0)
                return
            self.stats.sent += 1
            try:
                await self.bot.send_message(chat_id, parts[index], parse_mode=ParseMode.HTML)
            except RetryAfter as error:
                seconds = _retry_after(error)
                self._pacer.pause(seconds)
                if self.budget is not None:
                    await self.budget.pause(seconds)
                self.stats.retried += 1
                log.warning("429 from Telegram: pausing %.1f s", seconds)
                at = utcnow() + timedelta(seconds=seconds)
                await self._record(
                    self.store.record_retry,
                    outbox_id,
                    worker,
                    at,
                    f"429 retry_after {seconds:g}",
                    refund=True,
                )
                return
            except ChatMigrated as error:
                self.stats.migrated += 1
                migrations += 1
                if migrations > _MAX_MIGRATIONS:
                    await self._fail(message, f"400 migration loop at {chat_id}", deactivate=False)
                    return
                new_chat = await asyncio.to_thread(
                    self.store.follow_migration, outbox_id, worker, int(error.new_chat_id)
                )
                log.info("chat %s migrated to %s", chat_id, error.new_chat_id)
                if new_chat is None:
                    return
                chat_id, chat_type = new_chat, "supergroup"
                continue
            except Forbidden as error:
                await self._fail(message, f"403 {error.message}", deactivate=True)
                return
            except BadRequest as error:
                await self._fail(message, f"400 {error.message}", deactivate=_is_gone(error))
                return
            except TimedOut as error:
                await self._retry_or_fail(message, f"timeout: {error.message}")
                return
            except NetworkError as error:
                await self._retry_or_fail(message, f"network: {error.message}")
                return
            except TelegramError as error:
                await self._retry_or_fail(message, f"telegram: {error.message}")
                return
            index += 1
            if index < len(parts):
                await self._record(
                    self.store.record_part_sent, outbox_id, worker, index, self.lease
                )
                leased = loop.time()
        self.stats.delivered += 1
        await self._record(self.store.record_delivered, outbox_id, worker, len(parts))

    async def _take_slot(self, chat_id: int, chat_type: str) -> bool:
        """Wait for both the chat's and the overall limit; False when the wait would be long."""
        assert self._pacer is not None and self._chats is not None
        lock, users = self._chat_locks.get(chat_id) or (asyncio.Lock(), 0)
        self._chat_locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                while True:
                    wait = self._chats.delay(chat_id, chat_type)
                    if wait > self.max_chat_wait or self._pacer.pause_left() > self.max_chat_wait:
                        return False
                    if wait <= 0:
                        break
                    await asyncio.sleep(wait)
                if self.budget is not None:
                    await self._pacer.wait_pause()
                    await self.budget.wait()
                else:
                    await self._pacer.wait()
                self._chats.record(chat_id)
                return True
        finally:
            lock, users = self._chat_locks[chat_id]
            if users == 1:
                del self._chat_locks[chat_id]
            else:
                self._chat_locks[chat_id] = (lock, users - 1)

    async def _fail(self, message: ClaimedMessage, reason: str, *, deactivate: bool) -> None:
        self.stats.failed += 1
        log.info("notice to chat %s failed: %s", message.chat_id, reason)
        await self._record(
            self.store.record_failed,
            message.outbox_id,
            self.worker_id,
            reason,
            deactivate=deactivate,
        )

    async def _retry_or_fail(self, message: ClaimedMessage, reason: str) -> None:
        """A transient failure: try again after a capped backoff, for ``retry_for`` after the
        notice became due (or ``max_attempts`` times)."""
        out_of_time = (
            message.due_since is not None and utcnow() - message.due_since > self.retry_for
        )
        out_of_tries = self.max_attempts is not None and message.attempts >= self.max_attempts
        if out_of_time or out_of_tries:
            await self._fail(
                message, f"{reason}（已尝试 {message.attempts} 次）", deactivate=False
            )
            return
        self.stats.retried += 1
        at = utcnow() + timedelta(seconds=self._backoff(message.attempts))
        await self._record(self.store.record_retry, message.outbox_id, self.worker_id, at, reason)
