"""The people behind the bot, in the database every instance shares: hand-offs to staff (and the
staff-group messages that belong to each), names staff taught, and what staff did about the
questions the bot missed.

Everything an instance needs to carry on after a restart, or to pick up a hand-off another
instance opened, is here: a staff reply finds its hand-off by the message it replies to or the
forum topic it is in; a worker's open hand-off is found by their chat and id.  A worker has at
most one open hand-off (``open_key`` is unique while open, NULL once closed), and an open
hand-off is closed once (an ``UPDATE … WHERE status = 'open'``), so two instances never both
time it out.  Taught names are kept with who taught them, when and why; removing one keeps the
row (``removed_at``), so :meth:`People.taught_version` changes with every change and an
instance rebuilds its table only then.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from sqlalchemy import (
    DateTime,
    String,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from bot.store.health import DATABASE_ERRORS, Outage
from bot.store.models import Base
from bot.store.state import (  # the hand-off tables live beside what /forget erases
    CLOSED,
    OPEN,
    QUESTION_MAX_CHARS,
    Handoff,
    HandoffMessage,
    QuestionLog,
    _BigId,
    utcnow,
)

if TYPE_CHECKING:
    from bot.store.state import Store

P = ParamSpec("P")
R = TypeVar("R")
ACTIONS = ("taught", "handed_off", "ignored")
CHANNELS = ("telegram", "cli", "web")
NAME_MAX_CHARS = 100
WHY_MAX_CHARS = 300


# --- tables ------------------------------------------------------------------------------------


class TaughtAlias(Base):
    """A name staff taught for a catalogue entry: who, when, why; kept when removed."""

    __tablename__ = "taught_alias"

    name: Mapped[str] = mapped_column(String(NAME_MAX_CHARS), primary_key=True)
    entry_key: Mapped[str] = mapped_column(String(32))
    entry_name: Mapped[str] = mapped_column(String(200))
    taught_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(WHY_MAX_CHARS))
    taught_at: Mapped[datetime] = mapped_column(DateTime)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    removed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class QuestionAction(Base):
    """What staff did about a missed question: taught a name, handed off, ignored it."""

    __tablename__ = "question_action"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    text: Mapped[str] = mapped_column(String(QUESTION_MAX_CHARS), index=True)
    action: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(WHY_MAX_CHARS))
    acted_by: Mapped[str] = mapped_column(String(64))
    acted_at: Mapped[datetime] = mapped_column(DateTime)


# --- values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandoffInfo:
    """A hand-off as the handlers see it."""

    id: int
    worker_chat_id: int
    worker_user_id: int
    worker_name: str
    staff_chat_id: int
    header_message_id: int | None
    thread_id: int | None
    trigger: str
    question: str
    status: str
    opened_at: datetime
    answered: bool

    @property
    def is_open(self) -> bool:
        """Whether staff and worker are still talking."""
        return self.status == OPEN


@dataclass(frozen=True)
class TaughtName:
    """A taught name and its entry, with who taught it, when and why."""

    name: str
    entry_key: str
    entry_name: str
    taught_by: str
    reason: str
    taught_at: datetime


@dataclass(frozen=True)
class MissedQuestion:
    """One line of the unanswered report."""

    text: str
    count: int
    last_asked: datetime
    channels: dict[str, int] = field(default_factory=dict)
    action: str = ""
    detail: str = ""
    last_id: int = 0


def _info(row: Handoff) -> HandoffInfo:
    return HandoffInfo(
        id=row.id,
        worker_chat_id=row.worker_chat_id,
        worker_user_id=row.worker_user_id,
        worker_name=row.worker_name,
        staff_chat_id=row.staff_chat_id,
        header_message_id=row.header_message_id,
        thread_id=row.thread_id,
        trigger=row.trigger,
        question=row.question,
        status=row.status,
        opened_at=row.opened_at,
        answered=row.answered_at is not None,
    )


def clean_name(name: str) -> str:
    """A taught name as stored: spaces collapsed, bounded.

    >>> clean_name("  铁 裁缝 ")
    '铁 裁缝'
    """
    return " ".join(name.split())[:NAME_MAX_CHARS]


class DatabaseAway(SQLAlchemyError):
    """The database is known to be down and is not tried again before the store's next probe
    (one of :data:`~bot.store.health.DATABASE_ERRORS`)."""


def _guarded(method: Callable[Concatenate[People, P], R]) -> Callable[Concatenate[People, P], R]:
    """Use the database only as the store's outage allows, and report to it how that went."""

    @functools.wraps(method)
    def guarded(self: People, /, *args: P.args, **kwargs: P.kwargs) -> R:
        outage = self.outage
        if outage is None or getattr(self._inside, "on", False):
            return method(self, *args, **kwargs)
        if not outage.should_try():
            raise DatabaseAway("the database is unavailable (tried again in a few seconds)")
        self._inside.on = True
        try:
            value = method(self, *args, **kwargs)
        except IntegrityError:
            raise  # the database answered
        except DATABASE_ERRORS as error:
            outage.failed(error)
            raise
        finally:
            self._inside.on = False
        if outage.succeeded():
            catch_up: Callable[[], None] | None = getattr(self.store, "catch_up", None)
            if catch_up is not None:
                catch_up()
        return value

    return guarded


class People:
    """Reads and writes of hand-offs, taught names and staff actions (synchronous; call it
    from a thread in async code), on a :class:`~bot.store.state.Store`'s database.

    The store's sessions are used, and with a store that tracks outages
    (:class:`~bot.store.resilient.ResilientStore`) its outage too: while the database is
    down it is tried only every few seconds (meanwhile :class:`DatabaseAway` is raised), a
    failure is reported to the outage (logged once) and raised — one of
    :data:`~bot.store.health.DATABASE_ERRORS`, for the caller to degrade on."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine
        self.outage: Outage | None = getattr(store, "outage", None)
        self._inside = threading.local()

    @property
    def _session(self) -> sessionmaker[Session]:
        return self.store._session

    @property
    def _read(self) -> sessionmaker[Session]:
        return self.store._read

    # --- hand-offs -------------------------------------------------------------------------

    @_guarded
    def open_handoff(
        self,
        worker_chat_id: int,
        worker_user_id: int,
        worker_name: str,
        staff_chat_id: int,
        trigger: str,
        question: str = "",
    ) -> tuple[HandoffInfo, bool]:
        """Open a hand-off for the worker, or return the one already open; (hand-off, new)."""
        key = f"{worker_chat_id}:{worker_user_id}"
        row = Handoff(
            worker_chat_id=worker_chat_id,
            worker_user_id=worker_user_id,
            worker_name=worker_name[:200],
            staff_chat_id=staff_chat_id,
            trigger=" ".join(trigger.split())[:QUESTION_MAX_CHARS],
            question=" ".join(question.split())[:QUESTION_MAX_CHARS],
            status=OPEN,
            open_key=key,
            opened_at=utcnow(),
        )
        try:
            with self._session.begin() as session:
                session.add(row)
                session.flush()
                info = _info(row)
            return info, True
        except IntegrityError:
            found = self.open_handoff_of(worker_chat_id, worker_user_id)
            if found is None:  # closed in between: try once more
                return self.open_handoff(
                    worker_chat_id, worker_user_id, worker_name, staff_chat_id, trigger, question
                )
            return found, False

    @_guarded
    def place_handoff(
        self, handoff_id: int, header_message_id: int, thread_id: int | None
    ) -> None:
        """Record where the hand-off's header went in the staff group."""
        with self._session.begin() as session:
            row = session.get(Handoff, handoff_id)
            if row is None:
                return
            row.header_message_id, row.thread_id = header_message_id, thread_id
            session.merge(
                HandoffMessage(
                    staff_chat_id=row.staff_chat_id,
                    message_id=header_message_id,
                    handoff_id=handoff_id,
                )
            )

    @_guarded
    def link_message(self, handoff_id: int, staff_chat_id: int, message_id: int) -> None:
        """Record a staff-group message as the hand-off's (a reply to it reaches the worker)."""
        with self._session.begin() as session:
            session.merge(
                HandoffMessage(
                    staff_chat_id=staff_chat_id, message_id=message_id, handoff_id=handoff_id
                )
            )

    @_guarded
    def handoff(self, handoff_id: int) -> HandoffInfo | None:
        """A hand-off by id."""
        with self._read() as session:
            row = session.get(Handoff, handoff_id)
            return _info(row) if row is not None else None

    @_guarded
    def handoff_for_message(self, staff_chat_id: int, message_id: int) -> HandoffInfo | None:
        """The hand-off a staff-group message belongs to."""
        stmt = (
            select(Handoff)
            .join(HandoffMessage, HandoffMessage.handoff_id == Handoff.id)
            .where(
                HandoffMessage.staff_chat_id == staff_chat_id,
                HandoffMessage.message_id == message_id,
            )
        )
        with self._read() as session:
            row = session.scalars(stmt).first()
            return _info(row) if row is not None else None

    @_guarded
    def handoff_in_topic(self, staff_chat_id: int, thread_id: int) -> HandoffInfo | None:
        """The newest hand-off in a forum topic of the staff group (open ones first)."""
        stmt = (
            select(Handoff)
            .where(Handoff.staff_chat_id == staff_chat_id, Handoff.thread_id == thread_id)
            .order_by((Handoff.status == OPEN).desc(), Handoff.id.desc())
        )
        with self._read() as session:
            row = session.scalars(stmt).first()
            return _info(row) if row is not None else None

    @_guarded
    def open_handoff_of(self, worker_chat_id: int, worker_user_id: int) -> HandoffInfo | None:
        """The worker's open hand-off, if any."""
        stmt = select(Handoff).where(Handoff.open_key == f"{worker_chat_id}:{worker_user_id}")
        with self._read() as session:
            row = session.scalars(stmt).first()
            return _info(row) if row is not None else None

    @_guarded
    def topic_of(self, staff_chat_id: int, worker_chat_id: int, worker_user_id: int) -> int | None:
        """The forum topic the worker's earlier hand-offs used (each worker has one)."""
        stmt = (
            select(Handoff.thread_id)
            .where(
                Handoff.staff_chat_id == staff_chat_id,
                Handoff.worker_chat_id == worker_chat_id,
                Handoff.worker_user_id == worker_user_id,
                Handoff.thread_id.is_not(None),
            )
            .order_by(Handoff.id.desc())
            .limit(1)
        )
        with self._read() as session:
            return session.scalar(stmt)

    @_guarded
    def mark_answered(self, handoff_id: int) -> None:
        """A person answered: no timeout any more."""
        with self._session.begin() as session:
            session.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.answered_at.is_(None))
                .values(answered_at=utcnow())
            )

    @_guarded
    def close_handoff(self, handoff_id: int, by: str, status: str = CLOSED) -> bool:
        """Close an open hand-off; False when it was not open (closed by someone else)."""
        with self._session.begin() as session:
            result = session.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.status == OPEN)
                # the worker's name is kept only while the hand-off is live (/privacy)
                .values(
                    status=status,
                    open_key=None,
                    closed_at=utcnow(),
                    closed_by=by[:64],
                    # what the worker wrote is not kept once it is handled (/privacy)
                    worker_name="",
                    trigger="",
                    question="",
                )
                .returning(Handoff.id)
            )
            return result.scalar() is not None

    @_guarded
    def open_handoffs_of_person(self, user_id: int) -> list[HandoffInfo]:
        """Every open hand-off of a person (as the worker, in any chat)."""
        stmt = select(Handoff).where(
            Handoff.status == OPEN,
            or_(Handoff.worker_user_id == user_id, Handoff.worker_chat_id == user_id),
        )
        with self._read() as session:
            return [_info(row) for row in session.scalars(stmt)]

    @_guarded
    def unanswered_handoffs(self, older_than: timedelta) -> list[HandoffInfo]:
        """Open hand-offs nobody answered for ``older_than``."""
        stmt = select(Handoff).where(
            Handoff.status == OPEN,
            Handoff.answered_at.is_(None),
            Handoff.opened_at <= utcnow() - older_than,
        )
        with self._read() as session:
            return [_info(row) for row in session.scalars(stmt)]

    # --- taught names ----------------------------------------------------------------------

    @_guarded
    def teach(
        self, name: str, entry_key: str, entry_name: str, by: str, reason: str, question: str = ""
    ) -> None:
        """Teach (or re-teach) ``name`` for an entry, recording who, when and why; the missed
        ``question`` it came from (else the name itself) is marked as taught."""
        name, now = clean_name(name), utcnow()
        values = {
            "entry_key": entry_key,
            "entry_name": entry_name,
            "taught_by": by[:64],
            "reason": reason[:WHY_MAX_CHARS],
            "taught_at": now,
            "removed_at": None,
            "removed_by": None,
            "changed_at": now,
        }
        with self._session.begin() as session:
            row = session.get(TaughtAlias, name)
            if row is None:
                session.add(TaughtAlias(name=name, **values))
            else:
                for column, value in values.items():
                    setattr(row, column, value)
        self.record_action(question or name, "taught", f"{name} → {entry_name}", by)

    @_guarded
    def unteach(self, name: str, by: str) -> bool:
        """Remove a taught name (kept as removed); False when it was not taught."""
        now = utcnow()
        with self._session.begin() as session:
            result = session.execute(
                update(TaughtAlias)
                .where(TaughtAlias.name == clean_name(name), TaughtAlias.removed_at.is_(None))
                .values(removed_at=now, removed_by=by[:64], changed_at=now)
                .returning(TaughtAlias.name)
            )
            return result.scalar() is not None

    @_guarded
    def taught(self) -> list[TaughtName]:
        """Every name taught and not removed, oldest first."""
        stmt = (
            select(TaughtAlias)
            .where(TaughtAlias.removed_at.is_(None))
            .order_by(TaughtAlias.taught_at, TaughtAlias.name)
        )
        with self._read() as session:
            return [
                TaughtName(r.name, r.entry_key, r.entry_name, r.taught_by, r.reason, r.taught_at)
                for r in session.scalars(stmt)
            ]

    @_guarded
    def taught_version(self) -> tuple[int, datetime | None]:
        """Changes with every teaching and removal (one small indexed query)."""
        stmt = select(func.count(), func.max(TaughtAlias.changed_at))
        with self._read() as session:
            count, last = session.execute(stmt).one()
        return int(count), last

    # --- what staff did about misses -------------------------------------------------------

    @_guarded
    def record_action(self, text: str, action: str, detail: str, by: str) -> None:
        """Record what staff did about a missed question."""
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, not {action!r}")
        text = " ".join(text.split())[:QUESTION_MAX_CHARS]
        with self._session.begin() as session:
            session.add(
                QuestionAction(
                    text=text,
                    action=action,
                    detail=detail[:WHY_MAX_CHARS],
                    acted_by=by[:64],
                    acted_at=utcnow(),
                )
            )

    @_guarded
    def question(self, question_id: int) -> str | None:
        """A logged question's text by its id (the report's buttons carry the id)."""
        with self._read() as session:
            return session.scalar(select(QuestionLog.text).where(QuestionLog.id == question_id))

    @_guarded
    def unanswered(self, limit: int = 50) -> list[MissedQuestion]:
        """Missed questions, most frequent first: counts by channel, last asked, and what staff
        last did about each."""
        count, last = func.count(QuestionLog.id), func.max(QuestionLog.asked_at)
        top = (
            select(QuestionLog.text, count, last, func.max(QuestionLog.id))
            .group_by(QuestionLog.text)
            .order_by(count.desc(), last.desc())
            .limit(limit)
        )
        with self._read() as session:
            rows = session.execute(top).all()
            texts = [text for text, *_ in rows]
            channels: dict[str, dict[str, int]] = {}
            for text, channel, n in session.execute(
                select(QuestionLog.text, QuestionLog.channel, func.count())
                .where(QuestionLog.text.in_(texts))
                .group_by(QuestionLog.text, QuestionLog.channel)
            ):
                channels.setdefault(text, {})[channel] = int(n)
            actions: dict[str, tuple[str, str]] = {}
            for text, action, detail in session.execute(
                select(QuestionAction.text, QuestionAction.action, QuestionAction.detail)
                .where(QuestionAction.text.in_(texts))
                .order_by(QuestionAction.id)
            ):
                actions[text] = (action, detail)  # the latest wins
        return [
            MissedQuestion(
                text=text,
                count=int(n),
                last_asked=seen,
                channels=channels.get(text, {}),
                action=actions.get(text, ("", ""))[0],
                detail=actions.get(text, ("", ""))[1],
                last_id=int(last_id),
            )
            for text, n, seen, last_id in rows
        ]
