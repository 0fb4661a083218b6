"""Only the people who evaluate are offered, and given, an evaluation: evaluators, team
managers, moderators and the Practice Hub. Leaders, customer relations and administrators
never are, nor anyone whose account is inactive."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from evaluations import services
from evaluations.models import CycleType, Evaluation
from evaluations.selectors import people_who_evaluate
from evaluations.services import AllocationRequest, OpenCase
from pqa.models import Role
from tests.factories import EvaluationFactory

SOON = timezone.localdate() + dt.timedelta(days=21)
EVALUATING = [Role.EVALUATOR, Role.TEAM_MANAGER, Role.MODERATOR, Role.PRACTICE_HUB]
NOT_EVALUATING = [Role.LEADER, Role.CUSTOMER_RELATIONS, Role.ADMINISTRATOR]


@pytest.fixture
def cycle(practice_hub):
    return services.cycle_open(quarter="2025-26-Q2", type=CycleType.TRUST_WIDE, actor=practice_hub)


@pytest.fixture
def everyone(make_user):
    """One active account per role, and an inactive evaluator."""
    people = {role: make_user(role, username=f"someone.{role}", first_name=role.title()) for role in Role.values}
    people["inactive"] = make_user(Role.EVALUATOR, username="gone.evaluator", first_name="Gone", is_active=False)
    return people


def offered(response, field):
    return {user.username for user in response.context["form"].fields[field].queryset}


def test_people_who_evaluate_are_the_active_evaluators_team_managers_moderators_and_practice_hub(everyone):
    assert {user.username for user in people_who_evaluate()} == {f"someone.{role}" for role in EVALUATING}


@pytest.mark.parametrize(
    ("url_name", "field"),
    [("evaluations:allocate_one", "evaluator"), ("evaluations:allocate_sample", "evaluators")],
)
def test_allocating_offers_only_people_who_evaluate(client_for, practice_hub, cycle, everyone, url_name, field):
    response = client_for(practice_hub).get(reverse(url_name, args=[cycle.pk]))
    page = response.content.decode()
    assert offered(response, field) == {f"someone.{role}" for role in EVALUATING} | {practice_hub.username}
    for role in NOT_EVALUATING:
        assert everyone[role].email not in page
    assert everyone["inactive"].email not in page


def test_reassigning_offers_only_people_who_evaluate(client_for, practice_hub, cycle, team, everyone):
    evaluation = EvaluationFactory(cycle=cycle, team=team, evaluator=everyone[Role.EVALUATOR])
    response = client_for(practice_hub).get(reverse("evaluations:reassign", args=[evaluation.pk]))
    assert offered(response, "evaluator") == {f"someone.{role}" for role in EVALUATING if role != Role.EVALUATOR} | {
        practice_hub.username
    }


def test_a_leader_given_an_evaluation_by_a_crafted_post_is_refused_with_a_form_error(
    client_for, practice_hub, cycle, team, everyone
):
    leader = everyone[Role.LEADER]
    response = client_for(practice_hub).post(
        reverse("evaluations:allocate_one", args=[cycle.pk]),
        {"child_ref": "1234567", "practitioner": "SW-1", "team": team.pk, "evaluator": leader.pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["evaluator"]
    assert "govuk-error-summary" in response.content.decode()
    assert not Evaluation.objects.exists()


def test_a_pasted_list_naming_a_leader_is_refused_by_the_service_with_a_form_error(
    client_for, practice_hub, cycle, team, everyone
):
    leader = everyone[Role.LEADER]
    rows = f"1234567, SW-1, {team.service_area.name}, {team.name}, {leader.email}"
    response = client_for(practice_hub).post(reverse("evaluations:allocate_list", args=[cycle.pk]), {"rows": rows})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["rows"])
    assert f"{leader} cannot be given an evaluation" in errors
    assert not Evaluation.objects.exists()


@pytest.mark.parametrize("role", NOT_EVALUATING)
def test_the_allocation_service_refuses_someone_who_does_not_evaluate(cycle, team, practice_hub, everyone, role):
    request = AllocationRequest(child_ref="1234567", practitioner="SW-1", team=team, evaluator=everyone[role])
    with pytest.raises(ValidationError) as error:
        services.evaluation_allocate(cycle=cycle, request=request, actor=practice_hub)
    assert "evaluator" in error.value.message_dict
    assert not Evaluation.objects.exists()


def test_the_sample_service_refuses_to_share_cases_with_a_leader(cycle, team, practice_hub, everyone):
    with pytest.raises(ValidationError) as error:
        services.evaluations_allocate_sample(
            cycle=cycle,
            open_cases=[OpenCase(child_ref="1234567", practitioner="SW-1", team=team)],
            per_team=1,
            evaluators=[everyone[Role.EVALUATOR], everyone[Role.LEADER]],
            due_date=SOON,
            actor=practice_hub,
        )
    assert "evaluators" in error.value.message_dict
    assert not Evaluation.objects.exists()


def test_the_reassign_service_refuses_an_administrator(cycle, team, practice_hub, everyone):
    evaluation = EvaluationFactory(cycle=cycle, team=team, evaluator=everyone[Role.EVALUATOR])
    with pytest.raises(ValidationError):
        services.evaluation_reassign(evaluation=evaluation, evaluator=everyone[Role.ADMINISTRATOR], actor=practice_hub)
    evaluation.refresh_from_db()
    assert evaluation.evaluator == everyone[Role.EVALUATOR]


def test_a_team_manager_can_be_given_an_evaluation(cycle, team, practice_hub, everyone):
    request = AllocationRequest(
        child_ref="1234567", practitioner="SW-1", team=team, evaluator=everyone[Role.TEAM_MANAGER]
    )
    evaluation = services.evaluation_allocate(cycle=cycle, request=request, actor=practice_hub)
    assert evaluation.evaluator == everyone[Role.TEAM_MANAGER]
