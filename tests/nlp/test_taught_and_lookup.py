"""What nlp/ offers the people around the bot: names taught at run time (``Engine.teach``),
the requests a message makes of the channel (转人工, 结束人工) and the hotline lookup."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.render import as_text
from nlp.engine import Engine
from nlp.lookup import Lookup

WELDER = "q6180204"


@pytest.fixture
def teaching(engine: Engine) -> Iterator[Engine]:
    """The session's engine; whatever a test teaches it is forgotten afterwards."""
    yield engine
    engine.teach({})


def test_a_taught_name_answers_as_its_entry(teaching: Engine) -> None:
    assert "裁缝" in as_text(teaching.answer("铁裁缝技师补贴多少")).splitlines()[0]
    assert teaching.teach({"铁裁缝": WELDER}) == []
    assert "焊工 技师（二级）：3850" in as_text(teaching.answer("铁裁缝技师补贴多少"))
    teaching.teach({})  # forgotten: answered as before
    assert "焊工" not in as_text(teaching.answer("铁裁缝技师补贴多少")).splitlines()[0]


def test_a_taught_name_never_shadows_the_catalogue(teaching: Engine) -> None:
    # 车工 is a catalogue name, 电焊工 a packaged alias: neither can be taught as another entry
    refused = teaching.teach({"车工": WELDER, "电焊工": "q6200101", "x": WELDER, "y1": "nokey"})
    assert sorted(refused) == sorted(["车工", "电焊工", "x", "y1"])
    assert "车工 技师" in as_text(teaching.answer("车工技师补贴多少"))


def test_entries_named_reads_the_target_like_a_question(engine: Engine) -> None:
    assert engine.entries_named("焊工") == [WELDER]
    assert len(engine.entries_named("钳工")) == 3  # ambiguous: every candidate
    assert engine.entries_named("宇航员") == []


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("转人工", {"human"}),
        ("人工客服", {"human"}),
        ("我要问人", {"human"}),
        ("能帮我找工作人员吗", {"human"}),
        ("结束人工", {"human_end"}),
        ("电话多少", set()),
        ("焊工技师补贴多少", set()),
    ],
)
def test_requests_to_the_channel(engine: Engine, text: str, wanted: set[str]) -> None:
    assert engine.requests(text) == wanted


def test_without_a_person_the_engine_names_the_contact_offices(engine: Engine) -> None:
    for text in ("转人工", "人工客服", "电话多少"):
        reply = engine.answer(text)
        assert reply.understood and "联系单位" in as_text(reply)
    assert "联系单位" in as_text(engine.contacts_reply())


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("焊工", "焊工"),
        ("电焊工", "焊工"),  # alias
        ("6-18-02-04", "焊工"),
        ("6180204", "焊工"),
        ("hangong", "焊工"),
        ("hg", "焊工"),
        ("chayishi", "茶艺师"),
        ("评茶员", "评茶师"),  # legacy name of 附件4
        ("3020200", "保卫管理员"),  # legacy code of 附件4
    ],
)
def test_lookup_finds_by_every_form(engine: Engine, typed: str, first: str) -> None:
    assert Lookup(engine).search(typed)[0].name == first


def test_lookup_cards_carry_every_figure(engine: Engine) -> None:
    card = Lookup(engine).search("焊工")[0]
    assert card.amounts["技师"] == 3850 and card.amounts["高级技师"] == 4730
    assert card.min_hours["技师"] == 56 and card.shortage and card.category == "A"
    assert "附件3第68项" in card.citation and card.text.startswith("焊工 6-18-02-04 A类 紧缺")
    special = Lookup(engine).search("黄桥烧饼")[0]
    assert special.kind == "专项职业能力" and list(special.amounts) == ["专项职业能力"]


def test_lookup_is_bounded_and_sees_taught_names(teaching: Engine) -> None:
    look = Lookup(teaching)
    assert len(look.search("工")) <= 20 and look.search("   ") == []
    assert look.search("铁裁缝") == [] or look.search("铁裁缝")[0].name != "焊工"
    teaching.teach({"铁裁缝": WELDER})
    assert look.search("铁裁缝")[0].name == "焊工"
