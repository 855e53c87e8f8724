"""Alembic environment for skillbot: the catalogue and runtime-state tables on one ``Base``.

Run through ``bot.store.db`` (``skillbot db upgrade``), which passes an open connection in
``config.attributes["connection"]``; without one, ``DATABASE_URL`` or the default SQLite file is
used, so that ``alembic`` itself also works for writing new revisions.
"""

from __future__ import annotations

from alembic import context

import bot.store.people  # (hand-offs, taught names: tables on Base)
import bot.store.state  # noqa: F401  (registers the runtime-state tables on Base)
from bot.store.db import make_engine
from bot.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    """Emit SQL for ``DATABASE_URL`` without connecting."""
    from bot.store.db import database_url

    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate over the connection handed in by ``bot.store.db`` (or a fresh one)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine()
    with engine.connect() as connection:
        _run(connection)
        connection.commit()
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # type: ignore[attr-defined]
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
