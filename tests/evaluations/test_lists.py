"""Evaluation lists: scoped to the person, filterable, paginated, and constant in queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.models import CycleType, Evaluation, Grade
from evaluations.services import moderation_record
from pqa.models import Role
from tests.factories import CycleFactory, EvaluationFactory, TeamFactory, UserFactory, completed_evaluation

pytestmark = pytest.mark.django_db


def query_count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_runs_the_same_number_of_queries_for_3_or_30_evaluations(client_for, leader, team):
    client = client_for(leader)
    for _ in range(3):
        completed_evaluation(team=team)
    few = query_count(client, reverse("evaluations:list"))
    for index in range(27):
        evaluation = completed_evaluation(team=TeamFactory(name=f"Team {index}"))
        if index % 3 == 0:
            moderation_record(evaluation=evaluation, moderated_grade=Grade.REQUIRES_IMPROVEMENT, moderator=None)
    assert query_count(client, reverse("evaluations:list")) == few
    # And the constant is small: the session, the person, their second factor, one query
    # for each of the four drop-downs, the count and the page; no session write.
    assert few == 9


def test_an_evaluator_is_offered_only_themselves_in_the_evaluator_filter(client_for, evaluator, team):
    EvaluationFactory(evaluator=evaluator, team=team)
    page = client_for(evaluator).get(reverse("evaluations:list"))
    evaluators = page.context["filter"].form.fields["evaluator"].widget.choices
    assert [label for _, label in evaluators] == ["All evaluators", str(evaluator)]


def test_a_team_manager_can_filter_their_teams_evaluations_by_evaluator(client_for, team):
    manager = UserFactory(role=Role.TEAM_MANAGER, team=team, first_name="Tia", last_name="Manager")
    first = UserFactory(role=Role.EVALUATOR, first_name="Ann", last_name="Evaluator")
    second = UserFactory(role=Role.EVALUATOR, first_name="Ben", last_name="Evaluator")
    elsewhere = UserFactory(role=Role.EVALUATOR, first_name="Cat", last_name="Elsewhere")
    mine = completed_evaluation(team=team, evaluator=first)
    completed_evaluation(team=team, evaluator=second)
    completed_evaluation(team=TeamFactory(), evaluator=elsewhere)
    client = client_for(manager)

    page = client.get(reverse("evaluations:list"))
    offered = [label for _, label in page.context["filter"].form.fields["evaluator"].widget.choices][1:]
    assert offered == [str(first), str(second)]
    filtered = client.get(reverse("evaluations:list"), {"evaluator": first.pk})
    assert [item.pk for item in filtered.context["page"].object_list] == [mine.pk]


def test_my_evaluations_runs_the_same_number_of_queries_for_2_or_20(client_for, evaluator):
    client = client_for(evaluator)
    for _ in range(2):
        EvaluationFactory(evaluator=evaluator)
    few = query_count(client, reverse("evaluations:mine"))
    for _ in range(18):
        EvaluationFactory(evaluator=evaluator, team=TeamFactory())
    assert query_count(client, reverse("evaluations:mine")) == few


def test_an_evaluation_page_runs_the_same_number_of_queries_with_more_recommendations(client_for, leader):
    client = client_for(leader)
    evaluation = completed_evaluation(grade=Grade.REQUIRES_IMPROVEMENT)
    evaluation.recommendations.create(action="One", owner_text="TM")
    url = reverse("evaluations:detail", args=[evaluation.pk])
    one = query_count(client, url)
    for index in range(9):
        evaluation.recommendations.create(action=f"More {index}", owner_text="TM")
    assert query_count(client, url) == one


def test_an_evaluator_sees_only_their_own_evaluations(client_for, evaluator):
    mine = EvaluationFactory(evaluator=evaluator)
    theirs = EvaluationFactory()
    page = client_for(evaluator).get(reverse("evaluations:list")).text
    assert mine.reference in page
    assert theirs.reference not in page


def test_a_team_manager_sees_their_teams_returned_evaluations_but_not_drafts_or_other_teams(
    client_for, team, other_team
):
    manager = UserFactory(role=Role.TEAM_MANAGER, team=team)
    returned = completed_evaluation(team=team)
    draft = EvaluationFactory(team=team)
    elsewhere = completed_evaluation(team=other_team)
    page = client_for(manager).get(reverse("evaluations:list")).text
    assert returned.reference in page
    assert draft.reference not in page
    assert elsewhere.reference not in page


def test_the_list_filters_by_grade_team_service_area_type_and_status(client_for, leader, team, other_team):
    client = client_for(leader)
    good = completed_evaluation(team=team, grade=Grade.GOOD)
    inadequate = completed_evaluation(team=other_team, grade=Grade.INADEQUATE)
    thematic = EvaluationFactory(team=team, cycle=CycleFactory(type=CycleType.THEMATIC))

    def listed(**params):
        text = client.get(reverse("evaluations:list"), params).text
        return {item.reference for item in (good, inadequate, thematic) if item.reference in text}

    assert listed(grade="inadequate") == {inadequate.reference}
    assert listed(team=team.pk) == {good.reference, thematic.reference}
    assert listed(service_area=other_team.service_area.pk) == {inadequate.reference}
    assert listed(type="thematic") == {thematic.reference}
    assert listed(status=Evaluation.Status.ALLOCATED) == {thematic.reference}
    assert listed(reference=good.child_ref) == {good.reference}


def test_the_list_is_paginated_and_keeps_the_filters_between_pages(client_for, leader, team):
    cycle = CycleFactory()
    for _ in range(30):
        EvaluationFactory(team=team, cycle=cycle)
    response = client_for(leader).get(reverse("evaluations:list"), {"team": team.pk})
    assert "30 evaluations, page 1 of 2" in response.text
    assert f"team={team.pk}&amp;page=2" in response.text


def test_an_evaluation_page_prints_without_the_navigation(client_for, leader):
    evaluation = completed_evaluation()
    text = client_for(leader).get(reverse("evaluations:detail", args=[evaluation.pk])).text
    assert "Print this evaluation" in text
    assert "pqa-no-print" in text


def test_the_filters_keep_the_chosen_options_selected_and_the_typed_reference(client_for, leader, team):
    completed_evaluation(team=team)
    text = client_for(leader).get(reverse("evaluations:list"), {"team": team.pk, "reference": "AB<1>"}).text
    assert f'<option value="{team.pk}" selected>{team}</option>' in text
    assert '<option value="" selected>All cycles</option>' in text
    # What was typed comes back in the box, escaped.
    assert 'name="reference" type="text" value="AB&lt;1&gt;" spellcheck="false"' in text


def test_a_filter_with_a_bad_value_shows_its_error_beside_it(client_for, leader):
    text = client_for(leader).get(reverse("evaluations:list"), {"team": "999999"}).text
    assert '<div class="govuk-form-group govuk-form-group--error">' in text
    assert 'id="id_team-error"><span class="govuk-visually-hidden">Error:</span> Select a valid choice.' in text


def test_each_row_shows_the_case_id_status_final_grade_cycle_team_and_evaluator(client_for, leader, team):
    evaluator = UserFactory(role=Role.EVALUATOR, first_name="Ann", last_name="Evaluator")
    evaluation = completed_evaluation(team=team, evaluator=evaluator, grade=Grade.GOOD)
    moderation_record(evaluation=evaluation, moderated_grade=Grade.REQUIRES_IMPROVEMENT, moderator=None)
    text = client_for(leader).get(reverse("evaluations:list")).text
    row = text[text.index(f'href="{reverse("evaluations:detail", args=[evaluation.pk])}"') :]
    row = row[: row.index("</tr>")]
    for shown in (
        evaluation.reference,
        evaluation.child_ref,
        '<strong class="govuk-tag govuk-tag--green">Returned</strong>',
        "Requires improvement to be good</strong>",
        "(evaluator: Good)",
        f"{evaluation.cycle.quarter} {evaluation.cycle.get_type_display()}",
        team.name,
        team.service_area.name,
        str(evaluator),
    ):
        assert shown in row
