"""A leader reads the dashboard in a real Chromium: it is their home, its charts are drawn
and show the figures of the tables beside them (read back from the SVG), and the page passes
axe-core and the Content Security Policy and fits a 390 px screen. Screenshots go to
test-artifacts/browser/dashboard-*.png."""

import re

import pytest
from playwright.sync_api import Page, expect

from evaluations.models import Cycle, Evaluation, Grade, Moderation
from pqa.models import Role
from tests.browser.test_role_homes import no_wider_than_the_screen
from tests.browser.test_security import sign_in
from tests.factories import CycleFactory, EvaluationFactory, TeamFactory, UserFactory, completed_evaluation

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (1280, 390)
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(e => !e.closest('.pqa-table-scroll')
    && e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 8).map(e => e.tagName + '.' + e.className)"""
QUARTERS = ["2024-25-Q3", "2024-25-Q4", "2025-26-Q1", "2025-26-Q2"]
GRADES = [Grade.OUTSTANDING, Grade.GOOD, Grade.GOOD, Grade.REQUIRES_IMPROVEMENT, Grade.INADEQUATE]


@pytest.fixture
def world(transactional_db):
    teams = [
        TeamFactory(service_area__name="Children in Care", name="CiC 1"),
        TeamFactory(service_area__name="Child Protection", name="CP 1"),
    ]
    for index, quarter in enumerate(QUARTERS):
        cycle = CycleFactory(quarter=quarter, status=Cycle.Status.CLOSED)
        for number in range(3 + index * 2):
            evaluation = completed_evaluation(
                cycle=cycle,
                team=teams[number % 2],
                grade=GRADES[(number + index) % len(GRADES)],
                fathers_included="yes" if number % 3 else "no",
                edi_considered="yes" if number % 2 else "partly",
            )
            if number == 1:
                Moderation.objects.create(
                    evaluation=evaluation, moderated_grade=Grade.GOOD, outcome=Moderation.Outcome.AGREED
                )
        EvaluationFactory(cycle=cycle, team=teams[0], status=Evaluation.Status.NOT_RETURNED)
    return UserFactory(username="lee", first_name="Lee", last_name="Tester", role=Role.LEADER)


def _number(text: str) -> float:
    return float(text.strip().replace(",", ""))


def test_a_leaders_dashboard_draws_the_figures_of_its_tables(
    page: Page, live_server, world, artifacts, axe_check, csp_violations
):
    sign_in(page, live_server.url, "lee")
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1, name=re.compile("Dashboard"))).to_be_visible()

    # The final grades: each quarter's bar is split in the table's counts, grade by grade.
    chart = page.locator("#final-grades svg[data-chart]")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["width"] > 300
    rows = page.locator('table[data-chart-table="chart-final-grades"] tbody tr')
    expect(rows).to_have_count(4)
    for index in range(4):
        cells = rows.nth(index).locator("td").all_inner_texts()
        counts = [_number(cells[1 + 2 * grade]) for grade in range(4)]  # count, share, count, share...
        bar = chart.locator("rect[data-series]").all()[index * 4 : index * 4 + 4]
        drawn = [float(segment.get_attribute("data-value")) for segment in bar]
        assert drawn == counts, (index, drawn, counts)
        widths = [float(segment.get_attribute("width")) for segment in bar]
        total = sum(counts)
        for width, count in zip(widths, counts, strict=True):
            assert abs(width / sum(widths) - count / total) < 0.01

    # The return rate: each point sits where the table's rate is on the axis.
    line = page.locator("#return-rate svg[data-chart]")
    y_min, y_max = float(line.get_attribute("data-y-min")), float(line.get_attribute("data-y-max"))
    top, bottom = float(line.get_attribute("data-top")), float(line.get_attribute("data-bottom"))
    points = line.locator("circle")
    expect(points).to_have_count(4)
    table = page.locator('table[data-chart-table="chart-return-rate"] tbody tr')
    per_pixel = (y_max - y_min) / (bottom - top)
    for index in range(4):
        rate = _number(table.nth(index).locator("td").nth(4).inner_text())
        cy = float(points.nth(index).get_attribute("cy"))
        assert abs(y_min + (bottom - cy) / (bottom - top) * (y_max - y_min) - rate) <= per_pixel, index
    # Text in charts is at least 14 px.
    sizes = page.evaluate(
        "() => [...document.querySelectorAll('svg.pqa-chart__svg text')]"
        ".map(t => parseFloat(getComputedStyle(t).fontSize))"
    )
    assert sizes and min(sizes) >= 14, min(sizes)

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(artifacts / f"dashboard-{width}.png"), full_page=True)
        assert no_wider_than_the_screen(page), (width, page.evaluate(WIDEST))
    assert axe_check(page) == []
    assert csp_violations == []

    # A table downloads as CSV, with the page's filters.
    page.set_viewport_size({"width": 1280, "height": 900})
    with page.expect_download() as download:
        page.locator("#return-rate").get_by_role("link", name=re.compile("CSV")).click()
    assert download.value.suggested_filename.startswith("pqa-return-rate-2025-26-Q2")


def test_the_dashboards_feedback_panels_draw_the_figures_of_their_tables(
    page: Page, live_server, world, artifacts, axe_check, csp_violations
):
    import datetime as dt

    from tests.reporting.builders import make_feedback

    teams = list(TeamFactory._meta.model.objects.order_by("pk"))
    make_feedback(5, teams[0], teams[1], day=dt.date(2025, 8, 5))
    sign_in(page, live_server.url, "lee")
    page.goto(f"{live_server.url}/pqa/dashboard/?quarter=2025-26-Q2")
    for id in ("complaints-stages", "complaints-timeliness", "complaints-themes", "compliments", "advocacy"):
        expect(page.locator(f"#{id} svg[data-chart]")).to_be_visible()
    # The themes' bars carry the counts of the table beside them.
    drawn = [
        float(value)
        for value in page.locator("#complaints-themes svg rect").evaluate_all(
            "rects => rects.map(r => r.getAttribute('data-value'))"
        )
    ]
    counted = [_number(cell) for cell in page.locator("#complaints-themes tbody tr td:nth-child(2)").all_inner_texts()]
    assert drawn == counted and sum(counted) > 0
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.locator("#complaints-stages").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / f"dashboard-feedback-{width}.png"), full_page=True)
        assert no_wider_than_the_screen(page), (width, page.evaluate(WIDEST))
    assert axe_check(page) == []
    assert csp_violations == []
