"""Plan: which answers a message gets, in what order — each composed by :mod:`nlp.compose`.

What was asked comes first (鉴定费 → the appraisal subsidy, not the training subsidy); a
policy answer that stands alone (claims, appraisal, subsidies the notice does not cover) is not
buried under an entry's figures; a question outside the notice's place or year gets no figures.
"""

from __future__ import annotations

import re
from dataclasses import replace

from calculator.hours import max_online_hours, min_practical_hours
from nlp import listing
from nlp.kit import Kit, Turn, payload
from nlp.reply import Block, Choice, Reply
from nlp.resolve import looks_like_occupation, wants_local, which_block
from nlp.track import ORDER_WORDS, remember
from nlp.understand import Query

_COMPARE_WORDS = re.compile(r"比|哪个多|哪个高|哪个少|差多少|区别|一样吗|相同吗|分别")
_DIFFERENCE_WORDS = re.compile(r"比|差多少|多多少|高多少|少多少|相差|差几|差额")
_AGAIN_WORDS = re.compile(
    r"两次|第二次|再次|重复|又参加|再参加一次|二次|再上一次|又上|上过一次|参加过一次"
)
# policy answers that stand alone even when an entry is named (焊工技师鉴定费, 两个证都能补吗)
ALONE = ("appraisal", "claims", "uncovered")
# policy words that an entry's own answer already covers
COVERED_BY_ENTRY = (
    "entrepreneurship",  # SYB的编码: the programme's own answer, not the overview
    "marks",
    "categories",
    "offline",
    "special",
    "certificate",
    "help",
    "greeting",
    "thanks",
)
_CLAUSES = {
    "catalogues": "catalogues",
    "basis": "basis",
    "platform": "online_platform",
    "classification": "classification",
    "fraud": "fraud",
    "effective": "effective",
    "lookup": "certificate_lookup",
    "employee": "employee_upgrade",
    "categories": "categories",
    "contacts": "contacts",
    "human": "contacts",  # without a hand-off: the notice's contact offices
    "offline": "special_offline",
}


def small_talk(kit: Kit, turn: Turn) -> Reply | None:
    """Greetings, thanks, praise, complaints, questions off the topic: a short human reply.

    Only when the message asks nothing else (谢谢，焊工技师呢 is a question) and names
    nothing that looks like a job."""
    q = turn.q
    talk = [i for i in q.intents if i in kit.smalltalk]
    if not talk or q.targets or q.ambiguous or q.unknown_codes or _asks_more(q):
        return None
    if "offtopic" not in talk and len(talk) < len(q.intents):
        return None
    if "offtopic" in talk:
        talk = ["offtopic"]
    talk.sort(key=list(kit.smalltalk).index)  # the file's order: 好嘞，谢谢 is a thank-you
    content = kit.index.content_words(q.text_rest) if q.text_rest.strip() else []
    if content and looks_like_occupation("".join(content)):
        return None
    entry = kit.smalltalk[talk[0]]
    fill = {"notice": kit.k.notice, "year": kit.k.year}
    lines = kit.help_lines() if entry.get("help") else []
    if entry.get("contacts"):
        lines.append("通知的" + kit.k.clause("contacts")["text"])
    block = Block(str(entry["reply"]).format(**fill), lines)
    return Reply([block], understood=entry.get("understood", True), conversation=turn.conv)


def _asks_more(q: Query) -> bool:
    """好的，三级呢: a level, a number, a place or a year makes it a question after all."""
    return bool(q.level_marks or q.categories or q.list_ref or q.years or q.places) or (
        q.ordinal is not None
    )


def navigate(kit: Kit, turn: Turn) -> Reply | None:
    """Catalogue navigation: an item by its number, a list, a count, a difference of bases.

    An item found by number becomes the message's subject (the later stages answer what was
    asked of it); lists, counts and differences are answered here."""
    q, ctx = turn.q, turn.conv
    if q.targets or q.city or "entrepreneurship" in q.intents:
        return None
    text = q.text
    sel = listing.selection(text, q.category, kit.lexicon)
    named_part = listing.names_a_part(text, kit.lexicon) or q.category is not None
    if q.list_ref is None and q.ordinal and ctx.list_part and not named_part:
        q.list_ref = (ctx.list_part, q.ordinal)  # 附件3第104是什么 → 第105呢
    if q.list_ref is not None:
        attachment, number = q.list_ref
        sel = replace(sel, shortage=attachment == 3)
        entry = listing.item(kit.k, sel, number)
        if entry is None:
            total = len(sel.entries(kit.k))
            block = Block(f"{sel.describe()}共 {total} 项，没有第{number}项", [], sel.source)
            return Reply([block], understood=False, conversation=ctx)
        q.targets.append(entry.key)
        return None
    if not named_part:
        return None
    if len(q.categories) == 2 and _DIFFERENCE_WORDS.search(text):
        by_level = q.level is not None and sel.kind == "qualification"
        if by_level or sel.kind == "special_ability":
            block = listing.difference(kit.k, q.categories, q.level, sel.kind)
            return Reply([block], conversation=ctx)
    if "count" in q.intents or listing.asks_where(text):  # with its A/B/C breakdown
        return Reply([listing.count(kit.k, sel, text)], conversation=ctx)
    if len(q.categories) >= 2:
        return None  # A类B类C类有啥区别 / 技师A类B类C类分别多少: not a list
    if q.ordinal is not None and not listing.asks_part(text):
        entry = listing.item(kit.k, sel, q.ordinal)
        if entry is not None:
            q.targets.append(entry.key)
        return None
    if "listing" in q.intents or listing.asks_part(text):
        block, keys = listing.listing(kit.k, sel, text)
        return Reply([block], conversation=replace(ctx, listed=keys, subjects=[]))
    return None


def answer(kit: Kit, turn: Turn) -> Reply:
    """The blocks for what the message asks, what was assumed first, and the new conversation."""
    q, ctx = turn.q, turn.conv
    if wants_local(q):  # 附件5's city codes cover every city of Jiangsu
        q.places = [p for p in q.places if p not in kit.k.entrepreneurship["cities"]]
    q.years = [y for y in q.years if str(y) != kit.k.year]
    blocks = [outside_scope(kit, q)] if q.years or q.places else blocks_for(kit, turn)
    blocks += [which_block(kit, term, keys) for term, keys in turn.asks]
    if not blocks:
        return Reply(
            [Block("抱歉，我没能理解这个问题。", kit.help_lines())],
            understood=False,
            conversation=ctx,
        )
    if turn.notes:
        blocks[0].lines[:0] = turn.notes
    if q.claimed_amount is not None:
        blocks[0].lines.insert(0, confirm(q.claimed_amount, blocks[0]))
    if turn.asks:
        keys = turn.asks[0][1]
        choices = [Choice(kit.a.label(k)[:30], payload(k, turn.topics, q.level)) for k in keys[:8]]
    else:
        choices = level_choices(kit, q, turn.topics)
    return Reply(_unique(blocks), choices=choices, conversation=remember(kit, turn))


def outside_scope(kit: Kit, q: Query) -> Block:
    """The notice is one city's, for one year: say so instead of giving its figures elsewhere."""
    year = int(kit.k.year)
    lines = []
    other_years = [y for y in q.years if y != year]
    if other_years and not q.places and not q.targets and max(other_years) < year:
        years = "、".join(f"{y}年" for y in dict.fromkeys(other_years))
        return kit.a.clause("effective", [f"本通知没有列出{years}的补贴标准"])
    if other_years:
        years = "、".join(f"{y}年" for y in dict.fromkeys(other_years))
        lines.append(f"本通知只给出{year}年的标准，没有{years}的补贴标准")
        if any(y < year for y in other_years):
            lines.append(kit.k.clause("effective")["text"])
    if q.places:
        places = "、".join(dict.fromkeys(q.places))
        cities = kit.k.entrepreneurship["cities"]
        if wants_local(q):
            lines.append(
                f"附件5的市级代码只有江苏省{len(cities)}个设区市"
                f"（{cities[0]}01 … {cities[-1]}{len(cities):02d}），没有{places}"
            )
        else:
            lines.append(f"本通知是淮安市的标准，不适用于{places}；请咨询当地人力资源社会保障部门")
    lines.append(f"需要{kit.k.city}市{year}年的标准，请去掉年份或地名再问一次")
    return Block("这个问题超出了本通知的范围", lines, "通知末段；通知标题")


def blocks_for(kit: Kit, turn: Turn) -> list[Block]:
    """Entrepreneurship order, entries' answers, then the policy answers asked."""
    q = turn.q
    blocks = [
        Block(
            f"未找到编码 {code}",
            ["附件2目录和附件4对照表中都没有这个编码；请核对后再问，或直接输入职业（工种）名称"],
            "附件2；附件4",
        )
        for code in q.unknown_codes
    ]
    order = _programme_order(kit, q)
    if order is not None:
        return blocks + order
    if q.city and wants_local(q) and not [k for k in q.targets if _local_code(k)]:
        return [*blocks, kit.a.local_code(None, q.city, q.ordinal)]
    topics, policy = turn.topics, turn.policy
    alone = bool(set(ALONE) & set(policy)) and not topics
    entry_blocks: list[Block] = []
    counted: list[tuple[Block, int]] = []  # each figure with how many people it is for
    for key in [] if alone else q.targets[:5]:
        if key in q.code_notes and q.code_notes[key] != "local" and not topics:
            entry_blocks.append(Block(q.code_notes[key], [], "附件4"))
        for intent in topics or ["summary"]:
            levels: list[str | None] = [*q.levels_for(key)] or [None]
            for level in levels:
                block = target_block(kit, key, intent, q, level)
                entry_blocks.append(block)
                counted.append((block, _people(q, key, level)))
    policy_answers: list[Block] = []
    for intent in policy:
        if q.targets and intent in COVERED_BY_ENTRY:
            continue
        policy_answers += policy_blocks(kit, intent, q)
    # what was asked first comes first: 鉴定费和培训补贴 → the appraisal, then the training
    asked_first = bool(policy and topics) and q.intents.index(policy[0]) < q.intents.index(
        topics[0]
    )
    blocks += policy_answers + entry_blocks if asked_first else entry_blocks + policy_answers
    if "total" in q.intents:  # 3名电工考技师、2名考高级技师，合计多少: the sum, first
        counted += [(b, 1) for b in policy_answers if b.amount is not None]
        total = _total(counted)
        if total is not None:
            blocks.insert(0, total)
    if not q.targets and not policy:
        blocks += [b for b in (general_block(kit, i, q) for i in topics) if b]
    return blocks


def _people(q: Query, key: str, level: str | None) -> int:
    """How many people a figure is for: the headcount written before its level (or entry)."""
    marks = [p for p, lv in q.level_marks if lv == level] if level else []
    at = marks[0] if marks else q.target_pos.get(key, 0)
    before = [n for p, n in q.headcounts if p <= at]
    return before[-1] if before and before[-1] > 0 else 1


def _total(counted: list[tuple[Block, int]]) -> Block | None:
    """合计: each figure times its headcount, added up (only figures the answer gives)."""
    parts = [(b.amount, n) for b, n in counted if b.amount is not None]
    if len(parts) < 2 and not any(n > 1 for _, n in parts):
        return None
    total = sum(amount * n for amount, n in parts)
    terms = " + ".join(f"{n}×{amount}" if n > 1 else f"{amount}" for amount, n in parts)
    return Block(f"合计：{terms} = {total} 元", ["各项标准见下"], "")


def _local_code(key: str) -> bool:
    return key.startswith("JCB") and len(key) == 8


def _programme_order(kit: Kit, q: Query) -> list[Block] | None:
    """通知第三条: low to high, each class once — judged for every later programme."""
    a = kit.a
    programmes = [k for k in q.targets if kit.is_programme(k)]
    classes = [a.category_of(k) for k in programmes]
    comparing = bool(_COMPARE_WORDS.search(q.text)) or "code" in q.intents
    if (
        len(programmes) >= 2
        and not comparing
        and (len(set(classes)) < len(classes) or ORDER_WORDS.search(q.text))
    ):
        return [a.eligibility(programmes[:i], programmes[i]) for i in range(1, len(programmes))]
    repeated = sum(1 for h in q.hits if programmes and h.keys == (programmes[0],)) > 1
    if len(programmes) == 1 and (repeated or _AGAIN_WORDS.search(q.text)):
        return [a.eligibility(programmes[:1], programmes[0])]
    if len(programmes) == 1 and programmes[0] in q.taken:
        # 先上SYB再上GYB → 那GYB还补吗: judged against what was taken before it
        before = q.taken[: q.taken.index(programmes[0])]
        if before:
            return [a.eligibility(before, programmes[0])]
    return None


def target_block(kit: Kit, key: str, intent: str, q: Query, level: str | None) -> Block:
    """One answer about one entry."""
    a = kit.a
    if intent == "subsidy":
        return a.subsidy(key, level)
    if intent == "hours":
        return a.hours(key, level)
    if intent == "online":
        return a.online(key, level, q.total_hours)
    if intent == "code":
        return a.code(key)
    if intent == "shortage":
        return a.shortage(key)
    if intent == "transition":
        return a.transition(key)
    if key.startswith("JC"):
        block = a.code(key)
        if key in a.programmes:
            sub = a.subsidy(key, None)
            block.lines += [f"补贴：{sub.amount} 元/人", *sub.lines]
            block.source = "附件1；附件5"
        return block
    block = a.subsidy(key, level)
    e = kit.k.by_key.get(key)
    if e and level is None and e.kind != "qualification":  # the table head names the code
        block.lines.insert(0, f"编码 {e.code}")
    return block


def policy_blocks(kit: Kit, intent: str, q: Query) -> list[Block]:
    """The answers to one policy question (several for appraisal asked at several levels)."""
    a = kit.a
    if intent == "appraisal":  # one block per level asked (高级技师和技师鉴定补贴)
        asked: list[str | None] = [*q.all_levels()] or [None]
        blocks = [a.appraisal(level) for level in asked]
        if "shortage" in q.intents:  # 紧缺工种的鉴定补贴也上浮吗: the notice does not say
            pct = a.uplift_percent()
            blocks[-1].lines.append(
                f"通知第一条只规定紧缺型职业（工种）技师及以上的补贴标准提高{pct}%，"
                "没有说明职业技能鉴定补贴是否上浮"
            )
        return blocks
    block = policy_block(kit, intent, q)
    return [block] if block else []


def policy_block(kit: Kit, intent: str, q: Query) -> Block | None:
    """The answer to a question about the notice's rules."""
    a = kit.a
    one = q.category if len(q.categories) == 1 else None
    if intent == "categories" and q.categories and "subsidy" in q.intents:
        return a.bases_overview(q.level, one)  # C类合格证补贴 / 技师A类B类C类分别多少
    if intent == "categories" and "hours" in q.intents:
        return a.hours_overview(q.all_levels())  # A类初级最低多少课时 / 三个类别课时一样吗
    if intent in _CLAUSES:
        return a.clause(_CLAUSES[intent])
    if intent == "claims":
        return a.claims(q.used_claims, q.asked_count)
    if intent == "uncovered":
        words = [w for w, i in kit.lexicon.intents if i == "uncovered" and w in q.text]
        return a.uncovered(words[0] if words else "这项补贴")
    if intent == "institution":
        return a.institutions(q.stars)
    if intent == "notice":
        return a.notice()
    if intent == "special":
        return a.special_overview(q.category)
    if intent == "certificate":
        if q.category:  # 生活服务类的培训合格证书: the 合格 row of that category
            return a.bases_overview("PASS", q.category)
        return a.certificate_overview()
    if intent == "class_hour":
        return a.class_hour(q.minutes, q.total_hours)
    if intent == "practical":
        extra = []
        if q.total_hours:
            pct = a.practical_percent
            least = min_practical_hours(q.total_hours, pct)
            exact = q.total_hours * pct / 100
            extra.append(
                f"总 {q.total_hours} 课时 × {pct}% = {exact:g} 课时，实操不少于 {least} 课时"
            )
        return a.clause("practical", extra)
    if intent == "marks":
        return a.marks()
    if intent == "entrepreneurship":
        if "local" in q.code_notes.values() or "个性化" in q.text or "地方" in q.text:
            return a.local_code(None, q.city, q.ordinal)
        return a.entrepreneurship_overview()
    if intent == "silent":  # 怎么报名 / 什么时候到账: not in the notice — say so, do not guess
        return Block(
            "通知没有规定这一点",
            [
                "本通知只规定补贴项目、标准、目录和相关要求，没有写补贴对象的具体条件、"
                "报名、申领流程、材料、发放时间或机构名单",
                "请咨询当地人力资源社会保障部门",
                "通知的" + kit.k.clause("contacts")["text"],
            ],
            kit.k.notice,
        )
    if intent == "thanks":
        return Block("不客气！还有问题可以随时问我。")
    if intent in ("help", "greeting"):
        return Block("您好！" if intent == "greeting" else "可以这样问：", kit.help_lines())
    return None


def general_block(kit: Kit, intent: str, q: Query) -> Block | None:
    """An entry's topic asked of no entry: the general rule (紧缺工种技师多补多少)."""
    a = kit.a
    if intent == "shortage":
        listed = len({e.shortage_seq for e in kit.k.entries if e.shortage})
        return a.clause(
            "shortage_uplift",
            [
                "即技师（二级）、高级技师（一级）上浮；高级（三级）及以下按基准执行",
                f"附件3共列出 {listed} 个紧缺型职业（工种）；告诉我工种名称即可查询",
            ],
        )
    if intent == "online":
        extra = []
        if q.total_hours:
            most = max_online_hours(q.total_hours, int(a.p["online_max_percent"]))
            extra.append(f"总 {q.total_hours} 课时时，线上最多 {most} 课时")
        return a.clause("online", extra)
    if intent == "subsidy":
        return a.bases_overview(q.level, q.category)
    if intent == "hours":
        return a.class_hour(q.minutes) if q.minutes else a.hours_overview(q.all_levels())
    if intent == "code":
        return a.clause("classification")
    if intent == "transition":
        return a.clause("employee_upgrade")
    return None


def confirm(claimed: int, block: Block) -> str:
    """Yes or no to 焊工技师是3850吗, from the figure the answer gives."""
    if block.amount is None:
        return f"通知没有给出 {claimed} 元这个数，见下"
    if block.amount == claimed:
        return f"是的，是 {claimed} 元"
    return f"不是 {claimed} 元，是 {block.amount} 元"


def level_choices(kit: Kit, q: Query, intents: list[str]) -> list[Choice]:
    """Level buttons under an occupation's whole table."""
    if (
        q.level
        or len(q.targets) != 1
        or not set(intents or ["summary"])
        & {
            "subsidy",
            "summary",
            "hours",
        }
    ):
        return []
    e = kit.k.by_key.get(q.targets[0])
    if not e or e.kind != "qualification":
        return []
    return [
        Choice(kit.a.levels[lv].split("（")[0], payload(q.targets[0], intents, lv, verb="lv"))
        for lv in ("L1", "L2", "L3", "L4", "L5")
    ]


def _unique(blocks: list[Block]) -> list[Block]:
    """Drop a block that repeats an earlier one word for word (跨境电商补贴多少 最低课时)."""
    seen: set[tuple[str, tuple[str, ...]]] = set()
    out = []
    for block in blocks:
        key = (block.headline, tuple(block.lines))
        if key not in seen:
            seen.add(key)
            out.append(block)
    return out
