"""The dashboard's feedback panels: complaints by stage, timeliness, uphold rate and themes,
compliments, child and family feedback, advocacy, each a table with a chart, downloadable,
shown only when the quarter has them, and held to a team manager's service area."""

import datetime as dt
import io

from django.urls import reverse
from openpyxl import load_workbook

from pqa.models import Role
from tests.factories import CycleFactory, completed_evaluation
from tests.reporting.builders import complaint, compliment, make_feedback, referral, response

FEEDBACK_PANELS = {
    "complaints-stages",
    "complaints-timeliness",
    "complaints-from",
    "complaints-themes",
    "compliments",
    "responses-questions",
    "responses-ratings",
    "advocacy",
}


def _quarter_with_evaluations(team):
    completed_evaluation(cycle=CycleFactory(quarter="2025-26-Q1", status="closed"), team=team)


def _panels(response):
    return {panel.id: panel for panel in response.context["panels"]}


def test_the_feedback_panels_show_the_quarters_complaints_compliments_feedback_and_advocacy(
    client, leader, team, other_team
):
    _quarter_with_evaluations(team)
    make_feedback(4, team, other_team)
    client.force_login(leader)
    response = client.get(reverse("reporting:dashboard"), {"quarter": "2025-26-Q1"})
    panels = _panels(response)
    assert set(panels) >= FEEDBACK_PANELS
    # Four complaints answered at Stage 1 a week after they came: all on time, two upheld.
    assert panels["complaints-timeliness"].rows[0] == ["Stage 1", 4, 4, 0, 100.0]
    assert panels["complaints-stages"].rows[0] == ["Stage 1", 4, 4, 2, 0, 2, 0, 50.0]
    themes = {row[0]: row[1] for row in panels["complaints-themes"].rows}
    assert themes["Delay"] == 4 and themes["Communication"] == 2
    listened = panels["responses-questions"].rows[1]
    assert listened[:4] == ["Did you feel listened to?", 4, 2, 50.0] or listened[1:4] == [4, 2, 50.0]
    assert {row[0]: row[1] for row in panels["advocacy"].rows}["Social work team"] == 4
    page = response.content.decode()
    for id in FEEDBACK_PANELS:
        assert f'id="chart-{id}-title"' in page, id
    assert "Zebedee" not in page


def test_a_quarter_without_feedback_shows_no_feedback_panel(client, leader, team):
    _quarter_with_evaluations(team)
    client.force_login(leader)
    response = client.get(reverse("reporting:dashboard"), {"quarter": "2025-26-Q1"})
    assert not FEEDBACK_PANELS & set(_panels(response))


def test_only_the_kinds_of_feedback_the_quarter_has_are_shown(client, leader, team):
    _quarter_with_evaluations(team)
    referral("A-1", team=team, date=dt.date(2025, 4, 20))
    client.force_login(leader)
    panels = _panels(client.get(reverse("reporting:dashboard"), {"quarter": "2025-26-Q1"}))
    assert FEEDBACK_PANELS & set(panels) == {"advocacy"}


def test_a_team_managers_feedback_panels_count_their_service_area_only(client, make_user, team, other_team):
    _quarter_with_evaluations(team)
    day = dt.date(2025, 5, 6)
    complaint("C-MINE", team=team, received=day, themes=["delay"])
    for number in range(3):
        complaint(f"C-THEIRS-{number}", team=other_team, received=day, themes=["staff_conduct"])
        compliment(f"K-THEIRS-{number}", team=other_team, received=day)
        response(f"R-THEIRS-{number}", team=other_team, date=day, listened_to="no")
    manager = make_user(Role.TEAM_MANAGER, team=team)
    client.force_login(manager)
    response_ = client.get(
        reverse("reporting:dashboard"), {"quarter": "2025-26-Q1", "service_area": other_team.service_area.name}
    )
    panels = _panels(response_)
    assert panels["complaints-stages"].rows[0][1] == 1
    assert {row[0]: row[1] for row in panels["complaints-themes"].rows}["Staff conduct"] == 0
    assert "compliments" not in panels and "responses-questions" not in panels


def test_every_feedback_table_downloads_as_csv_and_excel(client, leader, team, other_team):
    _quarter_with_evaluations(team)
    make_feedback(2, team, other_team)
    client.force_login(leader)
    for id in sorted(FEEDBACK_PANELS):
        csv = client.get(reverse("reporting:dashboard"), {"quarter": "2025-26-Q1", "export": id, "format": "csv"})
        assert csv.status_code == 200, id
        assert b"".join(csv.streaming_content).decode("utf-8-sig").splitlines()[0].count(",") >= 2
        xlsx = client.get(reverse("reporting:dashboard"), {"quarter": "2025-26-Q1", "export": id, "format": "xlsx"})
        assert load_workbook(io.BytesIO(xlsx.content)).active.max_row >= 2, id
