"""Reads of the stored quarterly reports, for their pages and JSON (docs/report-workflow.md).
The files are read only by the download and the report's own page: lists defer them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

from pqa import jobs
from pqa.quarters import Quarter, quarter_or_none
from pqa.reporting.models import FILE_FIELDS, NARRATIVE_FIELDS, QuarterlyReport
from pqa.reporting.services import REPORT_JOB

State = QuarterlyReport.State
# The quarters offered on the list even before anyone saved a report for them: the current one
# and the seven before it (two years).
RECENT_QUARTERS = 8
FORMAT_LABELS = {"html": "Web page (HTML)", "pdf": "PDF", "xlsx": "Excel workbook"}


def report_file_name(quarter: Quarter | str, fmt: str) -> str:
    """`pqa-report-2025-26-Q1.pdf`: the name a downloaded file gets."""
    return f"pqa-report-{quarter}.{fmt}"


def report_for_quarter(quarter: Quarter, *, with_html: bool = False) -> QuarterlyReport | None:
    """The quarter's report, without its files (the PDF and the workbook are read only to be
    downloaded); with the HTML when the page shows the web version."""
    reports = QuarterlyReport.objects.select_related("generated_by", "requested_by")
    deferred = [fmt for fmt in FILE_FIELDS if not (with_html and fmt == "html")]
    return reports.defer(*deferred).filter(quarter=str(quarter)).first()


def report_file(quarter: Quarter, fmt: str) -> bytes | None:
    """The stored file of the quarter's latest generation in `fmt`, or None."""
    if fmt not in FILE_FIELDS:
        return None
    row = QuarterlyReport.objects.filter(quarter=str(quarter), generation__gt=0).values_list(fmt, flat=True).first()
    return bytes(row) if row else None


@dataclass(frozen=True)
class ReportRow:
    quarter: Quarter
    report: QuarterlyReport | None

    @property
    def state_label(self) -> str:
        return self.report.get_state_display() if self.report else State.NOT_GENERATED.label


def report_rows(*, today=None) -> list[ReportRow]:
    """Every quarter with a stored report, and the recent quarters without one, newest first:
    one query, whatever the number of reports."""
    current = Quarter.containing(today or timezone.localdate())
    reports = {
        report.quarter: report
        for report in QuarterlyReport.objects.defer(*FILE_FIELDS, *NARRATIVE_FIELDS).select_related("generated_by")
    }
    quarters = {current}
    quarter = current
    for _ in range(RECENT_QUARTERS - 1):
        quarter = quarter.previous()
        quarters.add(quarter)
    quarters |= {found for found in map(quarter_or_none, reports) if found is not None}
    return [ReportRow(quarter, reports.get(str(quarter))) for quarter in sorted(quarters, reverse=True)]


def downloads(report: QuarterlyReport | None) -> list[dict]:
    """The latest generation's files, to download: format, label, URL, file name and size."""
    if report is None or not report.has_files:
        return []
    return [
        {
            "format": fmt,
            "label": FORMAT_LABELS[fmt],
            "url": reverse("reporting:report_download", args=[report.quarter, fmt]),
            "file_name": report_file_name(report.quarter, fmt),
            "size": (report.sizes or {}).get(fmt),
        }
        for fmt in FILE_FIELDS
    ]


def report_status(quarter: Quarter, report: QuarterlyReport | None) -> dict:
    """Where the quarter's report is, for its page and its JSON (polled by the progress bar)."""
    state = report.state if report else State.NOT_GENERATED
    progress = jobs.job_progress(REPORT_JOB, report.pk) if report and state == State.GENERATING else {}
    if state == State.READY:
        percent = 100
    elif state == State.GENERATING:
        percent = min(99, int(progress.get("percent") or 0))
    else:
        percent = 0
    generated_at = report.generated_at if report else None
    return {
        "quarter": str(quarter),
        "state": str(state),
        "state_label": State(state).label,
        "running": state in QuarterlyReport.RUNNING_STATES,
        "finished": state not in QuarterlyReport.RUNNING_STATES,
        "percent": percent,
        "step": progress.get("step") or ("Waiting for the server to start it" if state == State.QUEUED else ""),
        "generation": report.generation if report else 0,
        "generated_at": timezone.localtime(generated_at).isoformat() if generated_at else None,
        "generated_by": str(report.generated_by) if report and report.generated_by else None,
        "error": report.error if report and state == State.FAILED else "",
        "downloads": {item["format"]: item["url"] for item in downloads(report)},
        "url": reverse("reporting:report", args=[str(quarter)]),
    }


_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S | re.I)
# The document's own print styles (for WeasyPrint) are not the page's: the page has PQA's
# stylesheet, and its Content Security Policy refuses inline styles anyway.
_STYLE = re.compile(r"<style[^>]*>.*?</style>", re.S | re.I)


def web_version(report: QuarterlyReport | None) -> str:
    """The body of the stored HTML, to show on the report's page (it was rendered by our own
    template, auto-escaped, so it is markup we made, not text anyone typed)."""
    if report is None or not report.has_files or not report.html:
        return ""
    html = bytes(report.html).decode("utf-8", errors="replace")
    match = _BODY.search(html)
    return _STYLE.sub("", match.group(1)).strip() if match else ""
