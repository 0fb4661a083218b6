"""Issue 7, item 10: the Practice Hub gives an evaluation to another evaluator while its first
evaluator is typing. Their autosave is told plainly (a 409, not a 404 the page would retry for
ever), what they typed is kept for them alone, and the evaluation stays out of their reach."""

import pytest
from django.urls import reverse

from evaluations import services
from pqa.models import EditConflict, Role
from tests.evaluations.test_sit_alongside_form import form_data
from tests.factories import EvaluationFactory, UserFactory

AJAX = {"X-Requested-With": "XMLHttpRequest", "Accept": "application/json"}


@pytest.fixture
def given_away(evaluator, team, practice_hub):
    evaluation = EvaluationFactory(evaluator=evaluator, team=team)
    services.evaluation_reassign(evaluation=evaluation, evaluator=UserFactory(role=Role.EVALUATOR), actor=practice_hub)
    return evaluation


def test_the_former_evaluators_autosave_is_told_the_evaluation_was_given_away_and_their_text_kept(
    client_for, evaluator, given_away
):
    response = client_for(evaluator).post(
        reverse("evaluations:autosave", args=[given_away.pk]),
        form_data(given_away, strengths="Words typed after the reassignment."),
        headers=AJAX,
    )
    assert response.status_code == 409
    body = response.json()
    assert "given to another evaluator" in body["error"] and "Your text has been kept" in body["error"]
    assert body["kept_url"] == reverse("kept_texts")
    kept = EditConflict.objects.get(user=evaluator)
    assert kept.data["strengths"] == ["Words typed after the reassignment."]
    given_away.refresh_from_db()
    assert given_away.strengths == ""


def test_autosaving_again_keeps_the_latest_words_in_one_copy(client_for, evaluator, given_away):
    client = client_for(evaluator)
    url = reverse("evaluations:autosave", args=[given_away.pk])
    client.post(url, form_data(given_away, strengths="First words."), headers=AJAX)
    client.post(url, form_data(given_away, strengths="First words, and more."), headers=AJAX)
    assert [kept.data["strengths"] for kept in EditConflict.objects.filter(user=evaluator)] == [
        ["First words, and more."]
    ]


def test_saving_the_page_of_a_given_away_evaluation_keeps_the_text_and_shows_where(client_for, evaluator, given_away):
    client = client_for(evaluator)
    response = client.post(
        reverse("evaluations:form", args=[given_away.pk]), form_data(given_away, strengths="Saved by the button.")
    )
    assert response.status_code == 302 and response.url == reverse("kept_texts")
    page = client.get(response.url).content.decode()
    assert "given to another evaluator" in page
    assert "Saved by the button." in page


def test_the_former_evaluator_reads_their_kept_text_but_not_the_evaluation(client_for, evaluator, given_away):
    client = client_for(evaluator)
    client.post(
        reverse("evaluations:autosave", args=[given_away.pk]),
        form_data(given_away, strengths="Mine to keep."),
        headers=AJAX,
    )
    page = client.get(reverse("kept_texts")).content.decode()
    assert "Mine to keep." in page
    assert given_away.child_ref not in page and given_away.reference not in page
    assert client.get(reverse("evaluations:detail", args=[given_away.pk])).status_code == 404
    assert client.get(reverse("evaluations:form", args=[given_away.pk])).status_code == 404


def test_kept_texts_are_only_their_authors(client_for, evaluator, given_away):
    client_for(evaluator).post(
        reverse("evaluations:autosave", args=[given_away.pk]),
        form_data(given_away, strengths="Private words."),
        headers=AJAX,
    )
    new_evaluator = given_away.__class__.objects.get(pk=given_away.pk).evaluator
    assert "Private words." not in client_for(new_evaluator).get(reverse("kept_texts")).content.decode()


def test_an_evaluator_who_never_had_the_evaluation_still_gets_not_found_and_nothing_is_kept(client_for, given_away):
    stranger = UserFactory(role=Role.EVALUATOR)
    response = client_for(stranger).post(
        reverse("evaluations:autosave", args=[given_away.pk]), form_data(given_away), headers=AJAX
    )
    assert response.status_code == 404
    assert not EditConflict.objects.exists()


def test_a_tampered_version_from_the_former_evaluator_is_kept_against_the_current_one(
    client_for, evaluator, given_away
):
    client_for(evaluator).post(
        reverse("evaluations:autosave", args=[given_away.pk]),
        form_data(given_away, version="999999999999"),
        headers=AJAX,
    )
    given_away.refresh_from_db()
    assert EditConflict.objects.get(user=evaluator).based_on_version == given_away.version
