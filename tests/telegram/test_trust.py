"""Issue 9 through the real Application and the stand-in Bot API: /privacy and /forget, admin
reports kept out of groups, strict button payloads, inline queries under the flood guard, the
shared 30-a-second budget from the first second, replies retried through a Bot API hiccup,
answers through a database outage, and the webhook server refusing before it reads a body."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import io
import json
import logging
from argparse import Namespace
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker

from bot.cli.report import report_cli
from bot.settings import Settings
from bot.store.db import make_engine
from bot.store.resilient import ResilientStore
from bot.store.state import Store
from bot.telegram import texts
from bot.telegram.throttle import FLOOD_LIMIT
from bot.telegram.webhook import MAX_BODY_BYTES, SECRET_HEADER, make_server
from tests.support.fake_telegram import FakeTelegram, Fault
from tests.telegram.conftest import (
    ADMIN_ID,
    STAFF_CHAT,
    STAFF_MEMBER,
    Harness,
    free_port,
    running_harness,
)
from tests.telegram.test_delivery import peak_per_second

PERSON = 4242
GROUP = -4242


def _report(monkeypatch: pytest.MonkeyPatch, url: str) -> str:
    """What ``skillbot report unanswered`` prints for the application's database."""
    monkeypatch.setenv("DATABASE_URL", url)
    out = io.StringIO()
    assert report_cli(Namespace(limit=50), out) == 0
    return out.getvalue()


async def test_privacy_says_what_why_how_long_and_how_to_erase(harness: Harness) -> None:
    text = (await harness.ask(PERSON, "/privacy")).text
    for kept in ("id", "话题", "没能回答", "👎", "订阅", "转人工"):
        assert kept in text
    assert "用于" in text and "90 天" in text and "/forget" in text


async def test_forget_erases_logged_questions_and_the_conversation(
    harness: Harness, app_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A question not understood is in the report and a follow-up continues the conversation;
    after /forget neither is there, for every instance (it is the shared database)."""
    await harness.ask(PERSON, "qwzx 量子纠缠")
    assert "qwzx 量子纠缠" in _report(monkeypatch, app_database_url)
    assert "3850" in (await harness.ask(PERSON, "焊工技师补贴多少")).text
    assert "焊工" in (await harness.ask(PERSON, "那高级呢")).text

    said = (await harness.ask(PERSON, "/forget")).text
    assert said.startswith("已删除关于你的全部记录") and "问题记录 1 条" in said

    assert "qwzx" not in _report(monkeypatch, app_database_url)
    assert harness.store.get_context(PERSON, PERSON) == {}
    follow_up = (await harness.ask(PERSON, "那高级呢")).text
    assert "没能理解" in follow_up and not follow_up.startswith("<b>焊工")


async def test_stats_is_refused_in_a_group_even_to_an_admin(harness: Harness) -> None:
    harness.store.log_question("我的电话 13800000000 焊工补贴", "unanswered")
    call = await harness.ask(GROUP, "/stats", user_id=ADMIN_ID, chat_type="supergroup")
    assert call.text == texts.ADMIN_PRIVATE_ONLY
    assert "13800000000" in (await harness.ask(ADMIN_ID, "/stats")).text  # privately: yes


@pytest.mark.parametrize("payload", ["bot:ex:²", "bot:ex:٣", "bot:ex:1²", "bot:ex:-1"])
async def test_a_forged_example_button_is_answered_once_politely(
    harness: Harness, payload: str
) -> None:
    await harness.ask(PERSON, "/start")
    answer = await harness.press(PERSON, payload)
    assert answer.params.get("text") == texts.BUTTON_EXPIRED
    await harness.settle()
    assert len(harness.fake.calls("answerCallbackQuery")) == 1
    assert not harness.fake.calls("sendMessage", where=lambda c: c.text == texts.APOLOGY)


async def test_inline_queries_count_in_the_flood_guard(harness: Harness) -> None:
    """One user's inline flood is cut at the limit; another user is answered at once."""
    flooder, other = 31337, 31338
    await harness.feed(
        *[harness.fake.inline_update(f"焊工 {i}", user_id=flooder) for i in range(3 * FLOOD_LIMIT)]
    )
    await harness.feed(harness.fake.inline_update("焊工 技师", user_id=other))
    await harness.settle()
    answered = harness.fake.calls("answerInlineQuery")
    assert len(answered) == FLOOD_LIMIT + 1


async def test_many_chats_at_once_stay_within_30_a_second_from_the_first_second(
    harness: Harness,
) -> None:
    chats = [50_000 + i for i in range(75)]
    await harness.feed(*[harness.fake.message_update(c, "焊工技师补贴多少") for c in chats])
    sends = await harness.fake.await_calls("sendMessage", count=len(chats), timeout=30)
    assert {c.chat_id for c in sends} == set(chats)
    first_second = [c for c in sends if c.time < sends[0].time + 1.0]
    assert len(first_second) <= 30
    assert peak_per_second(sends) <= 30


async def test_replies_wait_out_a_bot_api_outage_in_order(harness: Harness) -> None:
    """sendMessage answers 502 for a while: both questions are answered after it, in order."""
    harness.fake.fail(Fault.bad_gateway(), method="sendMessage", chat_id=PERSON, times=4)
    await harness.feed(
        harness.fake.message_update(PERSON, "焊工技师补贴多少"),
        harness.fake.message_update(PERSON, "电工技师补贴多少"),
    )
    oks = await harness.fake.await_calls(
        "sendMessage", chat_id=PERSON, where=lambda c: c.status == 200, count=2, timeout=30
    )
    assert "焊工" in oks[0].text and "电工" in oks[1].text


@contextlib.contextmanager
def _dead_database(h: Harness) -> Iterator[ResilientStore]:
    """Make the application's database unreachable for the store and the people behind the
    bot (hand-offs, taught names), which use the store's sessions and its outage."""
    store = h.store
    assert isinstance(store, ResilientStore)
    dead = make_engine(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")
    saved = store._session, store._read
    store._session = store._read = sessionmaker(dead)
    people = h.services.people
    assert people._session is store._session and people.outage is store.outage
    try:
        yield store
    finally:
        store._session, store._read = saved
        dead.dispose()


@pytest.fixture
def database_down(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Iterator[ResilientStore]:
    """Make the application's database unreachable (the store tries it at every use)."""
    monkeypatch.setattr("bot.store.health.PROBE_EVERY", 0.0)
    with _dead_database(harness) as store:
        yield store


async def test_a_database_outage_leaves_one_answer_and_handoffs_fall_back_to_contacts(
    staff_settings: Settings,
    app_store: Store,
    fake_telegram: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While the database is down a private question gets exactly one answer (no hand-off
    lookup or taught-name refresh fails it), /human names the contact offices, and nothing
    logs a traceback."""
    caplog.set_level(logging.WARNING)
    fake_telegram.set_chat_members(STAFF_CHAT, [STAFF_MEMBER])
    async with running_harness(staff_settings, app_store, fake_telegram) as h:
        with _dead_database(h):
            await h.feed(h.fake.message_update(PERSON, "焊工技师补贴多少"))
            await h.settle()
            sent = h.fake.calls("sendMessage", chat_id=PERSON)
            assert len(sent) == 1 and "3850" in sent[0].text
            monkeypatch.setattr("bot.store.health.PROBE_EVERY", 0.0)  # tried at every use
            human = await h.ask(PERSON, "/human")
            assert "没有在线的人工服务" in human.text and "联系单位" in human.text
            await h.ask(PERSON, "电工技师补贴多少")
            await h.settle()
    assert not h.fake.calls(where=lambda c: c.text == texts.APOLOGY)
    assert not h.fake.calls(chat_id=STAFF_CHAT)
    assert len(h.fake.calls("sendMessage", chat_id=PERSON)) == 3
    assert not any(r.exc_info for r in caplog.records)
    assert [r for r in caplog.records if "database unavailable" in r.getMessage()]


async def test_answers_from_the_packaged_notice_while_the_database_is_down(
    harness: Harness,
    database_down: ResilientStore,
    caplog: pytest.LogCaptureFixture,
    app_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Figures, follow-ups and the not-understood log go on during an outage; the outage is
    logged once; when the database is back the waiting question is written to it."""
    caplog.set_level(logging.WARNING)
    assert "3850" in (await harness.ask(PERSON, "焊工技师补贴多少")).text
    assert "焊工" in (await harness.ask(PERSON, "那高级呢")).text
    await harness.ask(PERSON, "qwzx 量子纠缠")
    outage_lines = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(outage_lines) == 1 and not any(r.exc_info for r in caplog.records)
    assert not harness.fake.calls(where=lambda c: c.text == texts.APOLOGY)

    database_down._session, database_down._read = (
        sessionmaker(harness.store.engine),
        sessionmaker(harness.store.engine),
    )
    assert "车工" in (await harness.ask(PERSON + 1, "车工技师补贴多少")).text
    assert "qwzx 量子纠缠" in _report(monkeypatch, app_database_url)
    assert any("available again" in r.getMessage() for r in caplog.records)


def _post(port: int, headers: dict[str, str], body: bytes = b"") -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("POST", "/hook")
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        if body:
            connection.send(body)
        return connection.getresponse().status
    finally:
        connection.close()


async def test_webhook_refuses_before_reading_and_caps_the_body(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """No secret: 403 on the headers alone (95 MB announced, none sent); with the secret, a
    body over 1 MB: 413; a malformed update: dropped with one warning line, not CRITICAL."""
    port = free_port()
    server = make_server(harness.app, "hook", "right-secret")
    server.listen(port, address="127.0.0.1")
    huge = {"Content-Type": "application/json", "Content-Length": str(95 * 2**20)}
    try:
        assert await asyncio.to_thread(_post, port, huge) == 403
        wrong = {**huge, SECRET_HEADER: "wrong"}
        assert await asyncio.to_thread(_post, port, wrong) == 403
        right = {**huge, SECRET_HEADER: "right-secret"}
        assert await asyncio.to_thread(_post, port, right) == 413
        caplog.set_level(logging.WARNING)
        junk = json.dumps({"update_id": 5, "message": {"chat": "nonsense"}}).encode()
        malformed = {
            "Content-Type": "application/json",
            "Content-Length": str(len(junk)),
            SECRET_HEADER: "right-secret",
        }
        assert await asyncio.to_thread(_post, port, malformed, junk) == 200
        update = harness.fake.message_update(PERSON, "焊工技师补贴多少")
        good = json.dumps(update).encode()
        headers = {**malformed, "Content-Length": str(len(good))}
        assert await asyncio.to_thread(_post, port, headers, good) == 200
        assert "3850" in (await harness.fake.await_calls("sendMessage", chat_id=PERSON))[0].text
    finally:
        server.stop()
    lines = [r for r in caplog.records if "malformed webhook update" in r.getMessage()]
    assert len(lines) == 1 and "nonsense" not in lines[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.CRITICAL]
    assert MAX_BODY_BYTES == 2**20


async def test_a_getchatmember_hiccup_is_retried_not_a_refusal(harness: Harness) -> None:
    """A real admin is not told they are not one because getChatMember failed once."""
    harness.fake.set_chat_admins(GROUP, [7], owner=1)
    harness.fake.fail(Fault.bad_gateway(), method="getChatMember", times=2)
    call = await harness.ask(GROUP, "/subscribe", user_id=7, chat_type="supergroup")
    assert call.text.startswith("已订阅通知")
    assert len(harness.fake.calls("getChatMember")) == 3


async def test_a_malformed_update_does_not_stall_polling(fake_telegram: Any) -> None:
    """getUpdates with an update PTB cannot parse: it becomes a bare update id (the offset
    moves past it) and the update after it arrives, with one warning line."""
    from telegram import Bot

    from bot.telegram.polling import UpdatesRequest

    bad = fake_telegram.push_update({"message": {"chat": "nonsense", "date": "x"}})
    fake_telegram.push_message(PERSON, "焊工技师补贴多少")
    async with Bot(
        fake_telegram.token, base_url=fake_telegram.base_url, get_updates_request=UpdatesRequest()
    ) as bot:
        updates = await bot.get_updates(timeout=0)
    assert updates[0].update_id == bad["update_id"]
    assert updates[0].message is None and updates[1].message.text == "焊工技师补贴多少"


def test_the_idle_scheduler_is_not_logged(settings: Any) -> None:
    """APScheduler's "Running job" INFO lines (two every delivery interval) are not logged."""
    from bot.telegram.app import configure_logging

    configure_logging(settings)
    assert not logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.INFO)


async def test_notices_outlast_a_bot_api_outage(
    store: Any, fake_telegram: Any, make_bot: Any
) -> None:
    """sendMessage answers 502 thirty times over: every reachable group still gets the notice
    (transient failures are retried, not counted out after five); a 403 fails at once."""
    from bot.telegram.delivery import Deliverer

    chats = [-(7000 + i) for i in range(6)]
    for chat in chats:
        store.subscribe(chat, "group")
    fake_telegram.fail(Fault.kicked(), method="sendMessage", chat_id=chats[0], times=None)
    fake_telegram.fail(Fault.bad_gateway(), method="sendMessage", times=30)
    notice_id, _ = store.queue_notice("开班通知")
    deliverer = Deliverer(
        await make_bot(), store, backoff_base=0.02, backoff_max=0.1, startup_pause=0.0
    )
    await deliverer.run_until_idle(timeout=60)
    status = store.notice_status(notice_id)
    assert status is not None and (status.delivered, status.failed) == (5, 1)
    assert dict(status.failures) == {"403 Forbidden: bot was kicked from the group chat": 1}


async def test_two_instances_share_one_budget(
    database_url: str, store: Any, fake_telegram: Any, make_bot: Any
) -> None:
    """Two deliverers (own store, own bot) on one database, each with the budget of the whole
    bot (here 20/s): together they never exceed it and finish in count/rate seconds."""
    from bot.store.state import Store
    from bot.telegram.budget import SendBudget
    from bot.telegram.delivery import Deliverer

    for i in range(60):
        store.subscribe(-(8000 + i), "group")
    store.queue_notice("一起发")
    other = Store(database_url)
    try:
        first = Deliverer(await make_bot(), store, budget=SendBudget(store, 20), batch_size=10)
        second = Deliverer(await make_bot(), other, budget=SendBudget(other, 20), batch_size=10)
        started = asyncio.get_running_loop().time()
        await asyncio.gather(first.run_until_idle(timeout=60), second.run_until_idle(timeout=60))
        elapsed = asyncio.get_running_loop().time() - started
        await first.close()
        await second.close()
    finally:
        other.close()
    sends = fake_telegram.calls("sendMessage")
    assert len({c.chat_id for c in sends}) == 60 == len(sends)
    assert peak_per_second(sends) <= 20
    assert first.stats.delivered > 10 and second.stats.delivered > 10
    assert elapsed < 60 / 20 + 2.0
