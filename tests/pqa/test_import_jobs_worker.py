"""A web import through a real Celery worker and a real Redis (pqa.jobs): the upload returns
at once, the worker checks and writes the file, and the job's page shows the result.

Like test_celery_worker.py it needs a database the worker can open too: it runs in the
PostgreSQL pass of `make test` and is skipped in the in-memory SQLite pass, and without
PQA_TEST_REDIS_URL (a failure under CI=true)."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evaluations.models import Evaluation
from pqa.models import ImportJob
from tests.evaluations.test_imports import completed_row, csv_text
from tests.pqa.conftest import WORKER_WAIT_SECONDS, celery_broker

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _finished(job: ImportJob, worker, log_path) -> ImportJob:
    deadline = time.monotonic() + WORKER_WAIT_SECONDS
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.finished:
            return job
        if worker.poll() is not None:
            pytest.fail(f"the worker exited with {worker.returncode}:\n{log_path.read_text()}")
        time.sleep(0.2)
    pytest.fail(f"the job did not finish within {WORKER_WAIT_SECONDS}s; worker log:\n{log_path.read_text()}")


def test_a_real_worker_imports_an_uploaded_file_and_the_page_shows_the_result(
    celery_worker, redis_url, client_for, practice_hub, team, evaluator
):
    worker, _, log_path = celery_worker
    rows = [completed_row(reference=f"PE-2024-{number:04d}") for number in range(1, 301)]
    client = client_for(practice_hub)

    with celery_broker(redis_url):
        started = time.monotonic()
        response = client.post(
            reverse("evaluations:import"),
            {"file": SimpleUploadedFile("history.csv", csv_text(*rows).encode(), content_type="text/csv")},
        )
        took = time.monotonic() - started
    assert response.status_code == 302
    assert took < 5, f"the upload took {took:.1f}s: the request waited for the import"

    job = _finished(ImportJob.objects.get(), worker, log_path)
    assert (job.state, job.rows_total, job.rows_checked, job.rows_written) == ("done", 300, 300, 300)
    assert Evaluation.objects.count() == 300
    assert {evaluation.history.get().history_user for evaluation in Evaluation.objects.all()[:5]} == {practice_hub}
    page = client.get(response["Location"]).content.decode()
    assert "Imported 300 evaluations (300 created, 0 updated)." in page
    assert "run_import_job" in log_path.read_text()


def test_a_real_worker_lists_the_problems_of_a_bad_file_and_writes_nothing(
    celery_worker, redis_url, client_for, practice_hub, team, evaluator
):
    worker, _, log_path = celery_worker
    text = csv_text(completed_row(), completed_row(reference="PE-2024-0002", evaluation_date="2024-08-02"))
    client = client_for(practice_hub)
    with celery_broker(redis_url):
        response = client.post(
            reverse("evaluations:import"),
            {"file": SimpleUploadedFile("history.csv", text.encode(), content_type="text/csv")},
        )

    job = _finished(ImportJob.objects.get(), worker, log_path)
    assert (job.state, job.problem_count, job.rows_written) == ("done", 1, 0)
    assert job.problems[0].startswith("row 3, column evaluation_date: 2024-08-02 is in 2024-25-Q2")
    assert "The file has 1 problem: nothing was imported" in client.get(response["Location"]).content.decode()
    assert not Evaluation.objects.exists()
