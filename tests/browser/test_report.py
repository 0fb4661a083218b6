"""The quarterly report in a real Chromium: the Practice Hub writes the narrative for a quarter
with returned evaluations and feedback, generates the report and follows the progress bar to
the end, downloads the PDF (its pages turned into pictures with pdftoppm, kept in
test-artifacts/report/) and the workbook (opened with openpyxl). The pages pass axe-core and
the Content Security Policy, at 1280 and 390 pixels wide."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from evaluations.models import Grade
from feedback.models import Compliment
from pqa import jobs
from pqa.models import Role
from pqa.reporting.models import QuarterlyReport
from tests.browser.test_security import sign_in
from tests.factories import CycleFactory, TeamFactory, UserFactory, completed_evaluation
from tests.pqa.conftest import celery_broker, free_port

pytestmark = pytest.mark.django_db(transaction=True)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "report"
QUARTER = "2025-26-Q1"
PDFTOPPM = shutil.which("pdftoppm") or "/usr/bin/pdftoppm"  # poppler-utils


@pytest.fixture
def quarter_with_records(db):
    """A quarter like the demo's: returned evaluations of several grades in two teams, and a
    compliment that may be shared."""
    teams = [
        TeamFactory(service_area__name="Children in Care", name="CiC Team 1"),
        TeamFactory(service_area__name="Child Protection", name="CP Team 1"),
    ]
    evaluator = UserFactory(username="eve.evaluator", role=Role.EVALUATOR)
    cycle = CycleFactory(quarter=QUARTER)
    grades = [Grade.OUTSTANDING, Grade.GOOD, Grade.GOOD, Grade.REQUIRES_IMPROVEMENT, Grade.INADEQUATE, Grade.GOOD]
    for number, grade in enumerate(grades):
        completed_evaluation(
            grade=grade,
            cycle=cycle,
            team=teams[number % 2],
            evaluator=evaluator,
            evaluation_date=dt.date(2025, 4, 10) + dt.timedelta(days=9 * number),
        )
    Compliment.objects.create(
        reference="CMP-2025-001",
        received=dt.date(2025, 5, 12),
        from_whom="parent_carer",
        service_area=teams[0].service_area,
        team=teams[0],
        extract="The social worker always called back and explained what would happen next.",
        may_share=True,
    )
    return UserFactory(username="hub", role=Role.PRACTICE_HUB, first_name="Hana", last_name="Hub")


def _screenshots(page: Page, name: str) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_practice_hub_writes_generates_follows_the_progress_bar_and_downloads_the_report(
    page: Page, live_server, quarter_with_records, axe_check, csp_violations
):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    hub = quarter_with_records
    sign_in(page, live_server.url, "hub", "/pqa/reports/")
    expect(page.get_by_role("heading", name="Quarterly PQA reports")).to_be_visible()
    assert axe_check(page) == []

    page.goto(f"{live_server.url}/pqa/reports/{QUARTER}/")
    expect(page.get_by_role("heading", name="Quarterly PQA report: Q1 2025/26 (April–June 2025)")).to_be_visible()
    page.get_by_label("Strengths").fill("Children's views are recorded in most evaluations.")
    page.get_by_label("Areas for development").fill("Plans need outcomes a child would recognise.")
    page.get_by_label("Actions").fill("Team managers check every plan's outcomes in supervision.")
    page.get_by_label("What children and families told us").fill("Families said they were listened to.")
    expect(page.get_by_text("You have 5,9", exact=False).first).to_be_visible()  # the character count
    offered = page.get_by_role("checkbox")
    if offered.count():  # the quarter's shareable extracts, once the report's content offers them
        offered.first.check()
    assert axe_check(page) == []

    # With the broker away the generation waits (as behind a busy worker): the bar shows it.
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):
        page.get_by_role("button", name="Save and generate the report").click()
        expect(page.get_by_role("progressbar")).to_be_visible()
    expect(page.locator("#report-state")).to_have_text("Waiting to start")
    expect(page.get_by_text("Refresh this page")).to_be_hidden()  # the page updates itself
    _screenshots(page, "report-generating")
    assert axe_check(page) == []
    report = QuarterlyReport.objects.get()
    assert (report.state, report.strengths) == ("queued", "Children's views are recorded in most evaluations.")

    # The worker (here the sweep, as after a broker outage) generates it; the page, polling,
    # shows the result without anyone reloading it.
    assert jobs.jobs_sweep(now=timezone.now() + jobs.QUEUED_GRACE * 2) == 1
    expect(page.locator("#report-state")).to_have_text("Ready", timeout=30_000)
    expect(page.locator("#report-generated")).to_contain_text("by Hana Hub")
    expect(page.locator("#report-web-version")).to_be_visible()
    _screenshots(page, "report-ready")
    assert axe_check(page) == []

    with page.expect_download() as download_info:
        page.locator("#download-pdf").click()
    download = download_info.value
    assert download.suggested_filename == f"pqa-report-{QUARTER}.pdf"
    pdf = ARTIFACTS / download.suggested_filename
    download.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    for old in ARTIFACTS.glob("report-page-*.png"):
        old.unlink()
    subprocess.run(  # noqa: S603 - a fixed command on the file this test saved
        [PDFTOPPM, "-png", "-r", "70", str(pdf), str(ARTIFACTS / "report-page")], check=True, timeout=120
    )
    assert sorted(ARTIFACTS.glob("report-page-*.png")), "pdftoppm made no page"

    with page.expect_download() as download_info:
        page.locator("#download-xlsx").click()
    workbook = download_info.value
    assert workbook.suggested_filename == f"pqa-report-{QUARTER}.xlsx"
    workbook.save_as(ARTIFACTS / workbook.suggested_filename)
    book = load_workbook(io.BytesIO((ARTIFACTS / workbook.suggested_filename).read_bytes()))
    assert "Figures" in book.sheetnames
    assert [cell.value for cell in book["Figures"][1]] == ["key", "value"]

    # The list says who generated it and when, with its files.
    page.get_by_role("link", name="Quarterly PQA reports").first.click()
    row = page.locator(f"#report-{QUARTER}")
    expect(row).to_contain_text("Ready")
    expect(row).to_contain_text("Hana Hub")
    _screenshots(page, "report-list")
    assert axe_check(page) == []
    report.refresh_from_db()
    assert (report.generated_by, report.generation) == (hub, 1)
    assert csp_violations == []
