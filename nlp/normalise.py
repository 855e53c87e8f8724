"""Clean user text before any parsing: cut to a sane length, drop control characters, NFKC
(full-width digits and letters), one kind of dash, traditional -> simplified (OpenCC)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MAX_CHARS = 500  # a question is short; a Telegram message is at most 4096 characters
_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]"
)
# Zero-width characters join what is around them (焊\u200b工 is 焊工), the other controls part it.
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
_DASHES = re.compile(r"[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
_SPACES = re.compile(r"\s+")
_FINANCIAL = str.maketrans("壹贰叁肆伍陆柒捌玖", "一二三四五六七八九")  # 叁级 is 三级
_CN_YEAR = re.compile(r"([〇零一二三四五六七八九]{4})(?=年)")  # 二〇二三年 is 2023年
_UNIT_GAP = re.compile(r"(?<=[0-9一二三四五])\s+(?=级)")  # 焊工 2 级 → 焊工 2级


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def normalise(text: object) -> str:
    """Return the text a question is understood from (never raises on odd input)."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = text[: MAX_CHARS * 2]
    text = _CONTROL.sub(" ", _ZERO_WIDTH.sub("", text))
    text = unicodedata.normalize("NFKC", text)
    text = _DASHES.sub("-", text)
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates
    if _has_cjk(text):
        text = str(_t2s().convert(text))
    text = text.translate(_FINANCIAL)
    text = _CN_YEAR.sub(lambda m: "".join(str(_CN_DIGITS[ch]) for ch in m.group(1)), text)
    text = _SPACES.sub(" ", text).strip()
    return _UNIT_GAP.sub("", text)[:MAX_CHARS]


_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def cn_number(token: str) -> int | None:
    """Parse 1..99 written in Arabic or Chinese numerals: '3', '十二', '二十一'.

    >>> cn_number("十二"), cn_number("21"), cn_number("二十一")
    (12, 21, 21)
    """
    if token.isdigit():
        return int(token)
    if not token or any(ch not in _CN_DIGITS and ch != "十" for ch in token):
        return None
    if "十" not in token:
        return _CN_DIGITS[token] if len(token) == 1 else None
    tens, _, ones = token.partition("十")
    t = _CN_DIGITS.get(tens, 0) if tens else 1
    o = _CN_DIGITS.get(ones, 0) if ones else 0
    return t * 10 + o
