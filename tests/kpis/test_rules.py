"""The contract's status and direction rules (kpis.md), at every edge of the band, for both
polarities, on the value rounded half up to one place."""

import datetime as dt
from decimal import Decimal

import pytest

from pqa.kpis import rules
from pqa.kpis.rules import (
    BETTER_THAN_TOLERANCE,
    DECLINING,
    HIGH,
    IMPROVING,
    LOW,
    ON_TARGET,
    OUTSIDE_TOLERANCE,
    STABLE,
    WITHIN_TOLERANCE,
    kpi_direction,
    kpi_status,
    rounded,
)

D = Decimal


def status(value, target, low, high, good):
    return kpi_status(rounded(D(value)), target=D(target), low=D(low), high=D(high), good=good)


# KPI01: good = high, target 85, tolerance 75–95.
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", OUTSIDE_TOLERANCE),
        ("74.9", OUTSIDE_TOLERANCE),
        ("74.94", OUTSIDE_TOLERANCE),  # rounds to 74.9
        ("74.95", WITHIN_TOLERANCE),  # rounds half up to 75.0: the band's edge is inside it
        ("75", WITHIN_TOLERANCE),
        ("75.1", WITHIN_TOLERANCE),
        ("84.9", WITHIN_TOLERANCE),
        ("84.94", WITHIN_TOLERANCE),
        ("84.95", ON_TARGET),  # rounds to 85.0: on the target
        ("85", ON_TARGET),
        ("85.1", ON_TARGET),
        ("95", ON_TARGET),  # the band's top edge is still within it
        ("95.04", ON_TARGET),
        ("95.05", BETTER_THAN_TOLERANCE),  # rounds to 95.1: strictly beyond the band
        ("95.1", BETTER_THAN_TOLERANCE),
        ("100", BETTER_THAN_TOLERANCE),
    ],
)
def test_status_of_a_good_high_indicator_at_each_edge(value, expected):
    assert status(value, 85, 75, 95, HIGH) == expected


# KPI02: good = low, target 21, tolerance 17–24: every comparison mirrored.
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", BETTER_THAN_TOLERANCE),
        ("16.9", BETTER_THAN_TOLERANCE),
        ("16.94", BETTER_THAN_TOLERANCE),  # rounds to 16.9: strictly below the band
        ("16.95", ON_TARGET),  # rounds to 17.0: the band's edge, better than the target
        ("17", ON_TARGET),
        ("20.9", ON_TARGET),
        ("21", ON_TARGET),  # on the target
        ("21.04", ON_TARGET),
        ("21.05", WITHIN_TOLERANCE),  # rounds to 21.1: worse than the target, inside the band
        ("21.1", WITHIN_TOLERANCE),
        ("24", WITHIN_TOLERANCE),  # the bad edge is inside the band
        ("24.04", WITHIN_TOLERANCE),
        ("24.05", OUTSIDE_TOLERANCE),  # rounds to 24.1
        ("24.1", OUTSIDE_TOLERANCE),
        ("100", OUTSIDE_TOLERANCE),
    ],
)
def test_status_of_a_good_low_indicator_at_each_edge(value, expected):
    assert status(value, 21, 17, 24, LOW) == expected


@pytest.mark.parametrize("good", [HIGH, LOW])
def test_a_target_on_the_edge_of_its_band_is_on_target_there(good):
    # A target on the band's good edge (its top for good = high, its bottom for good = low).
    target, low, high = (100, 86, 100) if good == HIGH else (86, 86, 96)
    edge = target
    assert status(str(edge), target, low, high, good) == ON_TARGET
    beyond = Decimal(edge) + (Decimal("0.1") if good == HIGH else Decimal("-0.1"))
    worse = Decimal(edge) - (Decimal("0.1") if good == HIGH else Decimal("-0.1"))
    assert status(str(beyond), target, low, high, good) == BETTER_THAN_TOLERANCE
    assert status(str(worse), target, low, high, good) == WITHIN_TOLERANCE


def test_no_value_or_no_target_has_no_status():
    assert kpi_status(None, target=D(85), low=D(75), high=D(95), good=HIGH) is None
    assert kpi_status(D(80), target=None, low=None, high=None, good=HIGH) is None


@pytest.mark.parametrize(
    ("value", "previous", "good", "expected"),
    [
        ("78.4", "80.1", HIGH, DECLINING),
        ("80.1", "78.4", HIGH, IMPROVING),
        ("78.4", "80.1", LOW, IMPROVING),
        ("80.1", "78.4", LOW, DECLINING),
        ("78.4", "78.4", HIGH, STABLE),
        ("78.4", "78.4", LOW, STABLE),
        ("78.5", "78.4", HIGH, IMPROVING),  # a tenth is a movement
        ("78.4", "78.5", LOW, IMPROVING),
    ],
)
def test_direction_by_polarity(value, previous, good, expected):
    assert kpi_direction(D(value), D(previous), good=good) == expected


def test_direction_compares_the_rounded_values():
    # 78.41 and 78.44 both show as 78.4: stable, as the reader sees it.
    assert kpi_direction(rounded(D("78.41")), rounded(D("78.44")), good=HIGH) == STABLE


@pytest.mark.parametrize("good", [HIGH, LOW])
def test_no_direction_without_both_values(good):
    assert kpi_direction(None, D(1), good=good) is None
    assert kpi_direction(D(1), None, good=good) is None
    assert kpi_direction(None, None, good=good) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("78.45", "78.5"), ("78.44", "78.4"), ("78.449999", "78.4"), ("-0.05", "-0.1"), ("0.05", "0.1"), ("85", "85.0")],
)
def test_rounding_is_half_up_to_one_place(value, expected):
    assert rounded(D(value)) == D(expected)
    assert str(rounded(D(value))) == expected


def test_a_percentage_is_numerator_over_denominator_times_100_exactly():
    # 423 / 548 = 77.189...%; 1 / 8 = 12.5%; 157 / 200 = 78.5% exactly (a float would say 78.49999...).
    assert rounded(rules.measured_value(unit="percent", value=None, numerator=D(423), denominator=D(548))) == D("77.2")
    assert rules.measured_value(unit="percent", value=None, numerator=D(1), denominator=D(8)) == D("12.5")
    assert rounded(rules.measured_value(unit="percent", value=None, numerator=D(157), denominator=D(200))) == D("78.5")
    assert rules.measured_value(unit="days", value=None, numerator=D(4680), denominator=D(30)) == D(156)


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"value": D(5), "numerator": D(1), "denominator": D(2)}, "value"),
        ({"value": D(5), "numerator": D(1)}, "value"),
        ({"numerator": D(1)}, "denominator"),
        ({"denominator": D(1)}, "numerator"),
        ({}, "value"),
        ({"numerator": D(-1), "denominator": D(2)}, "numerator"),
        ({"numerator": D(1), "denominator": D(0)}, "denominator"),
    ],
)
def test_a_value_or_a_numerator_and_denominator_never_both(given, field):
    arguments = {"value": None, "numerator": None, "denominator": None, **given}
    with pytest.raises(rules.MeasureProblem) as problem:
        rules.measured_value(unit="percent", **arguments)
    assert problem.value.field == field


@pytest.mark.parametrize(
    ("month", "year"),
    [
        (dt.date(2018, 4, 1), 2018),
        (dt.date(2018, 12, 1), 2018),
        (dt.date(2019, 3, 1), 2018),
        (dt.date(2019, 4, 1), 2019),
    ],
)
def test_a_month_belongs_to_the_financial_year_starting_in_april(month, year):
    assert rules.financial_year(month) == year


@pytest.mark.parametrize("text", ["2018-13", "2018-00", "18-12", "2018/12", "2018-1", "December 2018", "", "1999-12"])
def test_a_malformed_month_is_refused_with_the_way_to_write_it(text):
    with pytest.raises(rules.MonthError, match="YYYY-MM|outside the years"):
        rules.parse_month(text)


def test_a_month_is_its_first_day():
    assert rules.parse_month(" 2018-12 ") == dt.date(2018, 12, 1)
