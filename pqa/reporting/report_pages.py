"""The quarterly report's pages (docs/report-workflow.md): the list of reports by quarter, a
quarter's report (its web version, its narrative form and its Generate button, with a progress
bar while it is generated), its files to download, its JSON status (polled by the progress
bar) and the compare page for a refused narrative. Thin: the rules are in services.py and
selectors.py; who may do what in permissions.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_http_methods

from pqa import audit
from pqa.conflicts import (
    NOT_APPLIED,
    RefusedVersionPage,
    form_values,
    keep_refused_version,
    settle_kept_version,
    unresolved_conflicts,
)
from pqa.quarters import Quarter
from pqa.reporting import selectors, services
from pqa.reporting.forms import NarrativeForm
from pqa.reporting.models import NARRATIVE_FIELDS, QuarterlyReport
from pqa.reporting.permissions import can_see_reports, can_write_reports
from pqa.reporting.report import CONTENT_TYPES, FORMATS, shareable_extracts
from pqa.versioning import ConcurrentEditError

NARRATIVE_NOT_APPLIED = NOT_APPLIED | {"resolves_conflict"}


def _readable_quarter(request, quarter: Quarter) -> Quarter:
    """The quarter, if this person reads reports and it has begun (a report of a quarter still
    to come would count nothing)."""
    if not can_see_reports(request.user):
        raise Http404("No such page")
    if quarter.start > timezone.localdate():
        raise Http404("That quarter has not begun")
    return quarter


@require_GET
def report_list(request):
    """GET /pqa/reports/: every quarter's report, its state, who generated it and when, and its files."""
    if not can_see_reports(request.user):
        raise Http404("No such page")
    rows = [{"row": row, "downloads": selectors.downloads(row.report)} for row in selectors.report_rows()]
    return render(request, "reporting/reports/list.html", {"rows": rows, "can_write": can_write_reports(request.user)})


def _initial(report: QuarterlyReport | None) -> dict:
    if report is None:
        return {"version": 0}
    return {
        **{name: getattr(report, name) for name in NARRATIVE_FIELDS},
        "extract_keys": list(report.extract_keys or []),
        "version": report.version,
    }


def _conflict_message(error: ConcurrentEditError) -> str:
    when = f" at {date_format(timezone.localtime(error.saved_at), 'H:i, j F')}" if error.saved_at else ""
    return (
        f"{error.saved_by or 'Someone else'} saved this report's narrative{when}, after you opened it, so your "
        "changes have not been saved yet. Your version is kept: compare it with the saved one, or save this "
        "page again to keep yours."
    )


@require_http_methods(["GET", "POST"])
def report_page(request, quarter: Quarter):
    """GET/POST /pqa/reports/2025-26-Q1/: the report as generated, and for the Practice Hub the
    narrative to write and the button to generate it (again)."""
    quarter = _readable_quarter(request, quarter)
    can_write = can_write_reports(request.user)
    if request.method == "POST" and not can_write:
        raise Http404("No such page")
    report = selectors.report_for_quarter(quarter, with_html=request.method == "GET")
    extracts = shareable_extracts(quarter) if can_write else []
    form, errors, status = None, False, 200
    if request.method == "POST":
        form = NarrativeForm(request.POST, extracts=extracts)
        if not form.is_valid():
            status = 400
        else:
            try:
                report = services.report_save_narrative(
                    quarter=quarter,
                    narrative=form.narrative(),
                    extract_keys=form.cleaned_data["extract_keys"],
                    expected_version=form.cleaned_data["version"],
                    actor=request.user,
                )
            except ConcurrentEditError as error:
                report = selectors.report_for_quarter(quarter, with_html=True)
                kept = keep_refused_version(request, report, based_on_version=form.cleaned_data["version"], error=error)
                data = request.POST.copy()
                data["version"] = str(error.current_version)  # saving again now keeps this version
                data["resolves_conflict"] = str(kept.pk)  # ...and settles the kept copy
                form = NarrativeForm(data, extracts=extracts)
                form.is_valid()
                form.add_error(None, _conflict_message(error))
                status = 409
            except ValidationError as refusal:
                shown = {name for name in form.fields if name != "extract_keys" or extracts}
                for name, texts in refusal.message_dict.items():
                    form.add_error(name if name in shown else None, texts)
                status = 400
            else:
                settle_kept_version(request, report, form.cleaned_data["resolves_conflict"])
                return _after_save(request, quarter, generate=request.POST.get("action") == "generate")
        report = report if status == 409 else selectors.report_for_quarter(quarter, with_html=True)
        errors = True
    elif can_write:
        form = NarrativeForm(initial=_initial(report), extracts=extracts)
    return render(
        request,
        "reporting/reports/report.html",
        {
            "quarter": quarter,
            "report": report,
            "form": form,
            "errors": errors,
            "can_write": can_write,
            "status": selectors.report_status(quarter, report),
            "downloads": selectors.downloads(report),
            "web_version": selectors.web_version(report),
            "edit_conflicts": unresolved_conflicts(request.user, report) if report and can_write else [],
        },
        status=status,
    )


def _after_save(request, quarter: Quarter, *, generate: bool):
    page = reverse("reporting:report", args=[str(quarter)])
    if not generate:
        messages.success(request, f"Narrative saved at {date_format(timezone.localtime(), 'H:i')}.")
        return redirect(page)
    try:
        report = services.report_generate(quarter=quarter, actor=request.user)
    except services.ReportError as error:
        messages.error(request, str(error))
        return redirect(page)
    if report.state == QuarterlyReport.State.READY:
        messages.success(request, "Narrative saved and the report generated: download it below.")
    elif report.state == QuarterlyReport.State.FAILED:
        messages.error(request, report.error)
    else:
        messages.success(request, "Narrative saved. The report is being generated: you can leave this page.")
    return redirect(f"{page}#report-progress")


@require_GET
def report_status(request, quarter: Quarter):
    """GET /pqa/reports/2025-26-Q1/status.json: the report's state and progress."""
    quarter = _readable_quarter(request, quarter)
    return JsonResponse(selectors.report_status(quarter, selectors.report_for_quarter(quarter)))


@require_GET
def report_download(request, quarter: Quarter, fmt: str):
    """GET /pqa/reports/2025-26-Q1/pdf/: the latest generation's file, as pqa-report-2025-26-Q1.pdf."""
    quarter = _readable_quarter(request, quarter)
    if fmt not in FORMATS:
        raise Http404("No such format")
    content = selectors.report_file(quarter, fmt)
    if content is None:
        raise Http404("The report has not been generated yet")
    audit.event(audit.EXPORT, user=request.user.pk, what="quarterly_report", format=fmt, quarter=str(quarter))
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{selectors.report_file_name(quarter, fmt)}"'
    return response


# --- A refused narrative, compared with the saved one (pqa.conflicts) ------------------------


def _build(report: QuarterlyReport, data):
    extracts = shareable_extracts(Quarter.parse(report.quarter))
    if data is None:
        return NarrativeForm(initial=_initial(report), extracts=extracts)
    return NarrativeForm(data, extracts=extracts)


def _apply(request, report: QuarterlyReport, form: NarrativeForm) -> None:
    services.report_save_narrative(
        quarter=Quarter.parse(report.quarter),
        narrative=form.narrative(),
        extract_keys=form.cleaned_data["extract_keys"],
        expected_version=form.cleaned_data["version"],
        actor=request.user,
    )


CONFLICTS = RefusedVersionPage(
    build=_build,
    sections=lambda form: {"narrative": ("", form_values(form, NARRATIVE_NOT_APPLIED))},
    errors=lambda form: [str(message) for messages_ in form.errors.values() for message in messages_],
    apply=_apply,
    form_url=lambda report: reverse("reporting:report", args=[report.quarter]),
    not_applied=NARRATIVE_NOT_APPLIED,
    context=lambda report: {"title": f"the narrative of {report}", "caption": f"Quarterly PQA report {report.quarter}"},
)


@require_http_methods(["GET", "POST"])
def report_conflicts(request, quarter: Quarter):
    """The Practice Hub's refused narrative beside the saved one: use theirs, or keep the saved one."""
    quarter = _readable_quarter(request, quarter)
    if not can_write_reports(request.user):
        raise Http404("No such page")
    report = selectors.report_for_quarter(quarter)
    if report is None:
        raise Http404("No report for that quarter")
    return CONFLICTS.view(request, report)
