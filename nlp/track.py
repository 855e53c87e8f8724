"""Track: apply the conversation to a message, and remember what the answer was about.

Rules, each one small: a correction (说错了，是三级) replaces what it names; words pointing back
(这俩, 上面两个) and ordinals (第一个, 上面第三个) mean entries the conversation named or listed;
a short follow-up (那三级呢, 车工呢, 第二个呢) keeps the topic and level; a question that names
its own subject (鉴定补贴多少, 3小时算几个课时) keeps nothing.  The words are data
(nlp/data/lexicon.yaml: references, corrections, intents).
"""

from __future__ import annotations

import re

from nlp.conversation import Conversation
from nlp.kit import Kit, Turn
from nlp.resolve import wants_local, with_choices
from nlp.understand import TARGET_INTENTS, Query

_PLURAL = re.compile(r"俩|两个|两者|它们|他们|她们|上面两|前面两|这两|那两")
_WHICH = re.compile(r"哪个|哪些|哪一个|哪几个|谁")
_SINGULAR = re.compile(r"它|该工种|这个工种|这个证|这个职业|这个专项")
_ABOUT_IT = {"categories", "marks", "special", "certificate"}  # asked of an entry too
BY_LEVEL = ("appraisal",)  # policy answers that differ by level: a level alone follows them
ORDER_WORDS = re.compile(r"先|再|然后|之后|以后|后来|后参加|参加过|上过|学过|读过|之前|已经")


def correct(kit: Kit, turn: Turn) -> None:
    """说错了，是三级 / 我是说美发师不是美容师: what the correction names replaces the old."""
    if "correction" in turn.q.intents:
        turn.q.intents.remove("correction")
        turn.q.follow_up = True


def refer_back(kit: Kit, turn: Turn) -> None:
    """这俩 / 上面两个 → the last two entries named; 第一个 / 上面第三个 → an item of what the
    conversation listed (a list answer) or named (several entries), unless the message says
    where else to count (附件2第三项, C类第一个)."""
    q, ctx = turn.q, turn.conv
    if q.targets or q.ambiguous:
        return
    if q.ordinal is None:
        named = ctx.subjects if len(ctx.subjects) >= 2 else ctx.mentioned[-2:]
        where = "附件" in q.text or "目录" in q.text or bool(q.categories)
        if _PLURAL.search(q.text) and len(ctx.mentioned) >= 2:  # 这俩哪个补得多
            q.targets = ctx.mentioned[-2:]
        elif _WHICH.search(q.text) and len(named) >= 2 and not where:
            q.targets = list(named)  # 收银员和保安员 → 哪个是紧缺工种: which of them
        elif (
            _SINGULAR.search(q.text) and ctx.subjects and (turn.topics or _ABOUT_IT & {*q.intents})
        ):
            q.targets = list(ctx.subjects)  # 它属于哪类 补多少
        else:
            return
        q.level = q.level or ctx.level
        q.follow_up = True
        return
    named = ctx.mentioned + (["?"] if ctx.choices else [])  # 焊工和钳工(which?) → 前者
    offered = ctx.listed or (named if len(named) > 1 else [])
    elsewhere = "附件" in q.text or "目录" in q.text or q.category is not None or q.city
    if offered and not elsewhere and (1 <= q.ordinal <= len(offered) or q.ordinal == -1):
        picked = offered[q.ordinal - 1 if q.ordinal > 0 else -1]
        if picked == "?":
            return  # the name still to be chosen: the pending choice is asked again
        q.targets.append(picked)
        q.level = q.level or ctx.level
        q.follow_up = True


def continue_topics(kit: Kit, turn: Turn) -> None:
    """Follow-ups that name no entry: 盐城呢 / 第二个呢 after a local programme code; 那中级呢
    after a policy question asked by level (高级技师鉴定补贴多少)."""
    q, ctx = turn.q, turn.conv
    q.taken = [k for k in ctx.taken if kit.valid_key(k)]
    if ctx.local_city and not q.targets and (q.city or q.ordinal) and not q.intents:
        q.city = q.city or ctx.local_city  # 徐州第一个个性化项目编码 → 盐城呢 / 第二个呢
        q.intents.append("code")
    by_level = [p for p in ctx.policy if p in BY_LEVEL]
    if not q.targets and not q.intents and q.level and by_level:
        q.intents = by_level  # 高级技师鉴定补贴多少 → 那中级呢
    if "appraisal" in q.intents and not q.level_marks and ctx.level and _follows_on(kit, q):
        q.level = ctx.level  # 保洁员四级补贴多少 → 那鉴定补多少: at the level asked before


def inherit(kit: Kit, turn: Turn) -> None:
    """A message naming an entry but asking nothing keeps the conversation's topic and level;
    a level alone asks for money; a legacy name (附件4) is answered with what it is now."""
    q, ctx = turn.q, turn.conv
    earlier = [k for k in ctx.subjects if kit.is_programme(k)]
    named = [k for k in q.targets if kit.is_programme(k)]
    if len(named) == 1 and earlier and earlier[0] != named[0] and ORDER_WORDS.search(q.text):
        q.targets = [named[0], earlier[0]]  # taken before → the one asked about
    topics, policy = turn.topics, turn.policy
    if topics == ["hours"] and q.total_hours and "online" in ctx.topics:
        topics = ["online"]  # …线上比例 → 总共100课时呢
    if q.legacy_terms and not policy:  # a name from 附件4's old column: say what it is now
        topics = ["transition", *(topics or ["subsidy"])]
    elif q.targets and not topics and not policy and ctx.topics:
        topics = [i for i in ctx.topics if i in TARGET_INTENTS]
        if q.level_marks and not {"subsidy", "hours"} & set(topics):
            topics = ["subsidy"]  # 电工是紧缺的吗 → 那三级呢: a level asks for money
        if not any(_applies(kit, i, k) for i in topics for k in q.targets):
            topics = ["subsidy"]  # 健康照护师紧缺吗 → 那健康照护（老人）专项呢
        q.level = q.level or ctx.level
    elif (q.follow_up or (q.targets and not topics and not policy)) and not q.level:
        q.level = ctx.level  # 焊工技师多少 → 车工呢: the level stays
    if q.targets and q.level_marks and topics and not {"subsidy", "hours", "online"} & set(topics):
        topics.append("subsidy")  # 裁剪工 紧缺不 技师多少: the level asks for money too
    kept = [i for i in q.intents if i not in TARGET_INTENTS or i in topics]  # in the order asked
    q.intents = [*kept, *(t for t in topics if t not in kept)]


def remember(kit: Kit, turn: Turn) -> Conversation:
    """The conversation after this answer."""
    q, ctx = turn.q, turn.conv
    topics, policy = turn.topics, turn.policy
    conv = Conversation(
        mentioned=list(dict.fromkeys([*ctx.mentioned, *q.targets[:5]]))[-5:],
        subjects=q.targets[:5] or ctx.subjects,
        topics=topics or ctx.topics,
        level=q.level or (ctx.level if not q.targets else None),
        policy=[] if q.targets else policy,
        taken=_taken(kit, q) or q.taken,
        local_city=q.city if q.city and wants_local(q) else None,
        list_part=q.list_ref[0] if q.list_ref else ctx.list_part,
    )
    if turn.asks:
        conv = with_choices(conv, turn.asks[0][0], turn.asks[0][1], q)
    return conv


def _follows_on(kit: Kit, q: Query) -> bool:
    """那…/…呢/那个/也: the message goes on from the previous one."""
    return any(word in q.text for word in kit.lexicon.follow_ons)


def _applies(kit: Kit, intent: str, key: str) -> bool:
    """Whether an inherited topic makes sense for a new target (紧缺 is for occupations)."""
    if intent in ("shortage", "transition"):
        e = kit.k.by_key.get(key)
        return e is not None and e.kind == "qualification"
    return True


def _taken(kit: Kit, q: Query) -> list[str]:
    """Programmes named in attendance order (先上SYB再上GYB), remembered for follow-ups."""
    programmes = [k for k in q.targets if kit.is_programme(k)]
    return programmes if len(programmes) >= 2 and ORDER_WORDS.search(q.text) else []
