"""Compliments, child and family feedback responses and advocacy referrals
(docs/contracts/feedback-csv.md): the voice of children and families beside the complaints.
No child names anywhere: these hold no case id, and extracts and comments are redacted."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from feedback.voice.limits import TEXT_LIMITS
from pqa.constraints import ConstraintsCheckedInPython
from pqa.models import ServiceArea, Team

__all__ = [
    "AdvocacyReferral",
    "AdvocacySource",
    "Compliment",
    "ComplimentFrom",
    "FeedbackAnswer",
    "FeedbackResponse",
    "FeedbackRespondent",
    "FeedbackSource",
    "Rating",
    "STANDARD_QUESTIONS",
]


class ComplimentFrom(models.TextChoices):
    CHILD = "child", "Child or young person"
    PARENT_CARER = "parent_carer", "Parent or carer"
    PROFESSIONAL = "professional", "Professional"
    OTHER = "other", "Other"


class FeedbackSource(models.TextChoices):
    END_OF_INVOLVEMENT = "end_of_involvement", "End of involvement survey"
    CP_CONFERENCE = "cp_conference", "Child protection conference"
    REVIEW = "review", "Review"
    PE_CONVERSATION = "pe_conversation", "Practice evaluation conversation"
    APP = "app", "App"
    OTHER = "other", "Other"


class FeedbackRespondent(models.TextChoices):
    CHILD = "child", "Child or young person"
    PARENT_CARER = "parent_carer", "Parent or carer"
    PROFESSIONAL = "professional", "Professional"


class FeedbackAnswer(models.TextChoices):
    YES = "yes", "Yes"
    PARTLY = "partly", "Partly"
    NO = "no", "No"


class Rating(models.TextChoices):
    EXCELLENT = "excellent", "Excellent"
    GOOD = "good", "Good"
    FAIR = "fair", "Fair"
    POOR = "poor", "Poor"


class AdvocacySource(models.TextChoices):
    SOCIAL_WORK_TEAM = "social_work_team", "Social work team"
    IRO = "iro", "Independent reviewing officer"
    SELF = "self", "Self-referral"
    FAMILY = "family", "Family"
    OTHER = "other", "Other"


# The standard questions, in the contract's order: the field name and what is asked.
STANDARD_QUESTIONS = (
    ("understood_why", "Did you understand why we were involved?"),
    ("listened_to", "Did you feel listened to?"),
    ("involved_in_decisions", "Were you involved in decisions?"),
    ("knows_next", "Do you know what happens next?"),
    ("things_better", "Are things better?"),
)


def _team_in_area(record) -> None:
    """A team, when given, belongs to the record's service area."""
    if record.team_id and record.service_area_id and record.team.service_area_id != record.service_area_id:
        raise ValidationError({"team": "This team is not in the service area chosen."})


def _answer(label: str) -> models.CharField:
    return models.CharField(label, max_length=8, choices=FeedbackAnswer.choices, blank=True)


class Compliment(ConstraintsCheckedInPython):
    """A compliment received, with a redacted extract that may be shared in reports."""

    reference = models.CharField(max_length=TEXT_LIMITS("Compliment", "reference"), unique=True)
    received = models.DateField("date received")
    from_whom = models.CharField("from", max_length=20, choices=ComplimentFrom.choices)
    service_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT, related_name="compliments")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="compliments", null=True, blank=True)
    staff_named = models.CharField(max_length=TEXT_LIMITS("Compliment", "staff_named"), blank=True)
    themes = models.CharField(
        max_length=TEXT_LIMITS("Compliment", "themes"), blank=True, help_text="Words separated by ';'."
    )
    extract = TEXT_LIMITS.text_field("Compliment", "extract", blank=True, help_text="Redacted: no names.")
    may_share = models.BooleanField("may be shared in reports", default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-received", "reference"]
        # The quarter's figures: found by date and counted from the index alone.
        indexes = [models.Index(fields=["received", "from_whom", "service_area"], name="compliment_received_idx")]
        constraints = [TEXT_LIMITS.constraint("Compliment")]

    def __str__(self) -> str:
        return self.reference

    def clean(self) -> None:
        _team_in_area(self)

    @property
    def theme_list(self) -> list[str]:
        return [theme.strip() for theme in self.themes.split(";") if theme.strip()]


class FeedbackResponse(ConstraintsCheckedInPython):
    """What a child, parent or carer, or professional answered to the standard questions."""

    reference = models.CharField(max_length=TEXT_LIMITS("FeedbackResponse", "reference"), unique=True)
    date = models.DateField()
    source = models.CharField(max_length=20, choices=FeedbackSource.choices)
    respondent = models.CharField(max_length=20, choices=FeedbackRespondent.choices)
    age_band = models.CharField(max_length=TEXT_LIMITS("FeedbackResponse", "age_band"), blank=True)
    service_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT, related_name="feedback_responses")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="feedback_responses", null=True, blank=True)
    understood_why = _answer("understood why we were involved")
    listened_to = _answer("felt listened to")
    involved_in_decisions = _answer("involved in decisions")
    knows_next = _answer("knows what happens next")
    things_better = _answer("things are better")
    rating = models.CharField(max_length=10, choices=Rating.choices, blank=True)
    comment = TEXT_LIMITS.text_field("FeedbackResponse", "comment", blank=True, help_text="No names.")
    may_quote = models.BooleanField("may be quoted", default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "reference"]
        # The quarter's figures: found by date and counted from the index alone.
        indexes = [
            models.Index(
                fields=["date", "service_area", "respondent", "rating", *(name for name, _ in STANDARD_QUESTIONS)],
                name="feedbackresponse_date_idx",
            )
        ]
        constraints = [TEXT_LIMITS.constraint("FeedbackResponse")]

    def __str__(self) -> str:
        return self.reference

    def clean(self) -> None:
        _team_in_area(self)


class AdvocacyReferral(ConstraintsCheckedInPython):
    """A referral to the advocacy service, with where it came from."""

    reference = models.CharField(max_length=TEXT_LIMITS("AdvocacyReferral", "reference"), unique=True)
    date = models.DateField()
    source = models.CharField(max_length=20, choices=AdvocacySource.choices)
    service_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT, related_name="advocacy_referrals")
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "reference"]
        # The quarter's figures: found by date and counted from the index alone.
        indexes = [models.Index(fields=["date", "source", "service_area"], name="advocacyreferral_date_idx")]
        constraints = [TEXT_LIMITS.constraint("AdvocacyReferral")]

    def __str__(self) -> str:
        return self.reference
