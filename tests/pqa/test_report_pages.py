"""The quarterly report's pages (pqa/reporting/report_pages.py): the list by quarter, a
quarter's page with its narrative form and Generate button, the downloads with their content
types and file names, the JSON the progress bar polls, and a refused narrative kept and
compared (pqa.conflicts). Generation runs in-process (no broker), as with `make run`."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from pqa import jobs
from pqa.models import EditConflict, Role
from pqa.quarters import Quarter
from pqa.reporting import services
from pqa.reporting.limits import TEXT_LIMITS
from pqa.reporting.models import QuarterlyReport
from tests.conftest import PQAClient
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

QUARTER = "2025-26-Q1"
PAGE = reverse("reporting:report", args=[QUARTER])
NARRATIVE = {
    "strengths": "Children's voices are heard in most records.",
    "areas_for_development": "Plans need clearer outcomes.",
    "actions": "Team managers review plans monthly.",
    "children_and_families": "Families told us they felt listened to.",
}


def _post(client, *, version=0, action="save", **changes):
    return client.post(PAGE, {**NARRATIVE, **changes, "version": version, "action": action})


def test_the_practice_hub_writes_the_narrative_and_generates_the_report_from_its_page(client_for, practice_hub):
    client = client_for(practice_hub)
    page = client.get(PAGE).content.decode()
    assert "The report for this quarter has not been generated yet." in page
    assert "Save and generate the report" in page
    assert 'data-maxlength="6000"' in page  # the GOV.UK character count

    response = _post(client, action="generate")
    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}#report-progress"
    report = QuarterlyReport.objects.get()
    assert (report.state, report.generated_by, report.strengths) == ("ready", practice_hub, NARRATIVE["strengths"])

    page = client.get(PAGE).content.decode()
    assert "Narrative saved and the report generated" in page
    assert 'id="report-web-version"' in page
    assert "Save and generate again" in page
    for fmt in ("html", "pdf", "xlsx"):
        assert reverse("reporting:report_download", args=[QUARTER, fmt]) in page
    assert "job-progress.js" not in page  # finished: nothing to poll


def test_saving_the_narrative_alone_generates_nothing(client_for, practice_hub):
    client = client_for(practice_hub)
    response = _post(client)
    assert response.status_code == 302
    report = QuarterlyReport.objects.get()
    assert (report.state, report.version, report.generation) == ("not_generated", 1, 0)
    assert "Narrative saved at" in client.get(PAGE).content.decode()


def test_a_narrative_too_long_is_shown_again_with_the_error_summary_and_nothing_saved(client_for, practice_hub):
    limit = TEXT_LIMITS("QuarterlyReport", "actions")
    response = _post(client_for(practice_hub), actions="y" * (limit + 1))
    assert response.status_code == 400
    page = response.content.decode()
    assert "<title>Error: " in page
    assert "govuk-error-summary" in page
    assert f"Actions must be {limit:,} characters or less" in page
    assert "y" * (limit + 1) in page  # what was typed is still there
    assert not QuarterlyReport.objects.exists()


def test_an_extract_not_offered_cannot_be_posted(client_for, practice_hub):
    response = _post(client_for(practice_hub), extract_keys=["compliment:1"])
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert "Select a valid choice" in page or "no shareable extracts to choose from" in page
    assert not QuarterlyReport.objects.exists()


def test_a_stale_narrative_is_kept_shown_again_and_can_be_compared(client_for, practice_hub, make_user):
    colleague = make_user(Role.PRACTICE_HUB, username="col.league", first_name="Cora", last_name="League")
    services.report_save_narrative(
        quarter=Quarter.parse(QUARTER), narrative=NARRATIVE, expected_version=0, actor=colleague
    )
    client = client_for(practice_hub)
    response = _post(client, version=0, strengths="Typed before Cora saved.")
    assert response.status_code == 409
    page = response.content.decode()
    assert "Cora League saved this report&#x27;s narrative" in page
    assert "Typed before Cora saved." in page  # nothing typed is lost
    assert 'name="version" value="1"' in page
    conflict = EditConflict.objects.get()
    assert conflict.user == practice_hub

    compare = client.get(reverse("reporting:report_conflicts", args=[QUARTER])).content.decode()
    assert "Your version that was not saved" in compare
    assert "Typed before Cora saved." in compare

    # Saving the page shown again keeps their version and settles the kept copy.
    response = client.post(
        PAGE,
        {**NARRATIVE, "strengths": "Typed before Cora saved.", "version": 1, "resolves_conflict": conflict.pk},
    )
    assert response.status_code == 302
    assert QuarterlyReport.objects.get().strengths == "Typed before Cora saved."
    conflict.refresh_from_db()
    assert conflict.resolution == EditConflict.Resolution.APPLIED


def test_readers_see_the_report_but_no_form_and_cannot_post(client_for, leader):
    client = client_for(leader)
    page = client.get(PAGE).content.decode()
    assert "Quarterly PQA report: Q1 2025/26" in page
    assert "narrative-form" not in page
    assert _post(client).status_code == 404
    assert not QuarterlyReport.objects.exists()


def test_a_quarter_not_begun_or_not_a_quarter_is_not_found(client_for, practice_hub):
    client = client_for(practice_hub)
    future = Quarter.containing(timezone.localdate()).next()
    assert client.get(reverse("reporting:report", args=[str(future)])).status_code == 404
    assert client.get("/pqa/reports/2025-27-Q1/").status_code == 404
    assert client.get("/pqa/reports/9999-00-Q1/").status_code == 404


def _generated(actor):
    return services.report_generate(quarter=Quarter.parse(QUARTER), actor=actor)


@pytest.mark.parametrize(
    ("fmt", "content_type", "starts"),
    [
        ("pdf", "application/pdf", b"%PDF"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK"),
        ("html", "text/html; charset=utf-8", b"<!DOCTYPE html>"),
    ],
)
def test_each_file_downloads_with_its_content_type_and_file_name(
    client_for, practice_hub, leader, fmt, content_type, starts
):
    _generated(practice_hub)
    response = client_for(leader).get(reverse("reporting:report_download", args=[QUARTER, fmt]))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="pqa-report-{QUARTER}.{fmt}"'
    assert response.content.startswith(starts)
    if fmt == "xlsx":
        assert "Figures" in load_workbook(io.BytesIO(response.content)).sheetnames


def test_a_file_not_generated_yet_or_of_no_format_is_not_found(client_for, practice_hub):
    client = client_for(practice_hub)
    assert client.get(reverse("reporting:report_download", args=[QUARTER, "pdf"])).status_code == 404
    _generated(practice_hub)
    assert client.get(reverse("reporting:report_download", args=[QUARTER, "docx"])).status_code == 404


def test_the_list_shows_each_quarter_its_state_who_generated_it_and_its_downloads(client_for, practice_hub, leader):
    _generated(practice_hub)
    page = client_for(leader).get(reverse("reporting:reports")).content.decode()
    assert "Quarterly PQA reports" in page
    row = page[page.index(f'id="report-{QUARTER}"') :]
    row = row[: row.index("</tr>")]
    assert "Ready" in row
    assert str(practice_hub) in row
    assert reverse("reporting:report_download", args=[QUARTER, "pdf"]) in row
    current = Quarter.containing(timezone.localdate())
    assert f'id="report-{current}"' in page  # recent quarters are offered before any report exists


def test_the_list_runs_the_same_queries_whatever_the_number_of_reports(
    client_for, practice_hub, django_assert_max_num_queries
):
    client = client_for(practice_hub)
    client.get(reverse("reporting:reports"))  # the session's first request settles it
    for quarter in ("2024-25-Q1", "2024-25-Q2"):
        QuarterlyReport.objects.create(quarter=quarter, state="ready", generation=1, generated_by=practice_hub)
    with django_assert_max_num_queries(4) as few:
        client.get(reverse("reporting:reports"))
    for number in range(2000, 2016):
        QuarterlyReport.objects.create(
            quarter=f"{number}-{(number + 1) % 100:02d}-Q1", state="ready", generation=1, generated_by=practice_hub
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("reporting:reports"))
    assert response.content.decode().count("govuk-tag--green") == 18


def test_the_status_json_reports_progress_while_generating_and_the_files_when_done(client_for, practice_hub):
    report = QuarterlyReport.objects.create(quarter=QUARTER, state="generating", started_at=timezone.now())
    jobs.JobProgress(services.REPORT_JOB, report.pk).write({"percent": 42, "step": "Counting the figures"})
    client = client_for(practice_hub)
    url = reverse("reporting:report_status", args=[QUARTER])
    status = client.get(url).json()
    assert (status["state"], status["percent"], status["step"], status["finished"]) == (
        "generating",
        42,
        "Counting the figures",
        False,
    )
    page = client.get(PAGE).content.decode()
    assert 'value="42"' in page
    assert "job-progress.js" in page  # polls while it runs
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page  # and refreshes without JS
    assert "disabled" in page[page.index('id="generate"') :][:200]

    QuarterlyReport.objects.filter(pk=report.pk).update(state="queued")
    services.report_generate_run(report.pk)
    status = client.get(url).json()
    assert (status["state"], status["percent"], status["finished"], status["generated_by"]) == (
        "ready",
        100,
        True,
        None,
    )
    assert set(status["downloads"]) == {"html", "pdf", "xlsx"}


def test_the_admin_shows_a_report_and_its_history_read_only(client, practice_hub):
    _generated(practice_hub)
    report = QuarterlyReport.objects.get()
    administrator = UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    admin = PQAClient()
    admin.force_login(administrator)
    assert admin.get(reverse("admin:reporting_quarterlyreport_changelist")).status_code == 200
    change = admin.get(reverse("admin:reporting_quarterlyreport_change", args=[report.pk])).content.decode()
    assert 'name="strengths"' not in change  # read-only
    assert 'name="pdf"' not in change
    history = admin.get(reverse("admin:reporting_quarterlyreport_history", args=[report.pk])).content.decode()
    assert str(practice_hub) in history
    assert admin.get(reverse("admin:reporting_quarterlyreport_add")).status_code == 403


def test_the_web_version_is_the_body_of_the_stored_html_without_its_print_styles(client_for, leader):
    QuarterlyReport.objects.create(
        quarter=QUARTER,
        state="ready",
        generation=1,
        html=b"<!DOCTYPE html><html><head><style>h1{color:red}</style></head>"
        b"<body><style>@page{size:A4}</style><h1>Figures</h1><p>85.5%</p></body></html>",
    )
    page = client_for(leader).get(PAGE).content.decode()
    web = page[page.index('id="report-web-version"') :]
    assert "<h1>Figures</h1><p>85.5%</p>" in web
    assert "<style" not in page
