"""The main pages on a phone (390 px wide), as the people who use them: nothing is wider than
the screen, the menu folds behind a Menu button that opens it, and the evaluator's
Save/Submit bar takes no more than a tenth of the screen. Each page is also shown at
1280 px; screenshots of both go to test-artifacts/browser/."""

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from evaluations import services
from evaluations.models import Cycle, Evaluation, Grade
from pqa.models import Role
from tests.browser.conftest import give_code, with_authenticator
from tests.factories import CycleFactory, EvaluationFactory, TeamFactory, UserFactory, completed_evaluation

PASSWORD = "correct-horse-battery-staple"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def browser_context_args(browser_context_args):
    # No bypass_csp: the pages run under their real Content Security Policy.
    return {**browser_context_args, "viewport": PHONE}


@pytest.fixture
def world(transactional_db):
    """A quarter in progress with long names, as a real trust's data has them."""
    team = TeamFactory(service_area__name="Children in Care and Care Leavers", name="Children in Care South East")
    people = {
        "evaluator": UserFactory(
            username="eve", email="eve.long-surname-evaluator@children-trust.example", role=Role.EVALUATOR
        ),
        "hub": UserFactory(username="hub", role=Role.PRACTICE_HUB),
        "moderator": UserFactory(username="mo", role=Role.MODERATOR),
        "leader": UserFactory(username="lee", role=Role.LEADER),
    }
    for person in people.values():
        person.set_password(PASSWORD)
        person.save()
    cycle = CycleFactory(quarter="2025-26-Q2", status=Cycle.Status.OPEN)
    to_do = EvaluationFactory(
        cycle=cycle,
        team=team,
        evaluator=people["evaluator"],
        child_ref="CHILD1234567890",
        practitioner="Senior practitioner with a long name",
        due_date=dt.date.today() + dt.timedelta(days=7),
    )
    returned = completed_evaluation(
        cycle=cycle, team=team, evaluator=people["evaluator"], grade=Grade.GOOD, child_ref="CHILD0987654321"
    )
    services.moderation_record(
        evaluation=returned, moderated_grade=Grade.REQUIRES_IMPROVEMENT, moderator=people["moderator"]
    )
    for number in range(4):
        EvaluationFactory(cycle=cycle, team=team, evaluator=people["evaluator"], child_ref=f"CHILD55500{number}")
    return {"people": people, "cycle": cycle, "to_do": to_do, "returned": returned}


def sign_in(page: Page, base: str, user) -> None:
    with_authenticator(user)
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail address or username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Every role needs a second factor: the code its authenticator shows now.
    give_code(page, user)
    expect(page.locator("#navigation form[action='/accounts/logout/']")).to_be_attached()


def page_width(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def wider_than_the_screen(page: Page) -> list[str]:
    """The outermost elements that reach past the right edge, to say what to fix."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('body *'))
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""
    )


def check_page(page: Page, name: str, artifacts, axe_check) -> None:
    """At 390 px: no sideways scrolling, the Menu button opens the menu, axe-core is content.
    Then a screenshot at 390 and at 1280."""
    page.set_viewport_size(PHONE)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts / f"mobile-390-{name}.png"), full_page=True)
    assert page_width(page) <= PHONE["width"], (name, page_width(page), wider_than_the_screen(page))
    assert axe_check(page) == [], name
    menu = page.get_by_role("button", name="Menu")
    if menu.count():
        navigation = page.locator("#navigation")
        expect(menu).to_be_visible()
        expect(navigation).to_be_hidden()
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(navigation).to_be_visible()
        expect(navigation.locator("> li").first).to_be_visible()
        page.screenshot(path=str(artifacts / f"mobile-390-{name}-menu-open.png"))
        assert page_width(page) <= PHONE["width"], f"{name} with the menu open is too wide"
        menu.click()
        expect(navigation).to_be_hidden()
    page.set_viewport_size(DESKTOP)
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    page.screenshot(path=str(artifacts / f"mobile-1280-{name}.png"), full_page=True)
    page.set_viewport_size(PHONE)


def test_the_sign_in_page_fits_a_phone(page: Page, live_server, artifacts, axe_check, csp_violations):
    page.goto(f"{live_server.url}/accounts/login/")
    check_page(page, "sign-in", artifacts, axe_check)
    assert csp_violations == []


def test_an_evaluators_pages_fit_a_phone_and_the_save_bar_stays_small(
    page: Page, live_server, world, artifacts, axe_check, csp_violations
):
    base = live_server.url
    sign_in(page, base, world["people"]["evaluator"])
    page.goto(f"{base}/evaluations/mine/")
    expect(page.get_by_role("heading", name="My evaluations")).to_be_visible()
    check_page(page, "my-evaluations", artifacts, axe_check)

    page.goto(f"{base}/evaluations/{world['returned'].pk}/")
    expect(page.get_by_text("(evaluator: Good)").first).to_be_visible()
    check_page(page, "evaluation-detail", artifacts, axe_check)

    page.goto(f"{base}/evaluations/{world['to_do'].pk}/form/")
    expect(page.get_by_role("heading", name="Sit alongside: tell me – show me")).to_be_visible()
    check_page(page, "evaluation-form", artifacts, axe_check)
    bar = page.locator(".pqa-sticky-actions")
    height = bar.evaluate("element => element.getBoundingClientRect().height")
    assert height <= PHONE["height"] / 10, f"the Save/Submit bar is {height} px high on an {PHONE['height']} px screen"
    expect(bar.get_by_role("button", name="Save draft")).to_be_visible()
    expect(bar.get_by_role("button", name="Submit evaluation")).to_be_visible()
    # The bar sticks to the bottom of the screen while the form scrolls under it.
    page.evaluate("() => window.scrollTo(0, 3000)")
    page.wait_for_function("() => window.scrollY >= 3000")
    bottom = bar.evaluate("element => element.getBoundingClientRect().bottom")
    assert bottom <= PHONE["height"] + 1, f"the bar's bottom is at {bottom} px"
    page.screenshot(path=str(artifacts / "mobile-390-evaluation-form-scrolled.png"))
    assert csp_violations == []


def test_the_practice_hubs_pages_fit_a_phone(page: Page, live_server, world, artifacts, axe_check, csp_violations):
    base = live_server.url
    sign_in(page, base, with_authenticator(world["people"]["hub"]))
    page.goto(f"{base}/evaluations/cycles/")
    expect(page.get_by_role("heading", name="Cycles")).to_be_visible()
    check_page(page, "cycles", artifacts, axe_check)
    page.goto(f"{base}/evaluations/cycles/{world['cycle'].pk}/")
    check_page(page, "cycle-detail", artifacts, axe_check)
    page.goto(f"{base}/evaluations/cycles/{world['cycle'].pk}/allocate/")
    expect(page.get_by_role("group", name="Due date")).to_be_visible()
    check_page(page, "allocate-one", artifacts, axe_check)
    assert csp_violations == []


def test_a_moderators_list_and_a_leaders_distribution_fit_a_phone(
    page: Page, live_server, world, artifacts, axe_check, csp_violations
):
    base = live_server.url
    sign_in(page, base, with_authenticator(world["people"]["moderator"]))
    page.goto(f"{base}/evaluations/")
    expect(page.get_by_role("heading", name="Practice evaluations")).to_be_visible()
    check_page(page, "evaluation-list", artifacts, axe_check)

    page.context.clear_cookies()
    sign_in(page, base, world["people"]["leader"])
    page.goto(f"{base}/pqa/distribution/?quarter=2025-26-Q2")
    expect(page.get_by_role("heading", name="Grade distribution")).to_be_visible()
    expect(page.get_by_text("Returned so far: 1 of 6 allocated").first).to_be_visible()
    check_page(page, "distribution", artifacts, axe_check)
    assert Evaluation.objects.count() == 6
    assert csp_violations == []
