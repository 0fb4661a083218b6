"""Customer relations records a compliment with a shareable extract and a child's response in a
real Chromium; the extract is listed for reports and a leader's figures page counts both.
The pages pass axe-core and the Content Security Policy and fit 1280 and 390 px. Screenshots
go to test-artifacts/browser/voice-*.png."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from pqa.models import Role
from pqa.quarters import Quarter
from tests.browser.test_role_homes import no_wider_than_the_screen
from tests.browser.test_security import sign_in
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (1280, 390)


def _date(page: Page, legend: str, day) -> None:
    group = page.get_by_role("group", name=re.compile(legend))
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def _shots(page: Page, artifacts, name: str, axe_check) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(artifacts / f"voice-{name}-{width}.png"), full_page=True)
        assert no_wider_than_the_screen(page), (name, width)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert axe_check(page) == []


def test_customer_relations_records_a_compliment_and_a_childs_response_and_the_figures_show_them(
    page: Page, live_server, artifacts, axe_check, csp_violations
):
    team = TeamFactory(service_area__name="Children in Care", name="CiC Team 1")
    UserFactory(username="cara", first_name="Cara", last_name="Tester", role=Role.CUSTOMER_RELATIONS)
    UserFactory(username="lee", first_name="Lee", last_name="Tester", role=Role.LEADER)
    today = timezone.localdate()

    sign_in(page, live_server.url, "cara")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Compliments").click()
    page.get_by_role("link", name="Record a compliment").click()
    page.get_by_label("Reference").fill("CMP-2026-001")
    _date(page, "Date received", today)
    page.get_by_role("group", name="From").get_by_label("Child or young person").check()
    page.get_by_label("Service area").select_option(label=team.service_area.name)
    page.get_by_label("Team").select_option(label=str(team))
    page.get_by_label("Extract").fill("My social worker listened to me and explained everything.")
    page.get_by_label("May be shared in reports").check()
    _shots(page, artifacts, "compliment-form", axe_check)
    page.get_by_role("button", name="Save the compliment").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("CMP-2026-001"))).to_be_visible()
    _shots(page, artifacts, "compliment", axe_check)

    page.goto(f"{live_server.url}/feedback/compliments/shareable/")
    expect(page.get_by_text("My social worker listened to me and explained everything.")).to_be_visible()

    page.goto(f"{live_server.url}/feedback/responses/new/")
    page.get_by_label("Reference").fill("RSP-2026-001")
    _date(page, "Date", today)
    page.get_by_role("group", name="Source").get_by_label("Review", exact=True).check()
    page.get_by_role("group", name="Respondent").get_by_label("Child or young person").check()
    page.get_by_label("Service area").select_option(label=team.service_area.name)
    page.get_by_role("group", name="Did you feel listened to?").get_by_label("Yes").check()
    page.get_by_role("group", name="Rating").get_by_label("Excellent").check()
    page.get_by_role("button", name="Save the response").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("RSP-2026-001"))).to_be_visible()
    page.goto(f"{live_server.url}/feedback/responses/")
    expect(page.get_by_role("link", name="RSP-2026-001")).to_be_visible()
    _shots(page, artifacts, "responses", axe_check)

    page.context.clear_cookies()
    sign_in(page, live_server.url, "lee")
    quarter = Quarter.containing(today)
    page.goto(f"{live_server.url}/pqa/feedback/?quarter={quarter}")
    expect(page.locator("#advocacy-share")).to_contain_text("came from social work teams")
    summary = page.locator(".govuk-summary-list")
    expect(summary).to_contain_text(re.compile(r"Compliments received\s*1"))
    expect(summary).to_contain_text(re.compile(r"Feedback responses\s*1"))
    questions = page.get_by_role("table", name="The standard questions")
    expect(questions.get_by_role("row", name=re.compile("Did you feel listened to"))).to_contain_text("1")
    expect(page.get_by_role("heading", name=re.compile("practice evaluations’ own feedback"))).to_be_visible()
    _shots(page, artifacts, "figures", axe_check)
    assert csp_violations == []
