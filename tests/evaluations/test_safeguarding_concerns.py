"""Safeguarding concerns: a team manager of the evaluation's team, or the Practice Hub,
acknowledges a reported concern once; who and when are recorded. The list shows those who act
on concerns what is still to acknowledge first."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluations import services
from evaluations.models import Evaluation
from evaluations.services import EvaluationError
from pqa.models import Role
from tests.factories import EvaluationFactory, UserFactory

pytestmark = pytest.mark.django_db


def concern(team, reported_days_ago=1, **kwargs) -> Evaluation:
    return EvaluationFactory(
        team=team,
        safeguarding_concern=True,
        safeguarding_description="Seen on the visit.",
        safeguarding_reported_at=timezone.now() - dt.timedelta(days=reported_days_ago),
        **kwargs,
    )


# --- The service ------------------------------------------------------------------------------


def test_a_team_manager_acknowledges_their_teams_concern_and_who_and_when_are_recorded(team, team_manager):
    evaluation = concern(team)
    version = evaluation.version
    services.safeguarding_concern_acknowledge(evaluation=evaluation, actor=team_manager)
    evaluation.refresh_from_db()
    assert evaluation.safeguarding_acknowledged_by == team_manager
    assert timezone.now() - evaluation.safeguarding_acknowledged_at < dt.timedelta(seconds=5)
    latest = evaluation.history.order_by("-history_date").first()
    assert latest.history_user == team_manager
    assert latest.safeguarding_acknowledged_by_id == team_manager.pk
    # Not an edit of the evaluation: an evaluator typing in the draft is not refused.
    assert evaluation.version == version


def test_the_practice_hub_acknowledges_any_teams_concern(other_team, practice_hub):
    evaluation = concern(other_team)
    services.safeguarding_concern_acknowledge(evaluation=evaluation, actor=practice_hub)
    evaluation.refresh_from_db()
    assert evaluation.safeguarding_acknowledged_by == practice_hub


def test_a_manager_of_another_team_cannot_acknowledge(other_team, team_manager):
    evaluation = concern(other_team)
    with pytest.raises(EvaluationError, match="Only a team manager of the evaluation's team"):
        services.safeguarding_concern_acknowledge(evaluation=evaluation, actor=team_manager)
    evaluation.refresh_from_db()
    assert evaluation.safeguarding_acknowledged_at is None


@pytest.mark.parametrize("role", [Role.EVALUATOR, Role.MODERATOR, Role.LEADER, Role.ADMINISTRATOR])
def test_no_one_else_can_acknowledge(team, role):
    evaluation = concern(team)
    with pytest.raises(EvaluationError):
        services.safeguarding_concern_acknowledge(evaluation=evaluation, actor=UserFactory(role=role, team=team))


def test_the_evaluator_who_raised_it_cannot_acknowledge_it_even_as_the_teams_manager(team, team_manager):
    evaluation = concern(team, evaluator=team_manager)
    with pytest.raises(EvaluationError, match="never the evaluator who raised it"):
        services.safeguarding_concern_acknowledge(evaluation=evaluation, actor=team_manager)


def test_an_evaluation_with_no_reported_concern_cannot_be_acknowledged(team, team_manager):
    evaluation = EvaluationFactory(team=team)
    with pytest.raises(EvaluationError, match="No safeguarding concern"):
        services.safeguarding_concern_acknowledge(evaluation=evaluation, actor=team_manager)


def test_a_concern_is_acknowledged_once(team, team_manager, practice_hub):
    evaluation = concern(team)
    services.safeguarding_concern_acknowledge(evaluation=evaluation, actor=team_manager)
    with pytest.raises(EvaluationError, match="already been acknowledged"):
        services.safeguarding_concern_acknowledge(evaluation=evaluation, actor=practice_hub)
    evaluation.refresh_from_db()
    assert evaluation.safeguarding_acknowledged_by == team_manager


# --- The pages --------------------------------------------------------------------------------


def test_the_list_shows_a_team_manager_their_teams_concerns_still_to_acknowledge_first(
    client_for, team, other_team, team_manager, practice_hub
):
    older = concern(team, reported_days_ago=5, reference="PE-T-9101")
    acknowledged = concern(team, reported_days_ago=1, reference="PE-T-9102")
    services.safeguarding_concern_acknowledge(evaluation=acknowledged, actor=practice_hub)
    newer = concern(team, reported_days_ago=2, reference="PE-T-9103")
    concern(other_team, reference="PE-T-9104")
    EvaluationFactory(team=team, reference="PE-T-9105")

    response = client_for(team_manager).get(reverse("evaluations:safeguarding_list"))
    references = [item.reference for item in response.context["page"].object_list]
    assert references == [newer.reference, older.reference, acknowledged.reference]
    page = response.content.decode()
    assert "2 concerns still to acknowledge" in page
    assert page.count(">Acknowledge<span") == 2


def test_the_practice_hub_sees_every_teams_concerns(client_for, team, other_team, practice_hub):
    concern(team)
    concern(other_team)
    response = client_for(practice_hub).get(reverse("evaluations:safeguarding_list"))
    assert response.context["page"].paginator.count == 2


def test_the_acknowledge_button_acknowledges_and_goes_back_to_the_list(client_for, team, team_manager):
    evaluation = concern(team)
    client = client_for(team_manager)
    response = client.post(
        reverse("evaluations:safeguarding_acknowledge", args=[evaluation.pk]),
        {"next": reverse("evaluations:safeguarding_list")},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("evaluations:safeguarding_list")
    page = response.content.decode()
    assert f"You acknowledged the safeguarding concern in {evaluation.reference}" in page
    assert "No concern is waiting to be acknowledged" in page
    evaluation.refresh_from_db()
    assert evaluation.safeguarding_acknowledged_by == team_manager


def test_acknowledging_twice_says_so_and_changes_nothing(client_for, team, team_manager, practice_hub):
    evaluation = concern(team)
    services.safeguarding_concern_acknowledge(evaluation=evaluation, actor=practice_hub)
    response = client_for(team_manager).post(
        reverse("evaluations:safeguarding_acknowledge", args=[evaluation.pk]), follow=True
    )
    assert "already been acknowledged" in response.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.safeguarding_acknowledged_by == practice_hub


def test_acknowledging_never_sends_the_person_to_another_site(client_for, team, team_manager):
    evaluation = concern(team)
    response = client_for(team_manager).post(
        reverse("evaluations:safeguarding_acknowledge", args=[evaluation.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("evaluations:safeguarding", args=[evaluation.pk])


def test_acknowledging_is_a_post_only(client_for, team, team_manager):
    evaluation = concern(team)
    response = client_for(team_manager).get(reverse("evaluations:safeguarding_acknowledge", args=[evaluation.pk]))
    assert response.status_code == 405
    evaluation.refresh_from_db()
    assert evaluation.safeguarding_acknowledged_at is None


def test_the_concern_page_offers_the_button_to_the_teams_manager_and_then_says_who_acknowledged(
    client_for, team, team_manager, moderator
):
    evaluation = concern(team)
    url = reverse("evaluations:safeguarding", args=[evaluation.pk])
    assert ">Acknowledge<span" not in client_for(moderator).get(url).content.decode()
    client = client_for(team_manager)
    assert ">Acknowledge<span" in client.get(url).content.decode()
    client.post(reverse("evaluations:safeguarding_acknowledge", args=[evaluation.pk]), {"next": url})
    page = client.get(url).content.decode()
    assert ">Acknowledge<span" not in page
    assert f"by {team_manager}" in page


@pytest.mark.parametrize("rows", [1, 12])
def test_the_list_takes_the_same_number_of_queries_however_many_concerns(
    client_for, team, other_team, practice_hub, django_assert_num_queries, rows
):
    for index in range(rows):
        evaluation = concern(team if index % 2 else other_team)
        if index % 3 == 0:
            services.safeguarding_concern_acknowledge(evaluation=evaluation, actor=practice_hub)
    client = client_for(practice_hub)
    # session, user, device (second factor), count, page, still to acknowledge
    with django_assert_num_queries(6):
        response = client.get(reverse("evaluations:safeguarding_list"))
    assert len(response.context["page"].object_list) == rows
