"""History in, for the Practice Hub: the import of docs/contracts/evaluations-csv.md, from a CSV
file or an Excel workbook."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from evaluations.forms.imports import ImportForm
from evaluations.imports import COLUMN_GUIDE, COLUMNS, VALUES_GUIDE, evaluations_import
from evaluations.permissions import can_manage_cycles


def import_evaluations(request):
    """Upload a CSV file or a workbook of past evaluations. A file with any problem changes nothing and every
    problem is listed; 'check the file only' reports what would happen."""
    if not can_manage_cycles(request.user):
        raise Http404("No such page")
    result = None
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        result = evaluations_import(
            file=data["file"],
            actor=request.user,
            create_missing=data["create_missing"],
            dry_run=data["check_only"],
        )
        if not result.ok:
            form.add_error(
                "file",
                f"The file has {len(result.problems)} problem{'s' if len(result.problems) != 1 else ''}: "
                "nothing was imported. Correct the file and upload it again",
            )
        elif not result.dry_run:
            messages.success(request, f"{result.summary[0].upper()}{result.summary[1:]}.")
            for line in result.also_created:
                messages.info(request, f"Also created {line}.")
            return redirect("evaluations:import")
    return render(
        request,
        "evaluations/import.html",
        {
            "form": form,
            "result": result,
            "column_guide": COLUMN_GUIDE,
            "values_guide": VALUES_GUIDE,
            "header_row": ",".join(COLUMNS),
        },
    )
