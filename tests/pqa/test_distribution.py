"""The quarterly grade distribution out (docs/contracts/evaluations-csv.md): the JSON, the
command and the page."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.models import CycleType, Evaluation, Grade, Moderation, PillarGrade
from evaluations.selectors import grade_distribution
from pqa.models import Role
from tests.factories import CycleFactory, EvaluationFactory, completed_evaluation

GRADES = ["outstanding", "good", "requires_improvement", "inadequate"]
ANSWERS = ["yes", "partly", "no"]


def zero_grades() -> dict[str, int]:
    return dict.fromkeys(GRADES, 0)


EMPTY = {
    "quarter": "2025-26-Q1",
    "service_area": None,
    "type": None,
    "allocated": 0,
    "completed": 0,
    "return_rate": None,
    "overall": {"evaluator": zero_grades(), "final": zero_grades()},
    "pillars": {pillar: zero_grades() for pillar in ("childs_voice", "assessment", "planning", "oversight")},
    "moderation": {
        "moderated": 0,
        "agreed": 0,
        "upgraded": 0,
        "downgraded": 0,
        "agreement_rate": None,
        "by_pillar": {
            pillar: {"moderated": 0, "agreed": 0, "upgraded": 0, "downgraded": 0, "agreement_rate": None}
            for pillar in ("childs_voice", "assessment", "planning", "oversight")
        },
    },
    "intervention_appropriate": dict.fromkeys(ANSWERS, 0),
    "positive_difference": dict.fromkeys(ANSWERS, 0),
    "record_reflects_work": dict.fromkeys(ANSWERS, 0),
}


OUTCOME_KEYS = ("moderated", "agreed", "upgraded", "downgraded")


def moderate(evaluation: Evaluation, grade: str) -> Moderation:
    return Moderation.objects.create(
        evaluation=evaluation,
        moderated_grade=grade,
        outcome=Moderation.outcome_for(overall_grade=evaluation.overall_grade, moderated_grade=grade),
    )


@pytest.fixture
def quarter(team, other_team, evaluator):
    """2025-26-Q1: five evaluations allocated in the trust-wide round, four returned, two moderated;
    one service evaluation in another service area; and one evaluation in the next quarter."""
    trust_wide = CycleFactory(quarter="2025-26-Q1", type=CycleType.TRUST_WIDE)
    service = CycleFactory(quarter="2025-26-Q1", type=CycleType.SERVICE)
    common = {"cycle": trust_wide, "team": team, "evaluator": evaluator}
    good = completed_evaluation(grade=Grade.GOOD, **common)
    moderate(good, Grade.OUTSTANDING)  # upgraded: final outstanding
    weak = completed_evaluation(grade=Grade.REQUIRES_IMPROVEMENT, pillar_grade=Grade.INADEQUATE, **common)
    moderate(weak, Grade.REQUIRES_IMPROVEMENT)  # agreed
    completed_evaluation(grade=Grade.GOOD, **common)
    strong = completed_evaluation(grade=Grade.OUTSTANDING, **common)
    Evaluation.objects.filter(pk=strong.pk).update(positive_difference="no")
    EvaluationFactory(status=Evaluation.Status.NOT_RETURNED, **common)
    completed_evaluation(grade=Grade.INADEQUATE, cycle=service, team=other_team, evaluator=evaluator)
    completed_evaluation(grade=Grade.GOOD, cycle=CycleFactory(quarter="2025-26-Q2"), team=team, evaluator=evaluator)
    # Still being worked on: allocated in the quarter but neither returned nor counted as not returned yet.
    EvaluationFactory(status=Evaluation.Status.IN_PROGRESS, **common)
    return {"trust_wide": trust_wide, "service": service}


def distribution_json(client, **params):
    return client.get(reverse("reporting:distribution_json"), params)


# --- The shape ---------------------------------------------------------------------------------


def test_a_quarter_with_no_evaluations_has_every_key_with_zeroes_and_a_null_return_rate(db):
    assert grade_distribution(quarter="2025-26-Q1") == EMPTY


def test_the_json_has_every_key_of_the_contract(client_for, leader):
    response = distribution_json(client_for(leader), quarter="2025-26-Q1")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == EMPTY


def test_the_quarter_is_written_in_its_standard_form(db):
    assert grade_distribution(quarter=" 2025-26-Q1 ")["quarter"] == "2025-26-Q1"


# --- The counts --------------------------------------------------------------------------------


def test_the_counts_cover_the_quarter_of_every_type_and_service_area(quarter):
    data = grade_distribution(quarter="2025-26-Q1")
    assert data["allocated"] == 6  # 5 completed + 1 not returned; in progress is neither
    assert data["completed"] == 5
    assert data["return_rate"] == round(5 / 6, 4) == 0.8333
    assert data["overall"]["evaluator"] == {"outstanding": 1, "good": 2, "requires_improvement": 1, "inadequate": 1}
    assert data["overall"]["final"] == {"outstanding": 2, "good": 1, "requires_improvement": 1, "inadequate": 1}
    assert data["pillars"]["childs_voice"] == {"outstanding": 1, "good": 2, "requires_improvement": 0, "inadequate": 2}
    assert data["pillars"]["oversight"] == data["pillars"]["childs_voice"]
    assert {key: data["moderation"][key] for key in OUTCOME_KEYS} == {
        "moderated": 2,
        "agreed": 1,
        "upgraded": 1,
        "downgraded": 0,
    }
    assert data["moderation"]["agreement_rate"] == 0.5
    assert data["intervention_appropriate"] == {"yes": 5, "partly": 0, "no": 0}
    assert data["positive_difference"] == {"yes": 4, "partly": 0, "no": 1}
    assert data["record_reflects_work"] == {"yes": 0, "partly": 5, "no": 0}


def test_the_final_grade_is_the_moderated_one_where_there_is_one(db, team, evaluator):
    cycle = CycleFactory(quarter="2025-26-Q1")
    evaluation = completed_evaluation(grade=Grade.GOOD, cycle=cycle, team=team, evaluator=evaluator)
    moderate(evaluation, Grade.INADEQUATE)
    data = grade_distribution(quarter="2025-26-Q1")
    assert data["overall"]["evaluator"]["good"] == 1
    assert data["overall"]["final"] == {"outstanding": 0, "good": 0, "requires_improvement": 0, "inadequate": 1}
    assert {key: data["moderation"][key] for key in OUTCOME_KEYS} == {
        "moderated": 1,
        "agreed": 0,
        "upgraded": 0,
        "downgraded": 1,
    }


def test_filtering_by_service_area_counts_only_its_teams(quarter):
    data = grade_distribution(quarter="2025-26-Q1", service_area="Child Protection")
    assert data["service_area"] == "Child Protection"
    assert (data["allocated"], data["completed"], data["return_rate"]) == (1, 1, 1.0)
    assert data["overall"]["evaluator"] == {"outstanding": 0, "good": 0, "requires_improvement": 0, "inadequate": 1}


def test_the_service_area_is_matched_whatever_the_letter_case(quarter):
    assert (
        grade_distribution(quarter="2025-26-Q1", service_area="children in care")["service_area"] == "Children in Care"
    )


def test_filtering_by_type_counts_only_that_round(quarter):
    data = grade_distribution(quarter="2025-26-Q1", type="trust_wide")
    assert data["type"] == "trust_wide"
    assert (data["allocated"], data["completed"]) == (5, 4)
    assert data["return_rate"] == 0.8


def test_the_filters_combine(quarter):
    data = grade_distribution(quarter="2025-26-Q1", service_area="Child Protection", type="trust_wide")
    assert (data["allocated"], data["completed"], data["return_rate"]) == (0, 0, None)


def test_only_graded_pillars_of_completed_evaluations_are_counted(db, team, evaluator):
    cycle = CycleFactory(quarter="2025-26-Q1")
    draft = EvaluationFactory(cycle=cycle, team=team, evaluator=evaluator, status=Evaluation.Status.IN_PROGRESS)
    PillarGrade.objects.create(evaluation=draft, pillar="planning", grade=Grade.GOOD)
    returned = completed_evaluation(cycle=cycle, team=team, evaluator=evaluator)
    returned.pillar_grades.filter(pillar="planning").update(grade="")
    assert grade_distribution(quarter="2025-26-Q1")["pillars"]["planning"] == zero_grades()


def test_the_json_view_serves_the_same_object_as_the_selector(client_for, leader, quarter):
    response = distribution_json(client_for(leader), quarter="2025-26-Q1", service_area="Children in Care", type="")
    assert response.json() == grade_distribution(quarter="2025-26-Q1", service_area="Children in Care")


# --- Errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "quarter is required"),
        ({"quarter": "2025-Q1"}, "'2025-Q1' is not a quarter"),
        ({"quarter": "2025-27-Q1"}, "'2025-27-Q1' is not a quarter"),
        ({"quarter": "2025-26-Q1", "service_area": "Narnia"}, "'Narnia' is not a service area"),
        ({"quarter": "2025-26-Q1", "type": "audit"}, "'audit' is not an evaluation type"),
    ],
)
def test_a_bad_request_is_a_400_with_a_clear_message(client_for, leader, params, message):
    response = distribution_json(client_for(leader), **params)
    assert response.status_code == 400
    assert message in response.json()["error"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--quarter", "Q1 2025"], "'Q1 2025' is not a quarter"),
        (["--quarter", "2025-26-Q1", "--service-area", "Narnia"], "'Narnia' is not a service area"),
        (["--quarter", "2025-26-Q1", "--type", "audit"], "'audit' is not an evaluation type"),
        ([], "the following arguments are required: --quarter"),
    ],
)
def test_the_command_fails_with_a_clear_message(db, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("pqa_distribution", *options)


# --- The command -------------------------------------------------------------------------------


def test_the_command_prints_the_json_object(quarter):
    out = io.StringIO()
    call_command("pqa_distribution", "--quarter", "2025-26-Q1", "--service-area", "Children in Care", stdout=out)
    text = out.getvalue()
    assert text.startswith('{\n  "quarter": "2025-26-Q1",\n  "service_area": "Children in Care",')
    assert json.loads(text) == grade_distribution(quarter="2025-26-Q1", service_area="Children in Care")


def test_the_command_filters_by_type(quarter):
    out = io.StringIO()
    call_command("pqa_distribution", "--quarter", "2025-26-Q1", "--type", "service", stdout=out)
    assert json.loads(out.getvalue())["completed"] == 1


# --- Speed -------------------------------------------------------------------------------------


def queries_for_distribution(count: int, team, evaluator) -> int:
    cycle = CycleFactory(quarter="2025-26-Q3", title=f"Round of {count}")
    for index in range(count):
        evaluation = completed_evaluation(grade=GRADES[index % 4], cycle=cycle, team=team, evaluator=evaluator)
        if index % 3 == 0:
            moderate(evaluation, Grade.GOOD)
    with CaptureQueriesContext(connection) as queries:
        data = grade_distribution(quarter="2025-26-Q3", service_area="Children in Care", type="trust_wide")
    assert data["completed"] == count
    return len(queries)


def test_the_distribution_takes_the_same_few_queries_for_5_or_50_evaluations(
    db, team, evaluator, django_assert_max_num_queries
):
    few = queries_for_distribution(5, team, evaluator)
    Evaluation.objects.all().delete()
    many = queries_for_distribution(50, team, evaluator)
    assert few == many
    with django_assert_max_num_queries(4):  # the service area, evaluations, pillar grades, moderated pillars
        grade_distribution(quarter="2025-26-Q3", service_area="Children in Care", type="trust_wide")


def test_the_json_view_takes_the_same_queries_however_many_evaluations(client_for, leader, team, evaluator):
    client = client_for(leader)

    def count(number: int) -> int:
        cycle = CycleFactory(quarter="2025-26-Q4")
        for _ in range(number):
            completed_evaluation(cycle=cycle, team=team, evaluator=evaluator)
        with CaptureQueriesContext(connection) as queries:
            assert distribution_json(client, quarter="2025-26-Q4").json()["completed"] == number
        return len(queries)

    few = count(5)
    Evaluation.objects.all().delete()
    assert count(50) == few


# --- Who may see it ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.EVALUATOR, Role.TEAM_MANAGER, Role.CUSTOMER_RELATIONS])
def test_people_without_reports_get_not_found_for_the_json_and_the_page(client_for, make_user, role):
    client = client_for(make_user(role))
    assert distribution_json(client, quarter="2025-26-Q1").status_code == 404
    assert client.get(reverse("reporting:distribution")).status_code == 404


def test_an_evaluator_gets_not_found_for_the_json(client_for, evaluator):
    assert distribution_json(client_for(evaluator), quarter="2025-26-Q1").status_code == 404


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.PRACTICE_HUB, Role.LEADER, Role.ADMINISTRATOR])
def test_people_who_see_reports_get_the_json(client_for, make_user, role):
    assert distribution_json(client_for(make_user(role)), quarter="2025-26-Q1").status_code == 200


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get(reverse("reporting:distribution_json"), {"quarter": "2025-26-Q1"})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- The page ----------------------------------------------------------------------------------


def test_the_page_shows_the_latest_quarter_by_default(client_for, leader, quarter):
    response = client_for(leader).get(reverse("reporting:distribution"))
    assert response.status_code == 200
    assert response.context["data"]["quarter"] == "2025-26-Q2"
    content = response.content.decode()
    assert "Q2 2025/26 (July–September 2025)" in content


def test_the_page_shows_tables_and_a_chart_with_percentages(client_for, leader, quarter):
    response = client_for(leader).get(reverse("reporting:distribution"), {"quarter": "2025-26-Q1"})
    content = response.content.decode()
    assert response.context["data"] == grade_distribution(quarter="2025-26-Q1")
    assert "<svg" in content and 'role="img"' in content
    for heading in ("Return rate", "Overall grades", "Grades by pillar", "Moderation", "Headline questions"):
        assert heading in content
    # 5 returned of 7 allocated (1 not returned, 1 still out in the open cycle): provisional.
    assert "Return rate so far: 71%" in " ".join(content.split())
    assert "(40.0%)" in content  # final grade outstanding: 2 of 5
    assert "Is our intervention appropriate to the child&#x27;s circumstances?" in content
    tables = response.context["tables"]
    assert [row["final"] for row in tables["overall"]] == [2, 1, 1, 1]
    assert tables["moderation"]["rows"][0] == {"label": "Agreed", "count": 1, "percent": 50.0}


def test_the_page_filters_by_service_area_and_type(client_for, leader, quarter):
    response = client_for(leader).get(
        reverse("reporting:distribution"),
        {"quarter": "2025-26-Q1", "service_area": "Child Protection", "type": "service"},
    )
    assert response.context["data"]["completed"] == 1
    assert "Child Protection" in response.content.decode()


def test_the_page_says_so_when_there_are_no_evaluations(client_for, leader):
    response = client_for(leader).get(reverse("reporting:distribution"))
    assert response.status_code == 200
    assert "There are no evaluations yet" in response.content.decode()


def test_the_page_shows_an_error_for_an_unknown_quarter(client_for, leader, quarter):
    response = client_for(leader).get(reverse("reporting:distribution"), {"quarter": "2019-20-Q1"})
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()
    assert "data" not in response.context


def test_the_page_takes_the_same_queries_however_many_evaluations(client_for, leader, team, evaluator):
    client = client_for(leader)

    def count(number: int) -> int:
        cycle = CycleFactory(quarter="2025-26-Q4")
        for _ in range(number):
            completed_evaluation(cycle=cycle, team=team, evaluator=evaluator)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("reporting:distribution")).context["data"]["completed"] == number
        return len(queries)

    few = count(5)
    Evaluation.objects.all().delete()
    assert count(50) == few
