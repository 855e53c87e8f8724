"""The command line's side of issue 9: notice validation (dates, invisible text, length as
Telegram counts it), ``notify resend --failed``, ``db purge``, private SQLite files, and one-line
errors with an exit code for a database that cannot be used."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from argparse import Namespace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli.commands import main
from bot.cli.notify import notify_cli
from bot.store.state import Store, utcnow
from tests.store.databases import PG_ADMIN_URL, postgres_unreachable

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.usefixtures("subscribed_database")


def _send(text: str, **options: Any) -> tuple[int, str, str]:
    args = Namespace(notify_command="send", text=text, topic="全部", at=None, wait=False)
    for key, value in options.items():
        setattr(args, key, value)
    out, err = io.StringIO(), io.StringIO()
    return notify_cli(args, out, err), out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("at", "why"),
    [
        ("0001-01-01 00:00", "超出范围"),
        ("9999-12-31 23:59", "一年以后"),
        ("2020-01-01 09:00", "一天以上"),
    ],
)
def test_send_refuses_a_date_far_off_in_one_line(store: Store, at: str, why: str) -> None:
    code, _, err = _send("开班通知", at=at)
    assert code == 2 and why in err and len(err.strip().splitlines()) == 1
    assert store.recent_notices() == []


def test_a_time_earlier_today_is_sent_now_and_says_so(store: Store) -> None:
    earlier = utcnow() + timedelta(hours=8) - timedelta(hours=2)  # Beijing, two hours ago
    code, out, _ = _send("开班通知", at=f"{earlier:%Y-%m-%d %H:%M}")
    assert code == 0 and "指定时间已过，立即发送" in out
    (status,) = store.recent_notices()
    assert abs(status.send_at - utcnow()) < timedelta(minutes=1)


@pytest.mark.parametrize("text", ["\u200b\u200b\u200b", "\u2060 \ufeff\u200d", "\u3000\n"])
def test_send_refuses_invisible_text(store: Store, text: str) -> None:
    code, _, err = _send(text)
    assert code == 2 and "不可见" in err
    assert store.recent_notices() == []


def test_send_counts_length_as_telegram_does(store: Store) -> None:
    """5,000 ``&`` are 5,000 characters to Telegram (2 messages): accepted; 130 KB of text
    would be 33 messages: refused, saying how long it is."""
    assert _send("&" * 5000)[0] == 0
    code, _, err = _send("通知内容" * 33_000)
    assert code == 2 and "通知太长" in err and "最多 3 条" in err


def test_resend_failed_queues_the_failed_chats_again(store: Store) -> None:
    notice_id, _ = store.queue_notice("报名截止提醒")
    claimed = store.claim_outbox("w", 10, timedelta(minutes=1))
    for message in claimed:
        store.record_failed(message.outbox_id, "w", "network: Bad Gateway（已尝试 5 次）")
    out = io.StringIO()
    args = Namespace(notify_command="resend", id=notice_id, failed=True)
    assert notify_cli(args, out, io.StringIO()) == 0
    assert f"重新排队 {len(claimed)} 个失败的聊天" in out.getvalue()
    status = store.notice_status(notice_id)
    assert status is not None and (status.failed, status.pending) == (0, len(claimed))
    assert notify_cli(Namespace(notify_command="resend", id=999, failed=True)) == 1


def test_db_purge_deletes_what_is_older_than_the_retention(
    store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store.log_question("旧问题", "unanswered", asked_at=utcnow() - timedelta(days=40))
    store.log_question("新问题", "unanswered")
    monkeypatch.setenv("SKILLBOT_RETENTION_DAYS", "90")
    assert main(["db", "purge"]) == 0
    assert [t for t, _, _ in store.unanswered_report()] == ["新问题", "旧问题"]
    assert main(["db", "purge", "--days", "30"]) == 0
    assert "问题记录 1 条" in capsys.readouterr().out
    assert [t for t, _, _ in store.unanswered_report()] == ["新问题"]


def test_the_default_sqlite_file_and_its_directory_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    old = os.umask(0o022)
    try:
        Store().close()
    finally:
        os.umask(old)
    directory = tmp_path / "data" / "skillbot"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for file in directory.iterdir():  # the database, its -wal and -shm
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


def _run(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SKILLBOT_", "DATABASE"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env={**env, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _one_line_failure(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and all(w in lines[0] for w in words), lines


def test_a_corrupt_sqlite_file_is_one_line(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(b"this is not a database" * 100)
    for command in (["notify", "status"], ["report", "unanswered"], ["db", "check"]):
        done = _run(*command, url=f"sqlite:///{corrupt}")
        _one_line_failure(done, f"skillbot {command[0]}", "损坏")


def test_an_unwritable_shm_file_is_refused_not_a_sigbus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite maps the -shm file: one it cannot write kills the process with SIGBUS at the
    first write, so it is refused before SQLite opens the database."""
    database = tmp_path / "bot.sqlite3"
    Store(f"sqlite:///{database}").close()
    shm = tmp_path / "bot.sqlite3-shm"
    shm.write_bytes(b"")
    shm.chmod(0o400)
    if os.access(shm, os.W_OK):  # root writes anyway: let the check see what a user would
        real_access = os.access
        monkeypatch.setattr(
            "bot.store.db.os.access",
            lambda p, m: False if str(p) == str(shm) else real_access(p, m),
        )
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    assert main(["notify", "status"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "只读" in err[0] and "-shm" in err[0]


@pytest.mark.postgres
def test_a_missing_postgresql_database_is_one_line_without_the_password() -> None:
    if postgres_unreachable():
        pytest.skip(str(postgres_unreachable()))
    from sqlalchemy.engine import make_url

    url = make_url(PG_ADMIN_URL).set(
        drivername="postgresql+psycopg", database="skillbot_no_such_db", password="hunter2secret"
    )
    done = _run("notify", "status", url=url.render_as_string(hide_password=False))
    _one_line_failure(done, "数据库不存在")
    assert "hunter2secret" not in done.stderr
