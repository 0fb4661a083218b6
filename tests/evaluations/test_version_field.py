"""A hidden version changed by hand (out of range, or not a number) is a clear error on the
sit-alongside form and its autosave, never a 500; nothing is saved and nothing kept."""

import pytest
from django.urls import reverse

from evaluations.models import Evaluation
from pqa.models import EditConflict
from tests.evaluations.test_sit_alongside_form import form_data
from tests.factories import EvaluationFactory

pytestmark = pytest.mark.django_db

TAMPERED = ["-1", "0", "999999999999", "2147483648", "1e3", "one"]
AS_A_SCRIPT = {"X-Requested-With": "XMLHttpRequest", "Accept": "application/json"}
MESSAGE = "This page is out of date or was changed: reload it"


@pytest.fixture
def evaluation(evaluator, team):
    return EvaluationFactory(evaluator=evaluator, team=team)


@pytest.mark.parametrize("version", TAMPERED)
def test_a_tampered_version_on_the_autosave_is_a_400_in_json(client_for, evaluator, evaluation, version):
    response = client_for(evaluator).post(
        reverse("evaluations:autosave", args=[evaluation.pk]),
        form_data(evaluation, version=version, strengths="Typed"),
        headers=AS_A_SCRIPT,
    )
    assert response.status_code == 400
    assert any(MESSAGE in problem for problem in response.json()["problems"])
    evaluation.refresh_from_db()
    assert (evaluation.version, evaluation.strengths) == (1, "")
    assert not EditConflict.objects.exists()


@pytest.mark.parametrize("version", TAMPERED)
def test_a_tampered_version_on_the_form_is_an_error_on_the_page(client_for, evaluator, evaluation, version):
    response = client_for(evaluator).post(
        reverse("evaluations:form", args=[evaluation.pk]), form_data(evaluation, version=version, strengths="Typed")
    )
    assert response.status_code == 400
    assert MESSAGE in response.text
    assert "There is a problem" in response.text
    assert Evaluation.objects.get(pk=evaluation.pk).version == 1


def test_the_largest_version_a_record_can_hold_is_still_read_as_a_version(client_for, evaluator, evaluation):
    response = client_for(evaluator).post(
        reverse("evaluations:autosave", args=[evaluation.pk]),
        form_data(evaluation, version="2147483647", strengths="Typed"),
        headers=AS_A_SCRIPT,
    )
    # A version in range but not the current one is an edit conflict, as any stale page is.
    assert response.status_code == 409
