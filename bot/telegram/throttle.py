"""Pacing: per-chat order under concurrency, flood control per user, and outgoing limits/retries.

* :class:`ChatOrderedProcessor` handles updates concurrently but one at a time per chat, so a
  chat's answers (and its stored context) follow the order of its messages.  An update no
  handler wants (group chatter) is dropped at once; the others wait for their chat's lock
  *before* taking one of the global slots, so a busy or slow chat holds one slot, never all of
  them, and a chat's backlog is capped (``max_chat_backlog``; the excess is dropped).
* :class:`FloodGuard` lets a sender send ``limit`` messages (button presses and edits count too)
  per ``window`` seconds; the first one over gets ONE polite notice, the rest are dropped (until
  the sender's last ``window`` seconds hold fewer than ``limit``) before they take a chat lock,
  so nobody else slows down.  Senders are users, or the chat an anonymous admin posts as.
* :class:`RetryingRateLimiter` is PTB's ``AIORateLimiter`` (20 a minute per group, 429
  ``retry_after`` honoured) whose overall limit is the :class:`~bot.telegram.budget.SendBudget`
  shared with notices and other instances (no burst: 30 a second from the first second), and
  that retries failures where a retry cannot duplicate a message — requests that never left
  (connect errors, connect/pool timeouts), requests Telegram answered with a 5xx, and any
  failure of an idempotent method — for about a minute (``retry_for``), with capped backoff.
  A reply retried this way holds its chat's turn, so a chat's replies stay in order.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from telegram import Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter, BaseUpdateProcessor

from bot.telegram import journal
from bot.telegram.budget import SendBudget

logger = logging.getLogger(__name__)

FLOOD_LIMIT = 20
FLOOD_WINDOW = 10.0
MAX_CHAT_BACKLOG = 64
REPLY_RETRY_SECONDS = 60.0
# getMe is asked at start: an operator waits for it, so a start fails within ~15 s.
RETRY_SECONDS = {"getMe": 15.0}


class Verdict(enum.Enum):
    """What to do with one message of a user."""

    ALLOW = "allow"
    NOTIFY = "notify"  # the first message over the limit: drop it, tell the user once
    DROP = "drop"


class FloodGuard:
    """A sliding window of message times per user."""

    def __init__(
        self,
        limit: int = FLOOD_LIMIT,
        window: float = FLOOD_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._seen: dict[int, deque[float]] = {}
        self._notified: set[int] = set()
        self._checks = 0

    def check(self, user_id: int) -> Verdict:
        """Count one message of ``user_id`` and say whether to handle it."""
        now = self._clock()
        self._checks += 1
        if self._checks % 1000 == 0:
            self._forget_idle(now)
        times = self._seen.setdefault(user_id, deque(maxlen=self.limit))
        while times and times[0] <= now - self.window:
            times.popleft()
        flooding = len(times) >= self.limit
        times.append(now)  # dropped messages count too: a sustained flood stays throttled
        if not flooding:
            self._notified.discard(user_id)
            return Verdict.ALLOW
        if user_id in self._notified:
            return Verdict.DROP
        self._notified.add(user_id)
        return Verdict.NOTIFY

    def _forget_idle(self, now: float) -> None:
        idle = [u for u, t in self._seen.items() if not t or t[-1] <= now - self.window]
        for user_id in idle:
            del self._seen[user_id]
            self._notified.discard(user_id)


class _ChatQueue:
    """A chat's lock and how many of its updates hold or wait for it."""

    __slots__ = ("lock", "size")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.size = 0


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Process updates concurrently, one at a time per chat, with a :class:`FloodGuard`.

    For each update, in this order: ``counts(update)`` says whether it is addressed to the bot
    (counted against its sender; ``on_flood(update)`` sends the notice); ``wanted(update)``
    says whether any handler would act on it (else it is dropped before any lock); the chat's
    backlog is capped at ``max_chat_backlog``; then the chat's lock is taken, and only then one
    of the ``max_concurrent_updates`` slots.  ``build_application`` sets the three callables.
    """

    def __init__(
        self,
        max_concurrent_updates: int = 256,
        guard: FloodGuard | None = None,
        max_chat_backlog: int = MAX_CHAT_BACKLOG,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self.guard = guard or FloodGuard()
        self.max_chat_backlog = max_chat_backlog
        self.counts: Callable[[Update], bool] = lambda update: update.message is not None
        self.wanted: Callable[[Update], bool] = lambda update: True
        self.on_flood: Callable[[Update], Awaitable[None]] | None = None
        self._chats: dict[int, _ChatQueue] = {}
        self.dropped = 0  # backlog overflow, for logs and tests

    # PTB's process_update takes a slot, then calls do_process_update: a chat's backlog would
    # then hold slots while it waits for the chat's lock.  Here the lock comes first.
    async def process_update(  # type: ignore[misc]
        self, update: object, coroutine: Awaitable[Any]
    ) -> None:
        """Drop flooding and unwanted updates, then run the update under its chat's lock and
        one slot."""
        if not isinstance(update, Update):
            await self._run(coroutine)
            return
        if not await self._admit(update):
            coroutine.close()  # type: ignore[attr-defined]
            return
        chat = update.effective_chat
        if chat is None:
            await self._run(journal.handled(update, coroutine))
            return
        queue = self._chats.get(chat.id)
        if queue is None:
            queue = self._chats[chat.id] = _ChatQueue()
        if queue.size >= self.max_chat_backlog:
            coroutine.close()  # type: ignore[attr-defined]
            self.dropped += 1
            logger.warning(
                "chat %s has %d updates waiting; update %s dropped",
                chat.id,
                queue.size,
                update.update_id,
            )
            return
        queue.size += 1
        try:
            async with queue.lock:
                await self._run(journal.handled(update, coroutine))  # one log line each
        finally:
            queue.size -= 1
            if queue.size == 0:
                del self._chats[chat.id]

    async def _admit(self, update: Update) -> bool:
        sender = update.effective_sender
        if sender is not None and self.counts(update):
            verdict = self.guard.check(sender.id)
            if verdict is not Verdict.ALLOW:
                if verdict is Verdict.NOTIFY and self.on_flood is not None:
                    await self.on_flood(update)
                return False
        return self.wanted(update)

    async def _run(self, coroutine: Awaitable[Any]) -> None:
        async with self._semaphore:
            await coroutine

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Not used: :meth:`process_update` does it all."""
        await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


# Methods that do the same thing when repeated (an edit, an answer to a query, settings).
IDEMPOTENT_METHODS = frozenset(
    {
        "getMe",
        "getWebhookInfo",
        "setWebhook",
        "deleteWebhook",
        "setMyCommands",
        "getMyCommands",
        "editMessageText",
        "editMessageReplyMarkup",
        "answerCallbackQuery",
        "answerInlineQuery",
        "sendChatAction",
        "getChat",
        "getChatMember",
        "getChatAdministrators",
    }
)
# Requests that put a message in a chat: what Telegram's 30 a second counts.
SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "sendPhoto",
        "sendDocument",
        "copyMessage",
        "forwardMessage",
    }
)
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def safe_to_retry(endpoint: str, error: NetworkError) -> bool:
    """Whether repeating a request that failed with ``error`` cannot do something twice."""
    if isinstance(error, BadRequest) or endpoint == "getUpdates":  # the Updater retries polls
        return False
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, _NEVER_SENT):
            return True
        if isinstance(cause, httpx.HTTPError):
            break  # sent, and its fate is unknown (read timeout, connection dropped)
        cause = cause.__cause__
    else:
        if not isinstance(error, TimedOut):
            return True  # Telegram answered 5xx: it did not take the message
    return endpoint in IDEMPOTENT_METHODS


class RetryingRateLimiter(AIORateLimiter):
    """``AIORateLimiter`` with the shared send budget and bounded retries where safe."""

    def __init__(
        self,
        *,
        budget: SendBudget | None = None,
        retry_for: float = REPLY_RETRY_SECONDS,
        backoff: float = 0.5,
        backoff_max: float = 8.0,
        **kwargs: Any,
    ) -> None:
        """With ``budget`` the overall limit is the shared one (PTB's own, which lets 30
        through at once before it starts pacing, is switched off)."""
        kwargs.setdefault("max_retries", 3)
        if budget is not None:
            kwargs.setdefault("overall_max_rate", 0)
        super().__init__(**kwargs)
        self.budget = budget
        self.retry_for, self.backoff, self.backoff_max = retry_for, backoff, backoff_max

    async def process_request(
        self,
        callback: Callable[..., Any],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        """Send through the limits; repeat a failure for a while when it is safe."""
        budget = self.budget if endpoint in SENDING_METHODS else None

        async def paced(*a: Any, **kw: Any) -> Any:
            if budget is not None:
                await budget.wait()
            try:
                return await callback(*a, **kw)
            except RetryAfter as error:
                if budget is not None:
                    await budget.pause(_seconds(error.retry_after))
                raise

        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(self.retry_for, RETRY_SECONDS.get(endpoint, self.retry_for))
        attempt = 0
        while True:
            try:
                return await super().process_request(
                    paced, args, kwargs, endpoint, data, rate_limit_args
                )
            except NetworkError as error:
                delay = min(self.backoff * 2**attempt, self.backoff_max)
                if loop.time() + delay > deadline or not safe_to_retry(endpoint, error):
                    raise
                attempt += 1
                logger.warning(
                    "%s failed (%s); retry %d in %.1fs", endpoint, error, attempt, delay
                )
                await asyncio.sleep(delay)


def _seconds(value: Any) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
