"""The stored quarterly reports: one a quarter, with the Practice Hub's narrative and the
files of its latest generation (docs/report-workflow.md).

What the report says is built and rendered by pqa/reporting/report.py; this keeps what the
Practice Hub wrote, which shareable extracts they chose, and the last generated HTML, PDF and
Excel files, with who generated them and when. The history (django-simple-history) keeps
every narrative save and every generation: who, when, from which version of the narrative,
and which generation it was; the files themselves are kept for the latest generation only
(regenerating replaces them)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from pqa.constraints import ConstraintsCheckedInPython
from pqa.quarters import Quarter, quarter_or_none, validate_quarter
from pqa.reporting.limits import TEXT_LIMITS

FILE_FIELDS = ("html", "pdf", "xlsx")  # one per format of pqa.reporting.report.FORMATS
NARRATIVE_FIELDS = ("strengths", "areas_for_development", "actions", "children_and_families")


class QuarterlyReport(ConstraintsCheckedInPython):
    """A quarter's report.

    Generation states: not_generated -> queued -> generating -> ready, or -> failed; from ready
    or failed it can be queued again (regenerating). A generation that fails keeps the files of
    the one before. `version` guards the narrative and the chosen extracts (pqa.versioning): a
    generation does not change it, so nobody typing loses their words to a generation."""

    class State(models.TextChoices):
        NOT_GENERATED = "not_generated", "Not generated yet"
        QUEUED = "queued", "Waiting to start"
        GENERATING = "generating", "Generating"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    RUNNING_STATES = (State.QUEUED, State.GENERATING)

    quarter = models.CharField(max_length=10, unique=True, validators=[validate_quarter], help_text="e.g. 2025-26-Q1")
    strengths = TEXT_LIMITS.text_field("QuarterlyReport", "strengths", blank=True)
    areas_for_development = TEXT_LIMITS.text_field("QuarterlyReport", "areas_for_development", blank=True)
    actions = TEXT_LIMITS.text_field("QuarterlyReport", "actions", blank=True)
    children_and_families = TEXT_LIMITS.text_field(
        "QuarterlyReport",
        "children_and_families",
        blank=True,
        verbose_name="what children and families told us",
    )
    extract_keys = models.JSONField(
        default=list, blank=True, help_text="The shareable extracts chosen for the report, by key ('compliment:12')."
    )
    version = models.PositiveIntegerField(default=1)

    state = models.CharField(max_length=16, choices=State.choices, default=State.NOT_GENERATED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=1000, blank=True)

    generation = models.PositiveIntegerField(default=0, help_text="How many times it has been generated.")
    generated_at = models.DateTimeField(null=True, blank=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    generated_from_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="The version of the narrative the files were generated from."
    )
    sizes = models.JSONField(default=dict, blank=True, help_text="Each file's size in bytes, by format.")
    html = models.BinaryField(blank=True, editable=False)
    pdf = models.BinaryField(blank=True, editable=False)
    xlsx = models.BinaryField(blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=list(FILE_FIELDS))

    class Meta:
        ordering = ["-quarter"]
        verbose_name = "quarterly report"
        constraints = [TEXT_LIMITS.constraint("QuarterlyReport")]

    def __str__(self) -> str:
        return f"PQA report {self.quarter}"

    @property
    def quarter_object(self) -> Quarter | None:
        return quarter_or_none(self.quarter)

    @property
    def running(self) -> bool:
        return self.state in self.RUNNING_STATES

    @property
    def has_files(self) -> bool:
        return self.generation > 0

    @property
    def narrative_changed_since_generated(self) -> bool:
        return self.has_files and self.generated_from_version != self.version
