"""Class hours: online share (通知第四条), practical share and the 45-minute class hour
(附件1备注2).

>>> max_online_hours(56)
22
>>> min_practical_hours(56)
34
"""

from __future__ import annotations

from calculator.exceptions import InvalidHours

ONLINE_MAX_PERCENT = 40
PRACTICAL_MIN_PERCENT = 60
MINUTES_PER_CLASS_HOUR = 45


def _check(total: int) -> None:
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise InvalidHours(f"class hours must be a whole non-negative number, got {total!r}")


def max_online_hours(total: int, percent: int = ONLINE_MAX_PERCENT) -> int:
    """Most whole class hours that may be online without exceeding ``percent`` of ``total``."""
    _check(total)
    return total * percent // 100


def min_practical_hours(total: int, percent: int = PRACTICAL_MIN_PERCENT) -> int:
    """Fewest whole practical class hours reaching ``percent`` of ``total``."""
    _check(total)
    return -(-total * percent // 100)


def class_hours(minutes: int, per_hour: int = MINUTES_PER_CLASS_HOUR) -> int:
    """Whole class hours in ``minutes`` of training (45 minutes each).

    >>> class_hours(180)
    4
    """
    _check(minutes)
    return minutes // per_hour
