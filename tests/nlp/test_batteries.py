"""Question batteries, one file per class of question (tests/nlp/batteries/*.jsonl).

Each was written from the notice alone, by someone who had not read the engine, in the format of
the dev set: ``q`` or ``turns`` (one conversation; the last answer is scored), ``expect`` (groups:
every group must match, any alternative in a group will do) and ``forbid``.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from nlp.conversation import Conversation
from nlp.engine import Engine

BATTERIES = Path(__file__).resolve().parent / "batteries"


def _cases() -> list[pytest.ParameterSet]:
    cases = []
    for path in sorted(BATTERIES.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                cases.append(pytest.param(case, id=f"{path.stem}:{case['id']}"))
    return cases


def _normalise(text: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return re.sub(r"(?<=\d)[,，](?=\d{3})", "", text).casefold()


def answer_of(engine: Engine, case: dict) -> str:
    """The last answer of the case's conversation, as the scorer reads it."""
    conversation = Conversation()
    text = ""
    for message in case.get("turns") or [case["q"]]:
        reply = engine.answer(message, conversation)
        conversation = reply.conversation
        text = reply.text()
    return _normalise(text)


@pytest.mark.parametrize("case", _cases())
def test_battery(engine: Engine, case: dict) -> None:
    answer = answer_of(engine, case)
    missing = [g for g in case["expect"] if not any(_normalise(alt) in answer for alt in g)]
    present = [f for f in case.get("forbid", []) if _normalise(f) in answer]
    assert not missing and not present, f"missing {missing}, forbidden {present}:\n{answer}"
