"""Every role lands where its work is, in a real Chromium: each person signs in (with their
code where their role needs one) and arrives on the home their role's app registered, which
passes axe-core and the Content Security Policy, at 1280 px and at 390 px wide. Screenshots go
to test-artifacts/browser/role-home-ROLE-WIDTH.png."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from evaluations.models import Cycle, Grade, Moderation, Recommendation
from pqa.models import Role
from tests.browser.conftest import open_menu_entry
from tests.browser.test_security import sign_in
from tests.factories import CycleFactory, EvaluationFactory, TeamFactory, UserFactory, completed_evaluation

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (1280, 390)
# role -> (username, the heading of their home, the menu entry marked as the current page)
HOMES = {
    Role.EVALUATOR: ("eve", "My evaluations", "My evaluations"),
    Role.MODERATOR: ("mo", "Moderation", "Moderation"),  # their queue
    Role.PRACTICE_HUB: ("hub", "Practice Hub", "Overview"),  # overdue actions by team, and the cycles
    Role.TEAM_MANAGER: ("tom", "CiC Team 1", "Your team"),
    Role.CUSTOMER_RELATIONS: ("cara", "Complaints", "Complaints due"),
    Role.LEADER: ("lee", "Dashboard", "Dashboard"),
    Role.ADMINISTRATOR: ("ada", "Cycles", "Cycles"),
}


@pytest.fixture
def world(transactional_db):
    team = TeamFactory(service_area__name="Children in Care", name="CiC Team 1")
    people = {
        role: UserFactory(
            username=username,
            first_name=username.capitalize(),
            last_name="Tester",
            role=role,
            team=team if role in (Role.TEAM_MANAGER, Role.EVALUATOR) else None,
            is_staff=role == Role.ADMINISTRATOR,
        )
        for role, (username, _, _) in HOMES.items()
    }
    for person in people.values():
        TOTPDevice.objects.create(user=person, name="Phone", confirmed=True)
    evaluator = people[Role.EVALUATOR]
    closed = CycleFactory(quarter="2025-26-Q1", status=Cycle.Status.CLOSED, title="")
    cycle = CycleFactory(quarter="2025-26-Q2", title="")
    for index, grade in enumerate([Grade.GOOD, Grade.OUTSTANDING, Grade.REQUIRES_IMPROVEMENT, Grade.GOOD]):
        done = completed_evaluation(
            cycle=closed,
            team=team,
            evaluator=evaluator,
            grade=grade,
            child_ref=f"CHILD10{index:04d}",
            submitted_at=timezone.now() - dt.timedelta(days=30 - index),
        )
        Recommendation.objects.create(
            evaluation=done,
            action="Update the child's plan with the views the child gave at the visit.",
            owner_text="Team manager",
            due_date=dt.date.today() + dt.timedelta(days=index * 7 - 10),
        )
    Moderation.objects.create(
        evaluation=done,
        moderator=people[Role.MODERATOR],
        moderated_grade=Grade.REQUIRES_IMPROVEMENT,
        outcome=Moderation.Outcome.DOWNGRADED,
    )
    EvaluationFactory(cycle=cycle, team=team, evaluator=evaluator, child_ref="CHILD200001")
    EvaluationFactory(
        cycle=cycle,
        team=team,
        evaluator=evaluator,
        child_ref="CHILD200002",
        safeguarding_concern=True,
        safeguarding_description="Seen on the visit.",
        safeguarding_reported_at=timezone.now() - dt.timedelta(hours=3),
    )
    return people


def no_wider_than_the_screen(page: Page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("role", list(HOMES))
def test_each_role_signs_in_and_lands_on_its_home(
    page: Page, live_server, world, artifacts, axe_check, csp_violations, role
):
    username, heading, current = HOMES[role]
    sign_in(page, live_server.url, username)  # with the code from their app: every role needs one
    expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
    if current:
        expect(page.get_by_role("navigation", name="Menu").locator("[aria-current=page]")).to_have_text(current)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(artifacts / f"role-home-{role}-{width}.png"), full_page=True)
        assert no_wider_than_the_screen(page), width
    assert axe_check(page) == []
    assert csp_violations == []


def test_the_team_manager_acknowledges_a_concern_from_their_home(
    page: Page, live_server, world, artifacts, axe_check, csp_violations
):
    sign_in(page, live_server.url, "tom")
    concerns = page.get_by_role("table", name=re.compile("Safeguarding concerns still to acknowledge"))
    expect(concerns.get_by_text("CHILD200002")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 900})
    assert no_wider_than_the_screen(page)
    concerns.get_by_role("button", name=re.compile("Acknowledge")).click()
    expect(page.get_by_text(re.compile("You acknowledged the safeguarding concern in"))).to_be_visible()
    expect(page.get_by_text("No safeguarding concern is waiting for you to acknowledge.")).to_be_visible()

    # At 390 px the links fold behind the Menu button, and this one into the Evaluations group.
    open_menu_entry(page, "Safeguarding concerns")
    expect(page.get_by_role("heading", level=1, name="Safeguarding concerns")).to_be_visible()
    expect(page.get_by_text("by Eve Tester")).to_be_visible()  # who reported it
    expect(page.get_by_text("by Tom Tester")).to_be_visible()  # who acknowledged it
    page.screenshot(path=str(artifacts / "safeguarding-concerns-390.png"), full_page=True)
    assert no_wider_than_the_screen(page)
    assert axe_check(page) == []
    assert csp_violations == []
