"""Pacing messages to Telegram: one budget for its 30 messages a second, shared by answers and
notices and by every instance on the same database.

The database keeps the moment the next message may go (``Store.reserve_send_slot``, on the
database's clock): each message takes the next slot, ``1 / rate`` (plus a small margin) after
the one before, whoever sent it, so the limit holds from the first second and however many
instances run — no burst allowance, no dividing the rate by hand.  A 429 pauses everyone
(``Store.pause_sending``).  While the database cannot be reached an instance paces itself alone
(:class:`Pacer`) at the rate divided by the instances last seen delivering, and logs the outage
once (:class:`bot.store.health.Outage`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.store.health import DATABASE_ERRORS, Outage

if TYPE_CHECKING:
    from bot.store.state import Store

log = logging.getLogger(__name__)

TELEGRAM_MESSAGES_PER_SECOND = 30.0
# A sender may wake up a little late and the next one on time (and Telegram counts arrivals):
# slots 10% apart keep any one-second window within the rate despite ~100 ms of jitter.
SPACING_MARGIN = 0.10


class Pacer:
    """At most ``rate`` sends in any window of one second (plus ``margin``), evenly spaced,
    counted on the times sends were actually released; pausable on 429.

    Counting actual release times (not pre-booked slots) means a send that is late, because
    the event loop was busy, cannot let the next ones bunch up behind it.
    """

    def __init__(
        self, rate: float, margin: float = 0.03, clock: Callable[[], float] | None = None
    ):
        """``margin`` (seconds) absorbs jitter between our clock and Telegram's arrival times."""
        self.count = max(1, int(rate))
        self.window = self.count / rate + margin
        self.interval = 1.0 / rate
        self._clock = clock or asyncio.get_running_loop().time
        self._released: deque[float] = deque(maxlen=self.count)
        self._lock = asyncio.Lock()
        self.paused_until = 0.0

    def pause(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (Telegram's ``retry_after``)."""
        self.paused_until = max(self.paused_until, self._clock() + seconds)

    def pause_left(self) -> float:
        """Seconds left of the current pause."""
        return max(0.0, self.paused_until - self._clock())

    async def wait_pause(self) -> None:
        """Wait out the current pause, if any."""
        while (left := self.pause_left()) > 0:
            await asyncio.sleep(left)

    async def wait(self) -> None:
        """Wait, in turn, until one more send keeps every window within the limit."""
        async with self._lock:
            while True:
                now = self._clock()
                ready = self.paused_until
                if self._released:
                    ready = max(ready, self._released[-1] + self.interval)
                if len(self._released) == self.count:
                    ready = max(ready, self._released[0] + self.window)
                if ready <= now:
                    break
                await asyncio.sleep(ready - now)
            self._released.append(now)


LATE_RETRIES = 3  # a slot missed by more than one spacing is given up for a new one, this often


class SendBudget:
    """The shared budget, awaited before every message (answers and notices)."""

    def __init__(
        self,
        store: Store,
        rate: float = TELEGRAM_MESSAGES_PER_SECOND,
        *,
        margin: float = SPACING_MARGIN,
        outage: Outage | None = None,
    ) -> None:
        """``rate``: messages a second for the whole bot (``SKILLBOT_NOTIFY_RATE``)."""
        self.store, self.rate = store, rate
        self.spacing = (1.0 + margin) / rate
        # One outage per process: the store's, when it keeps one (ResilientStore).
        self.outage = outage or getattr(store, "outage", None) or Outage(log)
        self._alone: Pacer | None = None
        # How many instances deliver (the deliverer's heartbeat tells): while the database is
        # down each of them paces itself at its share.
        self.instances_seen = 1

    async def wait(self) -> None:
        """Wait for this process's turn to send one message."""
        if not self.outage.should_try():
            await self._pacer_alone().wait()
            return
        loop = asyncio.get_running_loop()
        for _ in range(LATE_RETRIES):
            asked = loop.time()
            try:
                delay = await asyncio.to_thread(self.store.reserve_send_slot, self.spacing)
            except DATABASE_ERRORS as error:
                self.outage.failed(error)
                await self._pacer_alone().wait()
                return
            if self.outage.succeeded():
                self._alone = None
            slot = asked + delay
            if loop.time() - slot <= self.spacing:
                break
            # Too late for the slot (a busy machine held this task up): sending now would
            # bunch up with the next slots' messages, so take a new one.
        if (left := slot - loop.time()) > 0:
            await asyncio.sleep(left)

    async def pause(self, seconds: float) -> None:
        """Nobody sends for ``seconds`` (a 429's ``retry_after``)."""
        self._pacer_alone().pause(seconds)
        try:
            await asyncio.to_thread(self.store.pause_sending, seconds)
        except DATABASE_ERRORS as error:
            self.outage.failed(error)

    def _pacer_alone(self) -> Pacer:
        if self._alone is None:
            self._alone = Pacer(self.rate / max(1, self.instances_seen))
        return self._alone
