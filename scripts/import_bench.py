"""Measure a large evaluations import through the web, on PostgreSQL, with a real Celery worker.

Not part of `make test`. Start the services first, then run it from the project root:

    bash scripts/services.sh start
    source .services/env
    DATABASE_URL=$PQA_SERVICES_PG_URL REDIS_URL=$PQA_SERVICES_REDIS_URL \\
        .venv/bin/python scripts/import_bench.py --rows 50000
    bash scripts/services.sh stop

It migrates the database, makes a service area, a team, an evaluator and a Practice Hub
account (idempotent), writes a CSV of N completed evaluations (references BENCH-000001...,
one child each, spread over twenty quarters, each date inside its quarter), starts
`celery -A pqa worker --pool solo` under `/usr/bin/time -v`, and posts the file to
/evaluations/import/ with Django's test client, as the Practice Hub: first "check only",
then the import. For each it reports how long the upload's response took (the request
only hands the file over) and the wall time until the job finished, then the worker's peak
memory (maximum resident set size) once it has stopped. Evaluations of an earlier run
(BENCH-*) are deleted first, so every run creates them all.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")


def quarters(count: int) -> list[tuple[str, str]]:
    """`count` quarters ending with 2024-25-Q4, each with a date inside it (YYYY-MM-DD)."""
    found = []
    year, number = 2024, 4
    while len(found) < count:
        month = 4 + (number - 1) * 3
        calendar_year = year if month <= 12 else year + 1
        month = month if month <= 12 else month - 12
        found.append((f"{year}-{(year + 1) % 100:02d}-Q{number}", f"{calendar_year}-{month:02d}-15"))
        year, number = (year, number - 1) if number > 1 else (year - 1, 4)
    return found


def bench_csv(rows: int, evaluator_email: str) -> bytes:
    from evaluations.imports import COLUMNS

    spread = quarters(20)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for number in range(1, rows + 1):
        quarter, date = spread[number % len(spread)]
        values = {
            "reference": f"BENCH-{number:06d}",
            "quarter": quarter,
            "type": "trust_wide",
            "status": "completed",
            "service_area": "Bench Area",
            "team": "Bench Team",
            "child_ref": f"B{number:07d}",
            "practitioner": f"SW-{number % 800:04d}",
            "evaluator_email": evaluator_email,
            "evaluation_date": date,
            "grade_childs_voice": "good",
            "grade_assessment": "good",
            "grade_planning": "requires_improvement",
            "grade_oversight": "good",
            "overall_grade": "good",
            "intervention_appropriate": "yes",
            "positive_difference": "yes",
            "record_reflects_work": "partly",
            "moderated_grade": "good" if number % 10 == 0 else "",
            "child_age_band": "11-15",
            "child_gender": "Female",
            "child_ethnicity": "White British",
        }
        writer.writerow([values[name] for name in COLUMNS])
    return out.getvalue().encode()


def run_job(client, data: bytes, *, check_only: bool, timeout: float) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from pqa.models import ImportJob

    form = {"file": SimpleUploadedFile("bench.csv", data, content_type="text/csv")}
    if check_only:
        form["check_only"] = "on"
    started = time.monotonic()
    response = client.post(reverse("evaluations:import"), form)
    responded = time.monotonic() - started
    if response.status_code != 302:
        raise SystemExit(f"the upload was refused ({response.status_code}): {response.content[:2000]!r}")
    job_id = int(re.search(r"/imports/(\d+)/", response["Location"])[1])
    polls = 0
    while True:
        job = ImportJob.objects.defer("data").get(pk=job_id)
        if job.finished:
            break
        if time.monotonic() - started > timeout:
            raise SystemExit(f"job {job_id} did not finish within {timeout}s (state {job.state})")
        status = client.get(reverse("import_job_status", args=[job_id])).json()
        polls += 1
        if polls % 10 == 0:
            print(
                f"  {status['state_label']}: {status['rows_checked']} checked, {status['rows_written']} written"
                f" of {status['rows_total']} ({status['percent']}%)",
                flush=True,
            )
        time.sleep(1)
    took = time.monotonic() - started
    return {
        "job": job_id,
        "state": job.state,
        "response_seconds": responded,
        "wall_seconds": took,
        "worker_seconds": (job.finished_at - job.started_at).total_seconds() if job.started_at else None,
        "problems": job.problem_count,
        "summary": job.summary or job.error or "; ".join(job.problems[:3]),
        "rows_written": job.rows_written,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        raise SystemExit("set DATABASE_URL (PostgreSQL) and REDIS_URL: see the docstring")

    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host, 'testserver', is allowed

    call_command("migrate", verbosity=0)

    from evaluations.models import Evaluation, Moderation, PillarGrade
    from pqa.models import Role, ServiceArea, Team, User
    from tests.conftest import PQAClient

    area, _ = ServiceArea.objects.get_or_create(name="Bench Area")
    Team.objects.get_or_create(service_area=area, name="Bench Team")
    evaluator, _ = User.objects.get_or_create(
        username="bench.evaluator", defaults={"email": "bench.evaluator@trust.example", "role": Role.EVALUATOR}
    )
    hub, _ = User.objects.get_or_create(
        username="bench.hub", defaults={"email": "bench.hub@trust.example", "role": Role.PRACTICE_HUB}
    )
    # An earlier run's rows go without signals: a history row for each of 250,000 deletions
    # would take longer than the import.
    old = Evaluation.objects.filter(reference__startswith="BENCH-")
    for queryset in (
        Moderation.objects.filter(evaluation__in=old),
        PillarGrade.objects.filter(evaluation__in=old),
        old,
    ):
        queryset._raw_delete(queryset.db)

    data = bench_csv(args.rows, evaluator.email)
    print(f"file: {args.rows} rows, {len(data) / 1024 / 1024:.1f} MB", flush=True)

    log = tempfile.NamedTemporaryFile(prefix="import-bench-worker-", suffix=".log", delete=False)  # noqa: SIM115
    time_binary = "/usr/bin/time"
    command = [sys.executable, "-m", "celery", "-A", "pqa", "worker", "--pool", "solo", "--loglevel", "INFO"]
    if Path(time_binary).exists():
        command = [time_binary, "-v", *command]
    worker = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while b"ready." not in Path(log.name).read_bytes():
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the worker did not start:\n{Path(log.name).read_text()}")
            time.sleep(0.5)

        client = PQAClient()
        client.force_login(hub)
        results = {}
        for label, check_only in (("check only", True), ("import", False)):
            print(f"{label}...", flush=True)
            results[label] = run_job(client, data, check_only=check_only, timeout=args.timeout)
            print(f"  {results[label]}", flush=True)
    finally:
        # Stop celery itself: /usr/bin/time reports its peak memory once it has exited.
        children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
        pids = children.read_text().split() if children.exists() and command[0] == time_binary else []
        for pid in pids or [str(worker.pid)]:
            os.kill(int(pid), signal.SIGTERM)
        worker.wait(timeout=60)
    output = Path(log.name).read_text(errors="replace")
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", output)
    print()
    print(f"rows: {args.rows}; file: {len(data) / 1024 / 1024:.1f} MB; database: PostgreSQL")
    for label, result in results.items():
        print(
            f"{label}: upload answered in {result['response_seconds']:.2f} s; finished after "
            f"{result['wall_seconds']:.1f} s (worker {result['worker_seconds']:.1f} s); {result['summary']}"
        )
    if peak:
        print(f"worker peak memory (maximum resident set size): {int(peak[1]) / 1024:.0f} MB")
    else:
        print(f"worker peak memory: not measured (no {time_binary}); worker log {log.name}")
    print(f"evaluations now in the database: {Evaluation.objects.filter(reference__startswith='BENCH-').count()}")


if __name__ == "__main__":
    main()
