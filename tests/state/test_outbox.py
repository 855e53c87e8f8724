"""Outbox claiming: exclusive between instances, leased, owned."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import update

from knowledge.state import OutboxMessage, Store, utcnow

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
