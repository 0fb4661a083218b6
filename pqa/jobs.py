"""Work in the background: imports, and any other kind of job (a quarterly report's
generation), with the same guarantees. The kit first, then the imports built on it.

Any kind of job: a model row is the job (its state, when it was queued and started); the
kind registers how to run one row and how to sweep its rows (`register_job_kind`), and
`job_start(kind, pk)` runs it in-process without a broker or enqueues its task when the
caller's transaction commits. `job_claim` moves a row from queued to running once, whoever
asks twice; `JobProgress` keeps a running job's progress in the cache; `jobs_sweep` (beat,
every minute) sweeps every kind; `sweep_rows` is the usual sweep of one kind.

    # myapp/apps.py, in ready()
    jobs.register_job_kind("report", task="myapp.tasks.run_report", run=run_one, sweep=sweep)

Imports in the background: a kit every app's import plugs into with a few lines.

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
from collections.abc import Callable, Iterable, Mapping
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


# --- Any kind of job --------------------------------------------------------------------------


@dataclass(frozen=True)
class JobKind:
    """A kind of background work. `task` is the name of the Celery task that runs one job (it
    takes the job's pk); `run(pk)` runs a queued job to its end (claiming it first, so a second
    call does nothing) and is what that task calls; `sweep(now) -> int` is the kind's safety net."""

    name: str
    task: str
    run: Callable[[int], object]
    sweep: Callable[[dt.datetime], int]


_kinds: dict[str, JobKind] = {}


def register_job_kind(
    name: str, *, task: str, run: Callable[[int], object], sweep: Callable[[dt.datetime], int]
) -> None:
    """Called from an app's ready(). The same registration twice is harmless; another one
    under a name already taken is a mistake."""
    new = JobKind(name=name, task=task, run=run, sweep=sweep)
    current = _kinds.get(name)
    if current is not None and current != new:
        raise ImproperlyConfigured(f"A job kind named '{name}' is already registered")
    _kinds[name] = new


def get_job_kind(name: str) -> JobKind:
    try:
        return _kinds[name]
    except KeyError:
        raise ImproperlyConfigured(f"No job kind named '{name}' is registered") from None


def _eager() -> bool:
    from pqa.celery import app

    return bool(app.conf.task_always_eager)


def job_start(kind: str, pk: int) -> None:
    """Run the queued job `pk` of `kind`: at once in-process without a broker, otherwise through
    a worker once the caller's transaction commits. Never fails because the broker is down (the
    sweep runs the job later)."""
    job_kind = get_job_kind(kind)  # registered, or ImproperlyConfigured now rather than in the worker
    if _eager():
        job_kind.run(pk)
    else:
        transaction.on_commit(lambda: _enqueue_task(job_kind, pk))


def _enqueue_task(job_kind: JobKind, pk: int) -> None:
    from pqa.celery import app

    try:
        app.send_task(job_kind.task, args=[pk], retry=False)
    except Exception:  # noqa: BLE001 - any broker failure: the sweep runs the job later
        logger.warning("Could not enqueue %s job %s; the sweep will run it", job_kind.name, pk, exc_info=True)


def job_claim(queryset, pk: int, *, queued: str, running: str, **values) -> bool:
    """Move the row `pk` from the `queued` state to `running` (setting `values` too), once: of
    two runs of one job (a task delivered twice, the sweep beside a late task) only the first
    gets True; the other must do nothing."""
    return queryset.filter(pk=pk, state=queued).update(state=running, **values) == 1


def sweep_rows(
    queryset,
    *,
    now: dt.datetime,
    queued: str,
    running: Iterable[str],
    queued_at: str,
    started_at: str,
    stale_after: dt.timedelta,
    stale_values: Mapping[str, object],
    run: Callable[[int], object],
) -> int:
    """The usual sweep of one kind's rows: a job queued for longer than QUEUED_GRACE (its task
    was never enqueued, or lost) is run now; a job running for longer than `stale_after` (its
    worker died) gets `stale_values` (its failed state and a message). Returns how many it ran
    or ended."""
    running = list(running)
    handled = 0
    stale = queryset.filter(state__in=running, **{f"{started_at}__lt": now - stale_after})
    for pk in list(stale.values_list("pk", flat=True)):
        handled += queryset.filter(pk=pk, state__in=running).update(**stale_values)
    waiting = queryset.filter(state=queued, **{f"{queued_at}__lt": now - QUEUED_GRACE}).order_by(queued_at)
    for pk in list(waiting.values_list("pk", flat=True)):
        handled += run(pk) is not None
    return handled


def jobs_sweep(*, now: dt.datetime | None = None) -> int:
    """Every kind's sweep (beat runs it every minute). Returns how many jobs were run or ended."""
    now = now or timezone.now()
    return sum(kind.sweep(now) for kind in list(_kinds.values()))


class JobProgress:
    """A running job's progress, kept in the cache (Redis, shared with the web) since a job's own
    transaction may hide its writes from other connections until it commits. Written at most
    every PROGRESS_SECONDS unless `force`; a failure of the cache never stops the job."""

    def __init__(self, kind: str, pk: int, *, keep_for: dt.timedelta = dt.timedelta(hours=2)):
        self.key = progress_cache_key(kind, pk)
        self.keep_for = keep_for
        self.last = 0.0

    def write(self, values: Mapping[str, object], *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < PROGRESS_SECONDS:
            return
        self.last = now
        try:
            cache.set(self.key, dict(values), timeout=int(self.keep_for.total_seconds()))
        except Exception:  # noqa: BLE001 - progress is a courtesy; the job goes on without it
            logger.warning("Could not record the progress of %s", self.key)


def progress_cache_key(kind: str, pk: int) -> str:
    return f"pqa:job:{kind}:{pk}"


def job_progress(kind: str, pk: int) -> dict:
    """What a running job last reported ({} when nothing, or without the cache)."""
    try:
        return dict(cache.get(progress_cache_key(kind, pk)) or {})
    except Exception:  # noqa: BLE001 - without the cache, the page shows the state alone
        logger.warning("Could not read the progress of %s job %s", kind, pk)
        return {}


def job_progress_clear(kind: str, pk: int) -> None:
    try:
        cache.delete(progress_cache_key(kind, pk))
    except Exception:  # noqa: BLE001 - it expires by itself
        logger.warning("Could not clear the progress of %s job %s", kind, pk)


# --- Imports ----------------------------------------------------------------------------------


# --- Starting and running ------------------------------------------------------------------


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
    job_start(IMPORT, job.pk)
    if _eager():
        job.refresh_from_db()
    return job


IMPORT = "import"  # the kind of job (pqa.jobs) an import is


class _Progress(JobProgress):
    """The importer's progress callback: counts to the cache, at most every PROGRESS_SECONDS."""

    def __init__(self, job_id: int):
        super().__init__(IMPORT, job_id, keep_for=STALE_AFTER)
        self.counts = {"rows_checked": 0, "rows_written": 0, "rows_total": 0}

    def __call__(self, *, checked: int, written: int, total: int) -> None:
        self.counts = {"rows_checked": checked, "rows_written": written, "rows_total": total}
        state = State.WRITING if written else State.CHECKING
        self.write({**self.counts, "state": state.value}, force=written >= total)


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run a queued job to its end. Returns None when it was not queued (already claimed by
    another run, or finished). Whatever the importer raises, the job ends `failed` with a
    message a person can act on, and nothing it wrote is kept (its transaction rolled back)."""
    if not job_claim(ImportJob.objects, job_id, queued=State.QUEUED, running=State.CHECKING, started_at=timezone.now()):
        return None
    job = ImportJob.objects.get(pk=job_id)
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
    job_progress_clear(IMPORT, job.pk)
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
    return sweep_rows(
        ImportJob.objects,
        now=now,
        queued=State.QUEUED,
        running=[State.CHECKING, State.WRITING],
        queued_at="created_at",
        started_at="started_at",
        stale_after=STALE_AFTER,
        stale_values={
            "state": State.FAILED,
            "finished_at": now,
            "data": b"",
            "error": "The import stopped before it finished (the server running it stopped): nothing was imported. "
            "Upload the file again.",
        },
        run=lambda job_id: import_job_run(job_id=job_id),
    )


register_job_kind(
    IMPORT,
    task="pqa.tasks.run_import_job",
    run=lambda job_id: import_job_run(job_id=job_id),
    sweep=lambda now: import_jobs_sweep(now=now),
)


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
    if job.state in (State.CHECKING, State.WRITING):  # a queued job has reported nothing yet
        status.update(job_progress(IMPORT, job.pk))
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
    "JobKind",
    "JobProgress",
    "get_job_kind",
    "job_claim",
    "job_progress",
    "job_progress_clear",
    "job_start",
    "jobs_sweep",
    "register_job_kind",
    "sweep_rows",
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
