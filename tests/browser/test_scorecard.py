"""A leader reads the KPI scorecard in a real Chromium: every indicator at a glance, then one
indicator's twelve months, whose chart must show the same figures as the table beside it.
Both pages pass axe-core and the Content Security Policy, and fit a 390 px screen (wide
tables and the chart scroll in their own box). Screenshots go to
test-artifacts/browser/scorecard-*.png."""

import re
import sys

import pytest
from django.apps import apps
from django.db.migrations.loader import MigrationLoader
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from pqa.kpis.demo import kpi_demo_load
from pqa.kpis.models import Indicator
from pqa.models import Role
from tests.browser.conftest import open_menu_entry
from tests.browser.test_role_homes import no_wider_than_the_screen
from tests.browser.test_security import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (1280, 390)
# On failure, what makes the page wider than the screen (outside the boxes meant to scroll).
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(e => !e.closest('.pqa-table-scroll') && e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 8).map(e => e.tagName + '.' + e.className)"""


@pytest.fixture
def contract_indicators(transactional_db):
    """The 15 indicators, as their data migration loads them: a test on a live server empties
    the tables after it (serialized_rollback cannot restore them once another has), so they are
    loaded again by the migration's own function, found by name wherever the migration is numbered."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    migration = next(
        migration
        for (app, name), migration in loader.disk_migrations.items()
        if app == "pqa" and name.endswith("_kpi_indicators")
    )
    sys.modules[migration.__module__].load_indicators(apps, None)
    assert Indicator.objects.count() == 15


@pytest.fixture
def world(contract_indicators):
    leader = UserFactory(username="lee", first_name="Lee", last_name="Tester", role=Role.LEADER)
    assert kpi_demo_load(actor=leader) == 15 * 24
    return leader


def _number(text: str) -> float:
    return float(re.match(r"-?[\d,]+(\.\d+)?", text.strip()).group(0).replace(",", ""))


def test_a_leader_reads_the_scorecard_and_an_indicators_chart(
    page: Page, live_server, world, artifacts, axe_check, csp_violations
):
    sign_in(page, live_server.url, "lee")
    open_menu_entry(page, "KPI scorecard")  # in the menu's Reports group
    expect(page.get_by_role("heading", level=1, name=re.compile("KPI scorecard"))).to_be_visible()
    table = page.get_by_role("table", name=re.compile("Indicators, "))
    expect(table.locator("tbody tr")).to_have_count(15)
    statuses = set(table.locator(".pqa-kpi-status").all_inner_texts())
    assert statuses >= {"On target", "Within tolerance"}, statuses
    assert statuses <= {"On target", "Within tolerance", "Outside tolerance", "Better than tolerance"}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(artifacts / f"scorecard-{width}.png"), full_page=True)
        assert no_wider_than_the_screen(page), (width, page.evaluate(WIDEST))
    assert axe_check(page) == []

    page.set_viewport_size({"width": 1280, "height": 900})
    table.get_by_role("link", name=re.compile("KPI01")).click()
    heading = page.get_by_role("heading", level=1, name=re.compile("referrals with a decision within 24 hours"))
    expect(heading).to_be_visible()
    chart = page.locator("svg[role=img][data-chart=line]")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box["width"] > 500 and box["height"] > 250  # drawn, not an empty box
    circles = chart.locator("circle")
    expect(circles).to_have_count(12)
    y_min, y_max = float(chart.get_attribute("data-y-min")), float(chart.get_attribute("data-y-max"))
    top, bottom = float(chart.get_attribute("data-top")), float(chart.get_attribute("data-bottom"))
    rows = page.get_by_role("table", name="KPI01 by month").locator("tbody tr")
    expect(rows).to_have_count(12)
    shown = [_number(rows.nth(index).locator("td").first.inner_text()) for index in range(12)]
    drawn = []
    for index in range(12):
        cy = float(circles.nth(index).get_attribute("cy"))
        # Where the point sits on the axis, read back into a value.
        drawn.append(y_min + (bottom - cy) / (bottom - top) * (y_max - y_min))
    per_pixel = (y_max - y_min) / (bottom - top)
    assert all(abs(d - s) <= per_pixel for d, s in zip(drawn, shown, strict=True)), (drawn, shown)
    assert chart.locator("[data-target]").count() == 12
    expect(page.get_by_role("heading", level=2, name="Commentary")).to_be_visible()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(artifacts / f"scorecard-indicator-{width}.png"), full_page=True)
        assert no_wider_than_the_screen(page), (width, page.evaluate(WIDEST))
    assert axe_check(page) == []
    assert csp_violations == []


def test_the_practice_hub_enters_a_months_value_with_its_commentary(
    page: Page, live_server, artifacts, axe_check, csp_violations, contract_indicators
):
    hub = UserFactory(username="hub", first_name="Hub", last_name="Tester", role=Role.PRACTICE_HUB)
    TOTPDevice.objects.create(user=hub, name="Phone", confirmed=True)
    sign_in(page, live_server.url, "hub", path="/pqa/scorecard/KPI02/?month=2018-12")
    page.get_by_role("link", name=re.compile("Enter the value for December 2018")).click()
    page.get_by_label("Numerator").fill("216")
    page.get_by_label("Denominator").fill("903")
    page.get_by_label("Value", exact=True).fill("24")
    page.get_by_label("Commentary").fill("Re-referrals remain within tolerance.")
    expect(page.get_by_text(re.compile(r"You have 1,9\d\d characters remaining"))).to_be_visible()
    page.get_by_role("button", name="Save value").click()
    # A value and a numerator together: refused, at the value, with everything typed kept.
    expect(page.get_by_role("alert").get_by_text(re.compile("Give either a value or a numerator"))).to_be_visible()
    expect(page.get_by_label("Commentary")).to_have_value("Re-referrals remain within tolerance.")
    page.set_viewport_size({"width": 390, "height": 900})
    page.screenshot(path=str(artifacts / "scorecard-entry-error-390.png"), full_page=True)
    assert no_wider_than_the_screen(page), page.evaluate(WIDEST)
    assert axe_check(page) == []
    page.get_by_label("Value", exact=True).fill("")
    page.get_by_role("button", name="Save value").click()
    expect(page.get_by_text("KPI02 for December 2018 saved.")).to_be_visible()
    expect(page.get_by_text("23.9% (216 of 903)")).to_be_visible()
    expect(page.get_by_text("Re-referrals remain within tolerance.")).to_be_visible()
    assert csp_violations == []
