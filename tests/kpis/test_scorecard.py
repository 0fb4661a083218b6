"""The scorecard out (shared contract kpis.md): `pqa_scorecard --month` and
/pqa/scorecard.json, from the indicators the migrations load, judged month by month against
their own financial year's target, in a fixed number of queries."""

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from pqa.kpis.models import Indicator, IndicatorTarget
from pqa.kpis.selectors import indicator_months, scorecard_data
from pqa.kpis.services import indicator_update

pytestmark = pytest.mark.django_db

CONTRACT = {
    "KPI01": ("percent", "high", 85, 75, 95),
    "KPI02": ("percent", "low", 21, 17, 24),
    "KPI03": ("percent", "high", 85, 80, 90),
    "KPI04": ("percent", "low", 30, 24, 36),
    "KPI05": ("percent", "high", 80, 75, 85),
    "KPI06": ("percent", "low", 12, 9, 14),
    "KPI07": ("percent", "high", 65, 62, 69),
    "KPI08": ("percent", "high", 96, 86, 100),
    "KPI09": ("percent", "high", 55, 50, 80),
    "KPI10": ("days", "low", 240, 220, 260),
    "KPI11": ("percent", "low", 45, 30, 60),
    "KPI12": ("percent", "low", 13, 10, 15),
    "KPI13": ("percent", "low", 25, 20, 30),
    "KPI14": ("number", "low", 15, 12, 20),
    "KPI15": ("percent", "high", 86, 80, 90),
}


def test_the_migrations_load_the_contracts_15_indicators_with_their_2018_19_targets():
    loaded = {
        indicator.code: (indicator.unit, indicator.polarity, *_target_2018(indicator))
        for indicator in Indicator.objects.all()
    }
    assert loaded == CONTRACT


def _target_2018(indicator):
    target = indicator.targets.get(year=2018)
    return int(target.target), int(target.tolerance_low), int(target.tolerance_high)


def test_the_scorecard_of_the_seed_month(enter):
    enter("KPI01", "2018-11", numerator=439, denominator=548)  # 80.109...% → 80.1
    enter("KPI01", "2018-12", numerator=423, denominator=548, national=71, statistical_neighbours=81)
    enter("KPI02", "2018-12", numerator=216, denominator=903, national=22, statistical_neighbours=23)
    enter("KPI05", "2018-12", numerator=46, denominator=51)
    enter("KPI10", "2018-12", value=236)
    enter("KPI13", "2018-12", numerator=38, denominator=356)

    data = scorecard_data(dt.date(2018, 12, 1))

    assert data["month"] == "2018-12"
    assert [entry["code"] for entry in data["indicators"]] == sorted(CONTRACT)
    by_code = {entry["code"]: entry for entry in data["indicators"]}
    assert by_code["KPI01"] == {
        "code": "KPI01",
        "title": "% referrals with a decision within 24 hours",
        "unit": "percent",
        "good": "high",
        "target": 85.0,
        "tolerance": [75.0, 95.0],
        "value": 77.2,
        "previous": 80.1,
        "status": "within_tolerance",
        "direction": "declining",
        "national": 71.0,
        "statistical_neighbours": 81.0,
    }
    assert (by_code["KPI02"]["value"], by_code["KPI02"]["status"]) == (23.9, "within_tolerance")
    assert (by_code["KPI05"]["value"], by_code["KPI05"]["status"]) == (90.2, "better_than_tolerance")
    assert (by_code["KPI10"]["value"], by_code["KPI10"]["status"]) == (236.0, "on_target")
    assert (by_code["KPI13"]["value"], by_code["KPI13"]["status"]) == (10.7, "better_than_tolerance")
    assert by_code["KPI02"]["previous"] is None and by_code["KPI02"]["direction"] is None
    empty = by_code["KPI03"]
    assert (empty["value"], empty["previous"], empty["status"], empty["direction"]) == (None, None, None, None)
    assert (empty["national"], empty["statistical_neighbours"]) == (None, None)
    assert empty["target"] == 85.0


def test_values_round_half_up_from_the_exact_rate(enter):
    # 157 / 200 = 78.5% exactly and 1569 / 2000 = 78.45% exactly: half up gives 78.5 for both.
    enter("KPI01", "2018-11", numerator=1569, denominator=2000)
    enter("KPI01", "2018-12", numerator=157, denominator=200)
    entry = scorecard_data(dt.date(2018, 12, 1))["indicators"][0]
    assert (entry["value"], entry["previous"], entry["direction"]) == (78.5, 78.5, "stable")


def test_a_month_is_judged_against_its_own_financial_years_target(enter):
    indicator = Indicator.objects.get(code="KPI12")
    indicator_update(
        indicator=indicator,
        targets=[(IndicatorTarget(), {"year": 2019, "target": 11, "tolerance_low": 9, "tolerance_high": 12})],
        expected_version=None,
        actor=None,
    )
    enter("KPI12", "2019-03", value=12.5)  # 2018-19: target 13, within 10–15: on target
    enter("KPI12", "2019-04", value=12.5)  # 2019-20: target 11, band 9–12: outside
    enter("KPI12", "2021-06", value=10.5)  # 2021-22 has no target: 2019-20's applies

    def kpi12(month):
        return next(e for e in scorecard_data(month)["indicators"] if e["code"] == "KPI12")

    march, april, later = kpi12(dt.date(2019, 3, 1)), kpi12(dt.date(2019, 4, 1)), kpi12(dt.date(2021, 6, 1))
    assert (march["target"], march["tolerance"], march["status"]) == (13.0, [10.0, 15.0], "on_target")
    assert (april["target"], april["tolerance"], april["status"]) == (11.0, [9.0, 12.0], "outside_tolerance")
    assert (april["previous"], april["direction"]) == (12.5, "stable")
    assert (later["target"], later["status"]) == (11.0, "on_target")


def test_a_month_before_any_target_has_no_target_and_no_status(enter):
    enter("KPI01", "2017-06", value=90)
    entry = scorecard_data(dt.date(2017, 6, 1))["indicators"][0]
    assert (entry["value"], entry["target"], entry["tolerance"], entry["status"]) == (90.0, None, None, None)


def test_the_scorecard_takes_two_queries_whatever_the_number_of_values(enter, django_assert_num_queries):
    with django_assert_num_queries(2):
        scorecard_data(dt.date(2018, 12, 1))
    for code in CONTRACT:
        for month in ("2018-10", "2018-11", "2018-12"):
            enter(code, month, value=20, national=21, statistical_neighbours=22)
    Indicator.objects.create(code="KPI16", title="Added in the admin", unit="number", polarity="high")
    with django_assert_num_queries(2):
        data = scorecard_data(dt.date(2018, 12, 1))
    assert len(data["indicators"]) == 16


def test_an_indicators_months_take_two_queries_whatever_their_number(enter, django_assert_num_queries):
    indicator = Indicator.objects.get(code="KPI01")
    with django_assert_num_queries(2):
        indicator_months(indicator, last=dt.date(2018, 12, 1))
    for month in range(1, 13):
        enter("KPI01", f"2018-{month:02d}", value=80 + month)
    with django_assert_num_queries(2):
        months = indicator_months(indicator, last=dt.date(2018, 12, 1))
    assert [judged.value for judged in months] == [Decimal(80 + month) for month in range(1, 13)]
    assert months[0].previous is None and months[1].previous == Decimal(81)


def test_the_command_prints_the_same_json_object(enter):
    enter("KPI01", "2018-12", value=78.44)
    output = StringIO()
    call_command("pqa_scorecard", "--month", "2018-12", stdout=output)
    assert json.loads(output.getvalue()) == scorecard_data(dt.date(2018, 12, 1))
    assert json.loads(output.getvalue())["indicators"][0]["value"] == 78.4


@pytest.mark.parametrize("month", ["2018-13", "Dec 2018", "2018-1", "1999-12"])
def test_the_command_refuses_a_malformed_month_with_a_clear_message(month):
    with pytest.raises(CommandError, match="YYYY-MM|outside the years"):
        call_command("pqa_scorecard", "--month", month, stdout=StringIO())


def test_the_json_endpoint_serves_the_same_object_to_people_allowed_to_see_reports(client_for, leader, enter):
    enter("KPI01", "2018-12", value=78.4)
    response = client_for(leader).get(reverse("reporting:scorecard_json"), {"month": "2018-12"})
    assert response.status_code == 200
    assert response.json() == scorecard_data(dt.date(2018, 12, 1))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "month is required: add ?month=YYYY-MM, e.g. 2018-12"),
        ({"month": "2018-13"}, "'2018-13' is not a month: there is no month 13 (write it as YYYY-MM, e.g. 2018-12)"),
        ({"month": "december"}, "'december' is not a month: write it as YYYY-MM, e.g. 2018-12"),
    ],
)
def test_the_json_endpoint_refuses_a_malformed_month_with_a_400(client_for, leader, query, message):
    response = client_for(leader).get(reverse("reporting:scorecard_json"), query)
    assert response.status_code == 400
    assert response.json() == {"error": message}


def test_the_json_endpoint_is_not_there_for_an_evaluator(client_for, evaluator):
    assert client_for(evaluator).get(reverse("reporting:scorecard_json"), {"month": "2018-12"}).status_code == 404
