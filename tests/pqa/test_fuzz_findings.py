"""The 500s the fuzz test (tests/test_fuzz.py) found, each fixed at its source and kept here."""

import datetime as dt

import pytest
from django.urls import reverse

from tests.factories import EvaluationFactory


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["0", "home", "evaluations:list", "//evil.example/", "https://evil.example/"])
def test_a_next_that_is_not_a_path_on_this_site_sends_the_acknowledger_back_to_the_concern(
    client_for, practice_hub, team, evaluator, next_url
):
    concern = EvaluationFactory(
        team=team,
        evaluator=evaluator,
        safeguarding_concern=True,
        safeguarding_description="Seen on the visit.",
        safeguarding_reported_at=dt.datetime(2025, 5, 1, 9, 0, tzinfo=dt.UTC),
    )
    response = client_for(practice_hub).post(
        reverse("evaluations:safeguarding_acknowledge", args=[concern.pk]), {"next": next_url}
    )
    assert response.status_code == 302
    assert response.url == reverse("evaluations:safeguarding", args=[concern.pk])


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["0", "home"])
def test_a_next_that_is_a_bare_word_on_the_two_factor_pages_is_ignored(client_for, practice_hub, next_url):
    response = client_for(practice_hub).get(reverse("two_factor"), {"next": next_url})
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response.url.startswith("/")


@pytest.mark.django_db
def test_a_very_long_search_in_the_evaluation_list_is_refused_not_a_database_error(client_for, leader):
    response = client_for(leader).get(reverse("evaluations:list"), {"reference": "x" * 60_000})
    assert response.status_code == 200
    assert "Ensure this value has at most 100 characters" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("member", ["99999999999999999999", "-1", "0", "x"])
def test_a_chosen_person_that_cannot_be_an_id_is_an_invalid_choice_not_a_database_error(
    client_for, practice_hub, member
):
    """A moderation panel's members (checkboxes of accounts): a posted id beyond what the
    database holds once reached SQLite and overflowed (a 500)."""
    from tests.factories import CycleFactory

    cycle = CycleFactory()
    response = client_for(practice_hub).post(
        reverse("evaluations:moderation_panel_create", args=[cycle.pk]),
        {"held_on_0": "1", "held_on_1": "5", "held_on_2": "2025", "members": [member]},
    )
    assert response.status_code == 200
    assert "govuk-error-summary" in response.text
