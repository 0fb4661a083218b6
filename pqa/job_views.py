"""The page of a background import (pqa.jobs) and its JSON, polled by the page's progress bar.
Only the person who started the import (and administrators) can see it: anyone else gets
"Page not found", as for any record they may not see."""

from django.http import Http404, JsonResponse
from django.shortcuts import render

from pqa import jobs


def _job(request, pk: int):
    job = jobs.import_job_for(user=request.user, pk=pk)
    if job is None:
        raise Http404("No such import")
    return job


def import_job(request, pk: int):
    job = _job(request, pk)
    return render(
        request,
        "pqa/import_job.html",
        {"job": job, "status": jobs.import_job_status(job), "importer": jobs.get_importer(job.importer)},
    )


def import_job_status(request, pk: int):
    return JsonResponse(jobs.import_job_status(_job(request, pk)))
