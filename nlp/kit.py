"""What every stage of the pipeline works with: one policy year's knowledge, the lexicon, the
term index, the answer composer — and :class:`Turn`, one message on its way through the stages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.catalogue import Knowledge
from nlp.compose import Answers
from nlp.conversation import Conversation
from nlp.lexicon import Lexicon
from nlp.understand import TARGET_INTENTS, Query

# Intents answered without an entry (the notice's clauses, small talk …).
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
    "human",
    "human_end",
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
    "ack",
)
SMALLTALK_PATH = Path(__file__).resolve().parent / "data" / "smalltalk.yaml"
_CODE_OF = {
    "subsidy": "s",
    "hours": "h",
    "online": "o",
    "code": "c",
    "shortage": "x",
    "transition": "t",
}
INTENT_OF = {v: k for k, v in _CODE_OF.items()}


@dataclass
class Kit:
    """The resources of one policy year, shared by the stages."""

    k: Knowledge
    lexicon: Lexicon
    index: Any  # nlp.terms.TermIndex
    a: Answers
    smalltalk: dict[str, dict[str, Any]]

    def valid_key(self, key: str) -> bool:
        """Whether ``key`` names something this year's knowledge can answer."""
        return (
            key in self.k.by_key
            or key in self.a.programmes
            or key == "cy:B"
            or (key.startswith("o:") and key[2:] in self.k.bases["other"])
        )

    def is_programme(self, key: str) -> bool:
        """An entrepreneurship programme (附件5) rather than a catalogue entry."""
        return key in self.a.programmes or key == "cy:B"

    def help_lines(self) -> list[str]:
        """What can be asked, with examples."""
        return [
            "· 补贴标准：焊工考技师能补多少？/ 钳工补贴多少",
            "· 最低课时和线上比例：茶艺师可以线上培训吗？/ 车工中级最少多少课时",
            "· 编码：车工的职业编码 / 4-03-02-07是什么工种 / GYB编码",
            "· 紧缺工种与上浮：车工是紧缺工种吗？",
            "· 新旧名称编码对照：评茶员现在叫什么 / 旧编码6209900",
            "· 目录：附件2第100项是什么 / 带星号的工种有哪些 / 专项能力一共多少个",
            "· 鉴定补贴、创业培训、每年申领次数等政策",
            "可以接着追问，例如“那三级呢”“这个是紧缺的吗”“第一个的编码”。",
        ]


@dataclass
class Turn:
    """One message on its way through the stages: what it asks, the conversation before it,
    and what the stages have decided so far."""

    q: Query
    conv: Conversation
    notes: list[str] = field(default_factory=list)  # said before the answer (what was assumed)
    asks: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # names to choose for

    @property
    def topics(self) -> list[str]:
        """What is asked about the entries (subsidy, hours …)."""
        return [i for i in self.q.intents if i in TARGET_INTENTS]

    @property
    def policy(self) -> list[str]:
        """What is asked that needs no entry."""
        return [i for i in self.q.intents if i in POLICY_INTENTS]


def payload(key: str, intents: list[str], level: str | None, verb: str = "pick") -> str:
    """A button payload that answers by itself: ``pick:q6180204|s|L2`` (entry, topics, level)."""
    codes = "".join(_CODE_OF[i] for i in intents if i in _CODE_OF)
    return f"{verb}:{key}|{codes}|{level or ''}"


def load_smalltalk(path: Path = SMALLTALK_PATH) -> dict[str, dict[str, Any]]:
    """Replies to small talk, by intent (nlp/data/smalltalk.yaml)."""
    with open(path, encoding="utf-8") as fh:
        data: dict[str, dict[str, Any]] = yaml.safe_load(fh)
    return data
