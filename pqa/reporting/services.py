"""Every write of the stored quarterly reports (docs/report-workflow.md): the Practice Hub's
narrative and chosen extracts, and the generation of the report's files in the background.
The views, the admin, the demo and the task call these; each validates with the model's own
rules (`full_clean`) and records who did it in the history.

- `report_save_narrative`: the narrative and the chosen extracts, guarded by the report's
  version (pqa.versioning): a save based on an older version is refused, never written over
  the newer one. Only extracts the quarter offers as shareable can be chosen.
- `report_generate`: asks for the report to be generated (again); the job kit (pqa.jobs) runs
  `report_generate_run` at once without a broker, or in a worker once the request commits.
- `report_generate_run`: the task's body: builds and renders the report in the three formats
  and stores them in place of the previous ones, with who asked and when."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from pqa import jobs
from pqa.quarters import Quarter
from pqa.reporting.limits import MAX_EXTRACTS
from pqa.reporting.models import FILE_FIELDS, NARRATIVE_FIELDS, QuarterlyReport
from pqa.reporting.report import FORMATS, Narrative, build_report, render, shareable_extracts
from pqa.versioning import ConcurrentEditError, version_bump

logger = logging.getLogger(__name__)

State = QuarterlyReport.State
REPORT_JOB = "report"  # the kind of background job (pqa.jobs) a generation is
# The share of the progress bar that building the report (counting the figures) takes; the
# rest is rendering the three formats.
BUILD_SHARE = 70
# A generation still running after this long belongs to a worker that died: the sweep marks it failed.
STALE_AFTER = dt.timedelta(minutes=30)
RENDER_STEPS = {
    "html": ("Writing the web page", 80),
    "pdf": ("Writing the PDF", 95),
    "xlsx": ("Writing the workbook", 99),
}


class ReportError(Exception):
    """A step of the report's workflow that cannot be taken now; the message says why."""


def _attribute(instance: QuarterlyReport, actor) -> None:
    if actor is not None:
        instance._history_user = actor


def _locked(quarter: Quarter) -> QuarterlyReport | None:
    return QuarterlyReport.objects.select_for_update().filter(quarter=str(quarter)).first()


def _refusal(report: QuarterlyReport) -> ConcurrentEditError:
    """The refusal naming who saved the version now stored (not whoever generated since: a
    generation leaves the narrative and its version alone)."""
    saved = (
        report.history.filter(version=report.version)
        .order_by("history_date", "history_id")
        .select_related("history_user")
        .first()
    )
    who = str(saved.history_user) if saved and saved.history_user else None
    return ConcurrentEditError(report.version, who, saved.history_date if saved else None)


def _chosen_keys(quarter: Quarter, keys: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(str(key) for key in keys))
    if len(chosen) > MAX_EXTRACTS:
        raise ValidationError({"extract_keys": f"Choose at most {MAX_EXTRACTS} extracts."})
    offered = {extract.key for extract in shareable_extracts(quarter)} if chosen else set()
    not_offered = [key for key in chosen if key not in offered]
    if not_offered:
        shown = ", ".join(not_offered[:5]) + (" and more" if len(not_offered) > 5 else "")
        raise ValidationError(
            {
                "extract_keys": "Only extracts the quarter offers as shareable (with consent) can go in the report; "
                f"not {shown}."
            }
        )
    return chosen


@transaction.atomic
def report_save_narrative(
    *,
    quarter: Quarter,
    narrative: Mapping[str, str],
    extract_keys: Iterable[str] = (),
    expected_version: int | None,
    actor,
) -> QuarterlyReport:
    """Save the quarter's narrative (strengths, areas for development, actions, what children
    and families told us) and the shareable extracts chosen for it. `expected_version` is the
    version the person started from: 0 when the quarter had no report yet, None to overwrite
    whatever is saved (the demo). Refused with ConcurrentEditError when someone saved since,
    with ValidationError (nothing written) when a text is too long or an extract is not one the
    quarter offers as shareable: an unconsented extract never reaches a report."""
    unknown = set(narrative) - set(NARRATIVE_FIELDS)
    if unknown:
        raise ValueError(f"Not a field of the narrative: {', '.join(sorted(unknown))}")
    keys = _chosen_keys(quarter, extract_keys)
    report = _locked(quarter)
    if report is None:
        report = QuarterlyReport(quarter=str(quarter))
    elif expected_version is not None and report.version != expected_version:
        raise _refusal(report)
    values = {name: str(narrative.get(name, getattr(report, name))) for name in NARRATIVE_FIELDS}
    changed = [name for name, value in values.items() if getattr(report, name) != value]
    if report.pk and not changed and keys == list(report.extract_keys):
        return report
    for name in changed:
        setattr(report, name, values[name])
    report.extract_keys = keys
    if report.pk:
        version_bump(report)
    report.full_clean(exclude=list(FILE_FIELDS), validate_unique=bool(report.pk))
    _attribute(report, actor)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        # Someone saved the quarter's first narrative between our look and our write.
        raise _refusal(QuarterlyReport.objects.get(quarter=str(quarter))) from None
    return report


def report_generate(*, quarter: Quarter, actor) -> QuarterlyReport:
    """Ask for the quarter's report to be generated, or generated again (its files are then
    replaced; the history keeps who generated which). A quarter with no narrative yet gets a
    report with an empty one. Refused (ReportError) while a generation is waiting or running.
    Without a broker the report is generated before this returns; with one, a worker does it
    once the caller's transaction commits (pqa.jobs)."""
    with transaction.atomic():
        report = _locked(quarter) or QuarterlyReport(quarter=str(quarter))
        if report.running:
            raise ReportError(
                f"The report for {quarter} is already being generated ({report.get_state_display().lower()}): "
                "wait for it to finish."
            )
        report.state = State.QUEUED
        report.requested_by = actor
        report.requested_at = timezone.now()
        report.started_at = None
        report.finished_at = None
        report.error = ""
        report.full_clean(exclude=list(FILE_FIELDS), validate_unique=bool(report.pk))
        _attribute(report, actor)
        try:
            with transaction.atomic():
                report.save()
        except IntegrityError:
            raise ReportError(f"Someone has just started the report for {quarter}: open it again.") from None
    jobs.job_start(REPORT_JOB, report.pk)
    return QuarterlyReport.objects.defer(*FILE_FIELDS).get(pk=report.pk)


class _Progress(jobs.JobProgress):
    """build_report's progress(done, total), and each format rendered, as a percentage."""

    def __init__(self, report_id: int):
        super().__init__(REPORT_JOB, report_id, keep_for=STALE_AFTER)
        self.rendering_started = False

    def __call__(self, done: int, total: int) -> None:
        # build_report's total counts one step per format rendered after it (pqa.reporting.report):
        # those steps are written by rendering(), so the bar never goes back.
        if self.rendering_started:
            return
        building = max(total - len(FORMATS), 1)
        percent = int(BUILD_SHARE * min(done, building) / building)
        self.write({"percent": percent, "step": "Counting the figures"}, force=done >= building)

    def rendering(self, fmt: str) -> None:
        self.rendering_started = True
        step, percent = RENDER_STEPS[fmt]
        self.write({"percent": percent, "step": step}, force=True)


def narrative_of(report: QuarterlyReport, quarter: Quarter) -> Narrative:
    """What the report says in the Practice Hub's words, with the chosen extracts the quarter
    still offers as shareable (consent withdrawn since they were chosen: left out)."""
    chosen = set(report.extract_keys or [])
    extracts = [extract for extract in shareable_extracts(quarter) if extract.key in chosen] if chosen else []
    return Narrative(**{name: getattr(report, name) for name in NARRATIVE_FIELDS}, extracts=extracts)


def report_generate_run(report_id: int) -> QuarterlyReport | None:
    """Generate a queued report (the task's body): build it from the records and the saved
    narrative, render it as HTML, PDF and Excel, and store the three in place of the previous
    ones, with who asked and when, in one history row. Returns None when the report was not
    queued (another run has it). Whatever breaks, the report ends `failed` with a message a
    person can act on, and keeps the files it had."""
    if not jobs.job_claim(
        QuarterlyReport.objects, report_id, queued=State.QUEUED, running=State.GENERATING, started_at=timezone.now()
    ):
        return None
    report = QuarterlyReport.objects.defer(*FILE_FIELDS).get(pk=report_id)
    progress = _Progress(report_id)
    try:
        quarter = Quarter.parse(report.quarter)
        built = build_report(quarter, narrative=narrative_of(report, quarter), progress=progress)
        files = {}
        for fmt in FORMATS:
            progress.rendering(fmt)
            files[fmt] = bytes(render(built, fmt))
    except Exception as error:  # noqa: BLE001 - whatever broke, the person is told and the old files stay
        logger.exception("Generating report %s (%s) failed", report.pk, report.quarter)
        finished = _finish(
            report_id,
            state=State.FAILED,
            error=(
                f"The report could not be generated ({type(error).__name__}): the files of the last generation, "
                f"if any, are still here. Try again; if it happens again, tell an administrator that report "
                f"{report.quarter} failed."
            )[:1000],
        )
    else:
        finished = _finish(report_id, state=State.READY, files=files, from_version=report.version)
    jobs.job_progress_clear(REPORT_JOB, report_id)
    return finished


@transaction.atomic
def _finish(report_id: int, *, state: str, error: str = "", files=None, from_version=None) -> QuarterlyReport:
    # Read again under a lock: the narrative may have been saved while the files were made,
    # and that save must stay (the history row then shows the narrative as it is now).
    report = QuarterlyReport.objects.select_for_update().get(pk=report_id)
    report.state = state
    report.finished_at = timezone.now()
    report.error = error
    if files is not None:
        for fmt in FILE_FIELDS:
            setattr(report, fmt, files[fmt])
        report.sizes = {fmt: len(files[fmt]) for fmt in FILE_FIELDS}
        report.generation += 1
        report.generated_at = report.finished_at
        report.generated_by = report.requested_by
        report.generated_from_version = from_version
    report.full_clean(exclude=list(FILE_FIELDS))
    _attribute(report, report.requested_by)
    report.save()
    return report


def reports_sweep(now) -> int:
    """The safety net (pqa.jobs.jobs_sweep, every minute): a generation queued but never started
    (broker down) runs now; one a dead worker left `generating` is marked failed."""
    return jobs.sweep_rows(
        QuarterlyReport.objects,
        now=now,
        queued=State.QUEUED,
        running=[State.GENERATING],
        queued_at="requested_at",
        started_at="started_at",
        stale_after=STALE_AFTER,
        stale_values={
            "state": State.FAILED,
            "finished_at": now,
            "error": "The generation stopped before it finished (the server running it stopped): the files of the "
            "last generation, if any, are still here. Generate the report again.",
        },
        run=report_generate_run,
    )
