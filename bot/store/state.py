"""Runtime state shared by every bot instance: conversations (one per person in each chat),
question log, processed updates, group subscriptions, notices and their delivery outbox.

The tables sit on the catalogue's ``Base`` so that one Alembic history owns the whole schema.
Chat ids are 64-bit (``BigInteger``); times are naive UTC.  :class:`Store` is synchronous (call it
from a thread in async code) and safe to use from several processes on one database: upserts are
single ``INSERT … ON CONFLICT`` statements and outbox rows are claimed with one ``UPDATE`` (with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, under SQLite's single writer lock otherwise) that records
who claimed them and when, so a crashed claimer's rows come back after the lease.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    case,
    delete,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.store.db import ensure_schema, make_engine, make_sessionmaker, read_only
from bot.store.models import Base

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
_BigId = BigInteger().with_variant(Integer, "sqlite")

QUESTION_MAX_CHARS = 500
ANSWER_MAX_CHARS = 1000
DETAIL_MAX_CHARS = 32
QUESTION_REASONS = ("unanswered", "thumbs_down")
SHARED_ID_PREFIX = "s_"
PROCESSED_UPDATE_KEEP = timedelta(days=2)
SEND_BUDGET = "telegram"
_GONE = timedelta(days=1)
_PRUNE_EVERY = 500

TOPIC_ALL = "全部"
TOPICS = (TOPIC_ALL, "创业", "紧缺", "目录", "截止", "政策")

# Outbox states.  "merged": the chat migrated into one that already had this notice queued;
# "cancelled": the chat unsubscribed (from the notice's topic) before it was sent.
PENDING, SENDING, DELIVERED, FAILED, MERGED = "pending", "sending", "delivered", "failed", "merged"
CANCELLED = "cancelled"
REQUEST_KEY_MAX_CHARS = 64
ERROR_MAX_CHARS = 300


def utcnow() -> datetime:
    """Return the current time as naive UTC, the form stored in every table."""
    return datetime.now(UTC).replace(tzinfo=None)


# --- tables ------------------------------------------------------------------------------------


class StoredConversation(Base):
    """The follow-up context (JSON) of one person in one chat, shared by every instance.

    In a group each person follows up on their own questions; a private chat is one person
    (``user_id == chat_id``), and so is a group speaking as itself (an anonymous admin).
    """

    __tablename__ = "conversation"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class QuestionLog(Base):
    """A question the bot could not answer or got a thumbs-down for: text and time, and whose it
    was (chat and user id) only so that /forget can erase it; never shown in reports."""

    __tablename__ = "question_log"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    text: Mapped[str] = mapped_column(String(QUESTION_MAX_CHARS), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    asked_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    # where it was asked: telegram, cli (skillbot ask) or web (the lookup page)
    channel: Mapped[str] = mapped_column(String(16), default="telegram", server_default="telegram")
    # What a 👎 tells: the answer given, what was wrong (哪里不对？) and one comment.
    answer: Mapped[str | None] = mapped_column(String(ANSWER_MAX_CHARS), nullable=True)
    detail: Mapped[str | None] = mapped_column(String(DETAIL_MAX_CHARS), nullable=True)
    comment: Mapped[str | None] = mapped_column(String(QUESTION_MAX_CHARS), nullable=True)

    chat_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)


class SharedAnswer(Base):
    """The question behind a deep link's short id (``start=s_…``): an answer shared from inline
    mode opens again in the bot.  Question text and time only, nobody's id."""

    __tablename__ = "shared_answer"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    question: Mapped[str] = mapped_column(String(QUESTION_MAX_CHARS))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Instance(Base):
    """A running bot process and its heartbeat (``Store.heartbeat``); the outbox rows it claimed
    stay its own only while it beats."""

    __tablename__ = "instance"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    delivering: Mapped[bool] = mapped_column(Boolean)


class SendBudget(Base):
    """When (database time, epoch seconds) the next message to Telegram may go: one budget
    shared by every instance, for answers and notices alike (``Store.reserve_send_slot``)."""

    __tablename__ = "send_budget"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float(precision=53))


# A hand-off's states (bot.store.people works with hand-offs; their tables are here, beside
# what /forget and the retention purge erase).
OPEN, CLOSED, TIMED_OUT = "open", "closed", "timed_out"


class Handoff(Base):
    """A worker's request to talk to a person, and where it lives in the staff group."""

    __tablename__ = "handoff"
    __table_args__ = (Index("ix_handoff_worker", "worker_chat_id", "worker_user_id"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    worker_chat_id: Mapped[int] = mapped_column(BigInteger)
    worker_user_id: Mapped[int] = mapped_column(BigInteger)
    worker_name: Mapped[str] = mapped_column(String(200))
    staff_chat_id: Mapped[int] = mapped_column(BigInteger)
    header_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    thread_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    trigger: Mapped[str] = mapped_column(String(QUESTION_MAX_CHARS))
    question: Mapped[str] = mapped_column(String(QUESTION_MAX_CHARS))  # the miss, if one led here
    status: Mapped[str] = mapped_column(String(16), index=True)
    open_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class HandoffMessage(Base):
    """A staff-group message of a hand-off (its header, a worker's relayed message): a staff
    reply to it belongs to that hand-off."""

    __tablename__ = "handoff_message"

    staff_chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoff.id", ondelete="CASCADE"))


class ProcessedUpdate(Base):
    """An update id already handled by some instance (pruned after a couple of days)."""

    __tablename__ = "processed_update"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class Subscription(Base):
    """A group or person receiving notices; ``topics`` is stored as ``,全部,创业,``."""

    __tablename__ = "subscription"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_type: Mapped[str] = mapped_column(String(16))
    topics: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    inactive_reason: Mapped[str | None] = mapped_column(String(ERROR_MAX_CHARS), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Notice(Base):
    """A notice queued by staff for every subscription of its topic."""

    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    send_at: Mapped[datetime] = mapped_column(DateTime)
    # Who asked for it, once: e.g. ``tg:<chat id>:<message id>`` of a /notify message, so that
    # the same request handled twice (redelivered, edited, two instances) queues one notice.
    request_key: Mapped[str | None] = mapped_column(
        String(REQUEST_KEY_MAX_CHARS), nullable=True, unique=True, index=True
    )


class OutboxMessage(Base):
    """One notice for one subscription, with its delivery state."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("notice_id", "subscription_id"),
        Index("ix_outbox_claim", "state", "available_at"),
    )

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscription.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(DateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(ERROR_MAX_CHARS), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


# --- value objects -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Feedback:
    """One 👎 with what it told: the question, the answer given, what was wrong, a comment."""

    question: str
    answer: str
    detail: str
    comment: str
    asked_at: datetime


@dataclass(frozen=True)
class SubscriptionInfo:
    """What a chat is subscribed to."""

    chat_id: int
    chat_type: str
    topics: tuple[str, ...]
    active: bool


@dataclass(frozen=True)
class NoticeStatus:
    """Delivery counts of one notice; ``failures`` is (reason, count), most frequent first."""

    notice_id: int
    topic: str
    text: str
    created_at: datetime
    send_at: datetime
    delivered: int
    pending: int
    failed: int
    merged: int
    failures: tuple[tuple[str, int], ...]
    cancelled: int = 0

    @property
    def total(self) -> int:
        """Every outbox row of the notice."""
        return self.delivered + self.pending + self.failed + self.merged + self.cancelled

    @property
    def done(self) -> bool:
        """Nothing left to send."""
        return self.pending == 0


@dataclass(frozen=True)
class ClaimedMessage:
    """An outbox row claimed by one deliverer, with what it needs to send it."""

    outbox_id: int
    notice_id: int
    subscription_id: int
    chat_id: int
    chat_type: str
    text: str
    parts_sent: int
    attempts: int
    due_since: datetime | None = None  # when the notice became due (retries are timed from it)


@dataclass(frozen=True)
class Forgotten:
    """What /forget erased about one person."""

    conversations: int
    questions: int
    subscriptions: int
    handoffs: int = 0


def _forget_handoffs(session: Any, user_id: int) -> int:
    """A person's hand-offs, open and closed, and their staff-group message links
    (bot.store.people; the handler closes an open one and tells staff first)."""
    mine = select(Handoff.id).where(
        or_(Handoff.worker_user_id == user_id, Handoff.worker_chat_id == user_id)
    )
    session.execute(
        delete(HandoffMessage).where(HandoffMessage.handoff_id.in_(mine.scalar_subquery()))
    )
    return _changed(
        session.execute(
            delete(Handoff).where(
                or_(Handoff.worker_user_id == user_id, Handoff.worker_chat_id == user_id)
            )
        )
    )


@dataclass(frozen=True)
class Purged:
    """What a retention purge removed."""

    questions: int
    conversations: int
    handoffs: int = 0


def _purge_handoffs(session: Any, cutoff: datetime) -> int:
    """Hand-offs closed before ``cutoff`` and their staff-group message links
    (bot.store.people); open ones stay."""
    old = select(Handoff.id).where(Handoff.status != OPEN, Handoff.closed_at < cutoff)
    session.execute(
        delete(HandoffMessage).where(HandoffMessage.handoff_id.in_(old.scalar_subquery()))
    )
    return _changed(
        session.execute(delete(Handoff).where(Handoff.status != OPEN, Handoff.closed_at < cutoff))
    )


def _clean_text(text: str) -> str:
    """Text any database accepts: lone surrogates (from a broken client) become U+FFFD.

    >>> _clean_text("焊" + chr(0xD800) + "工") == "焊" + chr(0xFFFD) + "工"
    True
    """
    if text.isascii():
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _changed(result: Any) -> int:
    """How many rows an UPDATE or DELETE changed."""
    return int(getattr(result, "rowcount", 0) or 0)


def _topics_column(topics: set[str]) -> str:
    ordered = sorted(topics, key=lambda t: (TOPICS.index(t) if t in TOPICS else len(TOPICS), t))
    return "," + ",".join(ordered) + ","


def _topics_of(column: str) -> tuple[str, ...]:
    return tuple(t for t in column.split(",") if t)


def _clip(reason: str) -> str:
    return reason if len(reason) <= ERROR_MAX_CHARS else reason[: ERROR_MAX_CHARS - 1] + "…"


class Store:
    """Every read and write of runtime state, synchronous, safe across processes."""

    def __init__(
        self,
        url: str | None = None,
        *,
        engine: Engine | None = None,
        auto_upgrade: bool | None = None,
    ) -> None:
        """Connect to ``url`` (default ``DATABASE_URL`` or the SQLite file) at schema head."""
        self.engine = engine if engine is not None else make_engine(url)
        ensure_schema(self.engine, auto_upgrade=auto_upgrade)
        self._session = make_sessionmaker(self.engine)
        self._read = make_sessionmaker(read_only(self.engine))  # never writes (see read_only)
        self._marks = 0

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()

    def _insert(self, table: Any) -> Any:
        """Return the dialect's ``INSERT`` (both have ``on_conflict_do_*``)."""
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table)
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)

    # --- conversations ---------------------------------------------------------------------

    def get_context(self, chat_id: int, user_id: int) -> dict[str, Any]:
        """Return the saved context of ``user_id`` in ``chat_id`` (empty when there is none)."""
        with self._read() as session:
            data = session.scalar(
                select(StoredConversation.data).where(
                    StoredConversation.chat_id == chat_id, StoredConversation.user_id == user_id
                )
            )
        if not data:
            return {}
        loaded = json.loads(data)
        return loaded if isinstance(loaded, dict) else {}

    def save_context(self, chat_id: int, user_id: int, ctx: dict[str, Any]) -> None:
        """Replace the context of ``user_id`` in ``chat_id`` (JSON-serialisable)."""
        data = json.dumps(ctx, ensure_ascii=False, default=str)
        now = utcnow()
        stmt = self._insert(StoredConversation).values(
            chat_id=chat_id, user_id=user_id, data=data, updated_at=now
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[StoredConversation.chat_id, StoredConversation.user_id],
            set_={"data": data, "updated_at": now},
        )
        with self._session.begin() as session:
            session.execute(stmt)

    # --- questions the bot could not answer ------------------------------------------------

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
        """Record a question text, the time and the channel, clipped to a bounded length, with
        the answer given when there was one; return the row's id (None for empty text).
        ``chat_id`` and ``user_id`` are kept only so that the person can erase it (/forget),
        never reported."""
        if reason not in QUESTION_REASONS:
            raise ValueError(f"reason must be one of {QUESTION_REASONS}, not {reason!r}")
        text = _clean_text(" ".join(text.split())[:QUESTION_MAX_CHARS])
        if not text:
            return None
        row = QuestionLog(
            text=text,
            reason=reason,
            asked_at=asked_at or utcnow(),
            channel=channel,
            answer=answer.strip()[:ANSWER_MAX_CHARS] or None if answer else None,
            chat_id=chat_id,
            user_id=user_id,
        )
        with self._session.begin() as session:
            session.add(row)
            session.flush()
            return int(row.id)

    def annotate_question(
        self, log_id: int, *, detail: str | None = None, comment: str | None = None
    ) -> bool:
        """Add what a 👎 said was wrong (``detail``) or its comment to a logged question."""
        values: dict[str, Any] = {}
        if detail is not None:
            values["detail"] = detail[:DETAIL_MAX_CHARS]
        if comment is not None and comment.strip():
            values["comment"] = " ".join(comment.split())[:QUESTION_MAX_CHARS]
        if not values:
            return False
        with self._session.begin() as session:
            updated = session.execute(
                update(QuestionLog).where(QuestionLog.id == log_id).values(**values)
            )
            return bool(getattr(updated, "rowcount", 0))

    def feedback_report(self, limit: int = 20) -> list[Feedback]:
        """The newest 👎 that say more than the question (answer, what was wrong, comment)."""
        stmt = (
            select(QuestionLog)
            .where(
                QuestionLog.reason == "thumbs_down",
                or_(
                    QuestionLog.answer.is_not(None),
                    QuestionLog.detail.is_not(None),
                    QuestionLog.comment.is_not(None),
                ),
            )
            .order_by(QuestionLog.asked_at.desc(), QuestionLog.id.desc())
            .limit(limit)
        )
        with self._read() as session:
            return [
                Feedback(r.text, r.answer or "", r.detail or "", r.comment or "", r.asked_at)
                for r in session.scalars(stmt)
            ]

    # --- shared answers --------------------------------------------------------------------

    def share_question(self, question: str) -> str:
        """The short id a deep link carries for ``question`` (``s_`` and 10 characters, the
        same for the same question); the question is kept for :meth:`shared_question`."""
        question = " ".join(question.split())[:QUESTION_MAX_CHARS]
        if not question:
            raise ValueError("nothing to share")
        digest = hashlib.sha256(question.encode("utf-8")).digest()
        short = SHARED_ID_PREFIX + base64.b32encode(digest).decode("ascii")[:10].lower()
        stmt = (
            self._insert(SharedAnswer)
            .values(id=short, question=question, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=[SharedAnswer.id])
        )
        with self._session.begin() as session:
            session.execute(stmt)
        return short

    def shared_question(self, short_id: str) -> str | None:
        """The question behind a short id, or None when there is none."""
        if not short_id.startswith(SHARED_ID_PREFIX) or len(short_id) > 16:
            return None
        with self._read() as session:
            return session.scalar(select(SharedAnswer.question).where(SharedAnswer.id == short_id))

    # --- privacy ---------------------------------------------------------------------------

    def forget(self, user_id: int) -> Forgotten:
        """Erase everything kept about one person, for every instance: their conversations in
        every chat (with the questions their 👍/👎 buttons refer to), the questions of theirs
        that were logged, and their private subscription with its queued notices."""
        with self._session.begin() as session:
            conversations = _changed(
                session.execute(
                    delete(StoredConversation).where(
                        or_(
                            StoredConversation.user_id == user_id,
                            StoredConversation.chat_id == user_id,
                        )
                    )
                )
            )
            questions = _changed(
                session.execute(
                    delete(QuestionLog).where(
                        or_(QuestionLog.user_id == user_id, QuestionLog.chat_id == user_id)
                    )
                )
            )
            private = select(Subscription.id).where(Subscription.chat_id == user_id)
            session.execute(
                delete(OutboxMessage).where(
                    OutboxMessage.subscription_id.in_(private.scalar_subquery())
                )
            )
            subscriptions = _changed(
                session.execute(delete(Subscription).where(Subscription.chat_id == user_id))
            )
            handoffs = _forget_handoffs(session, user_id)
        return Forgotten(conversations, questions, subscriptions, handoffs)

    def purge(self, older_than: timedelta) -> Purged:
        """Delete logged questions asked, conversations left idle and hand-offs closed more
        than ``older_than`` ago (``SKILLBOT_RETENTION_DAYS``)."""
        cutoff = utcnow() - older_than
        with self._session.begin() as session:
            questions = _changed(
                session.execute(delete(QuestionLog).where(QuestionLog.asked_at < cutoff))
            )
            conversations = _changed(
                session.execute(
                    delete(StoredConversation).where(StoredConversation.updated_at < cutoff)
                )
            )
            handoffs = _purge_handoffs(session, cutoff)
        return Purged(questions, conversations, handoffs)

    def unanswered_report(self, limit: int = 50) -> list[tuple[str, int, datetime]]:
        """Return (text, times asked, last asked), most frequent first."""
        count = func.count(QuestionLog.id)
        last = func.max(QuestionLog.asked_at)
        stmt = (
            select(QuestionLog.text, count, last)
            .group_by(QuestionLog.text)
            .order_by(count.desc(), last.desc())
            .limit(limit)
        )
        with self._read() as session:
            return [(text, int(n), seen) for text, n, seen in session.execute(stmt)]

    # --- instances and the shared send budget ----------------------------------------------

    def heartbeat(self, instance_id: str, *, delivering: bool, lease: timedelta) -> int:
        """Say that ``instance_id`` is alive and renew the lease of every outbox row it holds;
        return how many rows it holds."""
        now = utcnow()
        stmt = (
            self._insert(Instance)
            .values(id=instance_id, started_at=now, heartbeat_at=now, delivering=delivering)
            .on_conflict_do_update(
                index_elements=[Instance.id],
                set_={"heartbeat_at": now, "delivering": delivering},
            )
        )
        with self._session.begin() as session:
            session.execute(stmt)
            renewed = _changed(
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.claimed_by == instance_id, OutboxMessage.state == SENDING)
                    .values(lease_until=now + lease)
                    .execution_options(synchronize_session=False)
                )
            )
        return renewed

    def live_deliverers(self, within: timedelta) -> int:
        """How many instances that deliver notices beat within ``within``."""
        since = utcnow() - within
        with self._read() as session:
            return int(
                session.scalar(
                    select(func.count()).where(Instance.delivering, Instance.heartbeat_at >= since)
                )
                or 0
            )

    def end_instance(self, instance_id: str) -> int:
        """A clean stop: give back the rows ``instance_id`` holds (due now) and drop its
        heartbeat; return how many rows were given back."""
        with self._session.begin() as session:
            released = _changed(
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.claimed_by == instance_id, OutboxMessage.state == SENDING)
                    .values(
                        state=PENDING,
                        available_at=utcnow(),
                        claimed_by=None,
                        claimed_at=None,
                        lease_until=None,
                        attempts=OutboxMessage.attempts - 1,
                    )
                    .execution_options(synchronize_session=False)
                )
            )
            session.execute(delete(Instance).where(Instance.id == instance_id))
            # Instances that died long ago are of no interest to anyone.
            session.execute(delete(Instance).where(Instance.heartbeat_at < utcnow() - _GONE))
        return released

    def _db_now(self) -> Any:
        """The database's clock in epoch seconds, as an SQL expression (one clock for every
        instance, whatever their hosts' clocks say)."""
        if self.engine.dialect.name == "postgresql":
            return literal_column("EXTRACT(EPOCH FROM clock_timestamp())::float8", Float)
        return literal_column("((julianday('now') - 2440587.5) * 86400.0)", Float)

    def reserve_send_slot(self, spacing: float, budget: str = SEND_BUDGET) -> float:
        """Take the next free moment to send one message, ``spacing`` seconds after the one
        before (whoever took it); return how many seconds to wait for it (0 when it is now)."""
        now = self._db_now()
        later = func.greatest if self.engine.dialect.name == "postgresql" else func.max
        start = later(SendBudget.next_at, now)
        with self._session.begin() as session:
            wait = session.scalar(
                update(SendBudget)
                .where(SendBudget.name == budget)
                .values(next_at=start + spacing)
                .returning(SendBudget.next_at - spacing - now)
                .execution_options(synchronize_session=False)
            )
            if wait is None:  # a database created without the row: make it
                session.execute(
                    self._insert(SendBudget)
                    .values(name=budget, next_at=0.0)
                    .on_conflict_do_nothing(index_elements=[SendBudget.name])
                )
                return 0.0
        return max(0.0, float(wait))

    def pause_sending(self, seconds: float, budget: str = SEND_BUDGET) -> None:
        """Nobody sends for ``seconds`` (Telegram's ``retry_after``)."""
        now = self._db_now()
        later = func.greatest if self.engine.dialect.name == "postgresql" else func.max
        with self._session.begin() as session:
            session.execute(
                update(SendBudget)
                .where(SendBudget.name == budget)
                .values(next_at=later(SendBudget.next_at, now + seconds))
                .execution_options(synchronize_session=False)
            )

    # --- updates already handled -----------------------------------------------------------

    def mark_update_processed(self, update_id: int) -> bool:
        """Record ``update_id``; True only for the first instance to see it."""
        now = utcnow()
        stmt = (
            self._insert(ProcessedUpdate)
            .values(update_id=update_id, processed_at=now)
            .on_conflict_do_nothing(index_elements=[ProcessedUpdate.update_id])
            .returning(ProcessedUpdate.update_id)
        )
        with self._session.begin() as session:
            first = session.execute(stmt).scalar() is not None
            self._marks += 1
            if self._marks % _PRUNE_EVERY == 1:
                session.execute(
                    delete(ProcessedUpdate).where(
                        ProcessedUpdate.processed_at < now - PROCESSED_UPDATE_KEEP
                    )
                )
        return first

    # --- supergroup migration --------------------------------------------------------------

    def migrate_chat(self, old_id: int, new_id: int) -> None:
        """Move every conversation, the subscription and undelivered notices of ``old_id`` to
        ``new_id``.

        Each person keeps their conversation; the group's own (an anonymous admin speaking as
        the group) becomes the new chat's own.  Nothing is duplicated: a conversation or
        subscription the new chat already has is kept (topics merged), and a notice queued for
        both is sent to the new chat once.  Idempotent and safe to call concurrently (both
        service messages of a migration, several instances, a deliverer told "migrated"): the
        old chat's rows are locked first (``SELECT … FOR UPDATE`` on PostgreSQL, the write lock
        of ``BEGIN IMMEDIATE`` on SQLite), so a second call waits and then finds nothing left
        to move.
        """
        if old_id == new_id:
            return
        now = utcnow()
        with self._session.begin() as session:
            self._migrate_conversations(session, old_id, new_id)
            self._migrate_subscription(session, old_id, new_id, now)

    def _migrate_conversations(self, session: Session, old_id: int, new_id: int) -> None:
        old = StoredConversation.chat_id == old_id
        rows = session.execute(
            select(
                StoredConversation.user_id, StoredConversation.data, StoredConversation.updated_at
            )
            .where(old)
            .with_for_update()
        ).all()
        if not rows:
            return
        moved = [
            {
                "chat_id": new_id,
                "user_id": new_id if user_id == old_id else user_id,
                "data": data,
                "updated_at": updated_at,
            }
            for user_id, data, updated_at in rows
        ]
        session.execute(
            self._insert(StoredConversation)
            .values(moved)
            .on_conflict_do_nothing(
                index_elements=[StoredConversation.chat_id, StoredConversation.user_id]
            )
        )
        session.execute(delete(StoredConversation).where(old))

    def _migrate_subscription(
        self, session: Session, old_id: int, new_id: int, now: datetime
    ) -> None:
        # Both rows locked, in id order (no deadlock with a call migrating the other way).
        subs = {
            sub.chat_id: sub
            for sub in session.scalars(
                select(Subscription)
                .where(Subscription.chat_id.in_((old_id, new_id)))
                .order_by(Subscription.id)
                .with_for_update()
            )
        }
        old = subs.get(old_id)
        if old is None:
            return
        new = subs.get(new_id)
        if new is None:
            old.chat_id = new_id
            old.chat_type = "supergroup"
            old.updated_at = now
            session.flush()
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.subscription_id == old.id)
                .values(chat_id=new_id)
            )
            return
        if old.active:
            topics = set(_topics_of(new.topics)) if new.active else set()
            new.topics = _topics_column(topics | set(_topics_of(old.topics)))
            new.active, new.inactive_reason, new.updated_at = True, None, now
        old.active, old.inactive_reason, old.updated_at = False, f"迁移到 {new_id}", now
        session.flush()
        # Notices queued for both chats go to the new one once; the rest follow the chat.
        already = select(OutboxMessage.notice_id).where(OutboxMessage.subscription_id == new.id)
        open_states = (PENDING, SENDING)
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.subscription_id == old.id,
                OutboxMessage.state.in_(open_states),
                OutboxMessage.notice_id.in_(already),
            )
            .values(state=MERGED, claimed_by=None, last_error=f"已并入 {new_id}")
        )
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.subscription_id == old.id,
                OutboxMessage.state.in_(open_states),
                OutboxMessage.notice_id.not_in(already),
            )
            .values(subscription_id=new.id, chat_id=new_id)
        )

    # --- subscriptions ---------------------------------------------------------------------

    def subscribe(
        self, chat_id: int, chat_type: str, topics: list[str] | tuple[str, ...] = ()
    ) -> SubscriptionInfo:
        """Subscribe a chat to ``topics`` (default 全部), adding to what it already has."""
        wanted = set(topics) or {TOPIC_ALL}
        for attempt in (1, 2):
            now = utcnow()
            try:
                with self._session.begin() as session:
                    sub = session.scalar(
                        select(Subscription)
                        .where(Subscription.chat_id == chat_id)
                        .with_for_update()
                    )
                    if sub is None:
                        sub = Subscription(
                            chat_id=chat_id,
                            chat_type=chat_type,
                            topics=_topics_column(wanted),
                            active=True,
                            created_at=now,
                            updated_at=now,
                        )
                        session.add(sub)
                    else:
                        kept = set(_topics_of(sub.topics)) if sub.active else set()
                        sub.topics = _topics_column(kept | wanted)
                        sub.chat_type, sub.active, sub.inactive_reason = chat_type, True, None
                        sub.updated_at = now
                    session.flush()
                    return self._info(sub)
            except IntegrityError:
                # another instance created the row first: merge the topics into it instead
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def unsubscribe(
        self, chat_id: int, topics: list[str] | tuple[str, ...] = ()
    ) -> SubscriptionInfo | None:
        """Drop ``topics`` (all when empty); the subscription ends when none is left."""
        with self._session.begin() as session:
            sub = session.scalar(select(Subscription).where(Subscription.chat_id == chat_id))
            if sub is None or not sub.active:
                return None
            current = set(_topics_of(sub.topics))
            if topics and TOPIC_ALL in current and TOPIC_ALL not in topics:
                # 全部 is every topic: dropping one keeps all the others, named.
                current = set(TOPICS) - {TOPIC_ALL}
            left = current - set(topics) if topics else set()
            if left:
                sub.topics = _topics_column(left)
            else:
                sub.active, sub.inactive_reason = False, "退订"
            sub.updated_at = utcnow()
            # Notices queued (or scheduled) for what was dropped are not sent any more.
            dropped = select(OutboxMessage.id).where(
                OutboxMessage.subscription_id == sub.id, OutboxMessage.state == PENDING
            )
            if left and TOPIC_ALL not in left:
                wanted = select(Notice.id).where(Notice.topic.in_([TOPIC_ALL, *left]))
                dropped = dropped.where(OutboxMessage.notice_id.not_in(wanted))
            if not left or TOPIC_ALL not in left:
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(dropped.scalar_subquery()))
                    .values(state=CANCELLED, last_error="已退订")
                    .execution_options(synchronize_session=False)
                )
            return self._info(sub)

    def subscription(self, chat_id: int) -> SubscriptionInfo | None:
        """Return the chat's subscription, active or not."""
        with self._read() as session:
            sub = session.scalar(select(Subscription).where(Subscription.chat_id == chat_id))
            return self._info(sub) if sub is not None else None

    @staticmethod
    def _info(sub: Subscription) -> SubscriptionInfo:
        return SubscriptionInfo(sub.chat_id, sub.chat_type, _topics_of(sub.topics), sub.active)

    # --- notices ---------------------------------------------------------------------------

    def queue_notice(
        self,
        text: str,
        topic: str = TOPIC_ALL,
        send_at: datetime | None = None,
        created_by: str | None = None,
        *,
        request_key: str | None = None,
    ) -> tuple[int, int]:
        """Queue ``text`` for every active subscription of ``topic`` or of 全部.

        A notice of topic 全部 goes to every active subscription, whatever its topics.

        Returns (notice id, number of outbox rows).  ``send_at`` is naive UTC; rows become
        deliverable then.  With ``request_key`` (unique per request, ≤ 64 characters) the same
        request queues one notice however often it is made: a repeat returns the first one's
        id and rows.
        """
        if not text.strip():
            raise ValueError("notice text is empty")
        if request_key is not None and len(request_key) > REQUEST_KEY_MAX_CHARS:
            raise ValueError(f"request_key longer than {REQUEST_KEY_MAX_CHARS} characters")
        now = utcnow()
        send_at = send_at or now
        matches: Any = Subscription.active
        if topic != TOPIC_ALL:
            matches = or_(
                Subscription.topics.contains(f",{TOPIC_ALL},"),
                Subscription.topics.contains(f",{topic},"),
            )
        with self._session.begin() as session:
            notice_id = session.scalar(
                self._insert(Notice)
                .values(
                    text=text,
                    topic=topic,
                    created_by=created_by,
                    created_at=now,
                    send_at=send_at,
                    request_key=request_key,
                )
                .on_conflict_do_nothing(index_elements=[Notice.request_key])
                .returning(Notice.id)
            )
            if notice_id is None:  # this request was queued before (or just now, elsewhere)
                first = session.scalar(select(Notice.id).where(Notice.request_key == request_key))
                assert first is not None
                queued = session.scalar(
                    select(func.count()).where(OutboxMessage.notice_id == first)
                )
                return first, int(queued or 0)
            rows = session.execute(
                select(Subscription.id, Subscription.chat_id).where(Subscription.active, matches)
            ).all()
            if rows:
                session.execute(
                    self._insert(OutboxMessage),
                    [
                        {
                            "notice_id": notice_id,
                            "subscription_id": sub_id,
                            "chat_id": chat_id,
                            "state": PENDING,
                            "attempts": 0,
                            "parts_sent": 0,
                            "available_at": send_at,
                        }
                        for sub_id, chat_id in rows
                    ],
                )
            return notice_id, len(rows)

    def resend_failed(self, notice_id: int) -> tuple[int, int]:
        """Queue a notice again for the chats it failed for; returns (queued again, left out
        because the chat's subscription ended — blocked, removed, unsubscribed)."""
        active = select(Subscription.id).where(Subscription.active)
        failed = and_(OutboxMessage.notice_id == notice_id, OutboxMessage.state == FAILED)
        with self._session.begin() as session:
            queued = _changed(
                session.execute(
                    update(OutboxMessage)
                    .where(failed, OutboxMessage.subscription_id.in_(active))
                    .values(
                        state=PENDING,
                        attempts=0,
                        parts_sent=0,
                        available_at=utcnow(),
                        claimed_by=None,
                        lease_until=None,
                    )
                    .execution_options(synchronize_session=False)
                )
            )
            left_out = session.scalar(select(func.count()).where(failed))
            # Retries are timed from when the notice became due: from now, for the resend.
            if queued:
                session.execute(
                    update(Notice)
                    .where(Notice.id == notice_id, Notice.send_at < utcnow())
                    .values(send_at=utcnow())
                )
        return queued, int(left_out or 0)

    def notice_status(self, notice_id: int) -> NoticeStatus | None:
        """Return the delivery counts of one notice."""
        statuses = self._statuses(select(Notice).where(Notice.id == notice_id))
        return statuses[0] if statuses else None

    def recent_notices(self, limit: int = 20) -> list[NoticeStatus]:
        """Return the newest notices with their counts, newest first."""
        return self._statuses(select(Notice).order_by(Notice.id.desc()).limit(limit))

    def _statuses(self, notices_stmt: Any) -> list[NoticeStatus]:
        with self._read() as session:
            notices = list(session.scalars(notices_stmt))
            if not notices:
                return []
            ids = [n.id for n in notices]
            counts: dict[int, dict[str, int]] = {i: {} for i in ids}
            for notice_id, state, n in session.execute(
                select(OutboxMessage.notice_id, OutboxMessage.state, func.count())
                .where(OutboxMessage.notice_id.in_(ids))
                .group_by(OutboxMessage.notice_id, OutboxMessage.state)
            ):
                counts[notice_id][state] = int(n)
            failures: dict[int, list[tuple[str, int]]] = {i: [] for i in ids}
            n_failed = func.count()
            for notice_id, reason, n in session.execute(
                select(OutboxMessage.notice_id, OutboxMessage.last_error, n_failed)
                .where(OutboxMessage.notice_id.in_(ids), OutboxMessage.state == FAILED)
                .group_by(OutboxMessage.notice_id, OutboxMessage.last_error)
                .order_by(n_failed.desc())
            ):
                failures[notice_id].append((reason or "?", int(n)))
        return [
            NoticeStatus(
                notice_id=n.id,
                topic=n.topic,
                text=n.text,
                created_at=n.created_at,
                send_at=n.send_at,
                delivered=counts[n.id].get(DELIVERED, 0),
                pending=counts[n.id].get(PENDING, 0) + counts[n.id].get(SENDING, 0),
                failed=counts[n.id].get(FAILED, 0),
                merged=counts[n.id].get(MERGED, 0),
                failures=tuple(failures[n.id]),
                cancelled=counts[n.id].get(CANCELLED, 0),
            )
            for n in notices
        ]

    # --- outbox, for the deliverer ---------------------------------------------------------

    def claim_outbox(self, worker: str, limit: int, lease: timedelta) -> list[ClaimedMessage]:
        """Claim up to ``limit`` due rows for ``worker`` for ``lease`` (kept on the row, so a
        crashed claimer's rows come back when *its* lease ends).  Each claim counts as an
        attempt."""
        now = utcnow()
        claimable = or_(
            and_(OutboxMessage.state == PENDING, OutboxMessage.available_at <= now),
            and_(OutboxMessage.state == SENDING, OutboxMessage.lease_until < now),
        )
        active = select(Subscription.id).where(Subscription.active)
        # Rows of a subscription that ended (unsubscribed, blocked) while they were queued or
        # in flight are never sent; cancelled here so that nothing waits for them.
        ended = (
            select(OutboxMessage.id)
            .where(claimable, OutboxMessage.subscription_id.not_in(active))
            .with_for_update(skip_locked=True)
        )
        cancel = (
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ended.scalar_subquery()))
            .values(state=CANCELLED, claimed_by=None, last_error="订阅已结束")
            .execution_options(synchronize_session=False)
        )
        ids = (
            select(OutboxMessage.id)
            .where(claimable, OutboxMessage.subscription_id.in_(active))
            .order_by(OutboxMessage.available_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claim = (
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids.scalar_subquery()))
            .values(
                state=SENDING,
                claimed_by=worker,
                claimed_at=now,
                lease_until=now + lease,
                attempts=OutboxMessage.attempts + 1,
            )
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
        with self._session.begin() as session:
            session.execute(cancel)
            claimed = list(session.scalars(claim))
            if not claimed:
                return []
            rows = session.execute(
                select(OutboxMessage, Notice.text, Subscription.chat_type, Notice.send_at)
                .join(Notice, Notice.id == OutboxMessage.notice_id)
                .join(Subscription, Subscription.id == OutboxMessage.subscription_id)
                .where(OutboxMessage.id.in_(claimed))
                .order_by(OutboxMessage.available_at, OutboxMessage.id)
            ).all()
            return [
                ClaimedMessage(
                    outbox_id=row.id,
                    notice_id=row.notice_id,
                    subscription_id=row.subscription_id,
                    chat_id=row.chat_id,
                    chat_type=chat_type,
                    text=text,
                    parts_sent=row.parts_sent,
                    attempts=row.attempts,
                    due_since=send_at,
                )
                for row, text, chat_type, send_at in rows
            ]

    def _own(self, outbox_id: int, worker: str) -> Any:
        return and_(
            OutboxMessage.id == outbox_id,
            OutboxMessage.claimed_by == worker,
            OutboxMessage.state == SENDING,
        )

    def _update_claimed(self, outbox_id: int, worker: str, **values: Any) -> bool:
        with self._session.begin() as session:
            updated = session.scalar(
                update(OutboxMessage)
                .where(self._own(outbox_id, worker))
                .values(**values)
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            )
            return updated is not None

    def record_part_sent(
        self, outbox_id: int, worker: str, parts_sent: int, lease: timedelta
    ) -> bool:
        """Remember that the first ``parts_sent`` parts reached the chat; renew the lease."""
        return self._update_claimed(
            outbox_id, worker, parts_sent=parts_sent, lease_until=utcnow() + lease
        )

    def record_delivered(self, outbox_id: int, worker: str, parts_sent: int) -> bool:
        """Mark the row delivered."""
        now = utcnow()
        return self._update_claimed(
            outbox_id,
            worker,
            state=DELIVERED,
            parts_sent=parts_sent,
            delivered_at=now,
            claimed_by=None,
            last_error=None,
        )

    def record_retry(
        self,
        outbox_id: int,
        worker: str,
        at: datetime,
        reason: str | None,
        *,
        refund: bool = False,
    ) -> bool:
        """Put the row back for another try at ``at``; ``refund`` when nothing was attempted.

        ``reason`` (kept for ``notice status``) is left as it was when ``None``."""
        values: dict[str, Any] = {
            "state": PENDING,
            "available_at": at,
            "claimed_by": None,
            "claimed_at": None,
            "lease_until": None,
        }
        if reason is not None:
            values["last_error"] = _clip(reason)
        if refund:
            values["attempts"] = OutboxMessage.attempts - 1
        return self._update_claimed(outbox_id, worker, **values)

    def record_failed(
        self, outbox_id: int, worker: str, reason: str, *, deactivate: bool = False
    ) -> bool:
        """Mark the row failed for good; ``deactivate`` ends its subscription (blocked, gone)."""
        reason = _clip(reason)
        now = utcnow()
        with self._session.begin() as session:
            row = session.scalar(select(OutboxMessage).where(self._own(outbox_id, worker)))
            if row is None:
                return False
            row.state, row.last_error, row.claimed_by = FAILED, reason, None
            if deactivate:
                session.execute(
                    update(Subscription)
                    .where(Subscription.id == row.subscription_id)
                    .values(active=False, inactive_reason=reason, updated_at=now)
                )
                # Other notices queued for the same chat would fail the same way.
                session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.subscription_id == row.subscription_id,
                        OutboxMessage.state == PENDING,
                    )
                    .values(state=FAILED, last_error=reason)
                )
            return True

    def follow_migration(self, outbox_id: int, worker: str, new_chat_id: int) -> int | None:
        """Move the row's chat to its new supergroup id (``migrate_chat``).

        Returns the chat id to send to now, or ``None`` when the new chat already has this
        notice (the row was merged; nothing more to send).
        """
        with self._read() as session:
            old_chat = session.scalar(
                select(OutboxMessage.chat_id).where(self._own(outbox_id, worker))
            )
        if old_chat is None:
            return None
        self.migrate_chat(old_chat, new_chat_id)
        with self._read() as session:
            row = session.get(OutboxMessage, outbox_id)
            if row is None or row.state != SENDING or row.claimed_by != worker:
                return None
            return row.chat_id

    def next_due(self) -> datetime | None:
        """Return when the next open row becomes claimable (``available_at`` of a pending row,
        ``lease_until`` of one being sent); ``None`` when nothing is open."""
        with self._read() as session:
            due: datetime | None = session.scalar(
                select(
                    func.min(
                        case(
                            (OutboxMessage.state == PENDING, OutboxMessage.available_at),
                            else_=OutboxMessage.lease_until,
                        )
                    )
                ).where(OutboxMessage.state.in_((PENDING, SENDING)))
            )
        return due

    def open_count(self) -> int:
        """Return how many rows are pending or being sent."""
        with self._read() as session:
            return int(
                session.scalar(
                    select(func.count()).where(OutboxMessage.state.in_((PENDING, SENDING)))
                )
                or 0
            )
