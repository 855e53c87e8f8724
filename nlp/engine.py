"""The one answer engine used by the bot, inline mode and the CLI alike.

``Engine.answer(text, conversation)`` → :class:`~nlp.reply.Reply` (blocks, choices, and the
conversation after it).  A message goes through the pipeline once, each stage with one job:

    normalise → English → extract (exact → sound tiers) → classify
    → track (corrections, references) → resolve (ambiguity) → plan (small talk, navigation)
    → resolve (not listed, not found: character-fuzzy tier) → track (follow-ups, topics)
    → plan + compose (blocks) → track (remember)

A stage may answer by itself (a question back, 未找到, a list); otherwise it refines the
:class:`~nlp.kit.Turn` for the next.  Rendering is the channel's business.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from knowledge.catalogue import Knowledge
from knowledge.policies import Policies, data_dirs_from_env, load_all
from nlp import english, plan, resolve, track
from nlp import lexicon as lexicon_mod
from nlp.compose import Answers
from nlp.conversation import Conversation
from nlp.kit import INTENT_OF, POLICY_INTENTS, Kit, Turn, load_smalltalk, payload
from nlp.normalise import normalise
from nlp.reply import Block, Reply
from nlp.terms import TermIndex
from nlp.understand import TARGET_INTENTS, Query, parse

_PAYLOAD = re.compile(r"(pick|lv|ex):([0-9A-Za-z:|\-\u4e00-\u9fff]{1,50})")
# A deep link's start parameter that can name an entry: a catalogue or programme code.
_LINK_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z-]{1,31}")
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
# Intents a channel acts on itself (a person to talk to), answered by the engine without one.
CHANNEL_REQUESTS = ("human", "human_end")
Stage = Callable[[Kit, Turn], Reply | None]
# The stages in order; each either answers (returns a Reply) or refines the turn (returns None).
STAGES: tuple[Stage, ...] = (
    track.correct,  # 说错了，是三级
    track.refer_back,  # 这俩 / 第一个 / 上面第三个
    resolve.settle,  # a name of several entries: one answer, or ask
    resolve.ask_first,
    plan.small_talk,  # 你好 / 谢谢 / 彩票
    plan.navigate,  # 附件2第100项 / 带星号的有哪些 / 一共多少个
    resolve.not_listed,  # 宠物美容师
    track.continue_topics,  # 盐城呢 / 那中级呢
    resolve.unfound,  # typos, unknown jobs, the notice's own words, follow-ups
    track.inherit,  # 车工呢: the topic and level stay
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
        self.kit = Kit(self.k, self.lexicon, self.index, self.a, load_smalltalk())
        self.examples = list(EXAMPLES)
        self.english = english.load()
        # Latin words English must not drop: names (ps, cad, iyb) and programme codes (jccm)
        self._latin = self.index.latin_terms | {c.casefold() for c in self.a.programmes}

    def warm_up(self) -> None:
        """Load everything lazy (jieba, OpenCC, the sound table) now, so no user waits."""
        self.index.content_words("焊工")
        self.index.sound.scan("焊工")
        normalise("電焊工")

    # ----- public API -------------------------------------------------------------------------
    def answer(
        self,
        text: object,
        context: Conversation | dict[str, Any] | None = None,
        intent: str | None = None,
    ) -> Reply:
        """Answer one message, given the conversation; ``intent`` forces the topic (commands)."""
        conv = self._conversation(context)
        norm = self._read(text)
        if not norm:
            return Reply(
                [Block("请直接输入问题，例如：焊工考技师能补多少？", self.kit.help_lines())],
                understood=False,
                conversation=conv,
            )
        picked = self._picked(norm.casefold().strip(" 。.!！?？"), conv)
        if picked:  # "2" or "中式" after "面点师" offered 中式面点师 / 西式面点师
            return self.choose(payload(picked, conv.pending_topics, conv.pending_level), conv)
        q = parse(norm, self.k, self.lexicon, self.index)
        other = self._engine_for(q.years)
        if other is not None:  # 2025年焊工技师补贴: answered from 2025's notice when it is loaded
            return other.answer(text, conv, intent)
        if intent in TARGET_INTENTS or intent == "entrepreneurship":
            q.intents = [intent] + [i for i in q.intents if i != intent]
        return self._respond(q, conv)

    def choose(self, payload: str, context: Conversation | dict[str, Any] | None = None) -> Reply:
        """Answer a button press; the payload is untrusted."""
        conv = self._conversation(context)
        m = _PAYLOAD.fullmatch(payload or "") if isinstance(payload, str) else None
        if not m:
            return self._expired(conv)
        verb, arg = m.groups()
        if verb == "ex":
            idx = int(arg) if arg.isdigit() else -1
            if 0 <= idx < len(self.examples):
                return self.answer(self.examples[idx], conv)
        elif verb in ("pick", "lv"):
            # the payload carries everything it answers: an old button is not read against
            # whatever the chat asked since (按钮的内容自成一体)
            key, _, rest = arg.partition("|")
            codes, _, level = rest.partition("|")
            intents = [INTENT_OF[c] for c in codes if c in INTENT_OF]
            if self.kit.valid_key(key) and level in ("", *self.a.levels) and len(codes) <= 6:
                q = Query(text="", targets=[key], intents=intents, level=level or None)
                waiting = replace(conv, choices=[], choice_term="", pending_topics=[])
                return self._respond(q, replace(waiting, pending_level=None))
        return self._expired(conv)

    def inline(self, query: str, limit: int = 10) -> list[Card]:
        """Compact cards for inline mode: one per entry the query names, at most ``limit``.

        A query naming no entry gets the engine's whole answer as one card (a policy answer, or
        "未找到" with the closest entries — never a closest entry passed off as the answer).
        """
        norm = self._read(query)
        if not norm:
            return self._example_cards(limit)
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

            def asked(level: str | None, key: str = key) -> Reply:
                sub = Query(
                    text=q.text,
                    targets=[key],
                    intents=list(intents),
                    level=level,
                    level_marks=list(q.level_marks) if level else [],
                    total_hours=q.total_hours,
                )
                return self._respond(sub, Conversation())  # the stages change the query

            reply = asked(q.level)
            # The card shows every level (its description, the level asked).
            every = asked(None) if q.level and reply.understood else reply
            cards.append(
                Card(
                    id=key,
                    title=self.a.label(key),
                    description=reply.headline,
                    reply=every if every.understood else reply,
                )
            )
        return cards

    def _example_cards(self, limit: int) -> list[Card]:
        """Cards for an empty inline query: the example questions answered outright (not those
        answered with a question back)."""
        cards: list[Card] = []
        for index, example in enumerate(self.examples):
            if len(cards) == limit:
                break
            reply = self.answer(example)
            if not reply.understood or (reply.choices and not reply.about):
                continue
            cards.append(
                Card(id=f"ex{index}", title=example, description=reply.headline, reply=reply)
            )
        return cards

    def share_query(self, reply: Reply) -> str:
        """What an inline query should say to share ``reply``: the names of the entries it
        answers (a programme by its abbreviation), or "" when it answers none."""
        names = []
        for key in reply.about:
            programme = self.a.programmes.get(key)
            names.append(str(programme["abbr"] or key) if programme else self.a.label(key))
        return " ".join(dict.fromkeys(names))

    def link_code(self, key: str) -> str | None:
        """The code that opens entry ``key`` from a deep link (``start=6-18-02-04``,
        ``start=JCDI``), when the code names that entry alone."""
        if key in self.a.programmes:
            return key
        entry = self.k.by_key.get(key)
        if entry is None or len(self.k.by_code.get(entry.code, ())) != 1:
            return None
        return entry.code if _LINK_CODE.fullmatch(entry.code) else None

    def open_link(self, code: str) -> Reply | None:
        """The answer a deep link's code opens: a catalogue code's entry with every level, a
        programme's code and subsidy; ``None`` when ``code`` names nothing."""
        if not isinstance(code, str) or not _LINK_CODE.fullmatch(code):
            return None
        if code.upper() in self.a.programmes or code in self.k.by_code:
            reply = self.answer(code.upper())
            return reply if reply.understood else None
        return None

    def contacts_reply(self) -> Reply:
        """Whom the notice names for questions it does not answer (通知落款)."""
        clause = self.k.clause("contacts")
        return Reply([Block(clause["text"], source=clause["cite"])], intents=["contacts"])

    def teach(self, names: Mapping[str, str]) -> list[str]:
        """Answer the names staff taught (name → entry key) from now on, replacing any taught
        before; return those refused (an unknown key, or a name of the catalogue's own)."""
        valid = {name: (key,) for name, key in names.items() if self.kit.valid_key(key)}
        refused = [name for name in names if name not in valid]
        return refused + self.index.teach(valid)

    def can_teach(self, name: str) -> bool:
        """Whether ``name`` may be taught: two characters or more, and not a term of the
        catalogue's own (a name, sub-type, alias or legacy name)."""
        term = unicodedata.normalize("NFKC", name).strip().casefold()
        return len(term) >= 2 and term not in self.index.catalogue_terms

    def name_in(self, text: object) -> str:
        """The stretch of a message that could name an entry (what a missed question called
        it: 铁裁缝 of 铁裁缝补多少), else the whole normalised message."""
        norm = self._read(text)
        words = self.index.content_words(norm.casefold()) if norm else []
        return "".join(words) or norm

    def entries_named(self, text: str) -> list[str]:
        """The keys of the entries ``text`` names, read like a question (every candidate of an
        ambiguous name; empty when it names none)."""
        norm = self._read(text)
        if not norm:
            return []
        q = parse(norm, self.k, self.lexicon, self.index)
        keys = list(q.targets)
        for _, group in q.ambiguous:
            keys += [k for k in group if k not in keys]
        return [k for k in keys if self.kit.valid_key(k)]

    def requests(self, text: object) -> frozenset[str]:
        """The requests to the channel a message makes besides its question: ``human`` (转人工)
        and ``human_end`` (结束人工), from the lexicon's keywords."""
        spans = self.lexicon.keyword_spans(self._read(text).casefold())
        return frozenset(intent for *_, intent in spans if intent in CHANNEL_REQUESTS)

    def help_reply(self) -> Reply:
        """What can be asked."""
        head = f"我可以回答{self.k.subject}（{self.k.notice}）的问题："
        return Reply([Block(head, self.kit.help_lines(), self.k.notice)])

    # ----- internals -----------------------------------------------------------------------
    def _respond(self, q: Query, conv: Conversation) -> Reply:
        """Run the stages; the first that answers ends the run, else the plan answers."""
        sounded = [f"目录中没有「{w}」，按读音相同的「{t}」回答" for w, t in q.sounded]
        turn = Turn(q, conv, notes=sounded)
        for stage in STAGES:
            reply = stage(self.kit, turn)
            if reply is not None:
                return self._noted(reply, turn)
        reply = plan.answer(self.kit, turn)
        reply.conversation = self._conversation(reply.conversation)
        return self._noted(reply, turn)

    def _noted(self, reply: Reply, turn: Turn) -> Reply:
        """Say on ``reply`` what it answers: the stages leave the turn's targets and intents
        at what was answered (a follow-up's entry included; a question back has none)."""
        reply.intents = [*turn.topics, *turn.policy]  # what was answered, not helper words
        if reply.understood:
            reply.about = [k for k in turn.q.targets if self.kit.valid_key(k)]
        return reply

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
        return self.english.translate(normalise(text), keep=self._latin)

    @staticmethod
    def _expired(conv: Conversation) -> Reply:
        return Reply([Block("这个按钮已失效，请重新提问。")], understood=False, conversation=conv)

    def _conversation(self, data: object) -> Conversation:
        """A conversation from storage or a caller, with every entry key checked."""
        conv = Conversation.from_dict(data, topics=TARGET_INTENTS, policy=POLICY_INTENTS)
        for name in ("subjects", "choices", "listed", "mentioned", "taken"):
            setattr(conv, name, [k for k in getattr(conv, name) if self.kit.valid_key(k)])
        return conv

    def _picked(self, text: str, conv: Conversation) -> str | None:
        """A reply naming one of the offered choices: its number, or part of one label only."""
        choices = conv.choices
        if not choices or not text:
            return None
        if text.isdigit():
            n = int(text)
            return choices[n - 1] if 1 <= n <= len(choices) else None
        named = [k for k in choices if text in self.a.label(k).casefold()]
        return named[0] if len(named) == 1 and len(text) >= 2 else None


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
