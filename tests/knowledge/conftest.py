"""Fixtures of the knowledge tests: the 2024 data and, for the golden checks, the notice itself."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge.catalogue import DATA_DIR, Knowledge, load

SEED = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "seed"
    / "huaian-2024-subsidised-training-notice.txt"
)
SEED_MISSING = "../shared/seed not present: golden checks against the notice skipped"


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load("2024")


def read_seed(path: Path = SEED) -> str:
    """The notice's text, or a skip saying why the golden checks did not run."""
    if not path.is_file():
        pytest.skip(SEED_MISSING)
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_text() -> str:
    """The notice (development and CI only): every golden check against it skips without it."""
    return read_seed()


@pytest.fixture()
def data_copy(tmp_path):
    folder = tmp_path / "2024"
    shutil.copytree(DATA_DIR / "2024", folder)
    return folder
