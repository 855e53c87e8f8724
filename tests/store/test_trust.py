"""Privacy, retention, heartbeats, the shared send budget and resending failed notices — on
SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta

from sqlalchemy import select, update

from bot.store.state import (
    CANCELLED,
    FAILED,
    PENDING,
    OutboxMessage,
    Store,
    utcnow,
)


def test_forget_erases_one_person_everywhere_and_nobody_else(store: Store) -> None:
    """Their conversations (private and in a group), their logged questions and 👎, their
    private subscription and its queued notices go; another person's and the group's stay."""
    me, other, group = 501, 502, -900
    store.save_context(me, me, {"subjects": ["焊工"]})
    store.save_context(group, me, {"subjects": ["电工"]})
    store.save_context(group, other, {"subjects": ["车工"]})
    store.log_question("宇航员补贴", "unanswered", chat_id=me, user_id=me)
    store.log_question("焊工 → 技师", "thumbs_down", chat_id=group, user_id=me)
    store.log_question("茶艺师", "unanswered", chat_id=group, user_id=other)
    store.subscribe(me, "private")
    store.subscribe(group, "group")
    store.queue_notice("开班通知")

    gone = store.forget(me)

    assert (gone.conversations, gone.questions, gone.subscriptions) == (2, 2, 1)
    assert store.get_context(me, me) == {} and store.get_context(group, me) == {}
    assert store.get_context(group, other) == {"subjects": ["车工"]}
    assert [text for text, _, _ in store.unanswered_report()] == ["茶艺师"]
    assert store.subscription(me) is None and store.subscription(group) is not None
    with store._read() as session:
        chats = set(session.scalars(select(OutboxMessage.chat_id)))
    assert chats == {group}
    assert store.forget(me) == type(gone)(0, 0, 0)  # nothing left to erase


def test_purge_deletes_old_questions_and_idle_conversations_only(store: Store) -> None:
    old = utcnow() - timedelta(days=91)
    store.log_question("很久以前的问题", "unanswered", asked_at=old)
    store.log_question("昨天的问题", "unanswered", asked_at=utcnow() - timedelta(days=1))
    store.save_context(1, 1, {"subjects": ["焊工"]})
    store.save_context(2, 2, {"subjects": ["电工"]})
    from bot.store.state import StoredConversation

    with store._session.begin() as session:
        session.execute(
            update(StoredConversation)
            .where(StoredConversation.chat_id == 1)
            .values(updated_at=old)
        )
    purged = store.purge(timedelta(days=90))
    assert (purged.questions, purged.conversations) == (1, 1)
    assert [t for t, _, _ in store.unanswered_report()] == ["昨天的问题"]
    assert store.get_context(1, 1) == {} and store.get_context(2, 2) != {}


def test_unsubscribing_one_topic_from_everything_stops_that_topic(store: Store) -> None:
    """Subscribed to 全部, /unsubscribe 创业: 创业 notices stop (queued ones cancelled, new ones
    not queued), every other topic keeps coming."""
    store.subscribe(-5, "group")
    queued_id, _ = store.queue_notice("创业补贴申报", "创业")
    info = store.unsubscribe(-5, ["创业"])
    assert info is not None and info.active
    assert "创业" not in info.topics and "全部" not in info.topics and "紧缺" in info.topics
    assert store.queue_notice("创业培训开班", "创业")[1] == 0
    assert store.queue_notice("紧缺工种更新", "紧缺")[1] == 1
    assert store.queue_notice("致所有订阅者", "全部")[1] == 1
    with store._read() as session:
        state = session.scalar(
            select(OutboxMessage.state).where(OutboxMessage.notice_id == queued_id)
        )
    assert state == CANCELLED


def test_heartbeat_renews_only_the_beaters_leases_and_a_clean_stop_gives_rows_back(
    store: Store, second_store: Store
) -> None:
    for chat in (-1, -2, -3, -4):
        store.subscribe(chat, "group")
    store.queue_notice("通知")
    short = timedelta(seconds=1)
    mine = store.claim_outbox("alive", 2, short)
    theirs = second_store.claim_outbox("dead", 2, short)
    assert len(mine) == len(theirs) == 2
    assert store.heartbeat("alive", delivering=True, lease=timedelta(minutes=1)) == 2
    with store._session.begin() as session:  # time passes: the short leases are over
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.claimed_by == "dead")
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )
    taken_over = second_store.claim_outbox("new", 10, short)
    assert {m.chat_id for m in taken_over} == {m.chat_id for m in theirs}  # not "alive"'s
    assert store.live_deliverers(timedelta(seconds=30)) == 1
    assert store.end_instance("alive") == 2
    assert store.live_deliverers(timedelta(seconds=30)) == 0
    again = second_store.claim_outbox("new", 10, short)
    assert {m.chat_id for m in again} == {m.chat_id for m in mine}
    assert all(m.attempts == 1 for m in again)  # a clean stop costs no attempt


def test_the_send_budget_is_one_queue_for_every_instance(
    store: Store, second_store: Store
) -> None:
    """Two instances taking slots in turn get one schedule: each slot one spacing after the
    one before, whoever took it (so together they keep the rate from the first message)."""
    spacing = 0.05
    slots = []
    for i in range(20):
        wait = (store if i % 2 else second_store).reserve_send_slot(spacing)
        slots.append(time.monotonic() + wait)  # when this slot is, on our clock
    steps = [b - a for a, b in itertools.pairwise(slots)]
    # one schedule, spacing apart (give or take the clocks' reading jitter)
    assert all(abs(step - spacing) < 0.01 for step in steps), steps
    store.pause_sending(2.0)
    assert 1.5 < second_store.reserve_send_slot(spacing) <= 2.0 + spacing


def test_resend_failed_requeues_the_failed_chats_whose_subscription_lives(store: Store) -> None:
    for chat in (-1, -2, -3):
        store.subscribe(chat, "group")
    notice_id, _ = store.queue_notice("报名截止提醒")
    claimed = {m.chat_id: m for m in store.claim_outbox("w", 10, timedelta(minutes=1))}
    store.record_delivered(claimed[-1].outbox_id, "w", 1)
    store.record_failed(claimed[-2].outbox_id, "w", "network: Bad Gateway（已尝试 5 次）")
    store.record_failed(claimed[-3].outbox_id, "w", "403 Forbidden", deactivate=True)

    assert store.resend_failed(notice_id) == (1, 1)

    with store._read() as session:
        states = dict(
            session.execute(
                select(OutboxMessage.chat_id, OutboxMessage.state).where(
                    OutboxMessage.notice_id == notice_id
                )
            ).all()
        )
    assert states == {-1: "delivered", -2: PENDING, -3: FAILED}
    (again,) = store.claim_outbox("w", 10, timedelta(minutes=1))
    assert again.chat_id == -2 and again.attempts == 1


def test_logged_questions_take_any_text(store: Store) -> None:
    """A lone surrogate (a broken client) is stored as U+FFFD, not an encoding error."""
    store.log_question("焊\ud800工", "unanswered", chat_id=1, user_id=1)
    assert store.unanswered_report()[0][0] == "焊\ufffd工"
