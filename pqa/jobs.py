"""Imports in the background: a kit every app's import plugs into with a few lines.

A web request only stores the uploaded file as an `ImportJob` and hands it to a Celery
worker; the person follows its progress (rows checked, rows written) on the job's page,
which polls a JSON endpoint, and the result stays on that page and in the list of their
imports. A request never waits for a large file, so gunicorn's timeout no longer kills it.

    # myapp/apps.py, in ready()
    from pqa import jobs
    jobs.register_importer("myapp", label="myapp", run=myapp.import_jobs.run, url_name="myapp:import")

    # myapp/views.py
    job = jobs.import_job_start(importer="myapp", user=request.user, file=upload, options={...}, dry_run=False)
    return redirect(job_url(job))

`run(*, file, actor, options, dry_run, progress) -> Outcome` is the app's import, all or
nothing in one transaction; it calls `progress(checked=, written=, total=)` now and then.

Without REDIS_URL (`make run`, the tests) Celery runs tasks eagerly and the job runs
in-process at once, as imports did before. With a broker, the job is enqueued when the
transaction that created it commits; if the broker cannot take it the job stays queued and
the periodic sweep (`import_jobs_sweep`, run by beat) runs it: a job is never lost. A job is
claimed once (queued -> checking under a row lock), so a task delivered twice runs it once.
While a job runs, its progress is kept in the cache (Redis, shared with the web), since the
importer's own transaction hides its writes from other connections until it commits.
"""

from __future__ import annotations

import datetime as dt
import logging
import resource
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from pqa.models import ImportJob, User

logger = logging.getLogger(__name__)

State = ImportJob.State
# A queued job not started after this long was probably never enqueued (broker down): the sweep runs it.
QUEUED_GRACE = dt.timedelta(seconds=60)
# A job still checking or writing after this long belongs to a worker that died (its
# transaction was rolled back with it): the sweep marks it failed.
STALE_AFTER = dt.timedelta(hours=2)
# A finished job is kept this long, then deleted by the sweep: its problems quote the file's
# cells (a child's name typed where a case id belongs, say), and the records it wrote keep
# their own history of who imported them.
KEEP_FINISHED = dt.timedelta(days=90)
PROGRESS_SECONDS = 0.5  # the least time between two progress writes to the cache
MAX_PROBLEMS_KEPT = 100


@dataclass(frozen=True)
class Outcome:
    """What an importer says when it has finished: the problems (none when it worked), or a
    summary of what it wrote (or would write, on a check only) and what else it made."""

    problems: list[str] = field(default_factory=list)
    problem_count: int = 0
    problems_stopped: bool = False
    problems_note: list[str] = field(default_factory=list)
    summary: str = ""
    details: list[str] = field(default_factory=list)
    rows_written: int = 0


Progress = Callable[..., None]
Run = Callable[..., Outcome]


@dataclass(frozen=True)
class Importer:
    name: str
    label: str  # what is imported, in words: "records"
    run: Run
    url_name: str  # the import page, for "import another file"


_importers: dict[str, Importer] = {}


def register_importer(name: str, *, label: str, run: Run, url_name: str) -> None:
    """Called from an app's ready(). The same registration twice is harmless; another one
    under a name already taken is a mistake."""
    new = Importer(name=name, label=label, run=run, url_name=url_name)
    current = _importers.get(name)
    if current is not None and current != new:
        raise ImproperlyConfigured(f"An importer named '{name}' is already registered")
    _importers[name] = new


def get_importer(name: str) -> Importer:
    try:
        return _importers[name]
    except KeyError:
        raise ImproperlyConfigured(f"No importer named '{name}' is registered") from None


# --- Starting and running ------------------------------------------------------------------


def _eager() -> bool:
    from pqa.celery import app

    return bool(app.conf.task_always_eager)


def import_job_start(
    *,
    importer: str,
    user: User | None,
    file,
    options: Mapping[str, object] | None = None,
    dry_run: bool = False,
) -> ImportJob:
    """Keep the uploaded file as a job and start it: at once in-process without a broker,
    otherwise through a worker once the caller's transaction commits. Never fails because
    the broker is down (the sweep starts the job later)."""
    get_importer(importer)  # registered, or ImproperlyConfigured now rather than in the worker
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read() if hasattr(file, "read") else bytes(file)
    job = ImportJob(
        importer=importer,
        user=user,
        file_name=str(getattr(file, "name", "") or "")[:255],
        data=data,
        options=dict(options or {}),
        dry_run=dry_run,
    )
    job.full_clean()
    job.save()
    if _eager():
        import_job_run(job_id=job.pk)
        job.refresh_from_db()
    else:
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from pqa.tasks import run_import_job

    try:
        run_import_job.apply_async(args=[job_id], retry=False)
    except Exception:  # noqa: BLE001 - any broker failure: the sweep runs the job later
        logger.warning("Could not enqueue import job %s; the sweep will run it", job_id, exc_info=True)


def _cache_key(job_id: int) -> str:
    return f"pqa:import-job:{job_id}"


class _Progress:
    """The importer's progress callback: counts to the cache, at most every PROGRESS_SECONDS."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.counts = {"rows_checked": 0, "rows_written": 0, "rows_total": 0}
        self.last = 0.0

    def __call__(self, *, checked: int, written: int, total: int) -> None:
        self.counts = {"rows_checked": checked, "rows_written": written, "rows_total": total}
        now = time.monotonic()
        if now - self.last < PROGRESS_SECONDS and written < total:
            return
        self.last = now
        state = State.WRITING if written else State.CHECKING
        try:
            cache.set(_cache_key(self.job_id), {**self.counts, "state": state.value}, timeout=STALE_AFTER.seconds)
        except Exception:  # noqa: BLE001 - progress is a courtesy; the import goes on without it
            logger.warning("Could not record the progress of import job %s", self.job_id)


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run a queued job to its end. Returns None when it was not queued (already claimed by
    another run, or finished). Whatever the importer raises, the job ends `failed` with a
    message a person can act on, and nothing it wrote is kept (its transaction rolled back)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id, state=State.QUEUED).first()
        if job is None:
            return None
        job.state = State.CHECKING
        job.started_at = timezone.now()
        job.save(update_fields=["state", "started_at"])
    progress = _Progress(job.pk)
    try:
        outcome = get_importer(job.importer).run(
            file=ContentFile(bytes(job.data), name=job.file_name),
            actor=job.user,
            options=job.options,
            dry_run=job.dry_run,
            progress=progress,
        )
    except Exception as error:  # noqa: BLE001 - whatever broke, the person is told and nothing is kept
        logger.exception("Import job %s failed", job.pk)
        job.state = State.FAILED
        job.error = (
            f"The import stopped with an error ({type(error).__name__}): nothing was imported. "
            f"Try again; if it happens again, tell an administrator that import {job.pk} failed."
        )[:1000]
    else:
        job.state = State.DONE
        job.problems = [str(problem) for problem in outcome.problems[:MAX_PROBLEMS_KEPT]]
        job.problem_count = outcome.problem_count or len(outcome.problems)
        job.problems_stopped = outcome.problems_stopped
        job.problems_note = list(outcome.problems_note)
        job.summary = outcome.summary[:500]
        job.details = list(outcome.details)
        job.rows_written = outcome.rows_written
    job.rows_total = progress.counts["rows_total"]
    job.rows_checked = progress.counts["rows_checked"]
    if job.state == State.FAILED:
        job.rows_written = 0
    job.finished_at = timezone.now()
    job.data = b""  # the file is not kept once it has been read: the records are
    job.save()
    cache.delete(_cache_key(job.pk))
    logger.info(
        "Import job %s (%s) %s: %s rows checked, %s written in %.1f s; process peak memory %.0f MB",
        job.pk,
        job.importer,
        job.state,
        job.rows_checked,
        job.rows_written,
        (job.finished_at - job.started_at).total_seconds(),
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # kilobytes on Linux
    )
    return job


def import_jobs_sweep(*, now: dt.datetime | None = None) -> int:
    """The safety net beat runs every minute: a job queued for longer than QUEUED_GRACE (its
    task was never enqueued, or lost) is run now; a job running for longer than STALE_AFTER
    (its worker died, so its transaction was rolled back) is marked failed; a job finished more
    than KEEP_FINISHED ago is deleted. Returns how many jobs it ran or ended."""
    now = now or timezone.now()
    ImportJob.objects.filter(state__in=ImportJob.FINISHED_STATES, finished_at__lt=now - KEEP_FINISHED).delete()
    handled = 0
    stale = ImportJob.objects.filter(state__in=[State.CHECKING, State.WRITING], started_at__lt=now - STALE_AFTER)
    for job_id in list(stale.values_list("pk", flat=True)):
        handled += ImportJob.objects.filter(pk=job_id, state__in=[State.CHECKING, State.WRITING]).update(
            state=State.FAILED,
            finished_at=now,
            data=b"",
            error="The import stopped before it finished (the server running it stopped): nothing was imported. "
            "Upload the file again.",
        )
    queued = ImportJob.objects.filter(state=State.QUEUED, created_at__lt=now - QUEUED_GRACE).order_by("created_at")
    for job_id in list(queued.values_list("pk", flat=True)):
        handled += import_job_run(job_id=job_id) is not None
    return handled


# --- Reading -------------------------------------------------------------------------------


def import_job_for(*, user: User, pk: int) -> ImportJob | None:
    """The job, if this person may see it: the one who started it, or an administrator."""
    jobs = ImportJob.objects.filter(pk=pk)
    if not getattr(user, "is_administrator", False):
        jobs = jobs.filter(user=user)
    return jobs.defer("data").first()


def import_jobs_recent(*, user: User, importer: str, limit: int = 10) -> list[ImportJob]:
    """This person's latest imports of one kind, newest first: the history on the import page."""
    return list(ImportJob.objects.filter(user=user, importer=importer).defer("data")[:limit])


def import_job_url(job: ImportJob) -> str:
    return reverse("import_job", args=[job.pk])


def import_job_status(job: ImportJob) -> dict[str, object]:
    """Where the job is, for its page and its JSON: the live counts while it runs."""
    status = {
        "state": job.state,
        "rows_total": job.rows_total,
        "rows_checked": job.rows_checked,
        "rows_written": job.rows_written,
    }
    if not job.finished:
        try:
            status.update(cache.get(_cache_key(job.pk)) or {})
        except Exception:  # noqa: BLE001 - without the cache, the page shows the state alone
            logger.warning("Could not read the progress of import job %s", job.pk)
    total = status["rows_total"] or 0
    steps = total if job.dry_run else 2 * total
    done = status["rows_checked"] + (0 if job.dry_run else status["rows_written"])
    percent = 100 if job.finished else (min(99, int(100 * done / steps)) if steps else 0)
    return {
        **status,
        "state_label": State(status["state"]).label,
        "finished": job.finished,
        "succeeded": job.succeeded,
        "dry_run": job.dry_run,
        "percent": percent,
        "url": import_job_url(job),
    }


__all__ = [
    "Importer",
    "Outcome",
    "get_importer",
    "import_job_for",
    "import_job_run",
    "import_job_start",
    "import_job_status",
    "import_job_url",
    "import_jobs_recent",
    "import_jobs_sweep",
    "register_importer",
]
