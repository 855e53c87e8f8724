"""Chinese questions in many phrasings → the right figure, entry and source."""

from __future__ import annotations

import pytest

from bot.render import as_html, as_text
from nlp.normalise import MAX_CHARS, cn_number, normalise


@pytest.mark.parametrize(
    "question,expect,forbid",
    [
        ("焊工考技师能补多少？", ["3850", "3500", "10%", "附件3"], []),
        ("焊工高级技师", ["4730"], []),
        ("焊工一级", ["4730"], []),
        ("焊工1级补贴", ["4730"], []),
        ("焊工二级补贴", ["3850"], []),
        ("焊工高级工补贴", ["2000"], ["2200"]),
        ("焊工三级", ["2000"], ["2200"]),
        ("焊工3级补贴多少", ["2000"], []),
        ("焊工中级工补贴", ["1500"], []),
        ("焊工四级", ["1500"], []),
        ("焊工初级工", ["1000"], []),
        ("焊工五级补贴", ["1000"], []),
        ("焊工５级补贴", ["1000"], []),
        ("焊工合格证补贴", ["500"], []),
        ("调酒师技师补贴", ["2000", "未列入紧缺"], ["2200"]),
        ("美发师初级补贴", ["500"], []),
    ],
)
def test_levels_in_every_form(ask, question, expect, forbid):
    answer = ask(question)
    for figure in expect:
        assert figure in answer
    for figure in forbid:
        assert figure not in answer


@pytest.mark.parametrize(
    "question,name",
    [
        ("电焊工中级补贴", "焊工"),
        ("汽修工三级补贴多少钱", "汽车维修工"),
        ("叉车司机补贴", "起重装卸机械操作工"),
        ("育婴员四级", "婴幼儿发展引导员"),
        ("月嫂补贴多少", "家政服务员"),
        ("电商技师补贴", "电子商务师"),
        ("外卖骑手补贴", "网约配送员"),
        ("评茶员补贴多少", "评茶师"),  # legacy name from 附件4
        ("ps专项补贴", "PHOTOSHOP图形图像处理"),
        ("photoshop图形图像处理专项补贴", "PHOTOSHOP图形图像处理"),
    ],
)
def test_aliases_subtypes_and_legacy_names(ask, question, name):
    assert name in ask(question)


def test_ascii_alias_not_matched_inside_longer_word(engine):
    reply = engine.answer("gps导航补贴多少")
    assert not reply.understood
    assert reply.blocks[0].headline == "未找到「gps导航」"


@pytest.mark.parametrize(
    "question,expect",
    [
        ("6-18-02-04", "焊工"),
        ("６－１８－０２－０４是什么", "焊工"),
        ("6—18—02—04", "焊工"),
        ("4-03-02-07是什么工种", "茶艺师"),
        ("100000149是什么", "扬州炒饭制作"),
        ("3208990010", "跨境电商"),
        ("旧编码6209900对应哪个工种", "增材制造设备操作员"),
        ("4139901", "电子竞技员"),
        ("A407990200", "劳动保障协理员"),
        ("jcde", "EYB"),
        ("JCB08-01是什么", "淮安市第1个"),
    ],
)
def test_codes_in_every_form(ask, question, expect):
    assert expect in ask(question)


def test_codes_are_exact_not_fuzzy(engine):
    reply = engine.answer("6-18-02-99补贴多少")
    assert "未找到编码 6-18-02-99" in as_text(reply)
    assert "焊工" not in as_text(reply)


def test_seven_digit_code_that_is_both_current_and_legacy(ask):
    answer = ask("4070503是什么")
    assert "智能楼宇管理员" in answer and "消防设施操作员" in answer


@pytest.mark.parametrize(
    "question,expect",
    [
        ("電焊工技師補貼", "3850"),
        ("養老護理員高級技師補貼", "3300"),
        ("車工是緊缺工種嗎", "属于紧缺"),
    ],
)
def test_traditional_chinese(ask, question, expect):
    assert expect in ask(question)


def test_typo_answers_saying_what_it_assumed(ask):
    answer = ask("养老户理员技师补贴")  # sounds exactly like 养老护理员
    assert "按读音相同的「养老护理员」回答" in answer
    assert "2200" in answer
    answer = ask("养老护员技师补贴")  # a dropped character: the character-fuzzy tier
    assert "按最接近的「养老护理员」回答" in answer and "2200" in answer
    assert "按读音相同的「茶艺师」回答" in ask("茶义师补贴")
    # one wrong character in three that does not sound the same: suggest, never assume
    assert "未找到「茶叶师」" in ask("茶叶师补贴")


def test_unknown_occupation_is_honest_with_closest_entries(engine):
    reply = engine.answer("宇航员补贴多少")
    assert not reply.understood
    assert "未找到「宇航员」" in as_text(reply)
    assert not any(ch.isdigit() for ch in reply.blocks[0].headline)


def test_filler_and_long_sentences(ask):
    answer = ask("师傅你好，我想问一下那个育婴员要是考四级的话政府能给补贴多少钱啊，谢谢")
    assert "1200" in answer and "婴幼儿发展引导员（育婴员）" in answer


def test_several_questions_in_one_message(ask):
    answer = ask("车工技师补贴多少，可以网上培训吗")
    assert "3850" in answer and "不超过总课时数的40%" in answer


@pytest.mark.parametrize(
    "turns,expect,forbid",
    [
        (["电工技师补贴多少", "那高级技师呢"], "4730", None),
        (["电工技师补贴多少", "那三级呢"], "2000", "4730"),
        (["电工技师补贴多少", "这个是紧缺的吗"], "属于紧缺", None),
        (["电工技师补贴多少", "那车工呢"], "车工 技师（二级）：3850", None),
        (["GYB编码", "那SYB呢"], "JCB", None),
        (["茶艺师可以线上培训吗", "那人工智能训练师呢"], "可超过总课时数的40%", None),
        (["电工技师补贴多少", "宇航员呢"], "未找到", "3850"),
    ],
)
def test_follow_ups(ask, turns, expect, forbid):
    answer = ask(*turns)
    assert expect in answer
    if forbid:
        assert forbid not in answer


def test_ambiguous_name_asks_with_choices_when_answers_differ(engine):
    reply = engine.answer("钳工技师补贴多少")
    labels = [c.label for c in reply.choices]
    assert labels == ["装配钳工", "机修钳工", "工具钳工"]
    assert all(len(c.payload.encode()) <= 64 for c in reply.choices)
    picked = engine.choose(reply.choices[2].payload, reply.context)
    assert "工具钳工 技师（二级）：3500" in as_text(picked)  # not in 附件3: no uplift
    picked = engine.choose(reply.choices[0].payload, reply.context)
    assert "装配钳工 技师（二级）：3850" in as_text(picked)


def test_same_answer_for_every_candidate_answers_directly(engine):
    reply = engine.answer("家政服务员技师补贴")
    assert not reply.choices
    assert "2750" in as_text(reply)
    # an exactly named occupation: no "对应2个条目" noise
    assert "条目" not in as_text(reply)
    # a name covering several entries with one answer says so once (厨师 → 中式/西式烹调师 …)
    text = as_text(engine.answer("厨师技师补贴"))
    assert not engine.answer("厨师技师补贴").choices and "都适用" in text


def test_level_buttons_narrow_the_answer(engine):
    reply = engine.answer("缝纫工补贴标准")
    assert "3850" in as_text(reply) and "2750" in as_text(reply)
    level = next(c for c in reply.choices if c.label == "技师")
    assert "缝纫工 技师（二级）：2750" in as_text(engine.choose(level.payload, reply.context))


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "pick:",
        "pick:zzz",
        "lv:L9",
        "lv:q1|s|L9",
        "pick:q1|sssssssss|",
        "x" * 500,
        "pick:q1;drop",
        None,
    ],
)
def test_forged_button_payloads_are_refused_politely(engine, payload):
    reply = engine.choose(payload, {"targets": ["q1"]})
    assert not reply.understood and "失效" in as_text(reply)


@pytest.mark.parametrize(
    "context",
    [
        None,
        [],
        "junk",
        {"targets": [1, 2]},
        {"targets": ["zz"] * 99},
        {"level": "L99", "intents": ["drop"]},
    ],
)
def test_tampered_context_is_ignored(engine, context):
    assert "3850" in as_text(engine.answer("焊工技师补贴", context))


@pytest.mark.parametrize(
    "question,expect",
    [
        ("一年可以领几次培训补贴", "3 次"),
        ("我今年已经领了两次补贴，还能领几次", "还可再申领 1 次"),
        ("三星级以下的机构能做补贴培训吗", "原则上不支持"),
        ("每个课时多少分钟", "45分钟"),
        ("3小时算几个课时", "折合4个课时"),
        ("总共100课时线上最多多少", "线上最多 40 课时"),
        ("实操课时比例", "不低于60%"),
        ("带星号的工种是什么意思", "40%"),
        ("紧缺型职业技师多补多少", "10%"),
        ("高级技师鉴定补贴多少", "650"),
        ("中级工鉴定补贴", "200"),
        ("项目制培训补贴多少", "单独核价"),
        ("企业新型学徒制补贴", "专项文件"),
        ("岗前培训补贴多少", "500"),
        ("2023年报备的班按什么标准", "2023年补贴标准"),
        ("证书在哪里查询", "jndj.osta.org.cn"),
        ("专项职业能力可以网上培训吗", "线下集中培训"),
    ],
)
def test_policy_questions_cite_the_notice(engine, question, expect):
    reply = engine.answer(question)
    assert expect in as_text(reply)
    assert any(b.source for b in reply.blocks)


@pytest.mark.parametrize(
    "question,expect",
    [
        ("IYB补贴多少", "1500"),
        ("GYB的编码是什么", "JCA"),
        ("网络创业培训编码", "JCCW"),
        ("淮安第一个个性化创业培训项目编码", "JCB08-01"),
        ("苏州市第12个地方创业培训项目编码", "JCB05-12"),
        ("宿迁第二个个性化创业培训项目编码", "JCB13-02"),
        ("先参加了IYB再参加SYB，SYB有补贴吗", "不予补贴"),
        ("先参加GYB再参加SYB，SYB有补贴吗", "可以享受补贴：1000"),
        ("参加过两次SYB，第二次有补贴吗", "只可享受一次"),
    ],
)
def test_entrepreneurship(ask, question, expect):
    assert expect in ask(question)


def test_figures_say_where_they_come_from(engine):
    reply = engine.answer("磨工技师补贴多少")
    block = reply.blocks[0]
    assert block.headline.endswith("3850 元/人")
    assert "基准 3500 元" in block.lines[0] and "上浮 10%" in block.lines[0]
    assert "附件1" in block.source and "附件3" in block.source and "通知第一条" in block.source


def test_notice_silent_is_said(ask):
    answer = ask("项目制培训补贴多少")
    assert "未规定统一补贴金额" in answer
    assert "元/人" not in answer


@pytest.mark.parametrize(
    "text,understood",
    [
        ("", False),
        ("   ", False),
        ("\x00\x01\x02", False),
        ("😀" * 50, False),
        ("<b>&amp;</b>", False),
        ("a" * 1_000_000, False),
        ("焊工" * 100_000, True),  # cut to the first 500 characters, still about 焊工
        ("\ud800broken", False),
        ('{"json": 1}', False),
        (b"\xff\xfe".decode("latin-1"), False),
    ],
)
def test_bad_input_never_crashes(engine, text, understood):
    reply = engine.answer(text)
    assert reply.understood is understood
    assert reply.blocks and reply.blocks[0].headline  # always a clear answer
    assert len(as_text(reply)) < 4000  # a bounded reply, whatever came in
    assert "<b>&amp;" not in as_html(reply) and "<script" not in as_html(reply)
    if understood:
        assert "焊工" in as_text(reply)


def test_over_long_text_is_cut_before_parsing():
    assert len(normalise("焊" * 1_000_000)) == MAX_CHARS


def test_normalise():
    assert normalise("６－１８－０２－０４") == "6-18-02-04"
    assert normalise("電焊工\u200b技師") == "电焊工技师"
    assert normalise("焊工\x00技师\u2028补贴") == "焊工 技师 补贴"  # other controls still part


def test_a_zero_width_space_inside_a_name_joins_it(ask):
    """焊\u200b工 (pasted from a web page) is 焊工, not 焊 工 ("未找到「焊工」… 最接近：焊工")."""
    answer = ask("焊\u200b工技师补贴多少")
    assert answer.startswith("焊工 技师（二级）：3850 元/人") and "未找到" not in answer
    assert cn_number("十二") == 12 and cn_number("两") == 2 and cn_number("abc") is None


def test_markup_is_escaped_in_html(engine):
    reply = engine.answer("<b>焊工</b>&<script>技师")
    assert "<script>" not in as_html(reply)


def test_inline_cards(engine):
    cards = engine.inline("焊工 技师")
    assert cards[0].title == "焊工" and "3850" in cards[0].description
    assert len(engine.inline("钳工")) == 3
    assert len(engine.inline("工")) <= 10


def test_inline_entry_card_shows_every_level_and_describes_the_one_asked(engine):
    card = engine.inline("焊工 技师")[0]
    text = as_text(card.reply)
    assert card.description.startswith("焊工 技师（二级）：3850")
    assert all(figure in text for figure in ("4730", "3850", "2000", "1500", "1000"))


def test_empty_inline_query_offers_the_examples_answered_outright(engine):
    cards = engine.inline("", limit=3)
    assert [c.title for c in cards] == [
        "焊工考技师能补多少？",
        "电工高级技师补贴",
        "茶艺师可以线上培训吗",
    ]
    assert all(c.reply.understood and c.reply.about for c in cards)
    assert "3850" in cards[0].description


def test_reply_says_what_it_answers_not_what_came_before(engine):
    welder = engine.answer("焊工技师补贴多少")
    assert (welder.about, welder.intents) == (["q6180204"], ["subsidy"])
    claims = engine.answer("一年可以领几次培训补贴", welder.context)
    assert claims.about == [] and claims.intents == ["claims"]
    assert claims.conversation.subjects == ["q6180204"]  # the conversation still remembers
    follow_up = engine.answer("那高级呢", welder.context)
    assert follow_up.about == ["q6180204"]
    assert engine.answer("彩票").about == [] and not engine.answer("宇航员补贴").about


def test_share_query_names_the_entries_answered(engine):
    assert engine.share_query(engine.answer("焊工技师补贴多少")) == "焊工"
    assert engine.share_query(engine.answer("SYB补贴多少")) == "SYB"
    assert engine.share_query(engine.answer("焊工高级，车工技师")) == "焊工 车工"
    assert engine.share_query(engine.answer("一年可以领几次培训补贴")) == ""
    for text in ("焊工", "SYB"):  # the query finds the entry again in inline mode
        assert engine.inline(text)[0].reply.about


def test_deep_link_codes_open_their_entry(engine):
    assert engine.link_code("q6180204") == "6-18-02-04" and engine.link_code("JCDI") == "JCDI"
    welder = engine.open_link("6-18-02-04")
    assert welder is not None and welder.about == ["q6180204"]
    assert all(figure in as_text(welder) for figure in ("4730", "3850", "1000"))
    iyb = engine.open_link("jcdi")
    assert iyb is not None and "JCDI" in as_text(iyb)
    for unknown in ("hello", "1-02-03-04", "", "焊工", "inline", "x" * 80):
        assert engine.open_link(unknown) is None


def test_contacts_reply_quotes_the_notice(engine, knowledge):
    reply = engine.contacts_reply()
    assert reply.headline == knowledge.clause("contacts")["text"]
    assert reply.blocks[0].source == knowledge.clause("contacts")["cite"]


def test_level_follow_up_on_a_policy_topic(ask):
    assert "中级（四级）职业技能鉴定补贴：200" in ask("高级技师鉴定补贴多少", "那中级呢")


def test_legacy_name_of_several_successors_lists_them_all(ask):
    answer = ask("钳工现在叫什么")
    for name in ("装配钳工", "机修钳工", "工具钳工"):
        assert f"现行目录名称：{name}" in answer
    assert "合并单元格" in answer


def test_training_certificates_overview(ask):
    answer = ask("什么是培训合格证书")
    assert "短视频运营（3208990008）：500 元/人" in answer and "跨境电商" in answer


def _attachment1_cells(seed_text):
    """附件1's certificate rows as (category, level word, amount, hours) from the notice itself."""
    section = seed_text.split("附件1", 2)[2].split("附件2", 1)[0]
    rows = [[c.strip() for c in block.split("\n\t")] for block in section.split("\n\n")]
    cells, cat = [], None
    for row in rows:
        row = [c.lstrip("\t") for c in row]
        if len(row) >= 4 and row[1] in ("A类", "B类", "C类"):
            cat = row[1][0]
        if cat and len(row) >= 4 and row[2].endswith(("级）", "合格")) and row[3].isdigit():
            cells.append(
                (cat, row[2], int(row[3]), int(row[4]) if len(row) > 4 and row[4] else None)
            )
        if row and row[0].startswith("培训合格证书"):
            break
    return cells


def test_every_certificate_cell_of_attachment1_through_the_engine(engine, knowledge, seed_text):
    """For each of the 18 cells: an occupation of that category, shortage and not, at that level."""
    cells = _attachment1_cells(seed_text)
    assert len(cells) == 18
    word = {v: k for k, v in knowledge.bases["levels"].items()}
    for cat, level_word, base, hours in cells:
        level = word[level_word]
        for shortage in (True, False):
            entry = next(
                e
                for e in knowledge.entries
                if e.kind == "qualification" and e.category == cat and e.shortage is shortage
            )
            reply = engine.choose(f"lv:{entry.key}|s|{level}", {})
            uplifted = shortage and level in ("L1", "L2")
            expected = base * 110 // 100 if uplifted else base
            assert reply.blocks[0].headline == f"{entry.name} {level_word}：{expected} 元/人"
            text = as_text(reply)
            assert (f"上浮 10% → {expected} 元" in text) is uplifted
            assert (
                (f"最低课时：{hours}" in text) if hours else ("未列出合格等级的最低课时" in text)
            )


@pytest.mark.parametrize(
    "question,figure",
    [
        ("专项职业能力A类补贴", "A类：800 元/人，最低 40 课时"),
        ("专项职业能力B类补贴", "B类：600 元/人，最低 32 课时"),
        ("专项职业能力C类补贴", "C类：400 元/人，最低 24 课时"),
        ("GYB补贴", "400 元/人"),
        ("SYB补贴", "1000 元/人"),
        ("网络创业培训补贴", "1200 元/人"),
        ("EYB补贴", "1500 元/人"),
        ("短视频运营补贴", "500 元/人"),
        ("跨境电商补贴", "500 元/人"),
        ("职工岗前培训补贴", "500 元/人"),
        ("高级技师鉴定补贴", "650"),
        ("技师鉴定补贴", "500"),
        ("三级鉴定补贴", "260"),
        ("四级鉴定补贴", "200"),
        ("五级鉴定补贴", "150"),
    ],
)
def test_other_cells_of_attachment1(ask, question, figure):
    assert figure in ask(question)


@pytest.mark.parametrize(
    "question,expect",
    [
        ("焊工高级，车工技师", ["焊工 高级（三级）：2000", "车工 技师（二级）：3850"]),
        (
            "焊工三级补多少 电工一级补多少",
            ["焊工 高级（三级）：2000", "电工 高级技师（一级）：4730"],
        ),
        (
            "焊工技师补贴多少？车工高级补贴多少？",
            ["焊工 技师（二级）：3850", "车工 高级（三级）：2000"],
        ),
        ("焊工一级二级分别多少", ["焊工 高级技师（一级）：4730", "焊工 技师（二级）：3850"]),
        ("焊工和车工技师补贴", ["焊工 技师（二级）：3850", "车工 技师（二级）：3850"]),
    ],
)
def test_each_occupation_keeps_its_own_level(ask, question, expect):
    answer = ask(question)
    for text in expect:
        assert text in answer


def test_a_second_ambiguous_name_is_asked_about_not_dropped(engine):
    reply = engine.answer("焊工和钳工技师补贴多少")
    assert "焊工 技师（二级）：3850" in as_text(reply)
    assert "「钳工」对应目录中多个条目" in as_text(reply)
    assert [c.label for c in reply.choices] == ["装配钳工", "机修钳工", "工具钳工"]
    assert "装配钳工 技师（二级）：3850" in as_text(engine.answer("1", reply.context))


@pytest.mark.parametrize(
    "question", ["IYB和EYB都参加了，都能补吗", "网络创业培训和模拟创业实训都参加能补两次吗"]
)
def test_two_programmes_of_one_class_are_subsidised_once(ask, question):
    assert "只可享受一次" in ask(question)


def test_training_and_appraisal_subsidy_together(ask):
    answer = ask("电工技师鉴定和培训补贴一共多少")
    assert "电工 技师（二级）：3850" in answer and "职业技能鉴定补贴：500" in answer


@pytest.mark.parametrize(
    "question,expect",
    [
        ("2023年考的焊工技师补多少", "没有2023年的补贴标准"),
        ("2025年的标准是什么", "没有2025年的补贴标准"),
        ("无锡补贴多少", "不适用于无锡"),
        ("焊工在南京考技师补多少", "不适用于南京"),
        ("上海第一个个性化创业培训项目编码", "没有上海"),
    ],
)
def test_other_years_and_places_get_no_huaian_2024_figures(ask, question, expect):
    answer = ask(question)
    assert expect in answer
    assert "3850" not in answer and "元/人" not in answer


@pytest.mark.parametrize(
    "turns,expect",
    [
        (["电工是紧缺的吗", "那三级呢"], "电工 高级（三级）：2000"),
        (["钳工补贴", "技师呢"], "「钳工」对应目录中多个条目"),
        (["钳工补贴", "2"], "机修钳工（A类，6-31-01-02）补贴标准"),
        (["钳工技师补贴", "工具"], "工具钳工 技师（二级）：3500"),
        (["面点师", "中式"], "中式面点师（C类"),
        (["钳工补贴", "技师呢", "3"], "工具钳工 技师（二级）：3500"),
    ],
)
def test_follow_ups_after_questions_and_choices(ask, turns, expect):
    assert expect in ask(*turns)


@pytest.mark.parametrize(
    "question,expect",
    [
        ("a407990200", "劳动保障协理员"),
        ("6 18 02 04", "焊工"),
        ("焊工 2 级", "焊工 技师（二级）：3850"),
        ("总课时57，线上最多多少课时", "线上最多 22 课时"),
        ("总共56课时网上最多上几节", "线上最多 22 课时"),
        ("证书去哪查", "jndj.osta.org.cn"),
        ("L是什么意思", "绿色职业"),
        ("谢谢", "不客气"),
        ("修车的考中级", "汽车维修工 中级（四级）：1200"),
        ("学修手机", "信息通信网络终端维修员"),
        ("短视频运营高级补贴多少", "培训合格证书不分等级"),
        ("跨境电商补贴多少", "合并单元格"),
    ],
)
def test_more_phrasings(ask, question, expect):
    assert expect in ask(question)


def test_no_duplicate_blocks_and_shared_code_collapsed(ask):
    answer = ask("跨境电商补贴多少 最低课时")
    assert answer.count("跨境电商（培训合格证书）：500 元/人") == 1
    answer = ask("4-10-01-06是什么工种")
    assert answer.count("补贴标准（元/人）") == 1 and "都适用" in answer


def test_inline_never_passes_a_closest_entry_off_as_the_answer(engine):
    cards = engine.inline("宇航员")
    assert cards[0].title == "未找到：宇航员"
    assert all(c.title.startswith("最接近：") for c in cards[1:])
    assert engine.inline("创业")[0].title == "创业培训补贴与编码："


def test_notice_silent_on_apprenticeship_amount(ask):
    answer = ask("企业新型学徒制补贴多少")
    assert "按照企业新型学徒制专项文件执行" in answer
    assert "核定" not in answer and "元/人" not in answer


@pytest.mark.parametrize(
    "question,expect",
    [
        ("国家政策调整了怎么办", "按新政策执行"),  # 家政 inside 国家政策 is not 家政服务员
        ("初级工最少多少课时", "初级（五级）：最低 40 课时"),
        ("技师最少要多少课时", "技师（二级）：最低 56 课时"),
        ("C类合格证补贴", "C类 合格：300 元"),
        ("A类培训合格能补多少", "A类 合格：500 元"),
        ("线上培训要用什么平台", "江苏工匠课堂"),
        ("职业分类大典用哪一版", "2022年版"),
        ("这份通知的文号是多少", "淮人社发〔2024〕22号"),
        ("一年能领4次补贴吗", "不可以：每年最多申领 3 次"),
        ("四星级培训机构可以做补贴培训吗", "四星级机构不属于三星级以下"),
        ("2023年报备的班次按哪年标准", "2023年报备的班次和申领的补贴仍按2023年补贴标准"),
        ("厨师技师补贴", "2500"),  # 中式/西式烹调师: same answer, no question back
        ("面点师中级补贴", "1000"),
        ("木匠技师补贴", "3500"),
        ("母婴护理专项职业能力补贴多少", "母婴护理（专项职业能力）：400 元/人"),
        ("社区事务员现在对应哪个工种", "现行目录名称：政务服务办事员"),
        ("社区事务员", "现行目录名称：政务服务办事员"),
    ],
)
def test_held_out_style_phrasings(ask, question, expect):
    assert expect in ask(question)


@pytest.mark.parametrize(
    "turns,expect",
    [
        (["2024年创业培训代码还用老的吗"], "全面启用新的创业培训代码"),
        (["江苏工匠课堂可以用来线上培训吗"], "江苏工匠课堂"),
        (["南京鸭血粉丝制作专项补贴多少"], "未找到"),
        (["讲解员高级技师补贴", "换成技师呢"], "讲解员 技师（二级）：2000"),
        (["墙面刷涂专项补贴", "那要上多少课时"], "32 课时"),
        (["家畜饲养员高级工补贴", "如果考技师呢"], "家畜饲养员 技师（二级）：2750"),
        (["网络创业培训补贴多少", "如果之前已经上过EYB了还能补吗"], "不予补贴"),
        (["IYB 和 EYB 的编码分别是？"], "JCDE"),
        (
            ["先参加GYB再参加SYB，两个都能补吗，各补多少"],
            "GYB（产生你的企业想法）（A类）：400 元/人",
        ),
        (["生活服务类的培训合格证书补贴"], "C类 合格：300 元"),
        (["BIM技术员技师补贴"], "2750"),
        (["文件依据的省里文件是哪个"], "苏人社函〔2023〕504号"),
        (["技能提升补贴需要什么等级的证书"], "初级（五级）、中级（四级）、高级（三级）"),
        (["炼钢公高级技师补贴"], "按读音相同的「炼钢工」回答"),
        (["锅炉工技师补贴"], "3500"),
    ],
)
def test_second_held_out_style_battery(ask, turns, expect):
    assert expect in ask(*turns)


def test_bracket_inside_a_name_is_not_a_subtype(knowledge, engine):
    entry = knowledge.by_name["生活（病员）照护"]
    assert entry.base_name == "生活（病员）照护" and entry.subtypes == ()
    assert "生活" not in engine.index.terms


@pytest.mark.parametrize(
    "turns,expect,forbid",
    [
        (["4.14.03.02"], "口腔修复体制作师", None),
        (["育婴 3级 多少"], "1800", None),
        (["西安肉夹馍 专项"], "400 元/人", None),
        (["黄桥烧饼补多少"], "400 元/人", None),  # X制作 is asked for as X
        (["农机手 中级补贴"], "1200", None),
        (["宠物美容师初级补多少"], "未找到「宠物美容师」", "元/人"),
        (["纹绣师 中级"], "未找到", "元/人"),
        (["要是不在紧缺目录里的工种，考技师一般按多少补"], "B类 技师（二级）：2500 元", None),
        (["一天上了7个小时算几个课时"], "420 分钟折合9个课时", None),
        (["裁剪工 紧缺不 技师多少"], "裁剪工 技师（二级）：2750", None),
        (["我不是考技师，只考三级，纤维检验员能补多少"], "纤维检验员 高级（三级）：1800", "2750"),
        (["化学合成制药工技师是不是比高级工多，各多少"], "高级（三级）：2000", None),
        (["EYB是不是比IYB补得多"], "1500", "不予补贴"),
        (
            ["先上了IYB，然后上SYB，最后又上GYB，SYB和GYB还补吗"],
            "SYB（创办你的企业）不予补贴",
            None,
        ),
        (["徐州 JCB"], "JCB03-01", None),
        (["徐州第一个个性化创业项目编码", "盐城呢"], "JCB09-01", None),
        (["徐州第一个个性化创业项目编码", "第二个呢"], "JCB03-02", None),
        (
            ["一年三次是只算培训补贴还是连技能提升补贴一起算"],
            "含职业培训补贴和参保职工技能提升补贴次数",
            None,
        ),
        (["药物制剂工 技师", "线上比例", "总共100课时呢"], "线上最多 40 课时", None),
        (
            ["电子竞技运营师 技师", "线上", "那电子竞技员呢", "技师多少"],
            "电子竞技员 技师（二级）：2500",
            None,
        ),
        (
            ["GYB 多少", "SYB呢", "先上SYB再上GYB 行吗", "那GYB还补吗"],
            "GYB（产生你的企业想法）不予补贴",
            None,
        ),
        (
            ["健康照护师 技师", "紧缺吗", "那健康照护（老人）专项呢"],
            "健康照护（老人）（专项职业能力）：400",
            None,
        ),
    ],
)
def test_third_held_out_style_battery(ask, turns, expect, forbid):
    answer = ask(*turns)
    assert expect in answer
    if forbid:
        assert forbid not in answer


def test_an_old_button_answers_its_own_question_not_the_latest(engine):
    welder = engine.answer("焊工补贴")
    later = engine.answer("茶艺师补贴", welder.context)
    old_level = next(c for c in welder.choices if c.label == "高级技师")
    reply = engine.choose(old_level.payload, later.context)
    assert reply.blocks[0].headline == "焊工 高级技师（一级）：4730 元/人"
    fitters = engine.answer("钳工技师补贴")
    later = engine.answer("车工是紧缺工种吗", fitters.context)
    reply = engine.choose(fitters.choices[2].payload, later.context)
    assert reply.blocks[0].headline == "工具钳工 技师（二级）：3500 元/人"


@pytest.mark.parametrize(
    "question,expect",
    [
        ("一课时多久", "45分钟"),
        ("紧缺型职业高级技师补贴提高几个百分点", "10%"),
        ("列入紧缺目录的高级技师多给多少", "10%"),
        ("丝麻毛纤维预处理工可以网络授课吗", "不超过总课时数的40%"),
    ],
)
def test_fourth_held_out_style_battery(ask, question, expect):
    assert expect in ask(question)


@pytest.mark.parametrize("question", ["补贴什么时候到账", "怎么报名", "申领补贴需要什么材料"])
def test_what_the_notice_does_not_say_is_said_and_not_guessed(engine, question):
    reply = engine.answer(question)
    assert reply.blocks[0].headline == "通知没有规定这一点"
    assert "人力资源社会保障部门" in as_text(reply)
    assert "元/人" not in as_text(reply)


@pytest.mark.parametrize(
    "turns,expect,forbid",
    [
        (["线上培训需要人脸识别吗"], "人脸识别", "未找到"),
        (["线上学习记录能修改吗"], "篡改数据", "未找到"),
        (["线上考试可以找人代考吗"], "替考", "未找到"),
        (["补贴培训机构名单要不要社会公示"], "社会公示", "没有规定"),
        (["这个通知从哪天起施行"], "2024年1月1日", None),
        (["这个通知是发给哪些单位的"], "各县区人力资源和社会保障局、财政局", None),
        (["这份文件公开了吗"], "此件公开发布", None),
        (["这次一共发布了哪几个目录"], "紧缺型职业（工种）指导目录", None),
        (["淮安这份目录是根据省里哪个文件定的"], "苏人社函〔2023〕504号", None),
        (["中华人民共和国职业分类大典2022年版在这个通知里起什么作用"], "名称及其编码", "超出"),
        (["补贴打到哪张卡"], "通知没有规定这一点", "元/人"),
        (["退休人员能参加吗"], "没有规定", "元/人"),
        (["外地户口在淮安能领培训补贴吗"], "通知没有规定这一点", "超出"),
        (["A类初级最低多少课时"], "初级（五级）：最低 40 课时", None),
        (["不带星号的工种是什么类型的培训项目"], "理论和实操相结合", None),
        (["线上线下课时比例怎么定"], "40%", None),
        (["焊工技师补贴", "它带星号吗，能线上培训多少"], "焊工：可以线上培训", None),
        (["不带星号的工种线上最多占多少", "那人工智能训练师呢"], "可超过总课时数的40%", None),
        (["SYB上过一次了，再上一次还有补贴吗"], "只可享受一次", None),
        (["瓦匠技师补贴"], "砌筑工", None),
        (["养老院护工技师"], "养老护理员 技师（二级）：2200", None),
    ],
)
def test_fifth_held_out_style_battery(ask, turns, expect, forbid):
    answer = ask(*turns)
    assert expect in answer
    if forbid:
        assert forbid not in answer


@pytest.mark.parametrize(
    "question,expect,forbid",
    [
        ("珠宝鉴定师高级补贴", "未找到", "元/人"),  # a job title containing 鉴定, not 鉴定补贴
        ("氩弧焊高级技师补贴", "焊工 高级技师（一级）：4730", None),
        ("电工技师是3500吗", "不是 3500 元，是 3850 元", None),
        ("焊工技师是3850吗", "是的，是 3850 元", None),
        ("紧缺工种的高级技师鉴定补贴也上浮吗", "没有说明职业技能鉴定补贴是否上浮", None),
    ],
)
def test_sixth_held_out_style_battery(ask, question, expect, forbid):
    answer = ask(question)
    assert expect in answer
    if forbid:
        assert forbid not in answer
