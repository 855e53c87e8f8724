"""Resolve: what a name that is not plainly one catalogue entry means.

A name covering several entries is answered once when their answers agree and asked about when
they differ; a name the exact and sound tiers did not find goes through the character-fuzzy tier
(rapidfuzz: a minimum score and a margin over the runner-up, or it suggests instead of
assuming) and otherwise gets an honest 未找到 with the closest entries.  Words that are not a
job are looked up among the notice's own clauses.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from nlp.conversation import Conversation
from nlp.kit import Kit, Turn, payload
from nlp.reply import Block, Choice, Reply
from nlp.terms import NOT_LISTED
from nlp.understand import TARGET_INTENTS, Query

ACCEPT_SCORE = 80  # answer for the closest entry (saying so) only above this …
ACCEPT_MARGIN = 5  # … and this far ahead of the next one
SUGGEST_SCORE = 45
KIND_WORDS = ("special", "certificate", "thanks", "greeting")  # say what kind, not which entry
_JOB_ENDINGS = (
    "工",
    "员",
    "师",
    "手",
    "匠",
    "人",
    "司机",
    "家",
    "长",
    "生",
    "嫂",
    "姐",
    "娘",
    "傅",
)


def looks_like_occupation(phrase: str) -> bool:
    """宇航员, 木匠, 入殓师 name jobs; 到账, 人脸识别 do not."""
    if phrase.endswith(("人员", "人士")):  # 退休人员, 外地人员: people, not a job title
        return False
    return phrase.endswith(_JOB_ENDINGS) or bool(re.search(r"[a-z]", phrase))


def signature(kit: Kit, key: str, q: Query) -> tuple[Any, ...]:
    """What the answer to ``q`` depends on for one entry: equal signatures, equal answers."""
    e = kit.k.by_key.get(key)
    if e is None:
        return (key,)
    intents = set(q.intents) & set(TARGET_INTENTS)
    if not intents or ("subsidy" in intents and not q.all_levels()):
        return (e.kind, e.category, e.code, e.shortage, e.online_over_40)  # the full card
    sig: list[Any] = [e.kind, e.category]
    if intents & {"subsidy", "hours", "shortage"}:
        sig.append(e.shortage)
    if "online" in intents:
        sig.append(e.online_over_40)
    if intents & {"code", "transition"}:
        sig.append(e.code)
    return tuple(sig)


def settle(kit: Kit, turn: Turn) -> None:
    """Names covering several entries: one answer when theirs agree, else a question back."""
    q = turn.q
    for term, keys in q.ambiguous:
        if "special" in q.intents:  # 母婴护理专项职业能力: the special ability, not 家政服务员
            keys = tuple(k for k in keys if k.startswith("s")) or keys
        elif q.level_marks:  # BIM技术员技师: only occupations have levels
            keys = tuple(k for k in keys if k.startswith("q")) or keys
        if len({signature(kit, k, q) for k in keys}) == 1:
            if keys[0] not in q.targets:
                q.targets.append(keys[0])
                q.target_pos.setdefault(keys[0], q.target_pos.get(keys[-1], 0))
            exact_name = all(kit.a.label(k).startswith(term) for k in keys)
            if len(keys) > 1 and not exact_name:  # 厨师 covers two; 家政服务员 is the name
                names = "；".join(kit.a.label(k) for k in keys)
                turn.notes.append(
                    f"「{term}」对应目录中{len(keys)}个条目（{names}），"
                    "这个问题的答案相同，以下回答对它们都适用"
                )
        elif "transition" in q.intents:
            # 钳工 (a legacy name) → every current occupation that succeeds it
            q.targets.extend(k for k in keys if k not in q.targets)
        else:
            turn.asks.append((term, keys))
    q.targets.sort(key=lambda k: q.target_pos.get(k, 0))  # in the order the message names them


def ask_first(kit: Kit, turn: Turn) -> Reply | None:
    """Nothing else to answer: ask which entry was meant."""
    if {"appraisal", "claims", "uncovered"} & set(turn.policy) and not turn.topics:
        turn.asks = []  # 领过两次了，这次钳工培训还能申请吗: the count is the question
        return None
    if turn.asks and not turn.q.targets:
        term, keys = turn.asks[0]
        return ask_which(kit, term, keys, turn.q, turn.conv)
    return None


def not_listed(kit: Kit, turn: Turn) -> Reply | None:
    """宠物美容师: a name known not to be in the catalogue, though it contains one that is."""
    q = turn.q
    if q.not_listed and not q.targets:
        reply = not_found(kit, q.not_listed[0], kit.index.fuzzy(q.not_listed[0], loose=True))
        reply.conversation = turn.conv
        return reply
    return None


def unfound(kit: Kit, turn: Turn) -> Reply | None:
    """Nothing named exactly: a typo, an unknown job, the notice's own words, a pending choice,
    or a follow-up on the conversation's subject."""
    q, ctx = turn.q, turn.conv
    if q.targets or q.unknown_codes or (q.city and wants_local(q)):
        return None
    topics, policy = turn.topics, turn.policy
    if policy == ["categories"] and not q.categories and ctx.subjects and not topics:
        q.targets = list(ctx.subjects)  # 6-18-01-12 → 是哪类: that entry's category
        q.follow_up = True
        return None
    needs_target = not [p for p in policy if p not in KIND_WORDS]
    content = kit.index.content_words(q.text_rest) if needs_target and q.text_rest else []
    phrase = "".join(content)
    beginning = unique_beginning(kit, content)
    if beginning is not None:  # 我是做快件处理的: the beginning of one name only
        q.targets.append(beginning[0])
        turn.notes.append(beginning[1])
        return None
    occupation = looks_like_occupation(phrase) or phrase[-1:] in kit.lexicon.typo_suffixes
    about = clauses_about(kit, content) if content and not policy else []
    if about and not occupation:
        # 线上培训需要人脸识别吗: the words are the notice's own, in one of its clauses
        blocks = [kit.a.clause(clause_id) for clause_id in about]
        return Reply(blocks, conversation=replace(ctx, topics=topics or ctx.topics, policy=[]))
    if content and not occupation and "online" in topics:
        content = []  # 没有星号的工种线上课时有什么限制: the general rule is the answer
    if content and not occupation and ctx.subjects and (q.level_marks or topics):
        content = []  # 我想直接考三级呢: a follow-up with words that name nothing
    if content and not occupation and not q.intents and not _about_training(kit, q.text):
        # 明天下雨吗 / 你都能干点啥: nothing the notice is about — say what can be asked
        lines = [*kit.help_lines(), "其他问题请咨询：" + kit.k.clause("contacts")["text"]]
        block = Block("这个我帮不上忙，我只回答职业技能培训补贴的问题，例如：", lines)
        return Reply([block], understood=False, conversation=ctx)
    if content:
        found = fuzzy(kit, content, occupation=occupation)
        if isinstance(found, Reply):
            found.conversation = ctx
            return found
        q.targets.append(found[0])
        turn.notes.append(found[1])
    elif ctx.choices and (q.level or not q.intents):
        # 钳工补贴 → (buttons) → 技师呢: still the same question, ask again
        q.intents = q.intents or list(ctx.pending_topics)
        q.level = q.level or ctx.pending_level
        return ask_which(kit, ctx.choice_term, tuple(ctx.choices), q, ctx)
    elif ctx.subjects and needs_target:
        q.targets = list(ctx.subjects)
        q.follow_up = True
    return None


def _about_training(kit: Kit, text: str) -> bool:
    return any(word in text for word in kit.lexicon.domain_words)


def clauses_about(kit: Kit, words: list[str]) -> list[str]:
    """Clauses of the notice that use the question's own words (人脸识别, 挂课, 公示…)."""
    scores: dict[str, int] = {}
    synonyms = kit.lexicon.clause_words
    words = [w for w in words if len(w) >= 2]
    # 找人代考 → 替考: the notice's own word for what the question calls it
    notice_words = {w: [v for k, v in synonyms.items() if k in w] for w in words}
    for clause_id, clause in kit.k.rules["clauses"].items():
        text = clause["text"]
        found = [w for w in words if w in text]
        translated = [
            w for w in words if w not in found and any(v in text for v in notice_words[w])
        ]
        # most of the question's words, or a long one or a translated one, must be the clause's
        hits = len(found) + len(translated)
        covered = hits * 2 > len(words) or (
            hits * 2 == len(words) and (bool(translated) or max(map(len, found), default=0) >= 4)
        )
        if covered and hits:
            scores[clause_id] = sum(len(w) for w in found) + 3 * len(translated)
    best = sorted(scores, key=lambda c: -scores[c])
    return [c for c in best[:2] if scores[c] * 2 >= scores[best[0]]]


def fuzzy(kit: Kit, words: list[str], *, occupation: bool = True) -> tuple[str, str] | Reply:
    """The character-fuzzy tier: the closest entry when it is clearly a typo, else 未找到."""
    phrase = "".join(words)
    beginning = unique_beginning(kit, words)
    if beginning is not None:
        return beginning
    if not occupation:
        return not_found(kit, phrase, kit.index.fuzzy(phrase), occupation=False)
    fixed = phrase[:-1] + kit.lexicon.typo_suffixes.get(phrase[-1:], phrase[-1:])
    found = kit.index.terms.get(fixed) if fixed != phrase else None
    if found and len(found[0]) == 1:  # 炼钢公 → 炼钢工: a same-sounding last character
        key = found[0][0]
        return key, f"目录中没有「{phrase}」，按「{kit.a.label(key)}」回答"
    whole = kit.index.fuzzy(phrase)
    # the whole phrase, else the best stretch of it ending like a job title: in 月子中心上班想考
    # 婴儿发展引导员 the name is the end (婴幼儿发展引导员 with a character dropped)
    for stretch in [phrase, *_job_stretches(words)]:
        scored = whole if stretch == phrase else kit.index.fuzzy(stretch)
        if scored and len(stretch) >= 4:  # 维修工 is too short to guess which job it means
            _, score, keys = scored[0]
            runner = next((s for _, s, ks in scored[1:] if ks != keys), 0.0)
            if keys == (NOT_LISTED,) and score >= ACCEPT_SCORE:
                break  # 心里咨询师: closest to a name known not to be in the catalogue
            if score >= ACCEPT_SCORE and score - runner >= ACCEPT_MARGIN and len(keys) == 1:
                label = kit.a.label(keys[0])
                return keys[0], f"目录中没有「{stretch}」，按最接近的「{label}」回答"
    best = list(whole) + kit.index.fuzzy(phrase, loose=True)
    for word in words:
        if word != phrase and len(word) >= 2:
            best += kit.index.fuzzy(word)
    return not_found(kit, phrase, best)


def unique_beginning(kit: Kit, words: list[str]) -> tuple[str, str] | None:
    """茶叶加工, 快件处理: a run of the words that begins one catalogue name only and is most of
    it (three quarters or more) — that name, and a note saying so."""
    for stretch in _stretches(words):
        keys = tuple(kit.index.prefixes.get(stretch, ()))
        shortest = kit.index.shortest.get(stretch, 99)
        if len(keys) == 1 and len(stretch) >= 4 and len(stretch) * 4 >= shortest * 3:
            return keys[0], f"目录中没有「{stretch}」，按「{kit.a.label(keys[0])}」回答"
    return None


def _stretches(words: list[str]) -> list[str]:
    """Every run of whole words, longest first."""
    runs = {"".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}
    return sorted(runs, key=len, reverse=True)


def _job_stretches(words: list[str]) -> list[str]:
    """Runs of whole words that end like a job title, shortest first, from the last word."""
    ends = [i for i in range(len(words), 0, -1) if words[i - 1].endswith(_JOB_ENDINGS)]
    return [
        "".join(words[start:end])
        for end in ends[:1]
        for start in range(end - 1, 0, -1)
        if len("".join(words[start:end])) >= 5  # 维修工 alone is too short to guess from
    ]


def not_found(
    kit: Kit,
    phrase: str,
    best: list[tuple[str, float, tuple[str, ...]]],
    *,
    occupation: bool = True,
) -> Reply:
    """未找到, honestly, with the closest entries as buttons."""
    best = sorted((r for r in best if NOT_LISTED not in r[2]), key=lambda r: -r[1])
    suggestions: list[str] = []
    for _, score, keys in best:
        for key in keys:
            if score >= SUGGEST_SCORE and key not in suggestions:
                suggestions.append(key)
    if occupation:
        headline = f"未找到「{phrase}」"
        lines = [
            f"《{kit.k.attachment(2)}》（附件2）中没有收录它，"
            "无法给出补贴标准，请核对名称或咨询当地人社部门"
        ]
    else:  # 补贴打到哪张卡: not a job — the notice simply does not say
        headline = f"未找到关于「{phrase}」的规定"
        lines = [
            "本通知（含附件目录）没有写到这一点；请咨询当地人力资源社会保障部门",
            "通知的" + kit.k.clause("contacts")["text"],
        ]
    if suggestions:
        lines.append("最接近的条目：" + "、".join(kit.a.label(k) for k in suggestions[:3]))
    return Reply(
        [Block(headline, lines, "附件2" if occupation else kit.k.notice)],
        choices=[Choice(kit.a.label(k)[:30], payload(k, [], None)) for k in suggestions[:3]],
        understood=False,
    )


def ask_which(kit: Kit, term: str, keys: tuple[str, ...], q: Query, ctx: Conversation) -> Reply:
    """Which of these entries? (buttons, or a number or part of a name in reply)"""
    new_ctx = with_choices(replace(ctx, subjects=[]), term, keys, q)
    return Reply(
        [which_block(kit, term, keys)],
        choices=[Choice(kit.a.label(k)[:30], payload(k, q.intents, q.level)) for k in keys[:8]],
        conversation=new_ctx,
    )


def which_block(kit: Kit, term: str, keys: tuple[str, ...]) -> Block:
    """The numbered candidates of an ambiguous name."""
    lines = []
    for n, key in enumerate(keys[:8], 1):
        e = kit.k.by_key.get(key)
        lines.append(f"{n}. " + (kit.a.describe(e) if e else kit.a.label(key)))
    return Block(
        f"「{term}」对应目录中多个条目，答案不同，请选择（回复序号或名称）：", lines, "附件2"
    )


def with_choices(conv: Conversation, term: str, keys: tuple[str, ...], q: Query) -> Conversation:
    """The conversation waiting for a choice between ``keys``."""
    topics = [i for i in q.intents if i in TARGET_INTENTS]
    return replace(
        conv,
        topics=topics,
        level=q.level,
        choice_term=term,
        choices=list(keys[:8]),
        pending_topics=topics,
        pending_level=q.level,
    )


def wants_local(q: Query) -> bool:
    """A question about 附件5's local codes (JCB + city + sequence)."""
    return (
        bool({"code", "entrepreneurship"} & set(q.intents))
        or "个性化" in q.text
        or (q.city is not None and "JCB" in q.targets)
    )
