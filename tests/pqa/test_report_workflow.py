"""The stored quarterly report's workflow (pqa/reporting/services.py): the narrative saved with
its version, the shareable extracts chosen (never an unconsented one), and the generation in
the background (pqa.jobs), in-process as `make run` and the tests run Celery without a broker.
What the report says is pqa/reporting/report.py's: these tests hold whatever it renders to the
shape of each format (a PDF starts with %PDF, the workbook has a Figures sheet)."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from feedback.models import Compliment
from pqa import jobs
from pqa.quarters import Quarter
from pqa.reporting import services
from pqa.reporting.limits import TEXT_LIMITS
from pqa.reporting.models import QuarterlyReport
from pqa.reporting.report import Extract, shareable_extracts
from pqa.versioning import ConcurrentEditError

pytestmark = pytest.mark.django_db

Q1 = Quarter.parse("2025-26-Q1")
NARRATIVE = {
    "strengths": "Children's voices are heard in most records.",
    "areas_for_development": "Plans need clearer outcomes.",
    "actions": "Team managers review plans monthly.",
    "children_and_families": "Families told us they felt listened to.",
}


def _save(actor, version=0, quarter=Q1, **changes):
    return services.report_save_narrative(
        quarter=quarter, narrative={**NARRATIVE, **changes}, expected_version=version, actor=actor
    )


def test_the_first_save_of_a_quarters_narrative_makes_its_report_and_the_history_says_who(practice_hub):
    report = _save(practice_hub)
    assert (report.quarter, report.version, report.state) == ("2025-26-Q1", 1, "not_generated")
    assert report.strengths == NARRATIVE["strengths"]
    assert report.history.get().history_user == practice_hub


def test_saving_again_from_the_saved_version_bumps_it_and_keeps_both_in_the_history(practice_hub):
    first = _save(practice_hub)
    second = _save(practice_hub, version=first.version, actions="Audit ten plans a month.")
    assert second.version == 2
    assert list(second.history.values_list("actions", flat=True).order_by("history_date")) == [
        NARRATIVE["actions"],
        "Audit ten plans a month.",
    ]


def test_saving_the_same_words_again_writes_nothing(practice_hub):
    first = _save(practice_hub)
    assert _save(practice_hub, version=first.version).version == first.version
    assert first.history.count() == 1


def test_a_save_based_on_a_stale_version_is_refused_and_names_who_saved_first(practice_hub, make_user):
    colleague = make_user("practice_hub", username="col.league", first_name="Cora", last_name="League")
    _save(practice_hub)
    _save(colleague, version=1, strengths="Their words.")
    with pytest.raises(ConcurrentEditError) as refused:
        _save(practice_hub, version=1, strengths="My words.")
    assert refused.value.current_version == 2
    assert refused.value.saved_by == "Cora League"
    assert QuarterlyReport.objects.get().strengths == "Their words."


def test_a_first_save_refused_when_someone_made_the_quarters_report_meanwhile(practice_hub):
    _save(practice_hub)
    with pytest.raises(ConcurrentEditError):
        _save(practice_hub, version=0, strengths="Typed on a page opened before the first save.")


def test_a_generation_does_not_make_the_narrative_being_typed_stale(practice_hub):
    report = _save(practice_hub)
    services.report_generate(quarter=Q1, actor=practice_hub)
    assert _save(practice_hub, version=report.version, strengths="Still mine.").version == 2


def test_a_text_longer_than_its_limit_is_refused_and_nothing_is_written(practice_hub):
    limit = TEXT_LIMITS("QuarterlyReport", "strengths")
    with pytest.raises(ValidationError) as refused:
        _save(practice_hub, strengths="x" * (limit + 1))
    assert "strengths" in refused.value.message_dict
    assert not QuarterlyReport.objects.exists()


def _compliment(team, reference, *, may_share, received=dt.date(2025, 5, 1)):
    return Compliment.objects.create(
        reference=reference,
        received=received,
        from_whom="parent_carer",
        service_area=team.service_area,
        team=team,
        extract="They always called back.",
        may_share=may_share,
    )


def test_an_extract_the_quarter_does_not_offer_is_refused_never_saved(practice_hub, team):
    unconsented = _compliment(team, "CMP-NO", may_share=False)
    assert f"compliment:{unconsented.pk}" not in {extract.key for extract in shareable_extracts(Q1)}
    for keys in ([f"compliment:{unconsented.pk}"], ["compliment:999999"], ["made-up"]):
        with pytest.raises(ValidationError) as refused:
            services.report_save_narrative(
                quarter=Q1, narrative=NARRATIVE, extract_keys=keys, expected_version=0, actor=practice_hub
            )
        assert "Only extracts the quarter offers as shareable" in refused.value.message_dict["extract_keys"][0]
    assert not QuarterlyReport.objects.exists()


def test_an_offered_extract_is_saved_and_goes_into_the_narrative_while_still_offered(practice_hub, monkeypatch):
    # Which extracts a quarter offers is the report's content (pqa/reporting/report.py, tested
    # there); here the workflow keeps the choice of what was offered, and only that.
    offered = [Extract(key="compliment:1", kind="compliment", text="Kind and clear.", received=dt.date(2025, 5, 2))]
    monkeypatch.setattr(services, "shareable_extracts", lambda quarter: list(offered))
    report = services.report_save_narrative(
        quarter=Q1, narrative=NARRATIVE, extract_keys=["compliment:1"], expected_version=0, actor=practice_hub
    )
    assert report.extract_keys == ["compliment:1"]
    assert [extract.text for extract in services.narrative_of(report, Q1).extracts] == ["Kind and clear."]
    offered.clear()  # consent withdrawn after it was chosen: left out of the next generation
    assert services.narrative_of(report, Q1).extracts == []


def test_generating_stores_the_three_files_and_records_who_generated_which(practice_hub):
    _save(practice_hub)
    report = services.report_generate(quarter=Q1, actor=practice_hub)

    report = QuarterlyReport.objects.get(pk=report.pk)
    assert (report.state, report.generation, report.generated_by, report.generated_from_version) == (
        "ready",
        1,
        practice_hub,
        1,
    )
    assert bytes(report.pdf).startswith(b"%PDF")
    assert b"<html" in bytes(report.html).lower()
    assert "Figures" in load_workbook(io.BytesIO(bytes(report.xlsx))).sheetnames
    assert report.sizes == {"html": len(report.html), "pdf": len(report.pdf), "xlsx": len(report.xlsx)}
    generated = report.history.filter(generation=1).order_by("history_date").last()
    assert (generated.history_user, generated.generated_by, generated.state) == (practice_hub, practice_hub, "ready")


def test_regenerating_replaces_the_files_and_the_history_keeps_each_generation(practice_hub, make_user):
    other = make_user("administrator", username="ad.min")
    services.report_generate(quarter=Q1, actor=practice_hub)
    first = QuarterlyReport.objects.get()
    services.report_generate(quarter=Q1, actor=other)
    second = QuarterlyReport.objects.get()
    assert (second.generation, second.generated_by) == (2, other)
    assert second.generated_at > first.generated_at
    generations = {
        row.generation: row.generated_by for row in second.history.filter(state="ready").order_by("history_date")
    }
    assert generations == {1: practice_hub, 2: other}


def test_a_generation_that_breaks_ends_failed_and_keeps_the_files_it_had(practice_hub, monkeypatch):
    services.report_generate(quarter=Q1, actor=practice_hub)
    before = QuarterlyReport.objects.get()

    def broken(report, fmt):
        raise RuntimeError("the fonts went away")

    monkeypatch.setattr(services, "render", broken)
    report = services.report_generate(quarter=Q1, actor=practice_hub)
    assert report.state == "failed"
    assert report.error.startswith("The report could not be generated (RuntimeError)")
    stored = QuarterlyReport.objects.get()
    assert (stored.generation, bytes(stored.pdf)) == (1, bytes(before.pdf))


def test_a_report_already_being_generated_is_not_asked_for_twice(practice_hub):
    QuarterlyReport.objects.create(quarter=str(Q1), state="generating", started_at=timezone.now())
    with pytest.raises(services.ReportError, match="already being generated"):
        services.report_generate(quarter=Q1, actor=practice_hub)


def test_a_generation_runs_once_even_if_its_task_is_delivered_twice(practice_hub):
    report = QuarterlyReport.objects.create(quarter=str(Q1), state="queued", requested_by=practice_hub)
    assert services.report_generate_run(report.pk).state == "ready"
    assert services.report_generate_run(report.pk) is None
    assert QuarterlyReport.objects.get().generation == 1


def test_the_progress_of_a_running_generation_is_reported_as_it_goes(practice_hub, monkeypatch):
    seen = []
    real_write = jobs.JobProgress.write

    def watch(self, values, *, force=False):
        seen.append(dict(values))
        real_write(self, values, force=force)

    monkeypatch.setattr(jobs.JobProgress, "write", watch)
    services.report_generate(quarter=Q1, actor=practice_hub)
    percents = [step["percent"] for step in seen]
    assert percents == sorted(percents)
    assert percents[-3:] == [80, 95, 99]
    assert percents[-4] == services.BUILD_SHARE  # counting ends where writing the files begins
    assert [step["step"] for step in seen[-3:]] == ["Writing the web page", "Writing the PDF", "Writing the workbook"]
    assert jobs.job_progress(services.REPORT_JOB, QuarterlyReport.objects.get().pk) == {}  # cleared when done


def test_the_sweep_runs_a_generation_whose_task_never_came_and_fails_one_whose_worker_died(practice_hub):
    now = timezone.now()
    waiting = QuarterlyReport.objects.create(
        quarter="2025-26-Q1", state="queued", requested_by=practice_hub, requested_at=now
    )
    stuck = QuarterlyReport.objects.create(
        quarter="2025-26-Q2", state="generating", started_at=now - services.STALE_AFTER * 2
    )
    assert jobs.jobs_sweep(now=now) == 1  # the stuck one; the waiting one may still get its task
    stuck.refresh_from_db()
    assert stuck.state == "failed" and stuck.error.startswith("The generation stopped before it finished")
    assert jobs.jobs_sweep(now=now + jobs.QUEUED_GRACE * 2) == 1
    waiting.refresh_from_db()
    assert (waiting.state, waiting.generated_by) == ("ready", practice_hub)


def test_the_docs_show_the_reports_text_limits():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "report-workflow.md").read_text()
    table = re.search(r"<!-- limits -->\n(.*?)\n<!-- /limits -->", docs, re.S)[1]
    assert table == TEXT_LIMITS.markdown(), "regenerate the table with TEXT_LIMITS.markdown()"
