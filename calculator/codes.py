"""Codes in every form the notice uses, normalised; and entrepreneurship codes (附件5).

>>> occupation_code("6180204")
'6-18-02-04'
>>> entrepreneurship_code(8, 1)
'JCB08-01'
"""

from __future__ import annotations

import re

from calculator.exceptions import InvalidCode

OCCUPATION = re.compile(
    r"(?<![\d.])(\d)(?:-| +|\.)(\d{2})(?:-| +|\.)(\d{2})(?:-| +|\.)(\d{2})(?![\d.])"
)
COMPACT = re.compile(r"(?<![\dA-Za-z])(\d{7}|\d{9}|\d{10}|A\d{9})(?!\d)", re.IGNORECASE)
ENTREPRENEURSHIP = re.compile(r"JC(?:A|B\d{2}-\d{2}|B|CW|CM|DI|DE)(?![A-Z])", re.IGNORECASE)


def occupation_code(text: str) -> str:
    """Return the dashed form of a 7-digit or dashed occupation code."""
    m = re.fullmatch(r"(\d)-?(\d{2})-?(\d{2})-?(\d{2})", text.strip())
    if not m:
        raise InvalidCode(f"not an occupation code: {text!r}")
    return "-".join(m.groups())


def compact(code: str) -> str:
    """Return the 7-digit form of a dashed occupation code (as 附件4 writes it)."""
    return occupation_code(code).replace("-", "")


def find_code_spans(text: str) -> list[tuple[int, int, str]]:
    """Every code in ``text`` (NFKC-normalised) as (start, end, normalised code), in order."""
    found = [(m.start(), m.end(), "-".join(m.groups())) for m in OCCUPATION.finditer(text)]
    masked = OCCUPATION.sub(lambda m: " " * len(m.group()), text)
    found += [(m.start(), m.end(), m.group(1).upper()) for m in COMPACT.finditer(masked)]
    found += [(m.start(), m.end(), m.group().upper()) for m in ENTREPRENEURSHIP.finditer(masked)]
    return sorted(found)


def find_codes(text: str) -> list[str]:
    """Every code in ``text``, normalised, in order: 6 18 02 04 → 6-18-02-04, a407990200 → A…"""
    return [code for _, _, code in find_code_spans(text)]


def entrepreneurship_code(city: int, seq: int, prefix: str = "JCB") -> str:
    """Local personalised entrepreneurship project code: JCB + city code + sequence (附件5)."""
    if not 1 <= city <= 99 or not 1 <= seq <= 99:
        raise InvalidCode("city code and sequence must be between 1 and 99")
    return f"{prefix}{city:02d}-{seq:02d}"
