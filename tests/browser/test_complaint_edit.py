"""Changing a complaint in a real Chromium: a Practice Hub person opens the change page, and
customer relations save the complaint meanwhile; the Practice Hub's save is refused with what
they typed kept, they compare the two versions and use theirs. Every page passes axe-core and
the Content Security Policy; screenshots at 1280 and 390 px (test-artifacts/browser/)."""

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from feedback.complaints import services
from pqa.models import Role
from tests.browser.test_security import sign_in
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
WIDTHS = (1280, 390)


def screenshots(page: Page, artifacts, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(artifacts / f"complaint-edit-{name}-{width}.png"), full_page=True)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), (name, width)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_stale_change_is_refused_kept_compared_and_applied(
    page: Page, live_server, artifacts, axe_check, csp_violations
):
    team = TeamFactory(service_area__name="Children in Care", name="CiC Team 4")
    cara = UserFactory(username="cara", first_name="Cara", last_name="Relations", role=Role.CUSTOMER_RELATIONS)
    UserFactory(username="hub", first_name="Hana", last_name="Hub", role=Role.PRACTICE_HUB)
    complaint = services.complaint_record(
        actor=cara,
        reference="CR-E-001",
        received=dt.date.today() - dt.timedelta(days=3),
        how_received="email",
        complainant="parent_carer",
        procedure="statutory",
        service_area=team.service_area,
        team=team,
        summary="Calls not returned.",
    )

    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url, "hub", f"/feedback/complaints/{complaint.pk}/")
    page.get_by_role("link", name="Change the complaint").click()
    expect(page.get_by_role("heading", level=1, name="Change the complaint")).to_be_visible()
    screenshots(page, artifacts, "form")
    assert axe_check(page) == []

    # Customer relations save the complaint while the page is open.
    services.complaint_update(actor=cara, complaint=complaint, version=1, summary="Calls returned late.")
    page.get_by_label("Summary (optional)").fill("Calls and e-mails not returned for two weeks.")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Cara Relations saved this record after you opened it")
    assert page.title().startswith("Error: ")
    expect(page.get_by_label("Summary (optional)")).to_have_value("Calls and e-mails not returned for two weeks.")
    screenshots(page, artifacts, "refused")
    assert axe_check(page) == []

    page.get_by_role("link", name="compare your version with the saved one").click()
    expect(page.get_by_role("heading", level=1, name="Your version that was not saved")).to_be_visible()
    expect(page.get_by_text("Calls returned late.")).to_be_visible()
    screenshots(page, artifacts, "compare")
    assert axe_check(page) == []
    page.get_by_role("button", name="Use my version").click()
    expect(page.get_by_text("Your version has been saved.")).to_be_visible()

    page.goto(f"{live_server.url}/feedback/complaints/{complaint.pk}/")
    expect(page.get_by_text("Calls and e-mails not returned for two weeks.")).to_be_visible()
    history = page.get_by_role("region", name="History")
    expect(history.get_by_role("row").nth(1)).to_contain_text("Hana Hub")
    screenshots(page, artifacts, "history")
    assert axe_check(page) == []
    assert csp_violations == []
