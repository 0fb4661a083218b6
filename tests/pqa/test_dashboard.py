"""The leaders' dashboard: figures from the database in a fixed number of queries, filters in
the URL, team managers held to their service area, every table downloadable."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from evaluations.models import Cycle, CycleType, Evaluation, Grade, Moderation, Recommendation
from pqa.models import Role
from tests.factories import CycleFactory, EvaluationFactory, TeamFactory, completed_evaluation
from tests.reporting.builders import make_feedback

QUARTERS = ["2024-25-Q3", "2024-25-Q4", "2025-26-Q1", "2025-26-Q2"]
GRADES = [Grade.OUTSTANDING, Grade.GOOD, Grade.REQUIRES_IMPROVEMENT, Grade.INADEQUATE]


def make_data(per_quarter: int, team, other_team):
    for index, quarter in enumerate(QUARTERS):
        cycle = CycleFactory(quarter=quarter, status=Cycle.Status.OPEN if index == 3 else Cycle.Status.CLOSED)
        for number in range(per_quarter):
            evaluation = completed_evaluation(
                cycle=cycle,
                team=team if number % 2 else other_team,
                grade=GRADES[number % 4],
                fathers_included="yes" if number % 3 else "no",
                edi_considered="yes",
                safeguarding_concern=number == 0,
            )
            if number % 5 == 0:
                Moderation.objects.create(
                    evaluation=evaluation, moderated_grade=Grade.GOOD, outcome=Moderation.Outcome.AGREED
                )
            Recommendation.objects.create(evaluation=evaluation, action="Update the plan")
        EvaluationFactory(cycle=cycle, team=team, status=Evaluation.Status.NOT_RETURNED)


def test_a_leaders_home_is_the_dashboard(client, leader):
    client.force_login(leader)
    assert client.get(reverse("home"))["Location"] == reverse("reporting:dashboard")


@pytest.mark.parametrize("per_quarter", [2, 12])
def test_the_dashboard_runs_the_same_number_of_queries_whatever_the_data(
    client, leader, team, other_team, per_quarter, django_assert_num_queries
):
    make_data(per_quarter, team, other_team)
    make_feedback(per_quarter, team, other_team, day=dt.date(2025, 8, 5))
    client.force_login(leader)
    client.get(reverse("reporting:dashboard"))  # the session is read and warmed once
    # Session and user, the quarters, the form's service areas, the evaluation figures (each
    # set one query for every quarter at once; final grades by service area and by type one
    # query; revisits three), the scorecard (two) and the feedback figures (complaints four,
    # compliments, responses and advocacy one each).
    with django_assert_num_queries(QUERIES):
        response = client.get(reverse("reporting:dashboard"), {"quarter": "2025-26-Q2"})
    assert response.status_code == 200
    assert "complaints-timeliness" in {panel.id for panel in response.context["panels"]}


QUERIES = 15 + 7


def test_the_dashboard_shows_the_quarter_with_the_quarters_before(client, leader, team, other_team):
    make_data(4, team, other_team)
    client.force_login(leader)
    response = client.get(reverse("reporting:dashboard"), {"quarter": "2025-26-Q1"})
    page = response.content.decode()
    assert "In progress" not in page.split("Return rate by quarter")[0]
    panels = {panel.id: panel for panel in response.context["panels"]}
    final = panels["final-grades"].rows
    assert [row[0] for row in final] == ["2024-25 Q3", "2024-25 Q4", "2025-26 Q1"]
    # One of each grade per four evaluations; moderation agreed at Good for the first (Outstanding).
    assert final[-1][1:4] == [4, 0, 0.0]
    assert panels["safeguarding"].rows[-1] == ["2025-26 Q1", 1]
    assert panels["fathers"].rows[-1] == ["2025-26 Q1", 2, 4, 50.0]
    assert panels["return-rate"].rows[-1] == ["2025-26 Q1", 5, 4, 0, 1, 80.0, "Final"]
    assert panels["moderation"].rows[-1] == ["2025-26 Q1", 1, 1, 0, 0, 100.0]
    assert panels["recommendations"].rows[-1] == ["2025-26 Q1", 4, 4, 0, 0, 0, 0]


def test_an_open_quarter_is_marked_in_progress(client, leader, team, other_team):
    make_data(2, team, other_team)
    client.force_login(leader)
    response = client.get(reverse("reporting:dashboard"), {"quarter": "2025-26-Q2"})
    panels = {panel.id: panel for panel in response.context["panels"]}
    assert panels["return-rate"].rows[-1][-1] == "In progress"
    assert "This quarter still has an open cycle" in response.content.decode()


def test_a_team_manager_sees_only_their_service_area(client, make_user, team, other_team):
    make_data(4, team, other_team)
    manager = make_user(Role.TEAM_MANAGER, team=team)
    client.force_login(manager)
    response = client.get(
        reverse("reporting:dashboard"), {"quarter": "2025-26-Q1", "service_area": other_team.service_area.name}
    )
    assert response.status_code == 200
    panels = {panel.id: panel for panel in response.context["panels"]}
    assert [row[0] for row in panels["service-areas"].rows] == [team.service_area.name]
    assert panels["final-grades"].rows[-1][1] == 2


def test_an_evaluator_cannot_open_the_dashboard(client, evaluator):
    client.force_login(evaluator)
    assert client.get(reverse("reporting:dashboard")).status_code == 404


def test_a_filter_by_type_counts_only_that_type(client, leader, team, other_team):
    make_data(4, team, other_team)
    thematic = CycleFactory(quarter="2025-26-Q1", type=CycleType.THEMATIC)
    completed_evaluation(cycle=thematic, team=TeamFactory(), grade=Grade.INADEQUATE)
    client.force_login(leader)
    response = client.get(reverse("reporting:dashboard"), {"quarter": "2025-26-Q1", "type": CycleType.THEMATIC})
    panels = {panel.id: panel for panel in response.context["panels"]}
    assert panels["final-grades"].rows[-1][1] == 1
    assert [row[0] for row in panels["types"].rows] == [CycleType.THEMATIC.label]


def test_every_table_downloads_as_csv_and_excel(client, leader, team, other_team):
    make_data(2, team, other_team)
    client.force_login(leader)
    page = client.get(reverse("reporting:dashboard"), {"quarter": "2025-26-Q1"})
    for panel in page.context["panels"]:
        csv = client.get(reverse("reporting:dashboard"), {"quarter": "2025-26-Q1", "export": panel.id, "format": "csv"})
        assert csv.status_code == 200, panel.id
        text = b"".join(csv.streaming_content).decode("utf-8-sig")
        assert text.splitlines()[0].split(",")[0] == panel.headers[0]
        assert len(text.splitlines()) == len(panel.rows) + 1
        xlsx = client.get(
            reverse("reporting:dashboard"), {"quarter": "2025-26-Q1", "export": panel.id, "format": "xlsx"}
        )
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet.max_row == len(panel.rows) + 1


def test_an_unknown_download_is_not_found(client, leader, team, other_team):
    make_data(1, team, other_team)
    client.force_login(leader)
    response = client.get(reverse("reporting:dashboard"), {"quarter": "2025-26-Q1", "export": "nope"})
    assert response.status_code == 404
