"""Class hours: online share (通知第四条), practical share and the class hour (附件1备注2).

Every rate is an argument: the notice's figures live in ``knowledge/data/<year>/rules.yaml``
(``parameters``), never here.

>>> max_online_hours(56, 40)
22
>>> min_practical_hours(56, 60)
34
"""

from __future__ import annotations

from calculator.exceptions import CalculatorError, InvalidHours


def _check(total: int) -> None:
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise InvalidHours(f"class hours must be a whole non-negative number, got {total!r}")


def _check_rate(name: str, value: int, minimum: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise CalculatorError(
            f"{name} must be a whole number of at least {minimum}, got {value!r}"
        )


def max_online_hours(total: int, percent: int) -> int:
    """Most whole class hours that may be online without exceeding ``percent`` of ``total``."""
    _check(total)
    _check_rate("percent", percent)
    return total * percent // 100


def min_practical_hours(total: int, percent: int) -> int:
    """Fewest whole practical class hours reaching ``percent`` of ``total``."""
    _check(total)
    _check_rate("percent", percent)
    return -(-total * percent // 100)


def class_hours(minutes: int, per_hour: int) -> int:
    """Whole class hours in ``minutes`` of training, ``per_hour`` minutes each.

    >>> class_hours(180, 45)
    4
    """
    _check(minutes)
    _check_rate("per_hour", per_hour, 1)
    return minutes // per_hour
