"""bot.store.state.Store: context, question log, update dedupe, chat migration, subscriptions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select, update

from bot.store.state import (
    QUESTION_MAX_CHARS,
    Notice,
    OutboxMessage,
    ProcessedUpdate,
    QuestionLog,
    Store,
    utcnow,
)

SUPERGROUP = -1001234567890123  # beyond 32 bits
ALICE, BOB = 5_000_000_001, 6_000_000_002  # people, beyond 32 bits too


def test_context_round_trip_and_replace(store: Store) -> None:
    assert store.get_context(SUPERGROUP, ALICE) == {}
    store.save_context(SUPERGROUP, ALICE, {"entry": "焊工", "level": 3})
    store.save_context(SUPERGROUP, ALICE, {"entry": "电工"})
    assert store.get_context(SUPERGROUP, ALICE) == {"entry": "电工"}
    store.save_context(2**62, 2**62, {"n": 1})
    assert store.get_context(2**62, 2**62) == {"n": 1}


def test_each_person_in_a_chat_has_their_own_context(store: Store) -> None:
    store.save_context(SUPERGROUP, ALICE, {"subjects": ["焊工"], "level": "L2"})
    store.save_context(SUPERGROUP, BOB, {"subjects": ["电工"], "level": "L1"})
    store.save_context(ALICE, ALICE, {"subjects": ["车工"]})  # Alice's private chat
    assert store.get_context(SUPERGROUP, ALICE) == {"subjects": ["焊工"], "level": "L2"}
    assert store.get_context(SUPERGROUP, BOB) == {"subjects": ["电工"], "level": "L1"}
    assert store.get_context(ALICE, ALICE) == {"subjects": ["车工"]}
    assert store.get_context(BOB, BOB) == {} and store.get_context(SUPERGROUP, SUPERGROUP) == {}


def test_two_instances_share_context(store: Store, second_store: Store) -> None:
    store.save_context(42, 42, {"last": "育婴员"})
    assert second_store.get_context(42, 42) == {"last": "育婴员"}
    second_store.save_context(42, 42, {"last": "保育师"})
    assert store.get_context(42, 42) == {"last": "保育师"}


def test_question_log_keeps_text_and_time_only_clipped(store: Store) -> None:
    store.log_question("焊工  技师\n补贴多少", "unanswered")
    store.log_question("长" * 5000, "thumbs_down")
    with store._session() as session:
        rows = session.execute(select(QuestionLog)).scalars().all()
        assert {c.name for c in QuestionLog.__table__.columns} == {
            "id",
            "text",
            "reason",
            "asked_at",
            "answer",  # what a 👎 tells: the answer given, what was wrong, a comment
            "detail",
            "comment",
            "channel",  # telegram, cli or web: where, never who
            "chat_id",  # only so that /forget can erase it; never reported
            "user_id",
        }
    assert rows[0].text == "焊工 技师 补贴多少"
    assert len(rows[1].text) == QUESTION_MAX_CHARS


def test_unknown_reason_is_refused(store: Store) -> None:
    import pytest

    with pytest.raises(ValueError):
        store.log_question("x", "angry")


def test_unanswered_report_most_frequent_first(store: Store) -> None:
    for text, times in (("无人机补贴", 1), ("叉车司机", 3), ("茶艺师", 2)):
        for _ in range(times):
            store.log_question(text, "unanswered")
    store.log_question("茶艺师", "thumbs_down")
    report = store.unanswered_report()
    # 茶艺师 was asked last, so it leads the tie.
    assert [(t, n) for t, n, _ in report] == [("茶艺师", 3), ("叉车司机", 3), ("无人机补贴", 1)]
    assert report[0][2] <= utcnow()
    assert len(store.unanswered_report(limit=2)) == 2


def test_update_processed_once_across_instances(store: Store, second_store: Store) -> None:
    """Eight threads over two stores race on the same update ids: each id wins exactly once."""
    ids = list(range(10_000_000_000, 10_000_000_040))

    def mark(args: tuple[Store, int]) -> bool:
        s, update_id = args
        return s.mark_update_processed(update_id)

    jobs = [(s, i) for i in ids for s in (store, second_store, store, second_store)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(mark, jobs))
    assert sum(results) == len(ids)
    assert not store.mark_update_processed(ids[0])


def test_old_processed_updates_are_pruned(store: Store) -> None:
    store.mark_update_processed(1)
    with store._session.begin() as session:
        session.execute(update(ProcessedUpdate).values(processed_at=utcnow() - timedelta(days=3)))
    store._marks = 0  # the next mark prunes
    store.mark_update_processed(2)
    with store._session() as session:
        assert list(session.scalars(select(ProcessedUpdate.update_id))) == [2]


def test_subscribe_topics_and_unsubscribe(store: Store) -> None:
    assert store.subscribe(-100, "group").topics == ("全部",)
    assert store.subscribe(-100, "group", ["创业"]).topics == ("全部", "创业")
    info = store.unsubscribe(-100, ["全部"])
    assert info is not None and info.active and info.topics == ("创业",)
    info = store.unsubscribe(-100)
    assert info is not None and not info.active
    assert store.unsubscribe(-100) is None
    assert store.subscribe(-100, "group", ["紧缺"]).topics == ("紧缺",)  # fresh start


def test_notice_reaches_its_topic_and_everything_subscribers(store: Store) -> None:
    store.subscribe(-1, "group")  # 全部
    store.subscribe(-2, "group", ["创业"])
    store.subscribe(-3, "group", ["紧缺"])
    store.subscribe(4, "private", ["创业", "紧缺"])
    store.subscribe(-5, "group", ["创业"])
    store.unsubscribe(-5)
    notice_id, count = store.queue_notice("创业补贴申报开始", "创业")
    with store._session() as session:
        chats = set(
            session.scalars(
                select(OutboxMessage.chat_id).where(OutboxMessage.notice_id == notice_id)
            )
        )
    assert (count, chats) == (3, {-1, -2, 4})
    assert store.queue_notice("所有人", "全部")[1] == 4
    status = store.notice_status(notice_id)
    assert status is not None and (status.pending, status.delivered, status.failed) == (3, 0, 0)


def test_migrate_chat_moves_every_conversation_and_the_subscription(store: Store) -> None:
    store.save_context(-100, ALICE, {"entry": "焊工"})
    store.save_context(-100, BOB, {"entry": "电工"})
    store.save_context(-100, -100, {"entry": "车工"})  # an anonymous admin, as the group
    store.save_context(ALICE, ALICE, {"entry": "茶艺师"})  # another chat: not moved
    store.subscribe(-100, "group", ["创业"])
    store.queue_notice("n", "创业")
    store.migrate_chat(-100, SUPERGROUP)
    for user in (ALICE, BOB, -100):
        assert store.get_context(-100, user) == {}
    assert store.get_context(SUPERGROUP, ALICE) == {"entry": "焊工"}
    assert store.get_context(SUPERGROUP, BOB) == {"entry": "电工"}
    assert store.get_context(SUPERGROUP, SUPERGROUP) == {"entry": "车工"}
    assert store.get_context(ALICE, ALICE) == {"entry": "茶艺师"}
    assert store.subscription(-100) is None
    moved = store.subscription(SUPERGROUP)
    assert moved is not None and moved.active and moved.topics == ("创业",)
    with store._session() as session:
        assert list(session.scalars(select(OutboxMessage.chat_id))) == [SUPERGROUP]
    store.migrate_chat(-100, SUPERGROUP)  # the second service message: nothing left to move


def test_migrate_chat_into_a_subscribed_chat_keeps_one_of_everything(store: Store) -> None:
    """Both ids subscribed (the bot saw the supergroup first): one context per person, one
    subscription, and a notice queued for both chats stays queued once."""
    store.save_context(-100, ALICE, {"old": 1})
    store.save_context(SUPERGROUP, ALICE, {"new": 1})
    store.save_context(-100, BOB, {"old": 2})
    store.subscribe(-100, "group", ["创业"])
    store.subscribe(SUPERGROUP, "supergroup", ["紧缺"])
    both, count = store.queue_notice("both", "全部")
    only_old, _ = store.queue_notice("only old", "创业")
    assert count == 2
    store.migrate_chat(-100, SUPERGROUP)
    assert store.get_context(SUPERGROUP, ALICE) == {"new": 1}
    assert store.get_context(SUPERGROUP, BOB) == {"old": 2}
    assert store.get_context(-100, ALICE) == {} and store.get_context(-100, BOB) == {}
    merged = store.subscription(SUPERGROUP)
    assert merged is not None and merged.active and set(merged.topics) == {"创业", "紧缺"}
    old = store.subscription(-100)
    assert old is not None and not old.active
    with store._session() as session:
        open_rows = session.execute(
            select(OutboxMessage.notice_id, func.count())
            .where(OutboxMessage.state == "pending")
            .group_by(OutboxMessage.notice_id, OutboxMessage.chat_id)
        ).all()
        chats = set(
            session.scalars(select(OutboxMessage.chat_id).where(OutboxMessage.state == "pending"))
        )
    assert sorted(open_rows) == sorted([(both, 1), (only_old, 1)])
    assert chats == {SUPERGROUP}
    status = store.notice_status(both)
    assert status is not None and (status.pending, status.merged) == (1, 1)


def test_concurrent_migrations_of_one_chat_move_it_once(store: Store, second_store: Store) -> None:
    """Both service messages of a migration, on two instances, call migrate_chat at the same
    moment: no IntegrityError, one context per person, one subscription, one copy of each
    notice."""
    import threading

    for n in range(8):
        old, new = -(5000 + n), -(1_000_000_005_000 + n)
        store.save_context(old, ALICE, {"entry": "焊工", "n": n})
        store.save_context(old, BOB, {"entry": "电工", "n": n})
        store.subscribe(old, "group", ["创业"])
        store.queue_notice(f"n{n}", "创业")
        if n % 2:  # the bot already knew the supergroup
            store.subscribe(new, "supergroup", ["紧缺"])
        barrier = threading.Barrier(4)

        def migrate(
            s: Store, old: int = old, new: int = new, barrier: threading.Barrier = barrier
        ) -> None:
            barrier.wait(10)
            s.migrate_chat(old, new)

        with ThreadPoolExecutor(4) as pool:
            for result in [pool.submit(migrate, (store, second_store)[i % 2]) for i in range(4)]:
                result.result()
        assert store.get_context(old, ALICE) == {} and store.get_context(old, BOB) == {}
        assert store.get_context(new, ALICE) == {"entry": "焊工", "n": n}
        assert store.get_context(new, BOB) == {"entry": "电工", "n": n}
        sub = store.subscription(new)
        assert sub is not None and sub.active and "创业" in sub.topics
        with store._session() as session:
            rows = session.execute(
                select(OutboxMessage.chat_id, OutboxMessage.state)
                .join(Notice, Notice.id == OutboxMessage.notice_id)
                .where(
                    Notice.text == f"n{n}",
                    OutboxMessage.chat_id.in_((old, new)),
                    OutboxMessage.state == "pending",
                )
            ).all()
        assert rows == [(new, "pending")]


def test_the_same_request_queues_one_notice(store: Store, second_store: Store) -> None:
    """/notify handled twice (redelivered, edited, two instances): one notice, same answer."""
    store.subscribe(-100, "group")
    first = store.queue_notice("3月1日截止", request_key="tg:7:42")
    again = second_store.queue_notice("3月2日截止", request_key="tg:7:42")
    assert first == again and first[1] == 1
    other = store.queue_notice("3月1日截止", request_key="tg:7:43")
    assert other[0] != first[0]
    assert [s.text for s in store.recent_notices()] == ["3月1日截止", "3月1日截止"]
    with ThreadPoolExecutor(4) as pool:
        results = set(
            pool.map(
                lambda i: (store, second_store)[i % 2].queue_notice("x", request_key="tg:7:44"),
                range(8),
            )
        )
    assert len(results) == 1 and len(store.recent_notices(10)) == 3


def test_concurrent_first_subscriptions_of_one_chat_merge(
    store: Store, second_store: Store
) -> None:
    """Two instances handle the first /subscribe of a new group at the same moment."""
    import threading

    for n in range(6):
        chat = -(7000 + n)
        barrier = threading.Barrier(4)

        def subscribe(
            s: Store, topic: str, chat: int = chat, barrier: threading.Barrier = barrier
        ) -> None:
            barrier.wait(10)
            s.subscribe(chat, "group", [topic])

        topics = ["创业", "紧缺", "目录", "政策"]
        with ThreadPoolExecutor(4) as pool:
            futures = [
                pool.submit(subscribe, (store, second_store)[i % 2], topics[i]) for i in range(4)
            ]
            for future in futures:
                future.result()
        sub = store.subscription(chat)
        assert sub is not None and sub.active
        assert set(sub.topics) == set(topics)


def test_thumbs_down_keeps_the_answer_what_was_wrong_and_a_comment(store: Store) -> None:
    log_id = store.log_question("焊工技师补贴多少", "thumbs_down", answer="焊工 技师：3850 元/人")
    assert log_id is not None
    assert store.annotate_question(log_id, detail="数字不对")
    assert store.annotate_question(log_id, comment="  应该是\n4000  ")
    assert not store.annotate_question(log_id)  # nothing to add
    store.log_question("彩票", "unanswered")  # says nothing more than the question
    [feedback] = store.feedback_report()
    assert (feedback.question, feedback.answer, feedback.detail, feedback.comment) == (
        "焊工技师补贴多少",
        "焊工 技师：3850 元/人",
        "数字不对",
        "应该是 4000",
    )
    assert {t for t, _, _ in store.unanswered_report()} == {"焊工技师补贴多少", "彩票"}
    assert store.log_question("  ", "thumbs_down") is None


def test_shared_questions_get_one_short_id_each(store: Store) -> None:
    first = store.share_question("一年可以领几次培训补贴")
    assert first.startswith("s_") and len(first) == 12
    assert store.share_question(" 一年可以领几次培训补贴 ") == first  # the same row
    other = store.share_question("证书在哪里查询")
    assert other != first
    assert store.shared_question(first) == "一年可以领几次培训补贴"
    assert store.shared_question(other) == "证书在哪里查询"
    assert store.shared_question("s_unknown000") is None
    assert store.shared_question("6-18-02-04") is None
