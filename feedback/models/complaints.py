"""Complaints under the Children Act 1989 representations procedure (and the trust's
corporate procedure): the complaint, its stages and the Ombudsman's part. The clock that
reads their dates is feedback.complaints.clock."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from feedback.limits import TEXT_LIMITS
from pqa.case_ids import ID_MAX_LENGTH, validate_child_ref
from pqa.constraints import ConstraintsCheckedInPython
from pqa.models import ServiceArea, Team

__all__ = [
    "Complaint",
    "ComplaintStage",
    "ComplaintTheme",
    "ComplaintDigestSent",
    "HowReceived",
    "Complainant",
    "Procedure",
    "Theme",
    "Outcome",
    "OmbudsmanDecision",
]


class HowReceived(models.TextChoices):
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    LETTER = "letter", "Letter"
    ONLINE = "online", "Online"
    IN_PERSON = "in_person", "In person"


class Complainant(models.TextChoices):
    CHILD = "child", "Child or young person"
    ADVOCATE = "advocate", "Advocate on a child's behalf"
    PARENT_CARER = "parent_carer", "Parent or carer"
    FAMILY = "family", "Other family member"
    PROFESSIONAL = "professional", "Professional"
    OTHER = "other", "Other"


class Procedure(models.TextChoices):
    STATUTORY = "statutory", "Statutory (Children Act 1989)"
    CORPORATE = "corporate", "Corporate"


class Theme(models.TextChoices):
    STAFF_CONDUCT = "staff_conduct", "Staff conduct"
    INAPPROPRIATE_ACTION = "inappropriate_action", "Inappropriate action"
    POOR_SERVICE = "poor_service", "Poor service"
    DISAGREE_ASSESSMENT = "disagree_assessment", "Disagrees with an assessment"
    FAILURE_TO_ACT = "failure_to_act", "Failure to act"
    NO_REPLY = "no_reply", "No reply"
    DATA_BREACH = "data_breach", "Data breach"
    COMMUNICATION = "communication", "Communication"
    DELAY = "delay", "Delay"
    OTHER = "other", "Other"


class Outcome(models.TextChoices):
    UPHELD = "upheld", "Upheld"
    PARTLY_UPHELD = "partly_upheld", "Partly upheld"
    NOT_UPHELD = "not_upheld", "Not upheld"
    WITHDRAWN = "withdrawn", "Withdrawn"


class OmbudsmanDecision(models.TextChoices):
    FAULT_INJUSTICE = "fault_injustice", "Fault causing injustice"
    FAULT_NO_INJUSTICE = "fault_no_injustice", "Fault, no injustice"
    NO_FAULT = "no_fault", "No fault"
    NOT_INVESTIGATED = "not_investigated", "Not investigated"


def _text(field: str, **kwargs) -> models.TextField:
    return TEXT_LIMITS.text_field("Complaint", field, blank=True, **kwargs)


def _short(field: str, **kwargs) -> models.CharField:
    return models.CharField(max_length=TEXT_LIMITS("Complaint", field), blank=True, **kwargs)


class Complaint(ConstraintsCheckedInPython):
    """One complaint: who, how and what, and what the Ombudsman made of it. Its stages are
    ComplaintStage rows; its themes ComplaintTheme rows (a managed list, many a complaint)."""

    reference = models.CharField(max_length=TEXT_LIMITS("Complaint", "reference"), unique=True)
    received = models.DateField(help_text="The Stage 1 clock starts on the next working day.")
    # Blank only for complaints imported from a log that did not say (the form requires it).
    how_received = models.CharField(max_length=16, choices=HowReceived.choices, blank=True)
    complainant = models.CharField(max_length=16, choices=Complainant.choices)
    procedure = models.CharField(max_length=16, choices=Procedure.choices, default=Procedure.STATUTORY)
    service_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT, related_name="complaints")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, null=True, blank=True, related_name="complaints")
    child_ref = models.CharField(
        max_length=ID_MAX_LENGTH, blank=True, validators=[validate_child_ref], help_text="A case id, never a name."
    )
    summary = _text("summary")
    # Optional equality data, for disproportionality analysis: each may be left empty.
    age_band = _short("age_band")
    ethnicity = _short("ethnicity")
    disability = _short("disability")
    gender = _short("gender")
    learning = _text("learning")
    actions_taken = _text("actions_taken")
    ombudsman_referred = models.DateField(null=True, blank=True)
    ombudsman_decided = models.DateField(null=True, blank=True)
    ombudsman_decision = models.CharField(max_length=24, choices=OmbudsmanDecision.choices, blank=True)
    ombudsman_remedy = _text("ombudsman_remedy")
    ombudsman_complied = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        ordering = ["reference"]
        indexes = [
            models.Index(fields=["received"], name="complaint_received_idx"),
            models.Index(fields=["team", "received"], name="complaint_team_idx"),
            # The quarter's figures count referrals to and decisions of the Ombudsman by their dates.
            models.Index(fields=["ombudsman_referred"], name="complaint_ombudsman_ref_idx"),
            models.Index(fields=["ombudsman_decided", "ombudsman_decision"], name="complaint_ombudsman_dec_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ombudsman_decided__isnull=True)
                | models.Q(ombudsman_referred__isnull=False, ombudsman_decided__gte=models.F("ombudsman_referred")),
                name="complaint_ombudsman_decided_after_referral",
                violation_error_message="The Ombudsman's decision needs a referral on or before it.",
            ),
            models.CheckConstraint(
                condition=models.Q(ombudsman_decided__isnull=True, ombudsman_decision="")
                | models.Q(ombudsman_decided__isnull=False) & ~models.Q(ombudsman_decision=""),
                name="complaint_ombudsman_decision_with_its_date",
                violation_error_message="The Ombudsman's decision and its date go together.",
            ),
            TEXT_LIMITS.constraint("Complaint"),
        ]

    def __str__(self) -> str:
        return self.reference


class ComplaintTheme(models.Model):
    """One theme of a complaint, from the managed list (Theme)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="themes")
    theme = models.CharField(max_length=24, choices=Theme.choices)

    class Meta:
        ordering = ["theme"]
        constraints = [models.UniqueConstraint(fields=["complaint", "theme"], name="complaint_theme_once")]

    def __str__(self) -> str:
        return self.get_theme_display()


class ComplaintStage(ConstraintsCheckedInPython):
    """A stage of the procedure: 1 (local resolution), 2 (investigation), 3 (review panel)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="stages")
    number = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(3)])
    # Stage 1 starts on `received`; Stage 2 and 3 on the complainant's request.
    requested = models.DateField()
    extension_reason = TEXT_LIMITS.text_field("ComplaintStage", "extension_reason", blank=True)
    responded = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    panel = models.DateField(null=True, blank=True, help_text="Stage 3: the review panel's date.")
    report = models.DateField(null=True, blank=True, help_text="Stage 3: the date of the panel's report.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["complaint", "number"]
        # The quarter's figures: stages requested and stages responded in it.
        indexes = [
            models.Index(fields=["requested", "number"], name="complaint_stage_requested_idx"),
            models.Index(fields=["responded"], name="complaint_stage_responded_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "number"], name="complaint_stage_once"),
            models.CheckConstraint(condition=models.Q(number__gte=1, number__lte=3), name="complaint_stage_1_to_3"),
            models.CheckConstraint(
                condition=models.Q(responded__isnull=True) | models.Q(responded__gte=models.F("requested")),
                name="complaint_stage_responded_after_start",
                violation_error_message="A response cannot come before the stage started.",
            ),
            models.CheckConstraint(
                condition=models.Q(outcome="") | models.Q(responded__isnull=False),
                name="complaint_stage_outcome_has_response",
                violation_error_message="An outcome needs its response date.",
            ),
            models.CheckConstraint(
                condition=models.Q(extension_reason="") | models.Q(number__lte=2),
                name="complaint_stage_extension_stage_1_or_2",
                violation_error_message="Only Stage 1 and Stage 2 can be extended.",
            ),
            models.CheckConstraint(
                condition=models.Q(panel__isnull=True, report__isnull=True) | models.Q(number=3),
                name="complaint_stage_panel_stage_3",
                violation_error_message="Only Stage 3 has a panel.",
            ),
            TEXT_LIMITS.constraint("ComplaintStage"),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} Stage {self.number}"

    @property
    def extended(self) -> bool:
        return bool(self.extension_reason)


class ComplaintDigestSent(models.Model):
    """The daily due-soon and overdue e-mail was queued for this day: once a day, whatever
    runs it (the beat, a second worker, the command by hand)."""

    day = models.DateField(unique=True)
    complaints = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Complaints digest {self.day}"
