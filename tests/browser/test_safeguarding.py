"""The safeguarding alert's link in a real Chromium: the team manager reads the concern as
last saved, and the page passes axe-core."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from pqa.models import Role
from tests.browser.test_security import sign_in
from tests.factories import EvaluationFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_team_manager_follows_the_alert_and_reads_the_concern_as_last_saved(
    page: Page, live_server, artifacts, axe_check, csp_violations
):
    team = TeamFactory(service_area__name="Child Protection", name="CP Team 2")
    UserFactory(username="tom", role=Role.TEAM_MANAGER, team=team)
    evaluation = EvaluationFactory(
        team=team,
        child_ref="CHILD654321",
        due_date=dt.date.today() + dt.timedelta(days=7),
        safeguarding_concern=True,
        safeguarding_description="Unexplained bruising on both arms, seen on the home visit.",
        safeguarding_reported_at=timezone.now(),
    )

    sign_in(page, live_server.url, "tom", f"/evaluations/{evaluation.pk}/safeguarding/")
    expect(page.get_by_role("heading", name="Immediate safeguarding concern")).to_be_visible()
    expect(page.get_by_text("Unexplained bruising on both arms, seen on the home visit.")).to_be_visible()
    expect(page.get_by_text("CHILD654321")).to_be_visible()
    expect(page.get_by_text("still a draft")).to_be_visible()
    page.screenshot(path=str(artifacts / "safeguarding-concern.png"), full_page=True)
    assert axe_check(page) == []
    assert csp_violations == []
