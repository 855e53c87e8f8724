"""Entrepreneurship training order (通知第三条): low to high, a lower class after a higher one is
not subsidised, and each class is subsidised once.

>>> eligible(["D"], "B").subsidised
False
"""

from __future__ import annotations

from dataclasses import dataclass

from calculator.exceptions import CalculatorError

ORDER = ("A", "B", "C", "D")


@dataclass(frozen=True)
class Eligibility:
    """Whether the next class is subsidised, and why."""

    subsidised: bool
    reason: str


def eligible(taken: list[str], next_category: str) -> Eligibility:
    """Decide whether ``next_category`` is subsidised after the classes already ``taken``."""
    for cat in [*taken, next_category]:
        if cat not in ORDER:
            raise CalculatorError(f"unknown entrepreneurship category {cat!r}")
    if next_category in taken:
        return Eligibility(False, "same_category")
    if any(ORDER.index(t) > ORDER.index(next_category) for t in taken):
        return Eligibility(False, "lower_after_higher")
    return Eligibility(True, "ok")
