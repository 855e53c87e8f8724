"""``skillbot db upgrade|current|check`` (bot.cli.db) on both databases."""

from __future__ import annotations

import argparse

import pytest
from sqlalchemy import inspect

from bot.cli.db import db_cli
from bot.store import db


def _cli(action: str) -> int:
    return db_cli(argparse.Namespace(action=action))


def test_cli_upgrades_an_empty_database_and_checks_it(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`skillbot db check` fails on an empty database, `upgrade` brings it to head, then passes."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert _cli("check") == 1
    assert "skillbot db upgrade" in capsys.readouterr().err
    assert _cli("upgrade") == 0
    assert _cli("check") == 0
    assert _cli("current") == 0
    assert db.head_revision() in capsys.readouterr().out
    engine = db.make_engine(database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {
        "catalogue_entry",
        "legacy_code",
        "conversation",
        "question_log",
        "processed_update",
        "subscription",
        "notice",
        "outbox",
        "alembic_version",
    } <= tables
