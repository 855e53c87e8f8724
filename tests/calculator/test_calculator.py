from decimal import Decimal

import pytest

import calculator.codes
import calculator.entrepreneurship
import calculator.hours
import calculator.subsidy
from calculator.codes import entrepreneurship_code, find_codes, occupation_code
from calculator.entrepreneurship import eligible
from calculator.exceptions import CalculatorError, InvalidCode, InvalidHours, InvalidLevel
from calculator.hours import class_hours, max_online_hours, min_practical_hours
from calculator.subsidy import remaining_claims, subsidy_for, uplift, yuan

# The rates of 淮人社发〔2024〕22号, passed explicitly: the calculator holds no figure of its own.
UPLIFT = {"percent": 10, "uplift_levels": ("L1", "L2")}


@pytest.mark.parametrize(
    "base,level,shortage,amount,pct",
    [
        (3500, "L2", True, Decimal(3850), 10),
        (4300, "L1", True, Decimal(4730), 10),
        (2000, "L3", True, Decimal(2000), 0),  # 高级工及以下不上浮
        (1500, "L4", True, Decimal(1500), 0),
        (3500, "L2", False, Decimal(3500), 0),
        (500, "PASS", True, Decimal(500), 0),
        (3333, "L1", True, Decimal("3666.3"), 10),  # exact decimal, no float surprise
    ],
)
def test_subsidy_uplift_only_for_shortage_at_technician_and_above(
    base, level, shortage, amount, pct
):
    s = subsidy_for(base, level, shortage=shortage, **UPLIFT)
    assert s.amount == amount
    assert s.uplift_percent == pct
    assert s.base == base


def test_unknown_level_and_negative_base_are_errors():
    with pytest.raises(InvalidLevel):
        subsidy_for(1000, "L9", shortage=False, **UPLIFT)
    with pytest.raises(InvalidLevel):
        subsidy_for(1000, "L1", shortage=True, percent=10, uplift_levels=("L0",))
    with pytest.raises(CalculatorError):
        uplift(-1, 10)


def test_yuan_formats_without_spurious_fraction():
    assert yuan(Decimal("3850.00")) == "3850"
    assert yuan(Decimal("3666.30")) == "3666.3"


@pytest.mark.parametrize(
    "total,online,practical",
    [(56, 22, 34), (40, 16, 24), (32, 12, 20), (24, 9, 15), (100, 40, 60), (0, 0, 0), (1, 0, 1)],
)
def test_online_and_practical_hours_are_whole_class_hours(total, online, practical):
    assert max_online_hours(total, 40) == online
    assert min_practical_hours(total, 60) == practical
    assert max_online_hours(total, 40) * 100 <= 40 * total


@pytest.mark.parametrize("bad", [-1, 1.5, "56", True])
def test_hours_reject_non_whole_numbers(bad):
    with pytest.raises(InvalidHours):
        max_online_hours(bad, 40)


def test_class_hours_are_45_minutes():
    assert class_hours(45, 45) == 1
    assert class_hours(180, 45) == 4
    assert class_hours(89, 45) == 1


def test_rates_are_arguments_next_years_figures_need_no_code():
    assert max_online_hours(56, 50) == 28
    assert min_practical_hours(56, 50) == 28
    assert class_hours(180, 40) == 4
    assert remaining_claims(2, 4) == 2
    s = subsidy_for(3000, "L3", shortage=True, percent=20, uplift_levels=("L1", "L2", "L3"))
    assert s.amount == Decimal(3600)
    for name in ("ONLINE_MAX_PERCENT", "PRACTICAL_MIN_PERCENT", "MINUTES_PER_CLASS_HOUR"):
        assert not hasattr(calculator.hours, name)
    for name in ("UPLIFT_PERCENT", "UPLIFT_LEVELS"):
        assert not hasattr(calculator.subsidy, name)


@pytest.mark.parametrize(
    "call",
    [
        lambda: max_online_hours(56, -1),
        lambda: min_practical_hours(56, True),
        lambda: class_hours(90, 0),
        lambda: remaining_claims(0, -1),
    ],
)
def test_bad_rates_are_errors(call):
    with pytest.raises(CalculatorError):
        call()


def test_remaining_claims():
    assert remaining_claims(0, 3) == 3
    assert remaining_claims(3, 3) == 0
    assert remaining_claims(5, 3) == 0
    with pytest.raises(CalculatorError):
        remaining_claims(-1, 3)


@pytest.mark.parametrize("text,code", [("6180204", "6-18-02-04"), ("6-18-02-04", "6-18-02-04")])
def test_occupation_code_forms(text, code):
    assert occupation_code(text) == code


def test_occupation_code_rejects_other_text():
    with pytest.raises(InvalidCode):
        occupation_code("61802")


def test_find_codes_every_form():
    text = "6-18-02-04 和 4139900、100000149、3208990008、A407990200、jcde、JCB08-01"
    assert find_codes(text) == [
        "6-18-02-04",
        "4139900",
        "100000149",
        "3208990008",
        "A407990200",
        "JCDE",
        "JCB08-01",
    ]
    assert find_codes("12345678") == []  # eight digits is no code of the notice


@pytest.mark.parametrize(
    "city,seq,code", [(8, 1, "JCB08-01"), (1, 12, "JCB01-12"), (13, 3, "JCB13-03")]
)
def test_entrepreneurship_local_code(city, seq, code):
    assert entrepreneurship_code(city, seq) == code


def test_entrepreneurship_local_code_range():
    with pytest.raises(InvalidCode):
        entrepreneurship_code(0, 1)


def test_entrepreneurship_order():
    assert eligible([], "A").subsidised
    assert eligible(["A"], "B").subsidised
    assert eligible(["A", "B"], "D").subsidised
    assert eligible(["D"], "B").reason == "lower_after_higher"
    assert eligible(["B"], "B").reason == "same_category"
    with pytest.raises(CalculatorError):
        eligible(["X"], "A")
