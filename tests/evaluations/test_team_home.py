"""The team manager's home: their team's returned evaluations with the final grade, its open
recommendations (overdue first) and the safeguarding concerns still to acknowledge."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluations import services
from evaluations.models import Grade, Moderation, Recommendation
from tests.factories import EvaluationFactory, completed_evaluation

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def returned(team, **kwargs):
    return completed_evaluation(team=team, submitted_at=timezone.now(), **kwargs)


def recommendation(evaluation, action, due_in_days=None, status=Recommendation.Status.OPEN):
    return Recommendation.objects.create(
        evaluation=evaluation,
        action=action,
        owner_text="Team manager",
        due_date=TODAY + dt.timedelta(days=due_in_days) if due_in_days is not None else None,
        status=status,
    )


def reported_concern(team, reference):
    return EvaluationFactory(
        team=team,
        reference=reference,
        safeguarding_concern=True,
        safeguarding_description="Seen on the visit.",
        safeguarding_reported_at=timezone.now(),
    )


def test_a_team_manager_sees_their_teams_returned_evaluations_with_the_final_grade(
    client_for, team, other_team, team_manager, moderator
):
    moderated = returned(team, grade=Grade.GOOD, reference="PE-T-9004")
    Moderation.objects.create(
        evaluation=moderated,
        moderator=moderator,
        moderated_grade=Grade.REQUIRES_IMPROVEMENT,
        outcome=Moderation.Outcome.DOWNGRADED,
    )
    returned(team, grade=Grade.OUTSTANDING, reference="PE-T-9005")
    returned(other_team, reference="PE-T-9003")
    EvaluationFactory(team=team, reference="PE-T-9006")

    response = client_for(team_manager).get(reverse("evaluations:team_home"))
    page = response.content.decode()
    assert {item.reference for item in response.context["returned"]} == {"PE-T-9004", "PE-T-9005"}
    assert "PE-T-9003" not in page and "PE-T-9006" not in page
    assert "Requires improvement to be good" in page
    assert "Evaluator's grade: Good" in page
    assert "Outstanding" in page


def test_open_recommendations_are_listed_overdue_first(client_for, team, other_team, team_manager):
    evaluation = returned(team)
    later = recommendation(evaluation, "Update the plan", due_in_days=20)
    undated = recommendation(evaluation, "Talk to the school")
    overdue = recommendation(evaluation, "Visit the child", due_in_days=-3)
    soon = recommendation(evaluation, "Book the review", due_in_days=2)
    recommendation(evaluation, "Already done", due_in_days=-10, status=Recommendation.Status.DONE)
    recommendation(returned(other_team), "Another team's", due_in_days=-5)

    response = client_for(team_manager).get(reverse("evaluations:team_home"))
    assert response.context["recommendations"] == [overdue, soon, later, undated]
    page = response.content.decode()
    assert page.count("Overdue") == 1


def test_the_concerns_still_to_acknowledge_are_shown_with_the_button(
    client_for, team, other_team, team_manager, practice_hub
):
    waiting = reported_concern(team, "PE-T-9001")
    done = reported_concern(team, "PE-T-9002")
    services.safeguarding_concern_acknowledge(evaluation=done, actor=practice_hub)
    reported_concern(other_team, "PE-T-9003")

    response = client_for(team_manager).get(reverse("evaluations:team_home"))
    assert [item.reference for item in response.context["concerns"]] == [waiting.reference]
    page = response.content.decode()
    assert reverse("evaluations:safeguarding_acknowledge", args=[waiting.pk]) in page


def test_a_team_manager_with_no_team_is_told_so(client_for, make_user):
    from pqa.models import Role

    manager = make_user(Role.TEAM_MANAGER, team=None)
    page = client_for(manager).get(reverse("evaluations:team_home")).content.decode()
    assert "You are not linked to a team in PQA" in page


def test_only_the_latest_ten_returned_are_shown_with_a_link_to_all(client_for, team, team_manager):
    for _ in range(12):
        returned(team)
    response = client_for(team_manager).get(reverse("evaluations:team_home"))
    assert len(response.context["returned"]) == 10
    assert "All 12 returned evaluations of your team" in response.content.decode()


@pytest.mark.parametrize("rows", [1, 15])
def test_the_home_takes_the_same_number_of_queries_however_much_there_is(
    client_for, team, team_manager, moderator, django_assert_num_queries, rows
):
    for index in range(rows):
        evaluation = returned(team)
        recommendation(evaluation, f"Action {index}", due_in_days=index - 3)
        if index % 2:
            Moderation.objects.create(
                evaluation=evaluation,
                moderator=moderator,
                moderated_grade=Grade.OUTSTANDING,
                outcome=Moderation.Outcome.UPGRADED,
            )
        reported_concern(team, f"PE-T-C{index:03d}")
    client = client_for(team_manager)
    # session, user, second factor chosen?, the 10 latest returned, concerns, team, returned
    # count, recommendations
    with django_assert_num_queries(8):
        response = client.get(reverse("evaluations:team_home"))
    assert len(response.context["concerns"]) == rows
