"""The one answer engine used by the bot, inline mode and the CLI alike.

``Engine.answer(text, context)`` → :class:`~nlp.reply.Reply` (blocks, choices, new context).
Context is a small JSON-serialisable dict the caller keeps per chat; it is treated as untrusted.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from calculator.hours import max_online_hours, min_practical_hours
from knowledge.catalogue import Knowledge
from knowledge.policies import Policies, data_dirs_from_env, load_all
from nlp import english, listing
from nlp import lexicon as lexicon_mod
from nlp.compose import Answers
from nlp.conversation import Conversation
from nlp.normalise import normalise
from nlp.reply import Block, Choice, Reply
from nlp.terms import NOT_LISTED, TermIndex
from nlp.understand import TARGET_INTENTS, Query, parse

POLICY_INTENTS = (
    "special",
    "certificate",
    "claims",
    "institution",
    "fraud",
    "effective",
    "class_hour",
    "practical",
    "marks",
    "lookup",
    "employee",
    "categories",
    "contacts",
    "offline",
    "appraisal",
    "entrepreneurship",
    "help",
    "greeting",
    "thanks",
    "notice",
    "basis",
    "platform",
    "classification",
    "catalogues",
    "silent",
    "praise",
    "complaint",
    "bye",
    "identity",
    "festive",
    "offtopic",
    "uncovered",
)
_PLURAL = re.compile(r"俩|两个|两者|它们|他们|她们|上面两|前面两|这两|那两")
ACCEPT_SCORE = (
    80  # fuzzy: answer (saying what was assumed) only above this and with a clear margin
)
ACCEPT_MARGIN = 5
SUGGEST_SCORE = 45
_ORDER_WORDS = re.compile(r"先|再|然后|之后|以后|后来|后参加|参加过|上过|学过|读过|之前|已经")
_COMPARE_WORDS = re.compile(r"比|哪个多|哪个高|哪个少|差多少|区别|一样吗|相同吗|分别")
_AGAIN_WORDS = re.compile(
    r"两次|第二次|再次|重复|又参加|再参加一次|二次|再上一次|又上|上过一次|参加过一次"
)
_PAYLOAD = re.compile(r"(pick|lv|ex):([0-9A-Za-z:|\-\u4e00-\u9fff]{1,50})")
_CODE_OF = {
    "subsidy": "s",
    "hours": "h",
    "online": "o",
    "code": "c",
    "shortage": "x",
    "transition": "t",
}
_INTENT_OF = {v: k for k, v in _CODE_OF.items()}
EXAMPLES = (
    "焊工考技师能补多少？",
    "钳工补贴多少",
    "电工高级技师补贴",
    "茶艺师可以线上培训吗",
    "车工是紧缺工种吗",
    "IYB补贴多少",
    "评茶员现在叫什么",
    "一年可以领几次培训补贴",
)


@dataclass(frozen=True)
class Card:
    """A compact inline result."""

    id: str
    title: str
    description: str
    reply: Reply


class Engine:
    """Understands a question and answers it from one policy year's knowledge."""

    def __init__(
        self, knowledge: Knowledge | None = None, policies: Policies | None = None
    ) -> None:
        """Answer from ``knowledge`` (default: the newest loaded year); questions naming another
        loaded year of ``policies`` are answered from that year's knowledge."""
        self.policies = policies or load_all()
        self.k = knowledge or self.policies.latest
        self._other_years: dict[str, Engine] = {}
        self.lexicon = lexicon_mod.load()
        self.index = TermIndex(self.k, self.lexicon)
        self.a = Answers(self.k)
        self.examples = list(EXAMPLES)
        self.english = english.load()
        self.smalltalk = _load_smalltalk()
        self._latin_terms = {t for t in self.index.terms if re.fullmatch(r"[0-9a-z+]+", t)}

    def warm_up(self) -> None:
        """Load everything lazy (jieba, OpenCC) now, so the first user does not wait."""
        self.index.content_words("焊工")
        normalise("電焊工")

    # ----- public API -------------------------------------------------------------------------
    def answer(
        self,
        text: object,
        context: Conversation | dict[str, Any] | None = None,
        intent: str | None = None,
    ) -> Reply:
        """Answer one message, given the conversation; ``intent`` forces the topic (commands)."""
        ctx = self._conversation(context)
        norm = self._read(text)
        if not norm:
            return Reply(
                [Block("请直接输入问题，例如：焊工考技师能补多少？", self._help_lines())],
                understood=False,
                conversation=ctx,
            )
        picked = self._picked(norm.casefold().strip(" 。.!！?？"), ctx)
        if picked:  # "2" or "中式" after "面点师" offered 中式面点师 / 西式面点师
            return self.choose(_pick(picked, ctx.pending_topics, ctx.pending_level), ctx)
        q = parse(norm, self.k, self.lexicon, self.index)
        other = self._engine_for(q.years)
        if other is not None:  # 2025年焊工技师补贴: answered from 2025's notice when it is loaded
            return other.answer(text, ctx, intent)
        if intent in TARGET_INTENTS or intent == "entrepreneurship":
            q.intents = [intent] + [i for i in q.intents if i != intent]
        return self._respond(q, ctx)

    def choose(self, payload: str, context: Conversation | dict[str, Any] | None = None) -> Reply:
        """Answer a button press; the payload is untrusted."""
        ctx = self._conversation(context)
        m = _PAYLOAD.fullmatch(payload or "") if isinstance(payload, str) else None
        if not m:
            return Reply(
                [Block("这个按钮已失效，请重新提问。")], understood=False, conversation=ctx
            )
        verb, arg = m.groups()
        if verb == "ex":
            idx = int(arg) if arg.isdigit() else -1
            if 0 <= idx < len(self.examples):
                return self.answer(self.examples[idx], ctx)
        elif verb in ("pick", "lv"):
            # the payload carries everything it answers: an old button is not read against
            # whatever the chat asked since (按钮的内容自成一体)
            key, _, rest = arg.partition("|")
            codes, _, level = rest.partition("|")
            intents = [_INTENT_OF[c] for c in codes if c in _INTENT_OF]
            if self._valid_key(key) and level in ("", *self.a.levels) and len(codes) <= 6:
                q = Query(text="", targets=[key], intents=intents, level=level or None)
                rest = replace(
                    ctx, choices=[], choice_term="", pending_topics=[], pending_level=None
                )
                return self._respond(q, rest)
        return self._expired(ctx)

    def _engine_for(self, years: list[int]) -> Engine | None:
        """The engine of another loaded policy year the question names, if any."""
        named = [str(y) for y in years if str(y) in self.policies and str(y) != self.k.year]
        if not named or len(set(map(str, years))) > 1:
            return None
        year = named[0]
        if year not in self._other_years:
            self._other_years[year] = Engine(self.policies[year], self.policies)
        return self._other_years[year]

    def _read(self, text: object) -> str:
        """Normalise the message and put any English we know into Chinese."""
        return self.english.translate(normalise(text), keep=self._latin_terms)

    def _small_talk(self, q: Query, ctx: Conversation) -> Reply | None:
        """Greetings, thanks, praise, complaints, questions off the topic: a short human reply.

        Only when the message asks nothing else (谢谢，焊工技师呢 is a question) and names
        nothing that looks like a job."""
        talk = [i for i in q.intents if i in self.smalltalk]
        if not talk or q.targets or q.ambiguous or q.unknown_codes:
            return None
        if "offtopic" not in talk and len(talk) < len(q.intents):
            return None
        if "offtopic" in talk:
            talk = ["offtopic"]
        content = self.index.content_words(q.text_rest) if q.text_rest.strip() else []
        if content and _looks_like_occupation("".join(content)):
            return None
        entry = self.smalltalk[talk[0]]
        fill = {"notice": self.k.rules["notice"], "year": self.k.year}
        lines = self._help_lines() if entry.get("help") else []
        if entry.get("contacts"):
            lines.append("通知的" + self.k.clause("contacts")["text"])
        return Reply([Block(str(entry["reply"]).format(**fill), lines)], conversation=ctx)

    @staticmethod
    def _expired(conv: Conversation) -> Reply:
        return Reply([Block("这个按钮已失效，请重新提问。")], understood=False, conversation=conv)

    def inline(self, query: str, limit: int = 10) -> list[Card]:
        """Compact cards for inline mode: one per entry the query names, at most ``limit``.

        A query naming no entry gets the engine's whole answer as one card (a policy answer, or
        "未找到" with the closest entries — never a closest entry passed off as the answer).
        """
        norm = self._read(query)
        if not norm:
            return []
        q = parse(norm, self.k, self.lexicon, self.index)
        keys = list(q.targets)
        for _, group in q.ambiguous:
            keys += [k for k in group if k not in keys]
        if not keys or q.places or q.years:
            reply = self.answer(norm)
            title = reply.headline if reply.understood else f"未找到：{norm[:40]}"
            cards = [Card(id="answer", title=title[:100], description=reply.headline, reply=reply)]
            for choice in reply.choices if not reply.understood else []:
                picked = self.choose(choice.payload, reply.context)
                cards.append(
                    Card(
                        id=choice.payload[5:],
                        title=f"最接近：{choice.label}",
                        description=picked.headline,
                        reply=picked,
                    )
                )
            return cards[:limit]
        cards = []
        intents = [i for i in q.intents if i in TARGET_INTENTS]
        for key in keys[:limit]:
            sub = Query(
                text=q.text,
                targets=[key],
                intents=intents,
                level=q.level,
                level_marks=q.level_marks,
                total_hours=q.total_hours,
            )
            reply = self._respond(sub, Conversation())
            cards.append(
                Card(id=key, title=self.a.label(key), description=reply.headline, reply=reply)
            )
        return cards

    def help_reply(self) -> Reply:
        """What can be asked."""
        return Reply(
            [
                Block(
                    "我可以回答淮安市2024年政府补贴性职业技能培训（淮人社发〔2024〕22号）的问题：",
                    self._help_lines(),
                    "淮人社发〔2024〕22号",
                )
            ]
        )

    # ----- internals -----------------------------------------------------------------------
    def _help_lines(self) -> list[str]:
        return [
            "· 补贴标准：焊工考技师能补多少？/ 钳工补贴多少",
            "· 最低课时和线上比例：茶艺师可以线上培训吗？/ 车工中级最少多少课时",
            "· 编码：车工的职业编码 / 4-03-02-07是什么工种 / GYB编码",
            "· 紧缺工种与上浮：车工是紧缺工种吗？",
            "· 新旧名称编码对照：评茶员现在叫什么 / 旧编码6209900",
            "· 鉴定补贴、创业培训、每年申领次数等政策",
            "可以接着追问，例如“那三级呢”“这个是紧缺的吗”。",
        ]

    def _valid_key(self, key: str) -> bool:
        return (
            key in self.k.by_key
            or key in self.a.programmes
            or key == "cy:B"
            or (key.startswith("o:") and key[2:] in self.k.bases["other"])
        )

    def _signature(self, key: str, q: Query) -> tuple[Any, ...]:
        """What the answer to ``q`` depends on for one entry: equal signatures, equal answers."""
        e = self.k.by_key.get(key)
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

    def _respond(self, q: Query, ctx: Conversation) -> Reply:
        notes = [f"目录中没有「{w}」，按读音相同的「{t}」回答" for w, t in q.sounded]
        if "correction" in q.intents:  # 说错了，是三级: what it names replaces what it corrects
            q.intents.remove("correction")
            q.follow_up = True
        if not q.targets and not q.ambiguous and ctx.mentioned and q.ordinal is None:
            if _PLURAL.search(q.text) and len(ctx.mentioned) >= 2:  # 这俩哪个补得多
                q.targets = ctx.mentioned[-2:]
                q.level = q.level or ctx.level
                q.follow_up = True
        asks: list[tuple[str, tuple[str, ...]]] = []
        # 1. one term naming several entries: ask only when their answers differ
        for term, keys in q.ambiguous:
            if "special" in q.intents:  # 母婴护理专项职业能力: the special ability, not 家政服务员
                keys = tuple(k for k in keys if k.startswith("s")) or keys
            elif q.level_marks:  # BIM技术员技师: only occupations have levels
                keys = tuple(k for k in keys if k.startswith("q")) or keys
            if len({self._signature(k, q) for k in keys}) == 1:
                if keys[0] not in q.targets:
                    q.targets.append(keys[0])
                    q.target_pos.setdefault(keys[0], q.target_pos.get(keys[-1], 0))
                exact_name = all(self.a.label(k).startswith(term) for k in keys)
                if len(keys) > 1 and not exact_name:  # 厨师 covers two; 家政服务员 is the name
                    names = "；".join(self.a.label(k) for k in keys)
                    notes.append(
                        f"「{term}」对应目录中{len(keys)}个条目（{names}），这个问题的答案相同，以下回答对它们都适用"
                    )
            elif "transition" in q.intents:
                # 钳工 (a legacy name) → every current occupation that succeeds it
                q.targets.extend(k for k in keys if k not in q.targets)
            else:
                asks.append((term, keys))
        if asks and not q.targets:
            return self._ask_which(asks[0][0], asks[0][1], q, ctx)
        talked = self._small_talk(q, ctx)
        if talked is not None:
            return talked
        navigated = self._navigate(q, ctx)
        if navigated is not None:
            return navigated
        if q.not_listed and not q.targets:
            reply = self._fuzzy([q.not_listed[0]], listed=False)
            assert isinstance(reply, Reply)
            reply.conversation = ctx
            return reply
        q.taken = [k for k in ctx.taken if self._valid_key(k)]
        if ctx.local_city and not q.targets and (q.city or q.ordinal) and not q.intents:
            q.city = q.city or ctx.local_city  # 徐州第一个个性化项目编码 → 盐城呢 / 第二个呢
            q.intents.append("code")
        # 2. nothing named: typo, unknown occupation, follow-up or a policy question
        if not q.targets and not q.intents and q.level and ctx.policy:
            q.intents = list(ctx.policy)  # 高级技师鉴定补贴多少 → 那中级呢
        target_intents = [i for i in q.intents if i in TARGET_INTENTS]
        policy = [i for i in q.intents if i in POLICY_INTENTS]
        if not q.targets and not q.unknown_codes and not (q.city and _wants_local(q)):
            # 专项 / 培训合格证书 say what kind of entry is meant; they do not replace the entry
            needs_target = not [p for p in policy if p not in _KIND_WORDS]
            content = self.index.content_words(q.text_rest) if needs_target and q.text_rest else []
            phrase = "".join(content)
            occupation = (
                _looks_like_occupation(phrase) or phrase[-1:] in self.lexicon.typo_suffixes
            )
            about = self._clauses_about(content) if content and not policy else []
            if about and not occupation:
                # 线上培训需要人脸识别吗: the words are the notice's own, in one of its clauses
                blocks = [self.a.clause(clause_id) for clause_id in about]
                topics = target_intents or ctx.topics
                return Reply(blocks, conversation=replace(ctx, topics=topics, policy=[]))
            if content and not occupation and "online" in target_intents:
                content = []  # 没有星号的工种线上课时有什么限制: the general rule is the answer
            if content:
                found = self._fuzzy(content, occupation=occupation)
                if isinstance(found, Reply):
                    found.conversation = ctx
                    return found
                q.targets.append(found[0])
                notes.append(found[1])
            elif ctx.choices and not content and (q.level or not q.intents):
                # 钳工补贴 → (buttons) → 技师呢: still the same question, ask again
                q.intents = q.intents or list(ctx.pending_topics)
                q.level = q.level or ctx.pending_level
                return self._ask_which(ctx.choice_term, tuple(ctx.choices), q, ctx)
            elif ctx.subjects and needs_target and not content:
                q.targets = list(ctx.subjects)
                q.follow_up = True
        earlier = [k for k in ctx.subjects if k in self.a.programmes or k == "cy:B"]
        named = [k for k in q.targets if k in self.a.programmes or k == "cy:B"]
        if len(named) == 1 and earlier and earlier[0] != named[0] and _ORDER_WORDS.search(q.text):
            q.targets = [named[0], earlier[0]]  # taken before → the one asked about
        online_before = "online" in ctx.topics
        if target_intents == ["hours"] and q.total_hours and online_before:
            target_intents = q.intents = ["online"]  # …线上比例 → 总共100课时呢
        # 3. inherit the topic and level of the conversation for short follow-ups
        if q.legacy_terms and not policy:  # a name from 附件4's old column: say what it is now
            target_intents = ["transition", *(target_intents or ["subsidy"])]
            q.intents = [*target_intents, *policy]
        elif q.targets and not target_intents and not policy and ctx.topics:
            target_intents = [i for i in ctx.topics if i in TARGET_INTENTS]
            if q.level_marks and not {"subsidy", "hours"} & set(target_intents):
                target_intents = ["subsidy"]  # 电工是紧缺的吗 → 那三级呢: a level asks for money
            if not any(self._applies(i, k) for i in target_intents for k in q.targets):
                target_intents = ["subsidy"]  # 健康照护师紧缺吗 → 那健康照护（老人）专项呢
            q.intents = list(target_intents)
            if q.level is None:
                q.level = ctx.level
        elif (q.follow_up or (q.targets and not target_intents and not policy)) and not q.level:
            q.level = ctx.level  # 焊工技师多少 → 车工呢: the level stays
        if (
            q.targets
            and q.level_marks
            and target_intents
            and not ({"subsidy", "hours", "online"} & set(target_intents))
        ):
            target_intents.append(
                "subsidy"
            )  # 裁剪工 紧缺不 技师多少: the level asks for money too
        if _wants_local(q):  # 附件5's city codes cover every city of Jiangsu
            q.places = [p for p in q.places if p not in self.k.entrepreneurship["cities"]]
        q.years = [y for y in q.years if str(y) != self.k.year]
        if q.years or q.places:
            blocks = [self._outside_scope(q)]
        else:
            blocks = self._blocks(q, target_intents, policy)
        for term, keys in asks:
            blocks.append(self._which_block(term, keys))
        if not blocks:
            return Reply(
                [Block("抱歉，我没能理解这个问题。", self._help_lines())],
                understood=False,
                conversation=ctx,
            )
        if notes:
            blocks[0].lines[:0] = notes
        if q.claimed_amount is not None:
            blocks[0].lines.insert(0, self._confirm(q.claimed_amount, blocks[0].headline))
        new_ctx = Conversation(
            mentioned=list(dict.fromkeys([*ctx.mentioned, *q.targets[:5]]))[-5:],
            subjects=q.targets[:5] or ctx.subjects,
            topics=target_intents or ctx.topics,
            level=q.level or (ctx.level if not q.targets else None),
            policy=[] if q.targets else policy,
            taken=self._taken(q) or q.taken,
            local_city=q.city if q.city and _wants_local(q) else None,
        )
        if asks:
            new_ctx = self._with_choices(new_ctx, asks[0][0], asks[0][1], q)
        choices = (
            [
                Choice(self.a.label(k)[:30], _pick(k, target_intents, q.level))
                for k in asks[0][1][:8]
            ]
            if asks
            else self._level_choices(q, target_intents)
        )
        return Reply(_unique(blocks), choices=choices, conversation=self._conversation(new_ctx))

    def _navigate(self, q: Query, ctx: Conversation) -> Reply | None:
        """Catalogue navigation: an item by its number, a list, a count, a difference of bases.

        An item found by number becomes the question's subject (and the rest of the pipeline
        answers what was asked of it); lists, counts and differences are answered here.
        """
        if q.targets or q.city or "entrepreneurship" in q.intents:
            return None
        text = q.text
        sel = listing.selection(text, q.category, self.lexicon)
        part = listing.names_a_part(text, self.lexicon) or q.category is not None
        if q.list_ref is not None:
            attachment, number = q.list_ref
            sel = replace(sel, shortage=attachment == 3)
            entry = listing.item(self.k, sel, number)
            if entry is None:
                total = len(sel.entries(self.k))
                block = Block(f"{sel.describe()}共 {total} 项，没有第{number}项", [], sel.source)
                return Reply([block], understood=False, conversation=ctx)
            q.targets.append(entry.key)
            return None
        offered = ctx.listed or (ctx.mentioned if len(ctx.mentioned) > 1 else [])
        said_where = "附件" in text or "目录" in text or q.category is not None
        if q.ordinal is not None and offered and not said_where and q.ordinal <= len(offered):
            # 上面第三个 / 第一个的编码: an item of what the conversation listed or named
            q.targets.append(offered[q.ordinal - 1])
            q.level = q.level or ctx.level
            q.follow_up = True
            return None
        if not part:
            return None
        if len(q.categories) >= 2 and not q.level:
            return None  # A类B类C类有啥区别: what the categories mean, not a list
        if _COMPARE_WORDS.search(text) and len(q.categories) >= 2 and q.level:
            return Reply([listing.difference(self.k, q.categories, q.level)], conversation=ctx)
        if q.ordinal is not None and "count" not in q.intents and not listing.asks_part(text):
            entry = listing.item(self.k, sel, q.ordinal)
            if entry is not None:
                q.targets.append(entry.key)
            return None
        if "count" in q.intents or listing.asks_where(text):
            return Reply([listing.count(self.k, sel, text)], conversation=ctx)
        if "listing" in q.intents or listing.asks_part(text):
            block, keys = listing.listing(self.k, sel, text)
            return Reply([block], conversation=replace(ctx, listed=keys, subjects=[]))
        return None

    def _outside_scope(self, q: Query) -> Block:
        """The notice is Huai'an's, for 2024: say so instead of giving its figures elsewhere."""
        lines = []
        other_years = [y for y in q.years if str(y) != self.k.year]
        if other_years and not q.places and not q.targets and max(other_years) < int(self.k.year):
            years = "、".join(f"{y}年" for y in dict.fromkeys(other_years))
            return self.a.clause("effective", [f"本通知没有列出{years}的补贴标准"])
        if other_years:
            years = "、".join(f"{y}年" for y in dict.fromkeys(other_years))
            lines.append(f"本通知只给出{self.k.year}年的标准，没有{years}的补贴标准")
            if any(y < int(self.k.year) for y in other_years):
                lines.append(self.k.clause("effective")["text"])
        if q.places:
            places = "、".join(dict.fromkeys(q.places))
            if _wants_local(q):
                lines.append(
                    f"附件5的市级代码只有江苏省13个设区市（南京01 … 宿迁13），没有{places}"
                )
            else:
                lines.append(
                    f"本通知是淮安市的标准，不适用于{places}；请咨询当地人力资源社会保障部门"
                )
        lines.append(f"需要淮安市{self.k.year}年的标准，请去掉年份或地名再问一次")
        return Block("这个问题超出了本通知的范围", lines, "通知末段；通知标题")

    def _blocks(self, q: Query, target_intents: list[str], policy: list[str]) -> list[Block]:
        a = self.a
        blocks = [
            Block(
                f"未找到编码 {code}",
                [
                    "附件2目录和附件4对照表中都没有这个编码；请核对后再问，或直接输入职业（工种）名称"
                ],
                "附件2；附件4",
            )
            for code in q.unknown_codes
        ]
        programmes = [k for k in q.targets if k in a.programmes or k == "cy:B"]
        classes = [a.category_of(k) for k in programmes]
        comparing = bool(_COMPARE_WORDS.search(q.text)) or "code" in q.intents
        if (
            len(programmes) >= 2
            and not comparing
            and (len(set(classes)) < len(classes) or _ORDER_WORDS.search(q.text))
        ):
            # 通知第三条: low to high, each class once — judged for every later programme
            for i in range(1, len(programmes)):
                blocks.append(a.eligibility(programmes[:i], programmes[i]))
            return blocks
        repeated = sum(1 for h in q.hits if programmes and h.keys == (programmes[0],)) > 1
        if len(programmes) == 1 and (repeated or _AGAIN_WORDS.search(q.text)):
            blocks.append(a.eligibility(programmes[:1], programmes[0]))
            return blocks
        taken = [k for k in q.taken if k != (programmes[0] if programmes else None)]
        if len(programmes) == 1 and programmes[0] in q.taken and taken:
            # 先上SYB再上GYB → 那GYB还补吗: judged against what was taken before it
            before = q.taken[: q.taken.index(programmes[0])]
            if before:
                blocks.append(a.eligibility(before, programmes[0]))
                return blocks
        if (
            q.city
            and _wants_local(q)
            and not [k for k in q.targets if k.startswith("JCB") and len(k) == 8]
        ):
            blocks.append(a.local_code(None, q.city, q.ordinal))
            return blocks
        # 鉴定补贴 (by level only), 两个证都能补吗 (a count): answered without the entry's figures
        only_policy = (
            bool({"appraisal", "claims", "uncovered"} & set(policy)) and not target_intents
        )
        for key in [] if only_policy else q.targets[:5]:
            if key in q.code_notes and q.code_notes[key] != "local" and not target_intents:
                blocks.append(Block(q.code_notes[key], [], "附件4"))
            for intent in target_intents or ["summary"]:
                levels: list[str | None] = [*q.levels_for(key)] or [None]
                for level in levels:
                    blocks.append(self._target_block(key, intent, q, level))
        covered = (
            (
                "marks",
                "categories",
                "offline",
                "special",
                "certificate",
                "help",
                "greeting",
                "thanks",
            )
            if q.targets
            else ()
        )
        for intent in policy:
            if intent in covered:
                continue
            if intent == "appraisal":  # one block per level asked (高级技师和技师鉴定补贴)
                asked: list[str | None] = [*q.all_levels()] or [None]
                blocks += [a.appraisal(level) for level in asked]
                if "shortage" in q.intents:  # 紧缺工种的鉴定补贴也上浮吗: the notice does not say
                    blocks[-1].lines.append(
                        "通知第一条只规定紧缺型职业（工种）技师及以上的补贴标准提高10%，"
                        "没有说明职业技能鉴定补贴是否上浮"
                    )
                continue
            block = self._policy_block(intent, q)
            if block:
                blocks.append(block)
        if not q.targets and not policy:
            for intent in target_intents:
                block = self._general_block(intent, q)
                if block:
                    blocks.append(block)
        return blocks

    def _target_block(self, key: str, intent: str, q: Query, level: str | None) -> Block:
        a = self.a
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
                block.lines += [f"补贴：{sub.headline.split('：', 1)[-1]}", *sub.lines]
                block.source = "附件1；附件5"
            return block
        block = a.subsidy(key, level)
        e = self.k.by_key.get(key)
        if e and level is None and e.code not in block.headline:
            block.lines.insert(0, f"编码 {e.code}")
        return block

    def _policy_block(self, intent: str, q: Query) -> Block | None:
        a = self.a
        if intent == "categories" and q.category and "subsidy" in q.intents:
            return a.bases_overview(q.level, q.category)  # C类合格证补贴
        if intent == "categories" and q.category and "hours" in q.intents:
            return a.hours_overview(q.all_levels())  # A类初级最低多少课时
        simple = {
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
            "offline": "special_offline",
        }
        if intent in simple:
            return a.clause(simple[intent])
        if intent == "claims":
            return a.claims(q.used_claims, q.asked_count)
        if intent == "uncovered":
            words = [w for w, i in self.lexicon.intents if i == "uncovered" and w in q.text]
            return a.uncovered(words[0] if words else "这项补贴")
        if intent == "institution":
            return a.institutions(q.stars)
        if intent == "notice":
            return a.notice()
        if intent == "special":
            return a.special_overview()
        if intent == "certificate":
            if q.category:  # 生活服务类的培训合格证书: the 合格 row of that category
                return a.bases_overview("PASS", q.category)
            return a.certificate_overview()
        if intent == "class_hour":
            return a.class_hour(q.minutes)
        if intent == "practical":
            extra = []
            if q.total_hours:
                extra.append(
                    f"总 {q.total_hours} 课时，实操不少于 "
                    f"{min_practical_hours(q.total_hours, int(a.p['practical_min_percent']))} 课时"
                )
            return a.clause("practical", extra)
        if intent == "marks":
            return a.marks()
        if intent == "appraisal":
            return a.appraisal(q.level)
        if intent == "entrepreneurship":
            if "local" in q.code_notes.values() or "个性化" in q.text or "地方" in q.text:
                return a.local_code(None, q.city, q.ordinal)
            return a.entrepreneurship_overview()
        if intent == "silent":  # 怎么报名 / 什么时候到账: not in the notice — say so, do not guess
            contacts = a.k.clause("contacts")["text"]
            return Block(
                "通知没有规定这一点",
                [
                    "本通知只规定补贴项目、标准、目录和相关要求，没有写报名、申领流程、材料、"
                    "发放时间或机构名单",
                    "请咨询当地人力资源社会保障部门",
                    f"通知的{contacts}",
                ],
                "淮人社发〔2024〕22号",
            )
        if intent == "thanks":
            return Block("不客气！还有问题可以随时问我。")
        if intent in ("help", "greeting"):
            return Block("您好！" if intent == "greeting" else "可以这样问：", self._help_lines())
        return None

    def _general_block(self, intent: str, q: Query) -> Block | None:
        a = self.a
        if intent == "shortage":
            listed = len({e.code for e in self.k.entries if e.shortage})
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
                pct = int(a.p["online_max_percent"])
                extra.append(
                    f"总 {q.total_hours} 课时时，"
                    f"线上最多 {max_online_hours(q.total_hours, pct)} 课时"
                )
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

    def _clauses_about(self, words: list[str]) -> list[str]:
        """Clauses of the notice that use the question's own words (人脸识别, 挂课, 公示…)."""
        scores: dict[str, int] = {}
        synonyms = self.lexicon.clause_words
        words = [w for w in words if len(w) >= 2]
        # 找人代考 → 替考: the notice's own word for what the question calls it
        notice_words = {w: [v for k, v in synonyms.items() if k in w] for w in words}
        for clause_id, clause in self.k.rules["clauses"].items():
            text = clause["text"]
            found = [w for w in words if w in text]
            translated = [
                w for w in words if w not in found and any(v in text for v in notice_words[w])
            ]
            # most of the question's words, or a long one or a translated one, must be the clause's
            hits = len(found) + len(translated)
            covered = hits * 2 > len(words) or (
                hits * 2 == len(words)
                and (bool(translated) or max(map(len, found), default=0) >= 4)
            )
            if covered and hits:
                scores[clause_id] = sum(len(w) for w in found) + 3 * len(translated)
        best = sorted(scores, key=lambda c: -scores[c])
        return [c for c in best[:2] if scores[c] * 2 >= scores[best[0]]]

    def _fuzzy(
        self, words: list[str], *, listed: bool = True, occupation: bool = True
    ) -> tuple[str, str] | Reply:
        """Answer for the closest entry when it is clearly a typo; otherwise say "未找到".

        ``listed=False``: the phrase is known not to be in the catalogue (宠物美容师).
        """
        phrase = "".join(words)
        if not listed:
            return self._not_found(phrase, self.index.fuzzy(phrase, loose=True))
        if not occupation:
            return self._not_found(phrase, self.index.fuzzy(phrase), occupation=False)
        fixed = phrase[:-1] + self.lexicon.typo_suffixes.get(phrase[-1:], phrase[-1:])
        found = self.index.terms.get(fixed) if fixed != phrase else None
        if found and len(found[0]) == 1:  # 炼钢公 → 炼钢工: a same-sounding last character
            key = found[0][0]
            return key, f"目录中没有「{phrase}」，按「{self.a.label(key)}」回答"
        whole = self.index.fuzzy(phrase)
        if whole and len(phrase) >= 3:
            _, score, keys = whole[0]
            runner = next((s for _, s, ks in whole[1:] if ks != keys), 0.0)
            if score >= ACCEPT_SCORE and score - runner >= ACCEPT_MARGIN and len(keys) == 1:
                return keys[
                    0
                ], f"目录中没有「{phrase}」，按最接近的「{self.a.label(keys[0])}」回答"
        best = list(whole) + self.index.fuzzy(phrase, loose=True)
        for word in words:
            if word != phrase and len(word) >= 2:
                best += self.index.fuzzy(word)
        return self._not_found(phrase, best)

    def _not_found(
        self,
        phrase: str,
        best: list[tuple[str, float, tuple[str, ...]]],
        *,
        occupation: bool = True,
    ) -> Reply:
        best = sorted((r for r in best if NOT_LISTED not in r[2]), key=lambda r: -r[1])
        suggestions: list[str] = []
        for _, score, keys in best:
            for key in keys:
                if score >= SUGGEST_SCORE and key not in suggestions:
                    suggestions.append(key)
        if occupation:
            headline = f"未找到「{phrase}」"
            lines = [
                "《淮安市2024年政府补贴性职业技能培训职业（工种）指导目录》（附件2）中没有收录它，"
                "无法给出补贴标准，请核对名称或咨询当地人社部门"
            ]
        else:  # 补贴打到哪张卡: not a job — the notice simply does not say
            headline = f"未找到关于「{phrase}」的规定"
            lines = [
                "本通知（含附件目录）没有写到这一点；请咨询当地人力资源社会保障部门",
                "通知的" + self.k.clause("contacts")["text"],
            ]
        if suggestions:
            lines.append("最接近的条目：" + "、".join(self.a.label(k) for k in suggestions[:3]))
        return Reply(
            [Block(headline, lines, "附件2" if occupation else "淮人社发〔2024〕22号")],
            choices=[Choice(self.a.label(k)[:30], _pick(k, [], None)) for k in suggestions[:3]],
            understood=False,
        )

    def _ask_which(self, term: str, keys: tuple[str, ...], q: Query, ctx: Conversation) -> Reply:
        new_ctx = self._with_choices(replace(ctx, subjects=[]), term, keys, q)
        return Reply(
            [self._which_block(term, keys)],
            choices=[Choice(self.a.label(k)[:30], _pick(k, q.intents, q.level)) for k in keys[:8]],
            conversation=new_ctx,
        )

    @staticmethod
    def _confirm(claimed: int, headline: str) -> str:
        """Yes or no to 焊工技师是3850吗, from the figure the answer gives."""
        m = re.search(r"([0-9]+) 元", headline)
        if m is None:
            return f"通知没有给出 {claimed} 元这个数，见下"
        if int(m.group(1)) == claimed:
            return f"是的，是 {claimed} 元"
        return f"不是 {claimed} 元，是 {m.group(1)} 元"

    def _applies(self, intent: str, key: str) -> bool:
        """Whether an inherited topic makes sense for a new target (紧缺 is for occupations)."""
        if intent in ("shortage", "transition"):
            e = self.k.by_key.get(key)
            return e is not None and e.kind == "qualification"
        return True

    def _taken(self, q: Query) -> list[str]:
        """Programmes named in attendance order (先上SYB再上GYB), remembered for follow-ups."""
        programmes = [k for k in q.targets if k in self.a.programmes or k == "cy:B"]
        return programmes if len(programmes) >= 2 and _ORDER_WORDS.search(q.text) else []

    def _which_block(self, term: str, keys: tuple[str, ...]) -> Block:
        lines = []
        for n, key in enumerate(keys[:8], 1):
            e = self.k.by_key.get(key)
            lines.append(f"{n}. " + (self.a.describe(e) if e else self.a.label(key)))
        return Block(
            f"「{term}」对应目录中多个条目，答案不同，请选择（回复序号或名称）：", lines, "附件2"
        )

    @staticmethod
    def _with_choices(
        conv: Conversation, term: str, keys: tuple[str, ...], q: Query
    ) -> Conversation:
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

    def _conversation(self, data: object) -> Conversation:
        """A conversation from storage or a caller, with every entry key checked."""
        conv = Conversation.from_dict(data, topics=TARGET_INTENTS, policy=POLICY_INTENTS)
        conv.subjects = [k for k in conv.subjects if self._valid_key(k)]
        conv.choices = [k for k in conv.choices if self._valid_key(k)]
        conv.listed = [k for k in conv.listed if self._valid_key(k)]
        return conv

    def _picked(self, text: str, ctx: Conversation) -> str | None:
        """A reply naming one of the offered choices: its number, or part of one label only."""
        choices = ctx.choices
        if not choices or not text:
            return None
        if text.isdigit():
            n = int(text)
            return choices[n - 1] if 1 <= n <= len(choices) else None
        named = [k for k in choices if text in self.a.label(k).casefold()]
        return named[0] if len(named) == 1 and len(text) >= 2 else None

    def _level_choices(self, q: Query, intents: list[str]) -> list[Choice]:
        if (
            q.level
            or len(q.targets) != 1
            or not set(intents or ["summary"]) & {"subsidy", "summary", "hours"}
        ):
            return []
        e = self.k.by_key.get(q.targets[0])
        if not e or e.kind != "qualification":
            return []
        return [
            Choice(self.a.levels[lv].split("（")[0], _pick(q.targets[0], intents, lv, verb="lv"))
            for lv in ("L1", "L2", "L3", "L4", "L5")
        ]


_KIND_WORDS = ("special", "certificate", "thanks", "greeting")
SMALLTALK_PATH = Path(__file__).resolve().parent / "data" / "smalltalk.yaml"


def _load_smalltalk() -> dict[str, dict[str, Any]]:
    """Replies to small talk, by intent (nlp/data/smalltalk.yaml)."""
    with open(SMALLTALK_PATH, encoding="utf-8") as fh:
        data: dict[str, dict[str, Any]] = yaml.safe_load(fh)
    return data


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


def _looks_like_occupation(phrase: str) -> bool:
    """宇航员, 木匠, 入殓师 name jobs; 到账, 人脸识别 do not."""
    if phrase.endswith(("人员", "人士")):  # 退休人员, 外地人员: people, not a job title
        return False
    return phrase.endswith(_JOB_ENDINGS) or bool(re.search(r"[a-z]", phrase))


def _pick(key: str, intents: list[str], level: str | None, verb: str = "pick") -> str:
    """A button payload that answers by itself: ``pick:q151|s|L2`` (entry, topics, level)."""
    codes = "".join(_CODE_OF[i] for i in intents if i in _CODE_OF)
    return f"{verb}:{key}|{codes}|{level or ''}"


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


def _wants_local(q: Query) -> bool:
    """A question about 附件5's local codes (JCB + city + sequence)."""
    return (
        bool({"code", "entrepreneurship"} & set(q.intents))
        or "个性化" in q.text
        or (q.city is not None and "JCB" in q.targets)
    )


_ENGINE: Engine | None = None
_ENGINE_LOCK = threading.Lock()


def get_engine() -> Engine:
    """The process-wide engine: every packaged year plus those in SKILLBOT_DATA, loaded once."""
    global _ENGINE
    if _ENGINE is None:
        with _ENGINE_LOCK:
            if _ENGINE is None:
                _ENGINE = Engine(policies=load_all(data_dirs_from_env(os.environ)))
    return _ENGINE
