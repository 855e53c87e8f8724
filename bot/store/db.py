"""The database: where it is, how to connect, and keeping its schema at Alembic's head.

SQLite is the embedded default (a file under the user data directory, WAL, a busy timeout and
``BEGIN IMMEDIATE`` so that several processes can share it); PostgreSQL is chosen with
``DATABASE_URL`` (psycopg 3).  The schema of both is owned by the Alembic history in
``bot/store/migrations``; ``ensure_schema`` upgrades to head at start (on PostgreSQL under an
advisory lock so that instances starting together do not race) unless
``SKILLBOT_DB_AUTO_UPGRADE=0``, in which case a database behind head is refused with a message
saying to run ``skillbot db upgrade``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
# An arbitrary constant: the PostgreSQL advisory lock held while one instance migrates.
_PG_MIGRATION_LOCK = 0x5B1_1B07
# Alembic's ``context`` proxy is module-global: one migration at a time per process.
_PROCESS_MIGRATION_LOCK = threading.Lock()


class SchemaNotCurrent(RuntimeError):
    """The database is not at the newest migration and automatic upgrade is switched off."""


class DatabaseFileError(RuntimeError):
    """The SQLite file cannot be used safely (its shared-memory file is not writable)."""


PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600


def database_url() -> str:
    """Return ``DATABASE_URL`` or the default SQLite file (its directory created)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return normalise_url(url)
    from platformdirs import user_data_dir

    data_dir = Path(user_data_dir("skillbot"))
    if not data_dir.exists():
        data_dir.mkdir(parents=True, mode=PRIVATE_DIR)
        data_dir.chmod(PRIVATE_DIR)  # whatever the umask
    return f"sqlite:///{data_dir / 'skillbot.sqlite3'}"


def prepare_sqlite_file(path: str) -> None:
    """Create a new SQLite file private to its owner (0600: SQLite gives its -wal and -shm files
    the same mode), and refuse a file whose -shm is not writable: SQLite maps that file into
    memory and the process would die of SIGBUS on its first write."""
    file = Path(path)
    if not file.exists() and file.parent.is_dir():
        try:
            os.close(os.open(file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE))
        except FileExistsError:  # another process made it just now
            pass
    shm = file.with_name(file.name + "-shm")
    if shm.exists() and not os.access(shm, os.W_OK):
        raise DatabaseFileError(
            f"{shm} is not writable (readonly database): fix its owner or mode, or remove it "
            "while no process uses the database"
        )


def normalise_url(url: str) -> str:
    """Send every PostgreSQL URL through psycopg 3 (``postgres://``, ``postgresql://``)."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` (default :func:`database_url`), configured per backend."""
    url = normalise_url(url) if url else database_url()
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        database = make_url(url).database
        if database in (None, "", ":memory:"):
            # One shared connection, or every thread (asyncio.to_thread) sees its own empty
            # database.  In-memory databases are for tests, one transaction at a time.
            kwargs.setdefault("poolclass", StaticPool)
            kwargs.setdefault("connect_args", {"check_same_thread": False})
        elif not database.startswith("file:"):
            prepare_sqlite_file(database)
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


READ_ONLY = "skillbot_read_only"


def read_only(engine: Engine) -> Engine:
    """The same engine (pool, events) for transactions that only read: on SQLite they begin
    deferred (a WAL reader never waits for a writer), not ``BEGIN IMMEDIATE``."""
    return engine.execution_options(**{READ_ONLY: True})


def _configure_sqlite(engine: Engine) -> None:
    """WAL, busy timeout, foreign keys; every writing transaction ``BEGIN IMMEDIATE``.

    pysqlite's own transaction handling is switched off so that a transaction takes the write
    lock when it starts: a deferred transaction that reads and then writes fails at once with
    SQLITE_BUSY when another process wrote in between, which no busy timeout can help.  Only
    transactions on :func:`read_only` connections begin deferred, so that reads never queue
    behind writers (or each other) for the write lock.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            _use_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL once (it stays WAL).  The switch needs a moment alone with the
    file and does not wait out the busy timeout, so several processes opening a new database
    together retry it briefly instead of failing with "database is locked"."""
    for attempt in range(100):
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError:
            if attempt == 99:
                raise
            time.sleep(0.05)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory used by every store (objects usable after commit)."""
    return sessionmaker(engine, expire_on_commit=False)


def is_postgresql(engine: Engine) -> bool:
    """Tell whether ``engine`` talks to PostgreSQL."""
    return engine.dialect.name == "postgresql"


# --- Alembic -----------------------------------------------------------------------------------


def alembic_config(connection: Connection | None = None) -> Any:
    """Build the Alembic configuration in code (no alembic.ini needed at run time)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """Return the newest revision of the migration history."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at (``None`` for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_at_head(engine: Engine) -> bool:
    """Tell whether the database is at the newest migration."""
    return current_revision(engine) == head_revision()


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    """Yield a connection holding the migration lock (PostgreSQL advisory lock)."""
    with engine.connect() as connection:
        if is_postgresql(engine):
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            connection.commit()
        try:
            yield connection
        finally:
            if is_postgresql(engine):
                connection.rollback()
                connection.execute(
                    text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK}
                )
                connection.commit()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (one instance at a time on PostgreSQL)."""
    from alembic import command

    with _PROCESS_MIGRATION_LOCK, _migration_lock(engine) as connection:
        command.upgrade(alembic_config(connection), revision)
        connection.commit()


def auto_upgrade_enabled() -> bool:
    """Read ``SKILLBOT_DB_AUTO_UPGRADE`` (default on)."""
    return os.environ.get("SKILLBOT_DB_AUTO_UPGRADE", "1").strip().lower() not in {
        "0",
        "false",
        "no",
        "off",
    }


def ensure_schema(engine: Engine, *, auto_upgrade: bool | None = None) -> None:
    """Bring the schema to head at start, or refuse to run against an old schema.

    Raises:
        SchemaNotCurrent: when the database is behind and automatic upgrade is off.
    """
    if is_at_head(engine):
        return
    if auto_upgrade is None:
        auto_upgrade = auto_upgrade_enabled()
    if not auto_upgrade:
        raise SchemaNotCurrent(
            f"数据库结构不是最新（当前 {current_revision(engine)}，最新 {head_revision()}）；"
            "请先运行 skillbot db upgrade"
        )
    upgrade(engine)
