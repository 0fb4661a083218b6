"""History in, for the Practice Hub: the import of docs/contracts/evaluations-csv.md, from a CSV
file or an Excel workbook. The file is checked and imported in the background (pqa.jobs):
the page hands it over and sends the person to the job's page, with its progress bar."""

from django.http import Http404
from django.shortcuts import redirect, render

from evaluations import import_jobs
from evaluations.forms.imports import ImportForm
from evaluations.imports import COLUMN_GUIDE, COLUMNS, VALUES_GUIDE
from evaluations.permissions import can_manage_cycles
from pqa import jobs


def import_evaluations(request):
    """Upload a CSV file or a workbook of past evaluations; it is checked (and imported) in the
    background, and the person is sent to the job's page. A file with any problem changes
    nothing and its problems are listed; 'check the file only' reports what would happen."""
    if not can_manage_cycles(request.user):
        raise Http404("No such page")
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        job = jobs.import_job_start(
            importer=import_jobs.IMPORTER,
            user=request.user,
            file=data["file"],
            options={"create_missing": data["create_missing"]},
            dry_run=data["check_only"],
        )
        return redirect(jobs.import_job_url(job))
    return render(
        request,
        "evaluations/import.html",
        {
            "form": form,
            "recent_imports": jobs.import_jobs_recent(user=request.user, importer=import_jobs.IMPORTER),
            "column_guide": COLUMN_GUIDE,
            "values_guide": VALUES_GUIDE,
            "header_row": ",".join(COLUMNS),
        },
    )
