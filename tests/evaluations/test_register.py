"""The recommendations register: its rules, its filters and export, "my actions", the
Practice Hub's home, and what a revisit found."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from evaluations import services
from evaluations.models import Grade, Recommendation
from pqa.models import Role
from pqa.versioning import ConcurrentEditError
from tests.factories import CycleFactory, TeamFactory, UserFactory, completed_evaluation

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
DONE = Recommendation.Status.DONE
NOT_ACHIEVED = Recommendation.Status.NOT_ACHIEVED


def recommendation(*, owner=None, due=None, status=Recommendation.Status.OPEN, evaluation=None, **kwargs):
    evaluation = evaluation or completed_evaluation(grade=Grade.REQUIRES_IMPROVEMENT)
    values = {"action": "Update the chronology", "owner": owner, "due_date": due or TODAY + dt.timedelta(days=30)}
    if status in Recommendation.CLOSED_STATUSES:
        values.update(completed_on=TODAY, outcome_note="Done.")
    return evaluation.recommendations.create(status=status, **{**values, **kwargs})


# --- Rules -------------------------------------------------------------------------------------


def test_a_recommendation_is_not_closed_without_a_note_or_a_date(evaluator):
    item = recommendation(owner=evaluator)
    with pytest.raises(ValidationError) as refused:
        services.recommendation_set_status(recommendation=item, status=DONE, actor=evaluator, expected_version=1)
    assert refused.value.message_dict == {
        "outcome_note": ["Enter what was done"],
        "completed_on": ["Enter the date it was done"],
    }
    item.refresh_from_db()
    assert (item.status, item.version) == (Recommendation.Status.OPEN, 1)

    done = services.recommendation_set_status(
        recommendation=item,
        status=DONE,
        note="  Chronology brought up to date.  ",
        completed_on=TODAY,
        actor=evaluator,
        expected_version=1,
    )
    assert (done.status, done.outcome_note, done.completed_on, done.version) == (
        DONE,
        "Chronology brought up to date.",
        TODAY,
        2,
    )
    assert done.completed_at is not None
    assert done.history.first().history_user == evaluator


def test_not_achieved_needs_a_reason(evaluator):
    item = recommendation(owner=evaluator)
    with pytest.raises(ValidationError) as refused:
        services.recommendation_set_status(
            recommendation=item, status=NOT_ACHIEVED, completed_on=TODAY, actor=evaluator, expected_version=1
        )
    assert refused.value.message_dict == {"outcome_note": ["Enter why it was not achieved"]}


def test_opened_again_a_recommendation_loses_its_closing_note_and_the_history_keeps_it(evaluator):
    item = recommendation(owner=evaluator, status=DONE)
    reopened = services.recommendation_set_status(
        recommendation=item, status=Recommendation.Status.IN_PROGRESS, actor=evaluator, expected_version=1
    )
    assert (reopened.outcome_note, reopened.completed_on, reopened.completed_at) == ("", None, None)
    assert [row.status for row in reopened.history.all()] == ["in_progress", "done"]


def test_the_owner_must_be_an_active_account(evaluator, practice_hub):
    gone = UserFactory(is_active=False)
    item = recommendation(owner=evaluator)
    with pytest.raises(ValidationError, match="Choose an active account"):
        services.recommendation_update(
            recommendation=item, values={"owner": gone}, actor=practice_hub, expected_version=1
        )
    draft = completed_evaluation(status="in_progress", overall_grade="", evaluator=evaluator)
    with pytest.raises(ValidationError) as refused:
        services.evaluation_save_draft(
            evaluation=draft,
            actor=evaluator,
            expected_version=1,
            fields={},
            recommendations=[{"action": "Visit", "owner": gone}],
        )
    assert "recommendations-0-owner" in refused.value.message_dict


def test_a_status_change_from_a_stale_version_is_refused(evaluator, team):
    manager = UserFactory(role=Role.TEAM_MANAGER, team=team)
    item = recommendation(owner=evaluator, evaluation=completed_evaluation(team=team))
    services.recommendation_set_status(
        recommendation=item, status=Recommendation.Status.IN_PROGRESS, actor=evaluator, expected_version=1
    )
    with pytest.raises(ConcurrentEditError):
        services.recommendation_set_status(
            recommendation=item, status=DONE, note="Done", completed_on=TODAY, actor=manager, expected_version=1
        )
    item.refresh_from_db()
    assert (item.status, item.version) == (Recommendation.Status.IN_PROGRESS, 2)


def test_only_the_owner_their_managers_and_the_practice_hub_move_an_action_along(
    evaluator, practice_hub, leader, team, other_team
):
    evaluation = completed_evaluation(team=team)
    item = recommendation(owner=evaluator, evaluation=evaluation)
    for outsider in (leader, UserFactory(), UserFactory(role=Role.TEAM_MANAGER, team=other_team)):
        with pytest.raises(services.EvaluationError):
            services.recommendation_set_status(
                recommendation=item, status=Recommendation.Status.IN_PROGRESS, actor=outsider
            )
    manager = UserFactory(role=Role.TEAM_MANAGER, team=team)
    for allowed in (evaluator, manager, practice_hub):
        services.recommendation_set_status(
            recommendation=item,
            status=Recommendation.Status.OPEN if allowed == manager else Recommendation.Status.IN_PROGRESS,
            actor=allowed,
        )
    assert Recommendation.objects.get(pk=item.pk).version == 4


def test_a_revisit_finding_is_recorded_only_through_its_service(evaluator, practice_hub):
    item = recommendation(owner=evaluator)
    found = services.recommendation_record_revisit_finding(
        recommendation=item, found_done=False, actor=practice_hub, expected_version=1
    )
    assert (found.revisit_found_done, found.version, found.status) == (False, 2, Recommendation.Status.OPEN)
    assert found.history.first().history_user == practice_hub
    with pytest.raises(ConcurrentEditError):
        services.recommendation_record_revisit_finding(
            recommendation=item, found_done=True, actor=practice_hub, expected_version=1
        )
    # The same finding again writes nothing.
    again = services.recommendation_record_revisit_finding(
        recommendation=item, found_done=False, actor=practice_hub, expected_version=2
    )
    assert again.version == 2


# --- The register: filters, sorting and export ------------------------------------------------


@pytest.fixture
def register_rows(evaluator, team, other_team):
    cycle = CycleFactory(quarter="2025-26-Q1")
    other_cycle = CycleFactory(quarter="2025-26-Q2")
    alice = UserFactory(first_name="Alice", last_name="Archer", team=team)
    rows = {
        "overdue": recommendation(
            owner=alice,
            due=TODAY - dt.timedelta(days=20),
            evaluation=completed_evaluation(team=team, cycle=cycle, grade=Grade.INADEQUATE),
            action='=HYPERLINK("http://example.org")',
        ),
        "in_progress": recommendation(
            owner=evaluator,
            due=TODAY + dt.timedelta(days=3),
            status=Recommendation.Status.IN_PROGRESS,
            evaluation=completed_evaluation(team=other_team, cycle=cycle, grade=Grade.REQUIRES_IMPROVEMENT),
        ),
        "done": recommendation(
            owner=alice,
            due=TODAY - dt.timedelta(days=40),
            status=DONE,
            evaluation=completed_evaluation(team=team, cycle=other_cycle, grade=Grade.REQUIRES_IMPROVEMENT),
        ),
    }
    # A draft's recommendations are not in the register until the evaluation is returned.
    completed_evaluation(team=team, status="in_progress", overall_grade="").recommendations.create(
        action="Draft", owner=alice
    )
    return rows


def shown(response) -> set[int]:
    return {item.pk for item in response.context["page"].object_list}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"overdue", "in_progress", "done"}),
        ({"overdue": "yes"}, {"overdue"}),
        ({"overdue": "no"}, {"in_progress", "done"}),
        ({"status": "done"}, {"done"}),
        ({"grade": "inadequate"}, {"overdue"}),
        ({"team": "team"}, {"overdue", "done"}),
        ({"service_area": "other_area"}, {"in_progress"}),
        ({"cycle": "q2"}, {"done"}),
        ({"owner": "evaluator"}, {"in_progress"}),
    ],
)
def test_the_register_filters(client_for, practice_hub, register_rows, team, other_team, evaluator, query, expected):
    names = {
        "team": team.pk,
        "other_area": other_team.service_area_id,
        "q2": register_rows["done"].evaluation.cycle_id,
        "evaluator": evaluator.pk,
    }
    params = {key: names.get(value, value) for key, value in query.items()}
    response = client_for(practice_hub).get(reverse("evaluations:register"), params)
    assert response.status_code == 200
    assert shown(response) == {register_rows[name].pk for name in expected}


def test_the_register_sorts_by_its_columns(client_for, practice_hub, register_rows):
    url = reverse("evaluations:register")
    by_due = client_for(practice_hub).get(url, {"sort": "due"}).context["page"].object_list
    assert [item.pk for item in by_due] == [register_rows[name].pk for name in ("done", "overdue", "in_progress")]
    descending = client_for(practice_hub).get(url, {"sort": "-due"}).context["page"].object_list
    assert [item.pk for item in descending] == [item.pk for item in reversed(by_due)]
    page = client_for(practice_hub).get(url, {"sort": "due"}).content.decode()
    assert 'aria-sort="ascending"' in page


def test_a_team_manager_sees_their_teams_part_of_the_register(client, register_rows, team):
    manager = UserFactory(role=Role.TEAM_MANAGER, team=team)
    client.force_login(manager)
    response = client.get(reverse("evaluations:register"))
    assert shown(response) == {register_rows["overdue"].pk, register_rows["done"].pk}


def export_rows(response) -> list[list[str]]:
    if response["Content-Type"].startswith("text/csv"):
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text)))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [["" if value is None else value for value in row] for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_the_export_is_exactly_what_the_filters_show(client_for, practice_hub, register_rows, team, format, caplog):
    client = client_for(practice_hub)
    params = {"team": team.pk, "sort": "due"}
    page = client.get(reverse("evaluations:register"), params)
    with caplog.at_level("INFO", logger="pqa.audit"):
        response = client.get(reverse("evaluations:register_export", args=[format]), params)
    assert response.status_code == 200
    assert f'filename="recommendations-{TODAY.isoformat()}.{format}"' in response["Content-Disposition"]
    rows = export_rows(response)
    assert rows[0][:3] == ["Evaluation", "Child's case id", "Cycle"]
    assert [row[0] for row in rows[1:]] == [item.evaluation.reference for item in page.context["page"].object_list]
    overdue = next(row for row in rows if row[0] == register_rows["overdue"].evaluation.reference)
    # A cell that looks like a formula is written as text, never run by the spreadsheet.
    assert overdue[6] == '\'=HYPERLINK("http://example.org")'
    assert overdue[7] == "Alice Archer"
    assert any("export" in line and "what=recommendations" in line for line in caplog.messages)


def test_the_xlsx_export_keeps_dates_as_dates(client_for, practice_hub, register_rows):
    response = client_for(practice_hub).get(reverse("evaluations:register_export", args=["xlsx"]), {"status": "done"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    due = sheet.cell(row=2, column=header.index("Due") + 1).value
    assert due.date() == register_rows["done"].due_date


def test_an_unknown_export_format_is_not_found(client_for, practice_hub):
    assert client_for(practice_hub).get(reverse("evaluations:register_export", args=["pdf"])).status_code == 404


def _many(count: int, teams: list, owners: list) -> None:
    for index in range(count):
        recommendation(
            owner=owners[index % len(owners)],
            due=TODAY - dt.timedelta(days=index + 1),
            evaluation=completed_evaluation(team=teams[index % len(teams)]),
        )


@pytest.mark.parametrize("count", [2, 12])
def test_the_register_page_costs_the_same_queries_for_few_or_many_rows(
    client_for, practice_hub, django_assert_num_queries, count
):
    teams = [TeamFactory() for _ in range(3)]
    owners = [UserFactory(team=team) for team in teams]
    _many(count, teams, owners)
    client = client_for(practice_hub)
    client.get(reverse("evaluations:register"))  # warm the session
    # session, user, device; count, page rows; filter choices (cycles, service areas, teams,
    # owners); unowned count; menu
    with django_assert_num_queries(QUERIES["register"]):
        response = client.get(reverse("evaluations:register"), {"overdue": "yes"})
    assert len(response.context["page"].object_list) == count


@pytest.mark.parametrize("count", [2, 12])
def test_my_actions_costs_the_same_queries_for_few_or_many_rows(client, team, django_assert_num_queries, count):
    manager = UserFactory(role=Role.TEAM_MANAGER, team=team)
    owners = [manager, UserFactory(team=team)]
    _many(count, [team], owners)
    client.force_login(manager)
    client.get(reverse("evaluations:my_actions"))
    with django_assert_num_queries(QUERIES["my_actions"]):
        response = client.get(reverse("evaluations:my_actions"))
    assert len(response.context["mine"]) + len(response.context["team"]) == count


@pytest.mark.parametrize("count", [2, 12])
def test_the_practice_hub_home_costs_the_same_queries_for_few_or_many_teams(
    client_for, practice_hub, django_assert_num_queries, count
):
    teams = [TeamFactory() for _ in range(count)]
    _many(count, teams, [practice_hub])
    client = client_for(practice_hub)
    client.get(reverse("evaluations:hub_home"))
    with django_assert_num_queries(QUERIES["hub_home"]):
        response = client.get(reverse("evaluations:hub_home"))
    assert len(response.context["teams"]) == count


QUERIES = {"register": 10, "my_actions": 4, "hub_home": 6}


# --- My actions and the Practice Hub's home ----------------------------------------------------


def test_an_owner_marks_an_action_done_from_my_actions(client_for, evaluator):
    item = recommendation(owner=evaluator, due=TODAY - dt.timedelta(days=2))
    client = client_for(evaluator)
    page = client.get(reverse("evaluations:my_actions")).content.decode()
    assert "Update the chronology" in page and "Overdue" in page
    url = reverse("evaluations:action_update", args=[item.pk])
    form = {"version": 1, "status": "done", "outcome_note": "", "completed_on_0": "", "completed_on_1": ""}
    refused = client.post(url, form)
    assert refused.status_code == 200
    text = refused.content.decode()
    assert "<title>Error: " in text and "There is a problem" in text
    assert "Enter what was done" in text and "Enter the date it was done" in text
    form.update(
        {
            "outcome_note": "Chronology up to date.",
            "completed_on_0": TODAY.day,
            "completed_on_1": TODAY.month,
            "completed_on_2": TODAY.year,
            "tabled_on_0": TODAY.day,
            "tabled_on_1": TODAY.month,
            "tabled_on_2": TODAY.year,
        }
    )
    response = client.post(url, form)
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.outcome_note, item.completed_on, item.tabled_on) == (
        DONE,
        "Chronology up to date.",
        TODAY,
        TODAY,
    )
    assert "Update the chronology" not in client.get(reverse("evaluations:my_actions")).content.decode()


def test_a_stale_save_on_my_actions_says_who_saved_first_and_keeps_what_was_typed(client_for, evaluator, practice_hub):
    item = recommendation(owner=evaluator)
    services.recommendation_set_status(
        recommendation=item, status=Recommendation.Status.IN_PROGRESS, actor=practice_hub, expected_version=1
    )
    response = client_for(evaluator).post(
        reverse("evaluations:action_update", args=[item.pk]),
        {
            "version": 1,
            "status": "not_achieved",
            "outcome_note": "Family moved away.",
            "completed_on_0": TODAY.day,
            "completed_on_1": TODAY.month,
            "completed_on_2": TODAY.year,
        },
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "changed this action while you were editing it" in text
    assert "Family moved away." in text
    assert 'name="version" value="2"' in text


def test_the_practice_hub_lands_on_overdue_actions_by_team(client_for, practice_hub, team, other_team):
    recommendation(owner=practice_hub, due=TODAY - dt.timedelta(days=30), evaluation=completed_evaluation(team=team))
    recommendation(owner=practice_hub, due=TODAY - dt.timedelta(days=3), evaluation=completed_evaluation(team=team))
    recommendation(
        owner=practice_hub, due=TODAY - dt.timedelta(days=3), evaluation=completed_evaluation(team=other_team)
    )
    recommendation(owner=practice_hub, due=TODAY + dt.timedelta(days=3), evaluation=completed_evaluation(team=team))
    client = client_for(practice_hub)
    assert client.get(reverse("home"))["Location"] == reverse("evaluations:hub_home")
    teams = client.get(reverse("evaluations:hub_home")).context["teams"]
    assert [(row["evaluation__team__name"], row["overdue"], row["long_overdue"]) for row in teams] == [
        (team.name, 2, 1),
        (other_team.name, 1, 0),
    ]


# --- Owners that matched no account -------------------------------------------------------------


def test_the_practice_hub_lists_owners_without_an_account_and_gives_each_an_owner(
    client_for, practice_hub, evaluator, team
):
    unowned = recommendation(owner=None, owner_text="Independent reviewing officer")
    recommendation(owner=evaluator)
    client = client_for(practice_hub)
    page = client.get(reverse("evaluations:register"))
    assert "1 recommendation has an owner typed as text that matched no account" in page.content.decode()
    listed = client.get(reverse("evaluations:register"), {"owner": "none"})
    assert shown(listed) == {unowned.pk}
    assert "No account (Independent reviewing officer)" in listed.content.decode()

    url = reverse("evaluations:action_update", args=[unowned.pk])
    assert f'<option value="{evaluator.pk}">' in client.get(url).content.decode()
    gone = UserFactory(is_active=False)
    form = {"version": 1, "status": "open", "owner": gone.pk}
    assert "Select a valid choice" in client.post(url, form).content.decode()
    response = client.post(url + "?from=register", {**form, "owner": evaluator.pk})
    assert response["Location"] == reverse("evaluations:register")
    unowned.refresh_from_db()
    assert (unowned.owner, unowned.owner_text, unowned.version) == (evaluator, "Independent reviewing officer", 2)


def test_only_the_practice_hub_gives_a_recommendation_to_another_owner(client, evaluator, team):
    manager = UserFactory(role=Role.TEAM_MANAGER, team=team)
    item = recommendation(owner=evaluator, evaluation=completed_evaluation(team=team))
    with pytest.raises(services.EvaluationError):
        services.recommendation_assign_owner(recommendation=item, owner=manager, actor=manager, expected_version=1)
    client.force_login(manager)
    page = client.get(reverse("evaluations:action_update", args=[item.pk])).content.decode()
    assert 'name="status"' in page and 'name="owner"' not in page
