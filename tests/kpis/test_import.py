"""`python manage.py import_kpi_values PATH [--dry-run]` (shared contract kpis.md): all of the
file or none of it, every problem at its row and column, a month's value imported again
replacing it."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from pqa.kpis import rules
from pqa.kpis.imports import MAX_PROBLEMS
from pqa.kpis.models import IndicatorValue

pytestmark = pytest.mark.django_db

HEADER = "indicator,month,numerator,denominator,value,national,statistical_neighbours,commentary\n"


def run(tmp_path, text: str, *options):
    path = tmp_path / "kpis.csv"
    path.write_text(text, encoding="utf-8")
    out, err = StringIO(), StringIO()
    try:
        call_command("import_kpi_values", str(path), *options, stdout=out, stderr=err)
    except CommandError as error:
        return None, err.getvalue().splitlines(), str(error)
    return out.getvalue().strip(), err.getvalue().splitlines(), None


def test_a_file_of_values_is_imported_and_counted(tmp_path):
    out, _, error = run(
        tmp_path,
        HEADER
        + 'KPI01,2018-12,423,548,,71,81,"Reduction in performance, still within tolerance."\n'
        + "KPI10,2018-12,,,236,220,252,\n"
        + "KPI14,2018-12,,,16,18,18,Caseloads monitored weekly.\n",
    )
    assert error is None
    assert out == "imported 3 KPI values (3 created, 0 updated)"
    kpi01 = IndicatorValue.objects.get(indicator__code="KPI01")
    assert (kpi01.month, kpi01.numerator, kpi01.denominator) == (dt.date(2018, 12, 1), Decimal(423), Decimal(548))
    assert kpi01.value == Decimal("77.189781")  # 423 ÷ 548 × 100, kept to 6 places
    assert kpi01.commentary == "Reduction in performance, still within tolerance."
    assert IndicatorValue.objects.get(indicator__code="KPI10").value == Decimal(236)


def test_a_value_for_the_same_indicator_and_month_again_replaces_it(tmp_path):
    run(tmp_path, HEADER + "KPI01,2018-12,423,548,,,,First.\n")
    out, _, error = run(tmp_path, HEADER + "KPI01,2018-12,,,80,,,Replaced.\nKPI02,2018-12,,,21,,,\n")
    assert out == "imported 2 KPI values (1 created, 1 updated)"
    replaced = IndicatorValue.objects.get(indicator__code="KPI01")
    assert (replaced.value, replaced.numerator, replaced.commentary, replaced.version) == (
        Decimal(80),
        None,
        "Replaced.",
        2,
    )
    assert replaced.history.count() == 2


def test_a_dry_run_says_what_would_happen_and_changes_nothing(tmp_path):
    out, _, _ = run(tmp_path, HEADER + "KPI01,2018-12,,,80,,,\n", "--dry-run")
    assert out == "would import 1 KPI values (1 created, 0 updated); nothing was changed (dry run)"
    assert not IndicatorValue.objects.exists()


def test_every_problem_is_listed_at_its_row_and_column_and_nothing_is_imported(tmp_path):
    _, problems, error = run(
        tmp_path,
        HEADER
        + "KPI01,2018-12,,,80,,,\n"  # fine, but the file has problems: not imported
        + "KPI01,2018-11,423,548,77,,,\n"  # both: at column value
        + "KPI02,2018-11,423,,,,,\n"  # a numerator without its denominator
        + "KPI99,2018-13,,,x,,,\n"
        + "KPI03,2018-11,5,0,,,,\n"
        + ",,,,,,,text\n"
        + "KPI01,2018-12,,,81,,,\n",  # the same month twice
    )
    assert error.endswith("9 problem(s) found, nothing was imported")
    assert problems == [
        "row 3, column value: give either a value or a numerator and denominator, not both: "
        "the value is worked out from them",
        "row 4, column denominator: a numerator needs its denominator",
        "row 5, column indicator: 'KPI99' is not an indicator: use a code such as KPI01, KPI02, KPI03",
        "row 5, column month: '2018-13' is not a month: there is no month 13 (write it as YYYY-MM, e.g. 2018-12)",
        "row 5, column value: 'x' is not a number",
        "row 6, column denominator: the denominator must be above 0",
        "row 7, column indicator: a value is required",
        "row 7, column month: a value is required",
        "row 8, column month: KPI01 for 2018-12 is already at row 2: give it once",
    ]
    assert not IndicatorValue.objects.exists()


def test_a_row_with_neither_a_value_nor_a_numerator_is_a_problem_at_value(tmp_path):
    _, problems, _ = run(tmp_path, HEADER + "KPI01,2018-12,,,,71,,\n")
    assert problems == ["row 2, column value: give a value, or a numerator and denominator"]


def test_an_unknown_or_missing_column_is_a_problem_of_the_header(tmp_path):
    _, problems, _ = run(tmp_path, "indicator,value,target\nKPI01,80,85\n")
    assert problems == [
        "row 1, column target: unknown column; the columns are indicator, month, numerator, denominator, value, "
        "national, statistical_neighbours, commentary",
        "row 1, column month: this required column is missing from the header",
    ]


def test_commentary_longer_than_its_limit_is_a_problem_at_its_column(tmp_path):
    _, problems, _ = run(tmp_path, HEADER + "KPI01,2018-12,,,80,,," + "x" * 2001 + "\n")
    assert problems == ["row 2, column commentary: ensure this value has at most 2000 characters (it has 2001)"]


def test_a_month_that_has_not_begun_is_refused(tmp_path):
    next_month = rules.add_months(rules.first_of_month(timezone.localdate()), 1)
    _, problems, _ = run(tmp_path, HEADER + f"KPI01,{next_month:%Y-%m},,,80,,,\n")
    assert problems == [f"row 2, column month: {next_month:%B %Y} has not begun: no value yet"]


def test_the_problem_list_is_bounded(tmp_path):
    rows = "".join(f"KPI01,2018-12,,,not-a-number-{index},,,\n" for index in range(MAX_PROBLEMS + 50))
    _, problems, error = run(tmp_path, HEADER + rows)
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[-1] == "… and 50 more problem(s), not listed: correct these first"
    assert error.endswith(f"{MAX_PROBLEMS + 50} problem(s) found, nothing was imported")


def test_a_workbook_is_read_with_codes_and_months_as_people_write_them(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Indicator", "Month", "Numerator", "Denominator", "Value", "National"])
    sheet.append(["KPI 2", dt.datetime(2018, 12, 1), 216, 903, None, 0.22 * 100])
    sheet.append(["kpi15", "2018-12", "379", "460", None, None])
    path = tmp_path / "kpis.xlsx"
    workbook.save(path)
    out = StringIO()
    call_command("import_kpi_values", str(path), stdout=out)
    assert out.getvalue().strip() == "imported 2 KPI values (2 created, 0 updated)"
    assert IndicatorValue.objects.get(indicator__code="KPI02").month == dt.date(2018, 12, 1)
    assert IndicatorValue.objects.get(indicator__code="KPI15").value == Decimal("82.391304")


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_kpi_values", str(tmp_path / "none.csv"))
