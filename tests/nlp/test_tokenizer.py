"""The fuzzy path's jieba tokenizer (nlp/terms.py): jieba's dictionary looked up in its sorted
file rather than loaded.  Every catalogue term and lexicon word stays one token, questions are
segmented exactly as jieba segments them with its dictionary loaded, and the sorted file is
made once, reused, remade when it does not fit, and optional."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from nlp import terms
from nlp.engine import Engine
from nlp.terms import Frequencies, SortedDictionary, TermIndex

# what jieba segments as one block (re_han_default): a term with brackets or spaces cannot be
# one token whatever the dictionary, and is matched exactly, never through jieba
ONE_BLOCK = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+")

QUESTIONS = [
    "宇航员补贴多少",
    "焊工考技师能补多少？",
    "我想考个茶亿师的高级证 能补多少钱啊",
    "我在厂里干了十来年电汗工了 想考个高级技师 国家能补多少",
    "插车司机技师证补贴多少 我开了五年叉车了",
    "养老户理员技师补贴是多少",
    "拍卖师技师补多少",
    "潜水员有没有补贴 我在水利上班",
    "网约配送员 中级 补贴标准是什么",
    "会计证补贴多少",
    "gps导航补贴多少",
    "先上syb再上gyb 行吗",
    "退役军人参加培训有没有额外补贴",
    "培训合格证书不分等级",
]
# words, rarer words, prefixes of words and non-words
WORDS = ("补贴", "多少", "宇航员", "拍卖师", "会计证", "退役军人", "焊工", "退役军", "焊x")


def test_catalogue_terms_and_lexicon_words_are_one_token(index: TermIndex) -> None:
    words = [
        *index.terms,
        *(w for w, _ in index.lexicon.levels),
        *(w for w, _ in index.lexicon.intents),
    ]
    checked = [w for w in words if ONE_BLOCK.fullmatch(w)]
    assert len(checked) > 1000
    split = {w: index.tokenizer.lcut(w) for w in checked if index.tokenizer.lcut(w) != [w]}
    assert not split


def test_scores_as_jieba_does(index: TermIndex, full: Any) -> None:
    """Same total frequency; words, prefixes and non-words as in jieba's own table."""
    tok = index.tokenizer
    assert isinstance(tok.FREQ, Frequencies)
    assert tok.total == full.total
    for word in WORDS:
        assert tok.FREQ.get(word) == full.FREQ.get(word), word
        assert (word in tok.FREQ) == (word in full.FREQ), word


@pytest.mark.parametrize("question", QUESTIONS)
def test_questions_segment_as_with_the_full_dictionary(
    index: TermIndex, full: Any, question: str
) -> None:
    text = question.casefold()
    assert index.tokenizer.lcut(text) == full.lcut(text)
    assert index.tokenizer.lcut(text, HMM=False) == full.lcut(text, HMM=False)
    ours = index.content_words(text), index.word_boundaries(text)
    reference = index.tokenizer
    try:
        index._tokenizer = full
        assert ours == (index.content_words(text), index.word_boundaries(text))
    finally:
        index._tokenizer = reference


def test_an_exactly_named_entry_does_not_load_the_tokenizer(engine: Engine) -> None:
    fresh = Engine(engine.k, engine.policies)
    for question in ("焊工技师补贴多少", "模具工高级技师能补多少钱", "叉车司机补贴"):
        assert fresh.answer(question).understood
    assert fresh.index._tokenizer is None


def test_pkg_resources_is_not_left_blocked(index: TermIndex) -> None:
    index.tokenizer  # noqa: B018 — jieba imported
    assert sys.modules.get("pkg_resources", "absent") is not None


# ----- the sorted file, on a small dictionary ----------------------------------------------------
def test_sorted_dictionary_answers_as_jiebas_table(small: Path) -> None:
    words = SortedDictionary(SortedDictionary.build(small), small)
    assert words.total == 300 + 50 + 20 + 8 + 3 + 400 + 3  # every line, as jieba counts
    assert words.find("补贴") == 400  # listed twice: the last frequency
    assert words.find("焊工") == 20
    assert words.find("焊工技") == 0  # a prefix of a word
    assert words.find("焊") == 0
    assert words.find("AT&T") == 3
    assert words.find("AT") == 0
    assert words.find("贴补") is None
    assert words.find("焊工技师们") is None
    assert words.find("齉") is None  # after the last word
    freq = Frequencies(words)
    freq["焊工技师们"] = 5  # a user word
    assert "焊工技师们" in freq and freq["焊工技师们"] == 5
    assert freq.get("贴补", 1) == 1
    with pytest.raises(KeyError):
        freq["贴补"]


def test_sorted_file_is_made_once_and_reused(small: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = terms._sorted_dictionary.__wrapped__(small, cache)
    (made,) = cache.iterdir()
    assert made.read_bytes() == first.data
    made.write_bytes(made.read_bytes()[:-1])  # cut short: made again
    again = terms._sorted_dictionary.__wrapped__(small, cache)
    assert again.data == first.data and made.read_bytes() == first.data
    small.write_text(
        small.read_text(encoding="utf-8") + "焊 7\n", encoding="utf-8"
    )  # another file
    changed = terms._sorted_dictionary.__wrapped__(small, cache)
    assert changed.find("焊") == 7 and len(list(cache.iterdir())) == 2


def test_sorted_file_is_optional(small: Path, tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    words = terms._sorted_dictionary.__wrapped__(small, not_a_dir)
    assert words.find("补贴") == 400
