"""The people's tables on each backend: hand-offs (one open per worker, closed once), the
staff-group messages that lead to them, taught names with who, when and why, and the unanswered
report with channels and what staff did."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta

import pytest
from sqlalchemy.orm import sessionmaker

from bot.store.db import make_engine
from bot.store.health import DATABASE_ERRORS, Outage
from bot.store.people import DatabaseAway, People
from bot.store.state import CLOSED, TIMED_OUT, Store

STAFF = -1009


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_a_worker_has_one_open_handoff_closed_once(store: Store) -> None:
    people = People(store)
    first, new = people.open_handoff(5, 5, "阿明", STAFF, "转人工", "铁裁缝补多少")
    again, new_again = people.open_handoff(5, 5, "阿明", STAFF, "/human")
    assert new and not new_again and again.id == first.id and first.question == "铁裁缝补多少"
    assert people.open_handoff_of(5, 5) == first and people.open_handoff_of(6, 6) is None
    assert people.close_handoff(first.id, "7") and not people.close_handoff(first.id, "8")
    closed = people.handoff(first.id)
    assert closed is not None and closed.status == CLOSED and not closed.is_open
    later, new = people.open_handoff(5, 5, "阿明", STAFF, "转人工")
    assert new and later.id != first.id


def test_staff_messages_and_topics_lead_to_their_handoff(store: Store) -> None:
    people = People(store)
    info, _ = people.open_handoff(5, 5, "阿明", STAFF, "转人工")
    people.place_handoff(info.id, header_message_id=100, thread_id=77)
    people.link_message(info.id, STAFF, 101)
    for message_id in (100, 101):
        found = people.handoff_for_message(STAFF, message_id)
        assert found is not None and found.id == info.id and found.thread_id == 77
    assert people.handoff_for_message(STAFF, 102) is None
    assert people.handoff_in_topic(STAFF, 77).id == info.id  # type: ignore[union-attr]
    assert people.topic_of(STAFF, 5, 5) == 77 and people.topic_of(STAFF, 6, 6) is None


def test_only_unanswered_handoffs_time_out(store: Store) -> None:
    people = People(store)
    waiting, _ = people.open_handoff(5, 5, "阿明", STAFF, "转人工")
    answered, _ = people.open_handoff(6, 6, "阿红", STAFF, "转人工")
    people.mark_answered(answered.id)
    due = people.unanswered_handoffs(timedelta(0))
    assert [h.id for h in due] == [waiting.id]
    assert people.unanswered_handoffs(timedelta(minutes=5)) == []
    assert people.close_handoff(waiting.id, "timeout", TIMED_OUT)
    assert people.handoff(waiting.id).status == TIMED_OUT  # type: ignore[union-attr]


def test_taught_names_keep_who_when_why_and_version(store: Store) -> None:
    people = People(store)
    empty = people.taught_version()
    people.teach("铁裁缝", "q6180204", "焊工", "7", "/alias")
    taught = people.taught()
    assert [(t.name, t.entry_key, t.taught_by, t.reason) for t in taught] == [
        ("铁裁缝", "q6180204", "7", "/alias")
    ]
    one = people.taught_version()
    assert one != empty
    assert people.unteach("铁裁缝", "7") and not people.unteach("铁裁缝", "7")
    assert people.taught() == [] and people.taught_version() != one


def test_unanswered_report_counts_channels_and_actions(store: Store) -> None:
    people = People(store)
    for channel in ("telegram", "telegram", "cli", "web"):
        store.log_question("铁裁缝补多少", "unanswered", channel)
    store.log_question("宇航员", "unanswered", "web")
    people.record_action("宇航员", "ignored", "", "7")
    rows = {row.text: row for row in people.unanswered()}
    assert rows["铁裁缝补多少"].count == 4
    assert rows["铁裁缝补多少"].channels == {"telegram": 2, "cli": 1, "web": 1}
    assert rows["宇航员"].action == "ignored" and rows["铁裁缝补多少"].action == ""
    assert people.question(rows["宇航员"].last_id) == "宇航员"


def test_a_closed_handoff_keeps_no_name_and_forget_erases_a_persons_handoffs(
    store: Store,
) -> None:
    people = People(store)
    mine, _ = people.open_handoff(5, 5, "阿明", STAFF, "转人工", "铁裁缝补多少")
    people.link_message(mine.id, STAFF, 77)
    theirs, _ = people.open_handoff(6, 6, "小红", STAFF, "转人工")
    assert people.close_handoff(theirs.id, "7")
    closed = people.handoff(theirs.id)
    assert closed is not None and closed.worker_name == ""  # a name only while it is live
    gone = store.forget(5)
    assert gone.handoffs == 1
    assert people.handoff(mine.id) is None and people.open_handoff_of(5, 5) is None
    assert people.handoff(theirs.id) is not None  # nobody else's


def test_a_closed_handoff_keeps_nothing_the_worker_wrote_and_is_purged_later(
    store: Store,
) -> None:
    people = People(store)
    old, _ = people.open_handoff(5, 5, "阿明", STAFF, "用户发送：我要问人", "铁裁缝补多少")
    people.link_message(old.id, STAFF, 77)
    live, _ = people.open_handoff(6, 6, "小红", STAFF, "转人工", "电焊补多少")
    assert people.close_handoff(old.id, "7")
    closed = people.handoff(old.id)
    assert closed is not None and (closed.trigger, closed.question) == ("", "")
    assert store.purge(timedelta(days=1)).handoffs == 0  # closed just now: kept for now
    purged = store.purge(timedelta(0))
    assert purged.handoffs == 1  # the closed one and its message link; the open one stays
    assert people.handoff(old.id) is None and people.handoff_for_message(STAFF, 77) is None
    assert people.handoff(live.id) is not None


def test_forget_erases_closed_handoffs_too(store: Store) -> None:
    people = People(store)
    first, _ = people.open_handoff(5, 5, "阿明", STAFF, "转人工")
    people.link_message(first.id, STAFF, 78)
    people.close_handoff(first.id, "7")
    people.open_handoff(5, 5, "阿明", STAFF, "转人工")
    assert [h.worker_user_id for h in people.open_handoffs_of_person(5)] == [5]
    assert store.forget(5).handoffs == 2
    assert people.handoff(first.id) is None and people.handoff_for_message(STAFF, 78) is None


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_people_follow_the_stores_outage(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a store that tracks outages, a failure is reported to it, the database is not
    tried again before the next probe, and the first success ends the outage."""
    outage = Outage(logging.getLogger("test"), clock=_Clock())
    monkeypatch.setattr(store, "outage", outage, raising=False)
    people = People(store)
    dead = make_engine(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")
    live = store._session, store._read
    try:
        store._session = store._read = sessionmaker(dead)
        with pytest.raises(DATABASE_ERRORS):
            people.open_handoff_of(5, 5)
        assert outage.down
        with pytest.raises(DatabaseAway):  # not tried: known down until the next probe
            people.taught_version()
        store._session, store._read = live
        with pytest.raises(DatabaseAway):
            people.taught_version()
        outage._clock.now += 10  # type: ignore[attr-defined]
        assert people.open_handoff_of(5, 5) is None and not outage.down
    finally:
        store._session, store._read = live
        dead.dispose()
