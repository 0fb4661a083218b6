"""Customer relations in a real Chromium: log a complaint, extend Stage 1 with a reason,
record the Stage 1 response and escalate to Stage 2. Every page passes axe-core and the
Content Security Policy; screenshots at 1280 and 390 px."""

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from feedback.complaints import clock
from feedback.models import Complaint
from pqa.models import Role
from tests.browser.test_security import sign_in
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _fill_date(page: Page, name: str, day: dt.date) -> None:
    page.locator(f"#id_{name}_0").fill(str(day.day))
    page.locator(f"#id_{name}_1").fill(str(day.month))
    page.locator(f"#id_{name}_2").fill(str(day.year))


def _check(page, axe_check, csp_violations):
    assert axe_check(page) == []
    assert csp_violations == []


def test_customer_relations_log_extend_respond_and_escalate_a_complaint(
    page: Page, live_server, artifacts, axe_check, csp_violations
):
    TeamFactory(service_area__name="Children in Care", name="CiC Team 4")
    UserFactory(username="cara", role=Role.CUSTOMER_RELATIONS)
    today = dt.date.today()
    received = today - dt.timedelta(days=28)
    responded = today - dt.timedelta(days=2)

    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server.url, "cara")
    expect(page.get_by_role("heading", name="Complaints", exact=True)).to_be_visible()
    _check(page, axe_check, csp_violations)
    page.get_by_role("link", name="Record a complaint").click()

    # An empty form is refused with the error summary.
    page.get_by_role("button", name="Record the complaint").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert page.title().startswith("Error: ")
    _check(page, axe_check, csp_violations)

    page.get_by_label("Reference").fill("CR-B-001")
    _fill_date(page, "received", received)
    page.get_by_label("Phone").check()
    page.get_by_label("Parent or carer").check()
    page.get_by_label("Service area").select_option(label="Children in Care")
    page.get_by_label("Team (optional)").select_option(label="CiC Team 4 (Children in Care)")
    page.get_by_label("Child's case id (optional)").fill("CASE12345")
    page.get_by_label("Delay").check()
    page.get_by_label("Summary (optional)").fill("Calls not returned for three weeks.")
    page.screenshot(path=str(artifacts / "complaints-record-1280.png"), full_page=True)
    page.get_by_role("button", name="Record the complaint").click()

    due = clock.stage1_due(received)
    expect(page.get_by_text(f"Complaint CR-B-001 recorded. Stage 1 is due on {due:%d %B %Y}.")).to_be_visible()
    _check(page, axe_check, csp_violations)

    page.get_by_role("link", name="Extend Stage 1").click()
    page.get_by_label("Why does this stage need longer?").fill("Waiting for the records from the school.")
    page.get_by_role("button", name="Extend to 20 working days").click()
    expect(page.get_by_text("Stage 1 extended.")).to_be_visible()
    expect(page.get_by_text("Stage 1 (extended)")).to_be_visible()
    expect(page.get_by_text(f"{clock.stage1_due(received, extended=True):%-d %B %Y}")).to_be_visible()

    page.get_by_role("link", name="Record the response to Stage 1").click()
    _fill_date(page, "responded", responded)
    page.get_by_label("Not upheld").check()
    page.get_by_role("button", name="Record the response").click()
    expect(page.get_by_text("Stage 1 response recorded.")).to_be_visible()
    window = clock.next_stage_by(responded)
    expect(page.get_by_text(f"may ask for Stage 2 until {window:%-d %B %Y}")).to_be_visible()

    page.get_by_role("link", name="Escalate to Stage 2").click()
    _fill_date(page, "requested", today)
    page.get_by_role("button", name="Open Stage 2").click()
    expect(page.get_by_text("Stage 2 opened.")).to_be_visible()
    expect(page.get_by_role("heading", name="Stage 2 Open")).to_be_visible()
    page.screenshot(path=str(artifacts / "complaints-detail-1280.png"), full_page=True)
    _check(page, axe_check, csp_violations)

    page.set_viewport_size(PHONE)
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(artifacts / "complaints-detail-390.png"), full_page=True)
    page.goto(f"{live_server.url}/feedback/complaints/")
    page.screenshot(path=str(artifacts / "complaints-list-390.png"), full_page=True)
    _check(page, axe_check, csp_violations)

    complaint = Complaint.objects.get(reference="CR-B-001")
    assert [stage.number for stage in complaint.stages.all()] == [1, 2]
    assert complaint.stages.get(number=1).extension_reason == "Waiting for the records from the school."
