"""Telling a database outage apart from a bug, and saying so in the log once, not every poll.

``DATABASE_ERRORS`` are the exceptions that mean "the database cannot be used right now"
(unreachable, read-only, full, locked, corrupt).  :class:`Outage` is what the bot's parts that
keep working without the database (answers from the packaged notice, the send budget, the notice
deliverer) report to: the first failure is logged with what to check, later ones only at growing
intervals (30 s, 1 min, 2 min … at most an hour), and the recovery once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from bot.store.db import DatabaseFileError, SchemaNotCurrent

DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    SQLAlchemyError,
    DatabaseFileError,
    SchemaNotCurrent,
)
FIRST_REMINDER, MAX_REMINDER = 30.0, 3600.0
# While the database is down it is tried again at most this often (not for every message:
# an unreachable server may take its whole connect timeout to say so).
PROBE_EVERY = 5.0


def one_line(error: BaseException) -> str:
    """The first line of an error (SQLAlchemy adds the statement and a link below it).

    >>> one_line(ValueError("disk I/O error\\n[SQL: INSERT …]"))
    'ValueError: disk I/O error'
    """
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(getattr(error, 'orig', None) or error).__name__}: {text[0] if text else ''}"


class Outage:
    """The database's state as seen by one process, logged sparingly."""

    def __init__(
        self,
        logger: logging.Logger,
        consequence: str = (
            "answers go on from the packaged notice (conversations kept in memory), "
            "notices wait, sending paced by this instance alone"
        ),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``consequence`` says in the log what the bot does meanwhile."""
        self._log, self._consequence, self._clock = logger, consequence, clock
        self.down_since: float | None = None
        self._next_reminder = 0.0
        self._interval = FIRST_REMINDER
        self._probed = 0.0

    def should_try(self) -> bool:
        """Whether to use the database now: always when it is up, every ``PROBE_EVERY``
        seconds while it is down."""
        if self.down_since is None:
            return True
        now = self._clock()
        if now - self._probed >= PROBE_EVERY:
            self._probed = now
            return True
        return False

    @property
    def down(self) -> bool:
        """Whether the last use of the database failed."""
        return self.down_since is not None

    def failed(self, error: BaseException) -> None:
        """Record a failed use: logged the first time, then at growing intervals."""
        now = self._clock()
        self._probed = now
        if self.down_since is None:
            self.down_since, self._interval = now, FIRST_REMINDER
            self._next_reminder = now + self._interval
            self._log.warning(
                "database unavailable (%s); %s; check DATABASE_URL, the server and free disk "
                "space — retrying",
                one_line(error),
                self._consequence,
            )
        elif now >= self._next_reminder:
            self._interval = min(self._interval * 2, MAX_REMINDER)
            self._next_reminder = now + self._interval
            self._log.warning(
                "database still unavailable after %.0f s (%s)",
                now - self.down_since,
                one_line(error),
            )

    def succeeded(self) -> bool:
        """Record a successful use; True when it ends an outage (logged once)."""
        if self.down_since is None:
            return False
        self._log.warning("database available again after %.0f s", self._clock() - self.down_since)
        self.down_since = None
        return True


# What to check, by what the driver said (SQLite's and PostgreSQL's own words).
_HINTS = (
    ("file is not a database", "数据库文件已损坏或不是 SQLite 文件：从备份恢复，或移走它重新创建"),
    ("database disk image is malformed", "数据库文件已损坏：从备份恢复"),
    ("readonly database", "数据库只读：检查文件及其目录的写权限"),
    ("read-only", "数据库只读：检查文件及其目录的写权限或服务器的只读模式"),
    ("disk is full", "磁盘已满：清理空间"),
    ("no space left", "磁盘已满：清理空间"),
    ("database is locked", "数据库被另一个进程锁住：稍后再试，或检查卡住的进程"),
    ("unable to open database file", "打不开数据库文件：检查路径、目录是否存在及权限"),
    ("does not exist", "数据库不存在：先创建它（CREATE DATABASE），再运行 skillbot db upgrade"),
    ("password authentication failed", "用户名或密码不对：检查 DATABASE_URL"),
    ("connection refused", "连不上数据库服务器：检查它是否在运行、地址和端口"),
    ("could not translate host name", "数据库主机名无法解析：检查 DATABASE_URL"),
    ("timeout", "连接数据库超时：检查网络和服务器"),
)


def explain(error: BaseException, url: str | None = None) -> str:
    """One line for a database error: what failed and what to check — no traceback, no
    password (``url`` is shown with its password hidden).

    >>> explain(ValueError("database or disk is full"))
    '数据库出错（ValueError: database or disk is full）：磁盘已满：清理空间'
    """
    detail = one_line(error)
    lowered = detail.lower()
    hint = next((h for words, h in _HINTS if words in lowered), "检查 DATABASE_URL 和数据库服务器")
    where = ""
    if url:
        from sqlalchemy.engine import make_url

        try:
            where = f" {make_url(url).render_as_string(hide_password=True)}"
        except Exception:  # an unparsable URL: show none of it
            where = ""
    if url and "@" in detail:  # a driver message may quote the URL, password included
        detail = detail.split("@")[-1]
    return f"数据库{where}出错（{detail}）：{hint}"
