"""Imports in the background (pqa.jobs), through the evaluations import: in-process (eager),
as `make run` and the tests run Celery without REDIS_URL. The real worker is in
test_import_jobs_worker.py."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from evaluations import imports as evaluation_imports
from evaluations.imports import evaluations_import
from evaluations.models import Evaluation, PillarGrade
from pqa import jobs
from pqa.models import ImportJob, Role
from tests.conftest import PQAClient
from tests.evaluations.test_imports import completed_row, csv_text
from tests.factories import UserFactory
from tests.pqa.conftest import celery_broker, free_port


@pytest.fixture
def known(team, evaluator):
    return {"team": team, "evaluator": evaluator}


def upload(text: str, name: str = "q1.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def many_rows(count: int) -> str:
    return csv_text(*(completed_row(reference=f"PE-2024-{number:04d}") for number in range(1, count + 1)))


def test_an_import_runs_as_a_job_and_its_page_shows_the_result_with_a_full_progress_bar(
    client_for, practice_hub, known
):
    client = client_for(practice_hub)
    response = client.post(reverse("evaluations:import"), {"file": upload(many_rows(3))})

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("import_job", args=[job.pk])
    assert (job.state, job.user, job.file_name, job.dry_run) == ("done", practice_hub, "q1.csv", False)
    assert (job.rows_total, job.rows_checked, job.rows_written, job.problem_count) == (3, 3, 3, 0)
    assert job.data == b""  # the file is not kept once imported
    assert Evaluation.objects.count() == 3

    page = client.get(response["Location"]).content.decode()
    assert "Imported 3 evaluations (3 created, 0 updated)." in page
    assert 'max="100" value="100"' in page
    assert "job-progress.js" not in page  # finished: nothing left to poll
    status = client.get(reverse("import_job_status", args=[job.pk])).json()
    assert status | {"url": ""} == {
        "state": "done",
        "state_label": "Finished",
        "rows_total": 3,
        "rows_checked": 3,
        "rows_written": 3,
        "finished": True,
        "succeeded": True,
        "dry_run": False,
        "percent": 100,
        "url": "",
    }
    # The history: the import page lists the person's imports, with their results.
    listed = client.get(reverse("evaluations:import")).content.decode()
    assert "Your recent imports" in listed
    assert reverse("import_job", args=[job.pk]) in listed


def test_a_file_with_problems_writes_nothing_and_the_job_page_lists_them(client_for, practice_hub, known):
    client = client_for(practice_hub)
    text = csv_text(completed_row(), completed_row(reference="PE-2024-0002", overall_grade="great"))
    response = client.post(reverse("evaluations:import"), {"file": upload(text)}, follow=True)

    job = ImportJob.objects.get()
    assert (job.state, job.problem_count, job.rows_written) == ("done", 1, 0)
    assert job.problems == [
        "row 3, column overall_grade: 'great' is not a grade: use one of outstanding, good, "
        "requires_improvement, inadequate"
    ]
    content = response.content.decode()
    assert "<title>Error: " in content
    assert "The file has 1 problem: nothing was imported" in content
    assert not Evaluation.objects.exists()


def test_checking_only_runs_as_a_job_and_writes_nothing(client_for, practice_hub, known):
    response = client_for(practice_hub).post(
        reverse("evaluations:import"), {"file": upload(many_rows(2)), "check_only": "on"}, follow=True
    )
    job = ImportJob.objects.get()
    assert (job.state, job.dry_run, job.rows_checked, job.rows_written) == ("done", True, 2, 0)
    assert (
        "The file has no problems. It would import 2 evaluations (2 created, 0 updated)." in response.content.decode()
    )
    assert not Evaluation.objects.exists()


def test_an_import_that_breaks_ends_failed_with_a_clear_message_and_nothing_written(
    client_for, practice_hub, known, monkeypatch
):
    def broken(*args, **kwargs):
        # The evaluations and their grades of the first chunk are written by now.
        assert Evaluation.objects.count() == 2
        raise RuntimeError("the database went away")

    monkeypatch.setattr(evaluation_imports, "_write_moderations", broken)
    response = client_for(practice_hub).post(reverse("evaluations:import"), {"file": upload(many_rows(2))}, follow=True)

    job = ImportJob.objects.get()
    assert job.state == "failed"
    assert job.rows_written == 0
    assert job.error.startswith("The import stopped with an error (RuntimeError): nothing was imported. Try again;")
    content = response.content.decode()
    assert "The import failed: nothing was imported" in content
    assert f"tell an administrator that import {job.pk} failed" in content
    assert not Evaluation.objects.exists()
    assert not PillarGrade.objects.exists()


def test_only_the_person_who_started_an_import_and_administrators_can_see_it(client, practice_hub, known):
    client.force_login(practice_hub)
    client.post(reverse("evaluations:import"), {"file": upload(many_rows(1))})
    job = ImportJob.objects.get()
    urls = [reverse("import_job", args=[job.pk]), reverse("import_job_status", args=[job.pk])]

    colleague = PQAClient()
    colleague.force_login(UserFactory(role=Role.PRACTICE_HUB))
    administrator = PQAClient()
    administrator.force_login(UserFactory(role=Role.ADMINISTRATOR))
    for url in urls:
        assert client.get(url).status_code == 200
        assert colleague.get(url).status_code == 404
        assert administrator.get(url).status_code == 200
    assert "Your recent imports" not in colleague.get(reverse("evaluations:import")).content.decode()


def test_the_progress_callback_counts_rows_checked_and_written_without_changing_the_result(known):
    seen = []
    result = evaluations_import(
        file=many_rows(5),
        progress=lambda **counts: seen.append((counts["checked"], counts["written"], counts["total"])),
    )
    assert result.ok and result.created == 5
    assert seen[0] == (0, 0, 5)
    assert (5, 0, 5) in seen
    assert seen[-1] == (5, 5, 5)
    assert [written for _, written, _ in seen] == sorted(written for _, written, _ in seen)


def test_a_running_job_shows_the_counts_its_importer_reported(client_for, practice_hub, db):
    job = ImportJob.objects.create(importer="evaluations", user=practice_hub, state="writing", data=b"x")
    jobs._Progress(job.pk)(checked=10, written=5, total=10)

    client = client_for(practice_hub)
    status = client.get(reverse("import_job_status", args=[job.pk])).json()
    assert (status["state"], status["rows_checked"], status["rows_written"], status["percent"]) == (
        "writing",
        10,
        5,
        75,
    )
    assert status["finished"] is False
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert 'value="75"' in page
    assert "job-progress.js" in page  # polls while it runs
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page  # and refreshes without JS
    assert "Refresh this page" in page


def test_a_job_runs_once_even_if_its_task_is_delivered_twice(practice_hub, known):
    job = ImportJob.objects.create(importer="evaluations", user=practice_hub, data=many_rows(1).encode())
    assert jobs.import_job_run(job_id=job.pk).state == "done"
    assert jobs.import_job_run(job_id=job.pk) is None
    assert Evaluation.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_upload_returns_at_once_and_the_sweep_runs_the_job(team, evaluator, practice_hub):
    client = PQAClient()
    client.force_login(practice_hub)
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):  # nothing listens there
        started = time.monotonic()
        response = client.post(reverse("evaluations:import"), {"file": upload(many_rows(2))})
        took = time.monotonic() - started
    assert took < 2.0, f"the upload took {took:.2f}s with the broker down"
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("import_job", args=[job.pk])
    assert job.state == "queued"  # kept, not lost
    assert "Waiting to start" in client.get(response["Location"]).content.decode()

    assert jobs.import_jobs_sweep() == 0  # not yet: its task may still come
    assert jobs.import_jobs_sweep(now=timezone.now() + jobs.QUEUED_GRACE * 2) == 1
    job.refresh_from_db()
    assert (job.state, job.rows_written) == ("done", 2)
    assert Evaluation.objects.count() == 2


def test_the_sweep_ends_a_job_whose_worker_died(practice_hub, db):
    started = timezone.now() - jobs.STALE_AFTER * 2
    job = ImportJob.objects.create(importer="evaluations", user=practice_hub, state="writing", started_at=started)
    assert jobs.import_jobs_sweep() == 1
    job.refresh_from_db()
    assert job.state == "failed"
    assert job.error.startswith("The import stopped before it finished")


def test_an_administrator_finds_a_failed_import_in_the_admin_without_its_file(client, practice_hub, db):
    job = ImportJob.objects.create(
        importer="evaluations", user=practice_hub, file_name="q1.csv", state="failed", error="It broke.", data=b"x"
    )
    administrator = UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(administrator)
    listing = client.get(reverse("admin:pqa_importjob_changelist"))
    assert listing.status_code == 200
    assert "q1.csv" in listing.content.decode()
    page = client.get(reverse("admin:pqa_importjob_change", args=[job.pk]))
    assert page.status_code == 200
    assert "It broke." in page.content.decode()
    assert 'name="data"' not in page.content.decode()


def test_the_sweep_deletes_a_job_finished_more_than_ninety_days_ago(practice_hub, db):
    long_ago = ImportJob.objects.create(
        importer="evaluations",
        user=practice_hub,
        state="done",
        problems=["row 2, column child_ref: 'Jo Bloggs' is not a case id"],
        finished_at=timezone.now() - jobs.KEEP_FINISHED - dt.timedelta(days=1),
    )
    recent = ImportJob.objects.create(
        importer="evaluations", user=practice_hub, state="done", finished_at=timezone.now() - dt.timedelta(days=1)
    )
    jobs.import_jobs_sweep()
    assert list(ImportJob.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not ImportJob.objects.filter(pk=long_ago.pk).exists()
