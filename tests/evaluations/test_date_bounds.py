"""A date typed as day, month and year is refused beside its field, never a server error: a
20-digit day or month, a negative or zero part, words, and a year outside the years PQA accepts
(pqa.forms.date_year_range). Issue 7, item 4 reproduced on the four pages that take a due date."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluations import services
from evaluations.models import CycleType
from pqa.forms import DateField, date_year_range
from tests.factories import EvaluationFactory

HUGE = "99999999999999999999"
FIRST, LAST = date_year_range()
SOON = timezone.localdate() + dt.timedelta(days=21)


@pytest.fixture
def cycle(practice_hub):
    return services.cycle_open(quarter="2025-26-Q2", type=CycleType.TRUST_WIDE, actor=practice_hub)


def due_date_pages(cycle, team, evaluator):
    evaluation = EvaluationFactory(cycle=cycle, team=team, evaluator=evaluator)
    return {
        "allocate one": reverse("evaluations:allocate_one", args=[cycle.pk]),
        "reassign": reverse("evaluations:reassign", args=[evaluation.pk]),
        "allocate list": reverse("evaluations:allocate_list", args=[cycle.pk]),
        "allocate sample": reverse("evaluations:allocate_sample", args=[cycle.pk]),
    }


ODD_DATES = {
    "a 20-digit day": ((HUGE, "5", str(SOON.year)), "The due date must be a real date"),
    "a 20-digit month": (("1", HUGE, str(SOON.year)), "The due date must be a real date"),
    "a 20-digit year": (("1", "5", HUGE), "The year must have 4 numbers"),
    "a negative day": (("-1", "5", str(SOON.year)), "Enter a valid date"),
    "a day of zero": (("0", "5", str(SOON.year)), "The due date must be a real date"),
    "a month of 13": (("1", "13", str(SOON.year)), "The due date must be a real date"),
    "words": (("first", "May", "next"), "Enter a valid date"),
    "a year far in the future": (("1", "5", "9999"), f"The year of the due date must be between {FIRST} and {LAST}"),
    "a negative year": (("1", "5", "-202"), "Enter a valid year"),
}


@pytest.mark.parametrize("page", ["allocate one", "reassign", "allocate list", "allocate sample"])
@pytest.mark.parametrize("odd", ODD_DATES, ids=str)
def test_an_odd_due_date_is_refused_beside_the_field_on_every_allocation_page(
    client_for, practice_hub, cycle, team, evaluator, page, odd
):
    (day, month, year), message = ODD_DATES[odd]
    url = due_date_pages(cycle, team, evaluator)[page]
    response = client_for(practice_hub).post(url, {"due_date_0": day, "due_date_1": month, "due_date_2": year})
    assert response.status_code in (200, 400)
    assert any(message in error for error in response.context["form"].errors["due_date"])
    assert message in response.content.decode()


def test_the_evaluation_date_far_in_the_past_is_refused_beside_the_field(client_for, evaluator, team):
    from tests.evaluations.test_sit_alongside_form import form_data

    allocated = EvaluationFactory(evaluator=evaluator, team=team)
    data = form_data(allocated)
    data.update({"evaluation_date_0": "1", "evaluation_date_1": "1", "evaluation_date_2": "0001"})
    response = client_for(evaluator).post(reverse("evaluations:form", args=[allocated.pk]), data)
    assert response.status_code == 400
    assert f"The year of the date of the conversation must be between {FIRST} and {LAST}" in response.content.decode()


def test_the_years_accepted_run_from_the_first_quarter_to_the_end_of_the_last():
    field = DateField(label="Due date")
    assert field.clean(["1", "4", str(FIRST)]) == dt.date(FIRST, 4, 1)
    assert field.clean(["31", "3", str(LAST)]) == dt.date(LAST, 3, 31)
    assert FIRST == 2000 and timezone.localdate().year + 10 <= LAST
