"""The store the running bot answers with: when the database is away, answers go on.

:class:`ResilientStore` is a :class:`~bot.store.state.Store` whose conversation, question-log and
duplicate-update methods never fail on a database outage: meanwhile conversations continue from
memory, logged questions wait in memory, and duplicate updates are recognised in memory; the
outage is logged once (:class:`~bot.store.health.Outage`), and when the database answers again
what waited is written to it (newer contexts saved there meanwhile win).  Every figure of an
answer comes from the packaged notice, so answers never needed the database.  Everything else
(notices, subscriptions, /forget) still raises: those must not pretend to have worked.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from bot.store.health import DATABASE_ERRORS, Outage
from bot.store.state import Forgotten, Store, utcnow

log = logging.getLogger(__name__)

MAX_WAITING = 10_000
MAX_UPDATES_SEEN = 100_000
T = TypeVar("T")


class ResilientStore(Store):
    """A store that keeps answering through a database outage and catches up after it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """The same arguments as :class:`Store`."""
        super().__init__(*args, **kwargs)
        self.outage = Outage(log)
        self._lock = threading.Lock()
        self._contexts: OrderedDict[tuple[int, int], dict[str, Any]] = OrderedDict()
        # text, reason, chat id, user id, asked at, channel, answer given
        self._questions: deque[
            tuple[str, str, int | None, int | None, datetime, str, str | None]
        ] = deque(maxlen=MAX_WAITING)
        self._updates: OrderedDict[int, None] = OrderedDict()

    # --- the outage and the catching up ----------------------------------------------------

    def catch_up(self) -> None:
        """Write what waited in memory during an outage (stops at the first failure)."""
        with self._lock:
            contexts, self._contexts = self._contexts, OrderedDict()
            questions = list(self._questions)
            self._questions.clear()
        try:
            for (chat_id, user_id), ctx in contexts.items():
                if not super().get_context(chat_id, user_id):
                    super().save_context(chat_id, user_id, ctx)
            for text, reason, chat, user, asked_at, channel, answer in questions:
                super().log_question(
                    text,
                    reason,
                    channel,
                    answer=answer,
                    chat_id=chat,
                    user_id=user,
                    asked_at=asked_at,
                )
        except DATABASE_ERRORS as error:
            self.outage.failed(error)
            return
        log.info("caught up: %d conversations, %d questions", len(contexts), len(questions))

    # --- what answering needs --------------------------------------------------------------

    def _use(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[bool, T | None]:
        """Call a :class:`Store` method unless the database is known down (then tried again
        every few seconds); (whether it answered, what it returned)."""
        if not self.outage.should_try():
            return False, None
        try:
            value = method(*args, **kwargs)
        except DATABASE_ERRORS as error:
            self.outage.failed(error)
            return False, None
        if self.outage.succeeded():
            self.catch_up()
        return True, value

    def get_context(self, chat_id: int, user_id: int) -> dict[str, Any]:
        """The saved context, or the one kept in memory while the database is away."""
        ok, ctx = self._use(super().get_context, chat_id, user_id)
        if ok and ctx is not None:
            return ctx
        with self._lock:
            return dict(self._contexts.get((chat_id, user_id), {}))

    def save_context(self, chat_id: int, user_id: int, ctx: dict[str, Any]) -> None:
        """Save, or keep in memory until the database is back."""
        ok, _ = self._use(super().save_context, chat_id, user_id, ctx)
        if ok:
            return
        with self._lock:
            self._contexts[(chat_id, user_id)] = ctx
            self._contexts.move_to_end((chat_id, user_id))
            while len(self._contexts) > MAX_WAITING:
                self._contexts.popitem(last=False)

    def log_question(
        self,
        text: str,
        reason: str,
        channel: str = "telegram",
        *,
        answer: str | None = None,
        chat_id: int | None = None,
        user_id: int | None = None,
        asked_at: datetime | None = None,
    ) -> int | None:
        """Log, or keep in memory until the database is back (then no row id yet: None)."""
        ok, log_id = self._use(
            super().log_question,
            text,
            reason,
            channel,
            answer=answer,
            chat_id=chat_id,
            user_id=user_id,
            asked_at=asked_at,
        )
        if not ok:
            when = asked_at or utcnow()
            with self._lock:
                self._questions.append((text, reason, chat_id, user_id, when, channel, answer))
        return log_id

    def forget(self, user_id: int) -> Forgotten:
        """Erase the person from memory too (then from the database, which must answer)."""
        with self._lock:
            for key in [k for k in self._contexts if user_id in k]:
                del self._contexts[key]
            kept = [q for q in self._questions if user_id not in (q[2], q[3])]
            self._questions.clear()
            self._questions.extend(kept)
        return super().forget(user_id)

    def mark_update_processed(self, update_id: int) -> bool:
        """True for the first sight of ``update_id``: in the database, or in this process's
        memory while the database is away."""
        with self._lock:
            seen_here = update_id in self._updates
            self._updates[update_id] = None
            while len(self._updates) > MAX_UPDATES_SEEN:
                self._updates.popitem(last=False)
        ok, first = self._use(super().mark_update_processed, update_id)
        return bool(first) if ok else not seen_here
