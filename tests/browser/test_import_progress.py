"""A background import in a real Chromium: the Practice Hub uploads a file on the import page
and follows the progress bar to the result, with JavaScript (the bar polls the job's JSON)
and without it (the page refreshes itself). The pages pass axe-core and the CSP."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from evaluations.models import Evaluation
from pqa import jobs
from pqa.models import ImportJob, Role
from tests.browser.test_security import sign_in
from tests.evaluations.test_imports import completed_row, csv_text
from tests.factories import TeamFactory, UserFactory
from tests.pqa.conftest import celery_broker, free_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hub(db):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TeamFactory(service_area__name="Children in Care", name="CiC Team 1")
    UserFactory(username="eve.evaluator", email="eve.evaluator@trust.example", role=Role.EVALUATOR)
    person = UserFactory(username="hub", role=Role.PRACTICE_HUB)
    TOTPDevice.objects.create(user=person, name="Phone", confirmed=True)
    return person


def history_file(tmp_path, rows: int):
    path = tmp_path / "history.csv"
    path.write_text(csv_text(*(completed_row(reference=f"PE-2024-{number:04d}") for number in range(1, rows + 1))))
    return path


def upload(page: Page, base: str, hub, path) -> None:
    sign_in(page, base, "hub", "/evaluations/import/")
    expect(page.get_by_role("heading", name="Import evaluations")).to_be_visible()
    page.get_by_label("Upload a CSV file or an Excel workbook").set_input_files(str(path))
    page.get_by_role("button", name="Import evaluations").click()


def test_the_practice_hub_uploads_a_file_and_follows_the_progress_bar_to_the_result(
    page: Page, live_server, hub, tmp_path, artifacts, axe_check, csp_violations
):
    # With the broker away the job waits (as behind a long import): the page shows it queued.
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):
        upload(page, live_server.url, hub, history_file(tmp_path, 40))
        expect(page.get_by_role("heading", name="Importing evaluations")).to_be_visible()
    job = ImportJob.objects.get()
    progress = page.get_by_role("progressbar")
    expect(progress).to_be_visible()
    expect(page.locator("#import-state")).to_have_text("Waiting to start")
    expect(page.get_by_text("Refresh this page")).to_be_hidden()  # the page updates itself
    page.screenshot(path=str(artifacts / "import-progress-waiting.png"), full_page=True)
    assert axe_check(page) == []

    # The worker (here the sweep, as after a broker outage) runs it; the page, polling,
    # shows the result without anyone reloading it.
    assert jobs.import_jobs_sweep(now=timezone.now() + jobs.QUEUED_GRACE * 2) == 1
    expect(page.get_by_text("Imported 40 evaluations (40 created, 0 updated).")).to_be_visible(timeout=15_000)
    expect(progress).to_have_attribute("value", "100")
    expect(page.locator("#import-rows-written")).to_have_text("40")
    page.screenshot(path=str(artifacts / "import-progress-done.png"), full_page=True)
    assert axe_check(page) == []
    assert Evaluation.objects.count() == 40
    job.refresh_from_db()
    assert job.state == "done"

    # The import page keeps it in the person's history.
    page.get_by_role("link", name="Import another file").click()
    expect(page.get_by_role("link", name="history.csv")).to_be_visible()
    assert csp_violations == []


def test_without_javascript_the_page_refreshes_itself_until_the_result(
    browser, live_server, hub, tmp_path, artifacts, axe_check
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):
        upload(page, live_server.url, hub, history_file(tmp_path, 3))
        expect(page.get_by_role("heading", name="Importing evaluations")).to_be_visible()
    expect(page.get_by_role("link", name="Refresh this page")).to_be_visible()

    assert jobs.import_jobs_sweep(now=timezone.now() + jobs.QUEUED_GRACE * 2) == 1
    expect(page.get_by_text("Imported 3 evaluations (3 created, 0 updated).")).to_be_visible(timeout=15_000)
    page.screenshot(path=str(artifacts / "import-progress-no-javascript.png"), full_page=True)
    context.close()


def test_a_file_with_problems_shows_them_on_the_job_page(page: Page, live_server, hub, tmp_path, artifacts, axe_check):
    path = tmp_path / "history.csv"
    path.write_text(csv_text(completed_row(evaluation_date="2024-08-02")))
    upload(page, live_server.url, hub, path)  # no broker: it runs at once, in-process
    expect(page.get_by_text("The file has 1 problem: nothing was imported")).to_be_visible()
    expect(page.get_by_text("row 2, column evaluation_date: 2024-08-02 is in 2024-25-Q2")).to_be_visible()
    page.screenshot(path=str(artifacts / "import-progress-problems.png"), full_page=True)
    assert axe_check(page) == []
    assert not Evaluation.objects.exists()
