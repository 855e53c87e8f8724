"""Subsidy amounts: a base from 附件1 and the shortage uplift of 通知第一条.

>>> subsidy_for(3500, "L2", shortage=True).amount
Decimal('3850')
>>> subsidy_for(2000, "L3", shortage=True).amount
Decimal('2000')
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from calculator.exceptions import CalculatorError, InvalidLevel

LEVELS = ("L1", "L2", "L3", "L4", "L5", "PASS")
UPLIFT_LEVELS = ("L1", "L2")  # 技师及以上（通知第一条）
UPLIFT_PERCENT = 10


@dataclass(frozen=True)
class Subsidy:
    """An amount with how it was reached."""

    base: int
    uplift_percent: int
    amount: Decimal

    @property
    def uplifted(self) -> bool:
        """Whether the shortage uplift applied."""
        return self.uplift_percent > 0


def uplift(base: int, percent: int) -> Decimal:
    """Return ``base`` raised by ``percent`` per cent, exactly (no float)."""
    if base < 0 or percent < 0:
        raise CalculatorError("base and percent must not be negative")
    return Decimal(base) * (100 + percent) / 100


def subsidy_for(
    base: int,
    level: str,
    *,
    shortage: bool,
    percent: int = UPLIFT_PERCENT,
    uplift_levels: tuple[str, ...] = UPLIFT_LEVELS,
) -> Subsidy:
    """Subsidy for one level: the base, raised for shortage occupations at 技师 and above."""
    if level not in LEVELS:
        raise InvalidLevel(f"unknown level {level!r}")
    applied = percent if shortage and level in uplift_levels else 0
    return Subsidy(base=base, uplift_percent=applied, amount=uplift(base, applied))


def yuan(amount: Decimal | int) -> str:
    """Format yuan without a spurious fraction: 3850, 3852.5.

    >>> yuan(Decimal('3850.0'))
    '3850'
    """
    d = Decimal(amount)
    return str(d.quantize(Decimal(1))) if d == d.to_integral_value() else str(d.normalize())


def appraisal_subsidy(table: dict[str, int], level: str) -> int:
    """职业技能鉴定补贴 for a level from 附件1's table (no 合格 row)."""
    if level not in table:
        raise InvalidLevel(f"附件1 gives no appraisal subsidy for {level!r}")
    return table[level]


def remaining_claims(used: int, limit: int = 3) -> int:
    """Training subsidies still claimable this year (通知第一条: at most 3 a year).

    >>> remaining_claims(2)
    1
    """
    if used < 0:
        raise CalculatorError("claims used cannot be negative")
    return max(0, limit - used)
