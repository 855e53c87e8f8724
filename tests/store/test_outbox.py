"""Outbox claiming: exclusive between instances, leased, owned."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select, update

from bot.store.state import OutboxMessage, Store, Subscription, utcnow

LEASE = timedelta(minutes=2)


def _queue(store: Store, chats: int) -> int:
    for chat in range(1, chats + 1):
        store.subscribe(-chat, "group")
    notice_id, count = store.queue_notice("通知", "全部")
    assert count == chats
    return notice_id


def test_concurrent_claimers_never_share_a_row(store: Store, second_store: Store) -> None:
    """Six workers over two stores claim in small batches until empty: every row exactly once."""
    _queue(store, 150)

    def worker(n: int) -> list[int]:
        s = (store, second_store)[n % 2]
        got: list[int] = []
        while batch := s.claim_outbox(f"w{n}", 7, LEASE):
            got += [m.outbox_id for m in batch]
        return got

    with ThreadPoolExecutor(6) as pool:
        claimed = [row for rows in pool.map(worker, range(6)) for row in rows]
    assert len(claimed) == len(set(claimed)) == 150


def test_a_crashed_claimers_rows_come_back_after_the_lease(store: Store) -> None:
    _queue(store, 3)
    first = store.claim_outbox("dead", 10, LEASE)
    assert len(first) == 3
    assert store.claim_outbox("alive", 10, LEASE) == []
    with store._session.begin() as session:
        session.execute(update(OutboxMessage).values(lease_until=utcnow() - timedelta(seconds=1)))
    again = store.claim_outbox("alive", 10, LEASE)
    assert sorted(m.outbox_id for m in again) == sorted(m.outbox_id for m in first)
    assert all(m.attempts == 2 for m in again)
    # The dead worker's late writes are refused: the row is not its own any more.
    assert not store.record_delivered(first[0].outbox_id, "dead", 1)
    assert store.record_delivered(first[0].outbox_id, "alive", 1)


def test_parts_sent_survive_a_reclaim(store: Store) -> None:
    _queue(store, 1)
    (message,) = store.claim_outbox("w1", 1, LEASE)
    assert store.record_part_sent(message.outbox_id, "w1", 2, LEASE)
    with store._session.begin() as session:
        session.execute(update(OutboxMessage).values(lease_until=utcnow() - timedelta(seconds=1)))
    (again,) = store.claim_outbox("w2", 1, LEASE)
    assert again.parts_sent == 2


def test_retry_waits_and_failure_deactivates(store: Store) -> None:
    notice_id = _queue(store, 2)
    a, b = store.claim_outbox("w", 2, LEASE)
    assert store.record_retry(a.outbox_id, "w", utcnow() + timedelta(hours=1), "502 Bad Gateway")
    assert store.record_failed(b.outbox_id, "w", "403 Forbidden: bot was kicked", deactivate=True)
    assert store.claim_outbox("w", 10, LEASE) == []  # a is not due yet
    status = store.notice_status(notice_id)
    assert status is not None
    assert (status.pending, status.failed) == (1, 1)
    assert status.failures == (("403 Forbidden: bot was kicked", 1),)
    sub = store.subscription(b.chat_id)
    assert sub is not None and not sub.active
    assert store.queue_notice("下一条", "全部")[1] == 1  # the kicked group is no longer queued


def test_scheduled_notice_waits_for_its_time(store: Store) -> None:
    store.subscribe(7, "private")
    store.queue_notice("明早九点", "全部", send_at=utcnow() + timedelta(hours=1))
    assert store.claim_outbox("w", 10, LEASE) == []
    due = store.next_due()
    assert due is not None and due > utcnow()


def test_unsubscribing_cancels_what_was_queued_for_the_dropped_topics(store: Store) -> None:
    """Queued and scheduled notices of a dropped topic (or of every topic, on a full
    /unsubscribe) are not sent; notices for what is still subscribed are."""
    store.subscribe(-1, "group", ["创业", "紧缺"])
    store.subscribe(-2, "group")
    startup, _ = store.queue_notice("创业", "创业")
    shortage, _ = store.queue_notice("紧缺", "紧缺")
    everyone, _ = store.queue_notice("全部", "全部")
    later, _ = store.queue_notice("明天", "创业", send_at=utcnow() + timedelta(hours=1))
    store.unsubscribe(-1, ["创业"])
    assert {
        (m.chat_id, m.text) for m in store.claim_outbox("w", 50, LEASE) if m.chat_id == -1
    } == {(-1, "紧缺"), (-1, "全部")}
    status = store.notice_status(later)
    assert status is not None and (status.pending, status.cancelled) == (1, 1)  # -2 still gets it
    store.subscribe(-3, "group")
    last, _ = store.queue_notice("再一条", "全部")
    store.unsubscribe(-3)
    assert sorted(m.chat_id for m in store.claim_outbox("w", 50, LEASE)) == [-2, -1]
    status = store.notice_status(last)
    assert status is not None and (status.pending, status.cancelled, status.total) == (2, 1, 3)
    assert store.notice_status(startup).cancelled == 1  # type: ignore[union-attr]
    assert store.notice_status(shortage).cancelled == 0  # type: ignore[union-attr]
    assert store.notice_status(everyone).cancelled == 0  # type: ignore[union-attr]


def test_rows_of_an_ended_subscription_are_never_claimed(store: Store) -> None:
    """A row claimed before its chat unsubscribed, whose claimer then died, is not sent when
    its lease ends, and nothing waits for it."""
    _queue(store, 2)
    claimed = store.claim_outbox("dead", 10, timedelta(seconds=-1))  # lease already over
    assert len(claimed) == 2
    with store._session.begin() as session:
        session.execute(
            update(Subscription).where(Subscription.chat_id == -1).values(active=False)
        )
    assert [m.chat_id for m in store.claim_outbox("w", 10, LEASE)] == [-2]
    store.record_delivered(store_claimed_id(store, -2), "w", 1)
    assert store.next_due() is None and store.open_count() == 0


def store_claimed_id(store: Store, chat_id: int) -> int:
    with store._session() as session:
        return int(
            session.scalar(select(OutboxMessage.id).where(OutboxMessage.chat_id == chat_id)) or 0
        )
