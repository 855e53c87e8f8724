"""Next year is a folder: a copy of 2024's data renamed 2025 with one base changed, given through
SKILLBOT_DATA, answers 2025 questions from its own figures and 2024 questions from 2024's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge.catalogue import DATA_DIR
from knowledge.policies import load_all
from nlp.engine import Engine


@pytest.fixture(scope="module")
def data_2025(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("extra")
    folder = root / "2025"
    shutil.copytree(DATA_DIR / "2024", folder)
    bases = folder / "subsidy_bases.yaml"
    text = bases.read_text(encoding="utf-8")
    assert "L2: [3500, 56]" in text
    bases.write_text(text.replace("L2: [3500, 56]", "L2: [3600, 56]", 1), encoding="utf-8")
    rules = folder / "rules.yaml"
    rules.write_text(
        rules.read_text(encoding="utf-8").replace("year: 2024", "year: 2025", 1), encoding="utf-8"
    )
    return root


def test_each_year_answers_from_its_own_figures(data_2025: Path) -> None:
    engine = Engine(policies=load_all([data_2025]))
    assert engine.k.year == "2025"  # the newest year is the default
    assert "3960" in engine.answer("焊工技师补贴多少").text()  # 3600 + 10 %
    assert "3960" in engine.answer("2025年焊工技师补贴").text()
    answer = engine.answer("2024年焊工技师补贴").text()
    assert "3850" in answer and "3960" not in answer
    unloaded = engine.answer("2023年焊工技师补贴").text()
    assert "3850" not in unloaded and "3960" not in unloaded and "2023" in unloaded


def test_skillbot_data_reaches_the_command_line(data_2025: Path) -> None:
    env = {**os.environ, "SKILLBOT_DATA": str(data_2025)}
    script = "from bot.cli import main; main()"
    out = subprocess.run(
        [sys.executable, "-c", script, "ask", "2025年焊工技师补贴"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    ).stdout
    assert "3960" in out
    out = subprocess.run(
        [sys.executable, "-c", script, "ask", "2024年焊工技师补贴"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    ).stdout
    assert "3850" in out
