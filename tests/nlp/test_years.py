"""Next year is a folder: a copy of 2024's data renamed 2025 with one base changed, given through
SKILLBOT_DATA, answers 2025 questions from its own figures and 2024 questions from 2024's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.render import as_text
from knowledge.policies import load_all
from nlp.engine import Engine


def test_each_year_answers_from_its_own_figures(data_2025: Path) -> None:
    engine = Engine(policies=load_all([data_2025]))
    assert engine.k.year == "2025"  # the newest year is the default
    assert "3960" in as_text(engine.answer("焊工技师补贴多少"))  # 3600 + 10 %
    assert "3960" in as_text(engine.answer("2025年焊工技师补贴"))
    answer = as_text(engine.answer("2024年焊工技师补贴"))
    assert "3850" in answer and "3960" not in answer
    unloaded = as_text(engine.answer("2023年焊工技师补贴"))
    assert "3850" not in unloaded and "3960" not in unloaded and "2023" in unloaded


@pytest.mark.parametrize(
    "question,figure", [("2025年焊工技师补贴", "3960"), ("2024年焊工技师补贴", "3850")]
)
def test_skillbot_data_reaches_the_command_line(
    data_2025: Path, question: str, figure: str
) -> None:
    env = {**os.environ, "SKILLBOT_DATA": str(data_2025)}
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", question],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    ).stdout
    assert figure in out
