"""Subsidy amounts: a base from 附件1 and the shortage uplift of 通知第一条.

Every rate is an argument: the notice's figures live in ``knowledge/data/<year>/``, never here.

>>> subsidy_for(3500, "L2", shortage=True, percent=10, uplift_levels=("L1", "L2")).amount
Decimal('3850')
>>> subsidy_for(2000, "L3", shortage=True, percent=10, uplift_levels=("L1", "L2")).amount
Decimal('2000')
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from calculator.exceptions import CalculatorError, InvalidLevel

LEVELS = ("L1", "L2", "L3", "L4", "L5", "PASS")


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
    percent: int,
    uplift_levels: tuple[str, ...],
) -> Subsidy:
    """Subsidy for one level: the base, raised by ``percent`` for shortage occupations at the
    ``uplift_levels`` (通知第一条: the shortage uplift at 技师 and above)."""
    if level not in LEVELS:
        raise InvalidLevel(f"unknown level {level!r}")
    if unknown := [lv for lv in uplift_levels if lv not in LEVELS]:
        raise InvalidLevel(f"unknown uplift levels {unknown!r}")
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


def remaining_claims(used: int, limit: int) -> int:
    """Training subsidies still claimable this year, of at most ``limit`` (通知第一条: 3 a year).

    >>> remaining_claims(2, 3)
    1
    """
    if used < 0 or limit < 0:
        raise CalculatorError("claims used and the limit cannot be negative")
    return max(0, limit - used)
