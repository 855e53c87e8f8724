"""Fixtures of the nlp tests: the engine's term index, jieba for reference, small dictionaries,
and a next-year data folder."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from knowledge.catalogue import DATA_DIR
from nlp.engine import Engine
from nlp.terms import TermIndex


@pytest.fixture(scope="module")
def index(engine: Engine) -> TermIndex:
    return engine.index


@pytest.fixture(scope="module")
def full(index: TermIndex) -> Any:
    """The reference: jieba loading its whole dictionary, with the same user words."""
    return index.build_tokenizer(full=True)


SMALL = "补贴 300 n\n补 50 v\n焊工 20 n\n焊工技师 8\n贴 3 v\n补贴 400 n\nAT&T 3 nz\n"


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "dict.txt"
    path.write_text(SMALL, encoding="utf-8")
    return path


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
