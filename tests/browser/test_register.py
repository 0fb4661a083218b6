"""The recommendations register in a real Chromium: an owner marks an action done from "my
actions"; the Practice Hub filters the register, downloads it as Excel and the workbook holds
exactly the rows the page showed. Screenshots at 1280 and 390 px go to
test-artifacts/browser/register-*.png."""

import datetime as dt
import re

import openpyxl
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from evaluations.models import Grade, Recommendation
from pqa.models import Role
from tests.browser.test_role_homes import no_wider_than_the_screen
from tests.browser.test_security import sign_in
from tests.factories import CycleFactory, TeamFactory, UserFactory, completed_evaluation

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = dt.date.today()
WIDTHS = (1280, 390)


@pytest.fixture
def world(transactional_db):
    north = TeamFactory(service_area__name="Children in Care", name="CiC North")
    south = TeamFactory(service_area__name="Child Protection", name="CP South")
    owner = UserFactory(username="olly", first_name="Olly", last_name="Owner", role=Role.EVALUATOR, team=north)
    hub = UserFactory(username="hub", first_name="Hana", last_name="Hub", role=Role.PRACTICE_HUB)
    TOTPDevice.objects.create(user=hub, name="Phone", confirmed=True)
    cycle = CycleFactory(quarter="2025-26-Q1", title="")
    actions = [
        (north, owner, -20, "Update the chronology with the latest review."),
        (north, owner, 5, "Hold a core group meeting to agree SMART actions."),
        (south, hub, -3, "Contact the child's father and include him in the plan."),
        (south, hub, 30, "Complete direct work with the child."),
    ]
    for index, (team, person, days, action) in enumerate(actions):
        evaluation = completed_evaluation(
            cycle=cycle, team=team, grade=Grade.REQUIRES_IMPROVEMENT, child_ref=f"CHILD30{index:04d}"
        )
        evaluation.recommendations.create(action=action, owner=person, due_date=TODAY + dt.timedelta(days=days))
    return {"owner": owner, "hub": hub, "north": north, "south": south}


def screenshots(page: Page, artifacts, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(artifacts / f"register-{name}-{width}.png"), full_page=True)
        assert no_wider_than_the_screen(page), (name, width)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_an_owner_marks_an_action_done(page: Page, live_server, world, artifacts, axe_check, csp_violations):
    sign_in(page, live_server.url, "olly")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="My actions").click()
    expect(page.get_by_role("heading", level=1, name="My actions")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Update the chronology"))
    expect(row.get_by_text("Overdue")).to_be_visible()
    screenshots(page, artifacts, "my-actions")
    assert axe_check(page) == []

    row.get_by_role("link", name=re.compile("Update")).click()
    expect(page.get_by_role("heading", level=1, name="Update an action")).to_be_visible()
    page.get_by_label("Done", exact=True).check()
    page.get_by_role("button", name="Save").click()
    # Done needs what was done and when: said at the top and beside the fields.
    expect(page).to_have_title(re.compile("^Error: "))
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link", name="Enter what was done")).to_be_visible()
    expect(summary.get_by_role("link", name="Enter the date it was done")).to_be_visible()
    screenshots(page, artifacts, "action-errors")
    assert axe_check(page) == []

    page.get_by_label("What was done, or why it was not achieved").fill("Chronology brought up to date and checked.")
    dates = page.get_by_role("group", name="Date done or given up")
    dates.get_by_label("Day").fill(str(TODAY.day))
    dates.get_by_label("Month").fill(str(TODAY.month))
    dates.get_by_label("Year").fill(str(TODAY.year))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1, name="My actions")).to_be_visible()
    expect(page.get_by_text(re.compile("Saved: PE-"))).to_be_visible()
    expect(page.get_by_text("Update the chronology with the latest review.")).to_have_count(0)
    done = Recommendation.objects.get(action__startswith="Update the chronology")
    assert (done.status, done.completed_on) == (Recommendation.Status.DONE, TODAY)
    assert done.history.first().history_user == world["owner"]
    assert csp_violations == []


def test_the_practice_hub_filters_the_register_and_downloads_it_as_excel(
    page: Page, live_server, world, artifacts, axe_check, csp_violations
):
    sign_in(page, live_server.url, "hub")
    expect(page.get_by_role("heading", level=1, name="Practice Hub")).to_be_visible()
    overdue = page.get_by_role("table", name=re.compile("Teams with overdue recommendations"))
    expect(overdue.get_by_role("row")).to_have_count(3)  # header, CiC North, CP South
    screenshots(page, artifacts, "hub-home")
    assert axe_check(page) == []

    page.get_by_role("link", name="The whole recommendations register").click()
    expect(page.get_by_role("heading", level=1, name="Recommendations register")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("4 recommendations")
    page.get_by_label("Overdue", exact=True).select_option("yes")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("status")).to_have_text("2 recommendations")
    page.get_by_role("link", name=re.compile("^Due")).click()
    table = page.get_by_role("table", name="Recommendations matching the filters")
    shown = [text.strip() for text in table.locator("tbody tr td:nth-child(2) a").all_inner_texts()]
    assert len(shown) == 2
    screenshots(page, artifacts, "register")
    assert axe_check(page) == []

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Excel (.xlsx)").click()
    download = download_info.value
    assert download.suggested_filename == f"recommendations-{TODAY.isoformat()}.xlsx"
    path = artifacts / download.suggested_filename
    download.save_as(path)
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Evaluation"
    assert [row[0] for row in rows[1:]] == shown
    assert {row[4] for row in rows[1:]} == {"CiC North", "CP South"}
    assert csp_violations == []


def test_the_evaluator_chooses_a_recommendations_owner_and_autosave_keeps_it(
    page: Page, live_server, world, axe_check, csp_violations
):
    evaluator = UserFactory(username="eve", first_name="Eve", last_name="Evaluator", team=world["north"])
    manager = UserFactory(username="tina", first_name="Tina", last_name="Manager", role=Role.TEAM_MANAGER,
                          team=world["north"])  # fmt: skip
    draft = completed_evaluation(
        team=world["north"], evaluator=evaluator, status="in_progress", overall_grade="", child_ref="CHILD399999"
    )
    sign_in(page, live_server.url, "eve", f"/evaluations/{draft.pk}/form/")
    expect(page.get_by_role("heading", name="Sit alongside: tell me – show me")).to_be_visible()
    owner = page.locator("#id_recommendations-0-owner")
    # The team's manager first, then the team's people, then everyone else.
    labels = owner.locator("option").all_inner_texts()
    assert labels[1] == "Tina Manager (team manager)"
    assert labels.index("Eve Evaluator") < labels.index("Hana Hub")
    page.get_by_label("Action").first.fill("Bring the chronology up to date.")
    owner.select_option(label="Tina Manager (team manager)")
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved at", timeout=10_000)
    saved = Recommendation.objects.get(evaluation=draft)
    assert (saved.action, saved.owner) == ("Bring the chronology up to date.", manager)
    page.reload()
    expect(page.locator("#id_recommendations-0-owner")).to_have_value(str(manager.pk))
    assert axe_check(page) == []
    assert csp_violations == []
