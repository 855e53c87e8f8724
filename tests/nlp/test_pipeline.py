"""Each component of the pipeline on its own: one input, one output."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.render import as_text
from knowledge.catalogue import DataError, Knowledge
from nlp import listing, plan, resolve, track
from nlp.classify import classify
from nlp.conversation import Conversation
from nlp.engine import Engine
from nlp.english import load as load_english
from nlp.extract import extract
from nlp.kit import Turn
from nlp.lexicon import load as load_lexicon
from nlp.understand import parse


def _ent(engine: Engine, text: str):
    return extract(text, engine.k, engine.lexicon, engine.index)


def _key(knowledge: Knowledge, name: str) -> str:
    return knowledge.by_name[name].key


# ----- extract -------------------------------------------------------------------------------
def test_extract_entities(engine: Engine, knowledge: Knowledge) -> None:
    ent = _ent(engine, "焊工高级，车工技师")
    assert ent.targets == [_key(knowledge, "焊工"), _key(knowledge, "车工")]
    assert [lv for _, lv in ent.level_marks] == ["L3", "L2"]
    assert _ent(engine, "我们是23年12月报备的").years == [2023]
    assert _ent(engine, "大典2022年版").years == []
    assert _ent(engine, "附件2第100项").list_ref == (2, 100)
    assert _ent(engine, "附件三 5号").list_ref == (3, 5)
    assert _ent(engine, "附件2第129到135项").list_ref is None
    assert _ent(engine, "A类比C类多多少").categories == ["A", "C"]
    assert _ent(engine, "我是说B类 不是A类").categories == ["B"]


def test_a_name_said_not_to_be_meant_is_dropped(engine: Engine, knowledge: Knowledge) -> None:
    ent = _ent(engine, "不是保洁员 是保安员")
    assert ent.targets == [_key(knowledge, "保安员")]


def test_a_lexicon_phrase_containing_a_name_is_not_that_name(engine: Engine) -> None:
    assert _ent(engine, "有没有人工客服").targets == []
    assert not _ent(engine, "有没有人工客服").ambiguous


@pytest.mark.parametrize(
    "text,name",
    [
        ("茶亿师高级", "茶艺师"),  # same sound, other characters
        ("我在厂里干了十年电汗工", "焊工"),  # inside a long message (电焊工 is an alias of 焊工)
        ("家正服务员技师", "家政服务员"),  # longer than the exact partial hit 服务员
        ("超市收营员", "收银员"),  # -ng/-n
        ("chegong技师", "车工"),  # typed pinyin
    ],
)
def test_sound_tier(engine: Engine, knowledge: Knowledge, text: str, name: str) -> None:
    ent = _ent(engine, text)
    names = [engine.a.label(k) for k in ent.targets] + [
        engine.a.label(k) for _, keys in ent.ambiguous for k in keys
    ]
    assert any(n.startswith(name) for n in names), names
    assert ent.sounded


def test_sound_tier_costs_nothing_when_the_exact_tier_explains_the_name(engine: Engine) -> None:
    ent = _ent(engine, "焊工 技师")
    assert not ent.sounded


def test_sound_of_several_entries_is_ambiguous(engine: Engine) -> None:
    ent = _ent(engine, "fsg技师")
    assert ent.ambiguous and len(ent.ambiguous[0][1]) >= 2


# ----- classify ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,intents",
    [
        ("焊工技师补贴多少", ["subsidy"]),
        ("3个小时算几个课时", ["class_hour"]),  # hours + a duration: the class-hour rule
        ("鉴定费补多少", ["appraisal"]),  # the subsidy asked is the appraisal's
        ("电工技师鉴定和培训补贴一共多少", ["appraisal", "subsidy", "training"]),
        ("它带星号吗", ["online"]),  # a pronoun: the star of that entry, i.e. its online rule
        ("珠宝鉴定师补贴", ["subsidy"]),  # a job title, not 鉴定
        ("两个证都能补吗", ["again", "claims"]),  # a count makes 都能补 a question of claims
    ],
)
def test_classify(engine: Engine, text: str, intents: list[str]) -> None:
    got = classify(_ent(engine, text), engine.lexicon)
    assert sorted(got) == sorted(intents)


def test_intent_rules_are_checked_on_load(tmp_path: Path) -> None:
    source = Path(load_lexicon.__wrapped__.__defaults__[0])  # type: ignore[attr-defined]
    bad = tmp_path / "lexicon.yaml"
    bad.write_text(
        source.read_text(encoding="utf-8").replace(
            "- {when: [online, hours], drop: hours}", "- {when: [online, nonsense], drop: hours}"
        ),
        encoding="utf-8",
    )
    with pytest.raises(DataError, match="nonsense"):
        load_lexicon.__wrapped__(bad)  # type: ignore[attr-defined]


# ----- English -------------------------------------------------------------------------------
def test_english_is_put_into_chinese_and_latin_names_kept() -> None:
    en = load_english()
    assert en.translate("tea master level 5 subsidy") == "茶艺师 五级 补贴"
    assert en.translate("ps专项补贴", keep={"ps"}) == "ps专项补贴"  # no English phrase: unchanged
    assert "iyb" in en.translate("IYB subsidy", keep={"iyb"})


# ----- conversation --------------------------------------------------------------------------
def test_conversation_round_trip_and_untrusted_input() -> None:
    conv = Conversation(subjects=["q6180204"], topics=["subsidy"], level="L2", listed=["a", "b"])
    assert Conversation.from_dict(conv.to_dict()) == conv
    tampered = {"subjects": "q1", "level": "L9", "topics": ["subsidy", "rm -rf"], "year": "x"}
    back = Conversation.from_dict(tampered, topics=("subsidy",))
    assert back.subjects == [] and back.level is None and back.topics == ["subsidy"]
    assert back.year is None
    old = {"targets": ["q6180204"], "intents": ["code"], "pending": {"level": "L3"}}
    read = Conversation.from_dict(old)
    assert read.subjects == ["q6180204"] and read.topics == ["code"] and read.pending_level == "L3"


# ----- track ---------------------------------------------------------------------------------
def _turn(engine: Engine, text: str, conv: Conversation) -> Turn:
    return Turn(parse(text, engine.k, engine.lexicon, engine.index), conv)


def test_track_refers_to_listed_and_named_entries(engine: Engine, knowledge: Knowledge) -> None:
    welder, lathe = _key(knowledge, "焊工"), _key(knowledge, "车工")
    turn = _turn(engine, "第二个的编码", Conversation(mentioned=[welder, lathe], level="L2"))
    track.refer_back(engine.kit, turn)
    assert turn.q.targets == [lathe] and turn.q.level == "L2"
    turn = _turn(engine, "这俩哪个补得多", Conversation(mentioned=[welder, lathe]))
    track.refer_back(engine.kit, turn)
    assert turn.q.targets == [welder, lathe]
    turn = _turn(engine, "附件2第二项", Conversation(mentioned=[welder, lathe]))
    track.refer_back(engine.kit, turn)  # counted in 附件2, not in the conversation
    assert turn.q.targets == []


def test_track_inherits_topic_and_level_only_for_follow_ups(
    engine: Engine, knowledge: Knowledge
) -> None:
    before = Conversation(subjects=[_key(knowledge, "焊工")], topics=["subsidy"], level="L1")
    turn = _turn(engine, "那车工呢", before)
    track.inherit(engine.kit, turn)
    assert turn.q.intents == ["subsidy"] and turn.q.level == "L1"
    turn = _turn(engine, "鉴定补贴多少", before)  # names its own subject
    resolve.unfound(engine.kit, turn)
    track.inherit(engine.kit, turn)
    assert turn.q.targets == [] and turn.q.level is None


def test_correction_replaces_the_level(engine: Engine, knowledge: Knowledge) -> None:
    before = Conversation(subjects=[_key(knowledge, "养老护理员")], topics=["subsidy"], level="L5")
    reply = engine.answer("说错了 是三级", before)
    assert "养老护理员 高级（三级）" in as_text(reply) and reply.conversation.level == "L3"


# ----- resolve -------------------------------------------------------------------------------
def test_settle_answers_once_when_answers_agree_and_asks_when_they_differ(engine: Engine) -> None:
    same = _turn(engine, "家政服务员技师补贴", Conversation())
    resolve.settle(engine.kit, same)
    assert len(same.q.targets) == 1 and not same.asks
    differ = _turn(engine, "钳工技师补贴", Conversation())
    resolve.settle(engine.kit, differ)
    assert differ.asks and len(differ.asks[0][1]) == 3


def test_character_fuzzy_tier_assumes_only_with_a_clear_margin(engine: Engine) -> None:
    found = resolve.fuzzy(engine.kit, ["养老护员"])
    assert isinstance(found, tuple) and engine.a.label(found[0]) == "养老护理员"
    not_found = resolve.fuzzy(engine.kit, ["宇航员"])
    assert not isinstance(not_found, tuple) and not not_found.understood


# ----- plan and listing ----------------------------------------------------------------------
def test_listing_counts_follow_the_notice(knowledge: Knowledge, engine: Engine) -> None:
    sel = listing.selection("专项职业能力", None, engine.lexicon)
    assert sel.kind == "special_ability" and len(sel.entries(knowledge)) == 158
    shortage = listing.selection("紧缺", None, engine.lexicon)
    assert len(shortage.entries(knowledge)) == 130  # one item may cover two rows (家政服务员)
    assert listing.item(knowledge, listing.Selection(), 143) == knowledge.by_name["焊工"]
    assert listing.item(knowledge, shortage, 35).name.startswith("家政服务员")
    block = listing.difference(knowledge, ["A", "C"], "L2", "qualification")
    assert "多 1500 元" in block.headline


def test_plan_puts_what_was_asked_first(engine: Engine) -> None:
    turn = _turn(engine, "电焊工技师鉴定费", Conversation())
    for stage in (resolve.settle, track.continue_topics, resolve.unfound, track.inherit):
        stage(engine.kit, turn)
    blocks = plan.blocks_for(engine.kit, turn)
    assert "鉴定补贴" in blocks[0].headline
    assert all("3850" not in b.headline for b in blocks)


@pytest.mark.parametrize(
    "text,names",
    [
        ("我想考 wurenji jiashiyuan 技师", ["无人机驾驶员"]),  # syllables typed apart
        ("想考pengtiaoshi 四级", ["中式烹调师", "西式烹调师"]),  # the end of two names: ask
    ],
)
def test_typed_pinyin_runs_and_name_endings(engine: Engine, text: str, names: list[str]) -> None:
    ent = _ent(engine, text)
    found = [engine.a.label(k) for k in ent.targets] + [
        engine.a.label(k) for _, keys in ent.ambiguous for k in keys
    ]
    assert all(any(f.startswith(n) for f in found) for n in names), found


def test_fuzzy_tier_finds_a_name_at_the_end_of_a_long_message(engine: Engine) -> None:
    reply = engine.answer("我在月子中心上班，想考婴儿发展引导员技师，能补多少")
    assert "婴幼儿发展引导员" in as_text(reply) and "2750" in as_text(reply)
    assert not engine.answer("维修工技师补多少").understood  # too short to guess from


def test_messages_about_nothing_the_notice_covers(engine: Engine) -> None:
    reply = engine.answer("明天淮安下雨吗")
    assert not reply.understood and "未找到" not in as_text(reply)
    assert "职业能力建设处" in as_text(reply)  # a person to ask
    retired = as_text(engine.answer("退休人员能参加吗"))  # about training, but not in the notice
    assert "没有规定" in retired and "元/人" not in retired and "职业能力建设处" in retired


def test_answers_come_in_the_order_asked(engine: Engine) -> None:
    first = engine.answer("焊工技师鉴定费和培训补贴分别多少").blocks
    assert "鉴定补贴" in first[0].headline and "3850" in first[1].headline
    second = engine.answer("焊工技师培训补贴和鉴定费分别多少").blocks
    assert "3850" in second[0].headline and "鉴定补贴" in second[1].headline
    # small talk together: the thank-you, not the acknowledgement
    assert "不客气" in as_text(engine.answer("好嘞，谢谢"))


def test_exact_questions_never_load_the_sound_tier(knowledge: Knowledge) -> None:
    fresh = Engine(knowledge)
    for question in (
        "焊工技师补贴多少",
        "焊工考技师能补多少？",
        "茶艺师可以线上培训吗",
        "电工技师补多少",
    ):
        assert fresh.answer(question).understood
    assert not fresh.index.sound._ready  # the pinyin table was never read
    fresh.answer("家正服务员技师")
    assert fresh.index.sound._ready


@pytest.mark.parametrize(
    "turns,expect,forbid",
    [
        (["焊公 高级技师 多少钱"], "4730", None),  # two characters, a job title by sound
        (["我问下 那个 茶叶加工 四级 补贴"], "1200", None),  # the beginning of one name only
        (["俺是木匠 叁级 补贴好多"], "2000", None),  # 叁 is 三
        (["二〇二三年十二月报的班 按新的还是老的算"], "2023", "3850"),
        (["C类 高技 基准"], "3000", None),
        (["收银员和保安员 哪个是紧缺工种", "前一个 技师 补多少"], "2200", "2500"),
        (
            ["家政服务员、养老护理员、美甲师 三级各补多少", "哪个是紧缺", "刚才第二个的编码"],
            "4-10-01-05",
            None,
        ),
        (["附件3第104是什么", "它二级多少", "第105呢"], "3850", None),
        (["6-18-01-12", "是哪类", "这个二级"], "3850", None),
        (["今年才领过两次培训补贴，这次的钳工培训补贴还能申请吗"], "还可以领", "请选择"),
        (["what is JCCM"], "JCCM", "未找到"),
    ],
)
def test_third_stranger_battery_classes(ask, turns, expect, forbid) -> None:
    answer = ask(*turns)
    assert expect in answer
    assert forbid is None or forbid not in answer


@pytest.mark.parametrize(
    "turns,expect,forbid",
    [
        (
            ["我们公司有3名电工报考技师、2名报考高级技师，合计金额多少"],
            "3×3850 + 2×4730 = 21010",
            None,
        ),
        (["我想考两个，车工和铣工", "这俩三级加起来一共能补多少"], "2000 + 2000 = 4000", None),
        (["专项职业能力一共多少项？A、B、C类各多少项？"], "A类 57 个，B类 53 个，C类 48 个", None),
        (["紧缺目录里A类、B类、C类分别有几个"], "共 130 个，其中 A类 65 个", None),
        (["56课时折合多少个小时"], "合 42 小时", None),
        (["一个64课时的班实操至少安排多少课时"], "64 课时 × 60% = 38.4 课时", None),
        (["我们厂有焊工和钳工", "前者高级技师补多少"], "4730", "请选择"),
        (["我外甥在南京读完研回淮安了，想考电工技师，补贴多少"], "3850", "不适用于南京"),
        (["A、B、C类合格等级补贴分别多少"], "B类 合格：400", None),
        (["我想考安监那个电工特种作业操作证，有没有补贴"], "没有规定特种作业操作证", "元/人"),
    ],
)
def test_fourth_stranger_battery_classes(ask, turns, expect, forbid) -> None:
    answer = ask(*turns)
    assert expect in answer
    assert forbid is None or forbid not in answer
