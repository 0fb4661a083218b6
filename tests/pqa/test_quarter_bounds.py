"""Quarters are bounded to the years PQA accepts (pqa/quarters.py), one rule everywhere: the
cycle form, the model, the import, and the report's page and JSON. A quarter stored before the
bound existed fails no page."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from evaluations.imports import evaluations_import
from evaluations.models import Cycle, CycleType
from pqa.quarters import Quarter, QuarterError, year_range
from tests.evaluations.test_imports import completed_row, csv_text
from tests.factories import CycleFactory, completed_evaluation

FAR_FUTURE = "9999-00-Q4"


def test_the_years_run_from_2000_01_to_ten_years_after_the_current_financial_year():
    assert year_range(dt.date(2026, 12, 1)) == (2000, 2036)
    assert year_range(dt.date(2027, 3, 31)) == (2000, 2036)
    assert year_range(dt.date(2027, 4, 1)) == (2000, 2037)


def test_a_quarter_inside_the_years_is_read():
    first, last = year_range()
    assert Quarter.parse("2000-01-Q1") == Quarter(2000, 1)
    assert Quarter.parse(f"{last}-{(last + 1) % 100:02d}-Q4") == Quarter(last, 4)
    assert first == 2000


@pytest.mark.parametrize("text", [FAR_FUTURE, "1999-00-Q4", "0001-02-Q1", "2099-00-Q1"])
def test_a_quarter_outside_the_years_is_refused_with_the_range_it_may_take(text):
    _, last = year_range()
    with pytest.raises(QuarterError) as refused:
        Quarter.parse(text)
    assert str(refused.value) == (
        f"'{text}' is outside the years PQA accepts: use a quarter from 2000-01-Q1 to {last}-{(last + 1) % 100:02d}-Q4"
    )


@pytest.mark.django_db
def test_the_model_refuses_a_cycle_in_a_far_quarter():
    with pytest.raises(ValidationError, match="outside the years PQA accepts"):
        Cycle(quarter=FAR_FUTURE, type=CycleType.TRUST_WIDE).full_clean()


@pytest.mark.django_db
def test_the_cycle_form_refuses_a_far_quarter_at_its_field(client_for, practice_hub):
    response = client_for(practice_hub).post(
        reverse("evaluations:cycle_create"), {"quarter": FAR_FUTURE, "type": CycleType.TRUST_WIDE}
    )
    assert response.status_code in (200, 400)
    assert "outside the years PQA accepts" in response.text
    assert "Error:" in response.text
    assert not Cycle.objects.exists()


@pytest.mark.django_db
def test_the_import_refuses_a_far_quarter_at_its_row_and_column_in_the_dry_run(team, evaluator):
    result = evaluations_import(file=csv_text(completed_row(quarter=FAR_FUTURE)), dry_run=True, create_missing=True)
    assert [str(problem) for problem in result.problems if problem.column == "quarter"] == [
        f"row 2, column quarter: '{FAR_FUTURE}' is outside the years PQA accepts: "
        f"use a quarter from 2000-01-Q1 to {year_range()[1]}-{(year_range()[1] + 1) % 100:02d}-Q4"
    ]
    # ...and so the real import refuses it too, instead of failing after a clean dry run.
    result = evaluations_import(file=csv_text(completed_row(quarter=FAR_FUTURE)), create_missing=True)
    assert not result.ok
    assert not Cycle.objects.exists()


@pytest.mark.django_db
def test_the_json_refuses_a_far_quarter_with_a_400(client_for, leader):
    response = client_for(leader).get(reverse("reporting:distribution_json"), {"quarter": FAR_FUTURE})
    assert response.status_code == 400
    assert "outside the years PQA accepts" in response.json()["error"]


@pytest.fixture
def stored_far_cycle(db):
    """A cycle written before quarters were bounded: straight into the table, as old data is."""
    cycle = CycleFactory(quarter=FAR_FUTURE, status=Cycle.Status.CLOSED)
    completed_evaluation(cycle=cycle)
    return cycle


def test_a_stored_far_quarter_does_not_fail_the_distribution_page(client_for, leader, stored_far_cycle):
    completed_evaluation(cycle=CycleFactory(quarter="2025-26-Q1", status=Cycle.Status.CLOSED))
    response = client_for(leader).get(reverse("reporting:distribution"))
    assert response.status_code == 200
    assert "Q1 2025/26" in response.text
    assert FAR_FUTURE not in response.text


def test_a_stored_far_quarter_alone_leaves_the_distribution_page_empty_not_failing(
    client_for, leader, stored_far_cycle
):
    response = client_for(leader).get(reverse("reporting:distribution"))
    assert response.status_code == 200


def test_asking_the_page_for_a_far_quarter_is_an_error_at_the_field(client_for, leader, stored_far_cycle):
    completed_evaluation(cycle=CycleFactory(quarter="2025-26-Q1", status=Cycle.Status.CLOSED))
    response = client_for(leader).get(reverse("reporting:distribution"), {"quarter": FAR_FUTURE})
    assert response.status_code == 200
    assert "Error:" in response.text


def test_a_stored_far_quarter_does_not_fail_its_cycle_page(client_for, practice_hub, stored_far_cycle):
    response = client_for(practice_hub).get(reverse("evaluations:cycle_detail", args=[stored_far_cycle.pk]))
    assert response.status_code == 200
    assert FAR_FUTURE in response.text
