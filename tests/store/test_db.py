"""bot.store.db: where the database is, how each backend is configured, and the Alembic schema."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

import bot.store.state  # noqa: F401  (the runtime-state tables on Base)
from bot.store import db
from bot.store.models import Base


def test_default_url_is_a_sqlite_file_in_the_user_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    url = db.database_url()
    assert url == f"sqlite:///{tmp_path / 'data' / 'skillbot' / 'skillbot.sqlite3'}"
    assert (tmp_path / "data" / "skillbot").is_dir()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgres://u:p@h:5433/d", "postgresql+psycopg://u:p@h:5433/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///x.sqlite3", "sqlite:///x.sqlite3"),
    ],
)
def test_postgresql_urls_go_through_psycopg3(given: str, expected: str) -> None:
    assert db.normalise_url(given) == expected


def test_sqlite_engine_has_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path}/x.sqlite3")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == db.SQLITE_BUSY_TIMEOUT_MS
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_migrations_match_the_models(database_url: str) -> None:
    """The Alembic history builds exactly the tables of bot.store.models and bot.store.state."""
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_chat_ids_are_64_bit(database_url: str) -> None:
    """Telegram ids pass 2**31 (supergroups are -100…, newer users ≥ 5·10⁹): each id stored
    comes back unchanged, and on PostgreSQL every id column is BIGINT."""
    from datetime import timedelta

    from bot.store.state import Store

    supergroup, person, update_id = -1_001_234_567_890, 7_000_000_123, 2**40
    assert min(-supergroup, person, update_id) > 2**31
    store = Store(database_url)
    store.subscribe(supergroup, "supergroup")
    store.save_context(supergroup, person, {"subjects": ["焊工"]})
    store.queue_notice("明天截止报名")
    assert store.mark_update_processed(update_id) and not store.mark_update_processed(update_id)
    subscription = store.subscription(supergroup)
    assert subscription is not None and subscription.chat_id == supergroup
    assert store.get_context(supergroup, person) == {"subjects": ["焊工"]}
    claimed = store.claim_outbox("worker", 10, timedelta(seconds=30))
    assert [message.chat_id for message in claimed] == [supergroup]
    if store.engine.dialect.name == "postgresql":
        inspector = inspect(store.engine)
        for table, column in [
            ("subscription", "chat_id"),
            ("outbox", "chat_id"),
            ("conversation", "chat_id"),
            ("conversation", "user_id"),
            ("processed_update", "update_id"),
        ]:
            types = {c["name"]: str(c["type"]) for c in inspector.get_columns(table)}
            assert types[column] == "BIGINT", (table, column)
    store.close()


def test_0003_gives_each_person_a_conversation_and_keeps_the_old_contexts(
    database_url: str,
) -> None:
    """A database at 0002 holding chat contexts (a person's private chat, a supergroup, both ids
    beyond 32 bits) upgrades to one conversation per (chat, person): every old context becomes
    the chat's own, data and time kept, and reads back through the Store; a downgrade gives the
    chats' own contexts back."""
    from alembic import command
    from sqlalchemy import select

    from bot.store.state import Store, StoredConversation

    person, group = 5_000_000_001, -1001234567890123
    when = datetime(2026, 11, 1, 9, 30)
    old_contexts = {
        person: '{"subjects": ["焊工"], "level": "L2"}',
        group: '{"subjects": ["电工"], "level": "L1"}',
    }
    engine = db.make_engine(database_url)
    db.upgrade(engine, "0002")
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO chat_context (chat_id, data, updated_at) VALUES (:c, :d, :t)"),
            [{"c": chat, "d": data, "t": when} for chat, data in old_contexts.items()],
        )
    db.upgrade(engine, "0003")
    assert db.current_revision(engine) == "0003"
    assert "chat_context" not in inspect(engine).get_table_names()
    with Session(engine) as session:
        rows = session.scalars(select(StoredConversation)).all()
        assert sorted((r.chat_id, r.user_id, r.data, r.updated_at) for r in rows) == sorted(
            (chat, chat, data, when) for chat, data in old_contexts.items()
        )
    store = Store(engine=engine)
    assert store.get_context(person, person) == {"subjects": ["焊工"], "level": "L2"}
    assert store.get_context(group, group) == {"subjects": ["电工"], "level": "L1"}
    store.save_context(group, person, {"subjects": ["车工"]})  # one person's, in the group
    with engine.connect() as conn:
        command.downgrade(db.alembic_config(conn), "0002")
        conn.commit()
        kept = conn.execute(text("SELECT chat_id, data FROM chat_context")).all()
    assert sorted(kept) == sorted(old_contexts.items())
    engine.dispose()


def test_schema_is_upgraded_at_start_unless_switched_off(database_url: str) -> None:
    engine = db.make_engine(database_url)
    with pytest.raises(db.SchemaNotCurrent, match="skillbot db upgrade"):
        db.ensure_schema(engine, auto_upgrade=False)
    db.ensure_schema(engine, auto_upgrade=True)
    assert db.is_at_head(engine)
    db.ensure_schema(engine, auto_upgrade=False)  # at head: nothing to refuse
    engine.dispose()


def test_instances_starting_together_upgrade_once(database_url: str) -> None:
    """Several processes' worth of Stores created at once on an empty database all end at head."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.store.state import Store

    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: Store(database_url), range(4)))
    assert all(db.is_at_head(s.engine) for s in stores)
    for s in stores:
        s.close()


def test_in_memory_sqlite_is_one_database_for_every_thread() -> None:
    """Tests may use ``Store("sqlite://")`` from async code (asyncio.to_thread)."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.store.state import Store

    store = Store("sqlite://")
    store.save_context(1, 1, {"entry": "焊工"})
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(store.get_context, 1, 1).result() == {"entry": "焊工"}
    store.close()


def test_sqlite_reads_do_not_wait_for_a_writer(database_url: str) -> None:
    """Only writing transactions take SQLite's write lock (BEGIN IMMEDIATE); a read while
    another connection holds it answers at once instead of waiting out the busy timeout."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.store.state import Store

    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's locking only")
    store = Store(database_url)
    store.save_context(1, 1, {"entry": "焊工"})
    writer = store.engine.connect()
    writer.begin()  # BEGIN IMMEDIATE: holds the write lock
    try:
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(store.get_context, 1, 1).result(timeout=3) == {"entry": "焊工"}
            assert pool.submit(store.open_count).result(timeout=3) == 0
    finally:
        writer.rollback()
        writer.close()
        store.close()


def test_many_first_connections_to_a_new_sqlite_file_all_get_wal(tmp_path: Path) -> None:
    """Switching a new file to WAL needs a moment alone with it; simultaneous first connections
    (several instances starting) retry instead of failing with "database is locked"."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    for n in range(10):
        engine = db.make_engine(f"sqlite:///{tmp_path / f'new{n}.sqlite3'}")
        barrier = threading.Barrier(8)

        def first_connection(_: int, engine: Any = engine, barrier: Any = barrier) -> str:
            barrier.wait(10)
            with engine.connect() as connection:
                return str(connection.exec_driver_sql("PRAGMA journal_mode").scalar())

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(first_connection, range(8))) == {"wal"}
        engine.dispose()
