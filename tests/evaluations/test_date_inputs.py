"""Every date is the GOV.UK date input (day, month, year), the evaluator's form included, and
every form uses PQA's one date field."""

import datetime as dt
import re

import pytest
from django import forms
from django.urls import reverse

from evaluations.forms import cycles, evaluation
from pqa.forms import DateField
from tests.evaluations.test_sit_alongside_form import as_date_inputs, form_data
from tests.factories import EvaluationFactory


@pytest.fixture
def allocated(evaluator, team):
    return EvaluationFactory(evaluator=evaluator, team=team)


FORMS = [
    evaluation.EvaluationForm,
    evaluation.RecommendationForm,
    cycles.AllocateOneForm,
    cycles.AllocateListForm,
    cycles.AllocateSampleForm,
    cycles.ReassignForm,
]


@pytest.mark.parametrize("form_class", FORMS, ids=lambda form: form.__name__)
def test_every_date_on_a_form_is_pqas_one_date_field(form_class):
    dates = {
        name: field
        for name, field in form_class.base_fields.items()
        if isinstance(field, forms.DateField | forms.MultiValueField) or "date" in name
    }
    assert dates, f"{form_class.__name__} has a date"
    for name, field in dates.items():
        assert type(field) is DateField, f"{form_class.__name__}.{name} is a {type(field).__name__}"


def test_the_evaluators_form_shows_day_month_and_year_for_every_date(client_for, evaluator, allocated):
    page = client_for(evaluator).get(reverse("evaluations:form", args=[allocated.pk])).content.decode()
    for name in ("evaluation_date", "recommendations-0-due_date"):
        for part, label in enumerate(("Day", "Month", "Year")):
            assert f'name="{name}_{part}"' in page
            assert re.search(
                rf'<label class="govuk-label govuk-date-input__label" for="id_{name}_{part}">{label}</label>', page
            )
    assert 'type="date"' not in page


def test_a_date_typed_as_day_month_and_year_is_saved_and_shown_back(client_for, evaluator, allocated):
    client = client_for(evaluator)
    data = form_data(
        allocated,
        evaluation_date="2025-05-01",
        **{
            "recommendations-0-action": "Update the chronology",
            "recommendations-0-owner": evaluator.pk,
            "recommendations-0-due_date": "2025-07-01",
        },
    )
    assert client.post(reverse("evaluations:autosave", args=[allocated.pk]), data).status_code == 200
    allocated.refresh_from_db()
    assert allocated.evaluation_date == dt.date(2025, 5, 1)
    assert allocated.recommendations.get().due_date == dt.date(2025, 7, 1)
    page = client.get(reverse("evaluations:form", args=[allocated.pk])).content.decode()
    assert 'id="id_evaluation_date_0" name="evaluation_date_0" type="text" inputmode="numeric" value="1"' in page
    assert 'id="id_evaluation_date_2" name="evaluation_date_2" type="text" inputmode="numeric" value="2025"' in page


def test_a_half_typed_date_says_what_is_missing_and_the_summary_links_to_the_day(client_for, evaluator, allocated):
    data = form_data(allocated)
    data.update({"evaluation_date_0": "", "evaluation_date_1": "5", "evaluation_date_2": "2025"})
    response = client_for(evaluator).post(reverse("evaluations:form", args=[allocated.pk]), data)
    assert response.status_code == 400
    page = response.content.decode()
    summary = page[
        page.index("govuk-error-summary__list") : page.index("</ul>", page.index("govuk-error-summary__list"))
    ]
    assert re.search(r'href="#id_evaluation_date_0">[^<]*Enter the day of the month', summary)
    assert 'id="id_evaluation_date_0"' in page


def test_an_impossible_recommendation_due_date_is_refused_by_name(client_for, evaluator, allocated):
    data = form_data(
        allocated,
        **{"recommendations-0-action": "Visit", "recommendations-0-owner": evaluator.pk},
        **as_date_inputs({"recommendations-0-due_date": ""}),
    )
    data.update(
        {
            "recommendations-0-due_date_0": "31",
            "recommendations-0-due_date_1": "2",
            "recommendations-0-due_date_2": "2026",
        }
    )
    response = client_for(evaluator).post(reverse("evaluations:form", args=[allocated.pk]), data)
    assert response.status_code == 400
    assert "The due date must be a real date" in response.content.decode()
