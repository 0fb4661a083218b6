"""The header's menu, folded into groups for a role with many entries (pqa.registry): a
Practice Hub person opens a group with the keyboard and reaches an entry, at 1280 px and at
390 px, axe-core finding nothing with the group open; without JavaScript a group leads to the
menu page. Screenshots go to test-artifacts/menu-*.png."""

import re

import pytest
from playwright.sync_api import Page, expect

from pqa.models import Role
from tests.browser.test_security import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hub(transactional_db):
    return UserFactory(username="hub", first_name="Hana", last_name="Hub", role=Role.PRACTICE_HUB)


def focused(page: Page) -> str:
    return page.evaluate("() => document.activeElement.textContent.trim()")


def tab_to(page: Page, text: str, limit: int = 40) -> None:
    """Press Tab until the element named `text` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page) == text:
            return
    raise AssertionError(f"Tab never reached {text!r}")


def no_wider_than_the_screen(page: Page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [1280, 390])
def test_a_keyboard_user_opens_a_group_of_the_menu_and_reaches_an_entry(
    page: Page, live_server, hub, artifacts, axe_check, csp_violations, width
):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, "hub")
    navigation = page.get_by_role("navigation", name="Menu")
    if width == 390:
        # On a phone the menu folds behind its button first (GOV.UK service navigation).
        tab_to(page, "Menu")
        page.keyboard.press("Enter")
        expect(page.get_by_role("button", name="Menu", exact=True)).to_have_attribute("aria-expanded", "true")
    # Seven items at the top: the groups are buttons, the others links.
    top = navigation.locator("#navigation > li:not(:last-child)")
    expect(top).to_have_count(7)
    reports = navigation.get_by_role("button", name="Reports")
    expect(reports).to_have_attribute("aria-expanded", "false")
    expect(navigation.get_by_role("link", name="KPI scorecard")).to_be_hidden()
    page.screenshot(path=str(artifacts / f"menu-closed-{width}.png"), full_page=width == 390)

    tab_to(page, "Reports")
    page.keyboard.press("Enter")
    expect(reports).to_have_attribute("aria-expanded", "true")
    entries = page.locator(f"#{reports.get_attribute('aria-controls')}")
    expect(entries).to_be_visible()
    expect(entries.get_by_role("link")).to_have_text(
        ["Dashboard", "Grade distribution", "KPI scorecard", "Feedback figures", "Quarterly reports"]
    )
    page.screenshot(path=str(artifacts / f"menu-open-{width}.png"), full_page=width == 390)
    assert no_wider_than_the_screen(page)
    assert axe_check(page) == []

    # Escape closes the group and gives the focus back to its button; Space opens it again.
    page.keyboard.press("Tab")
    assert focused(page) == "Dashboard"
    page.keyboard.press("Escape")
    expect(entries).to_be_hidden()
    assert focused(page) == "Reports"
    page.keyboard.press("Space")
    expect(entries).to_be_visible()
    tab_to(page, "KPI scorecard", limit=4)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name=re.compile("KPI scorecard"))).to_be_visible()

    # On the entry's page its group is marked current, and the entry is the current page.
    if width == 390:
        page.get_by_role("button", name="Menu", exact=True).click()
    expect(navigation.get_by_role("button", name="Reports")).to_have_attribute("aria-current", "true")
    expect(navigation.locator("[aria-current=page]")).to_have_text("KPI scorecard")
    # Opening another group closes the one open before.
    navigation.get_by_role("button", name="Feedback").click()
    navigation.get_by_role("button", name="Reports").click()
    expect(page.locator("#menu-feedback")).to_be_hidden()
    expect(page.locator("#menu-reports")).to_be_visible()
    page.screenshot(path=str(artifacts / f"menu-current-{width}.png"), full_page=width == 390)
    assert axe_check(page) == []
    # A click elsewhere closes it.
    page.get_by_role("heading", level=1).click()
    expect(page.locator("#menu-reports")).to_be_hidden()
    assert csp_violations == []


def test_without_javascript_a_group_leads_to_the_menu_page(browser, live_server, hub, artifacts):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "hub")
        navigation = page.get_by_role("navigation", name="Menu")
        expect(navigation.get_by_role("button", name="Reports")).to_be_hidden()
        navigation.get_by_role("link", name="Reports").click()
        expect(page.get_by_role("heading", level=1, name="Menu")).to_be_visible()
        reports = page.locator("#menu-reports + ul")
        expect(reports.get_by_role("link")).to_have_text(
            ["Dashboard", "Grade distribution", "KPI scorecard", "Feedback figures", "Quarterly reports"]
        )
        page.screenshot(path=str(artifacts / "menu-page-no-script-1280.png"), full_page=True)
        reports.get_by_role("link", name="KPI scorecard").click()
        expect(page.get_by_role("heading", level=1, name=re.compile("KPI scorecard"))).to_be_visible()
    finally:
        context.close()
