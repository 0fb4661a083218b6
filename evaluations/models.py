"""Practice evaluations: cycles, the evaluations allocated in them, the four pillar grades,
feedback gathered in the conversation, moderation and recommendations.

Evaluation states (one service per transition, see services.py):

    allocated ──save draft──▶ in_progress ──submit──▶ completed
        │                         │
        └────── cycle closed ─────┴──────────────────▶ not_returned
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from evaluations.limits import TEXT_LIMITS
from evaluations.validators import validate_child_ref, validate_reference
from pqa.case_ids import child_key, child_key_expression
from pqa.constraints import ConstraintsCheckedInPython
from pqa.models import Team
from pqa.quarters import Quarter, quarter_or_none, validate_quarter


class Grade(models.TextChoices):
    """Ofsted's four-point scale, best first."""

    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement to be good"
    INADEQUATE = "inadequate", "Inadequate"


# Lower is better; used to say whether moderation raised or lowered a grade.
GRADE_RANK = {grade: rank for rank, grade in enumerate(Grade.values)}

GRADE_DESCRIPTORS = {
    Grade.OUTSTANDING: "Practice is consistently strong and creative, and makes a real difference to the "
    "child's life. It could be used as an example for others.",
    Grade.GOOD: "Practice is purposeful and child-focused; the child's needs are understood and met, "
    "and the record shows the difference the work makes.",
    Grade.REQUIRES_IMPROVEMENT: "The child is safe but practice is not yet good: there are gaps or "
    "delays in the work or the record that need to be put right.",
    Grade.INADEQUATE: "Practice leaves the child at risk of harm or without the help they need; "
    "widespread or serious failures that need action now.",
}


class Answer(models.TextChoices):
    YES = "yes", "Yes"
    PARTLY = "partly", "Partly"
    NO = "no", "No"


class FathersIncluded(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class Pillar(models.TextChoices):
    """The four pillars of practice, in the order the conversation takes them."""

    CHILDS_VOICE = "childs_voice", "The child's voice"
    ASSESSMENT = "assessment", "Assessment"
    PLANNING = "planning", "Planning"
    OVERSIGHT = "oversight", "Management oversight and supervision"


PILLAR_PROMPTS = {
    Pillar.CHILDS_VOICE: "How do we know what life is like for this child? How have their wishes and "
    "feelings shaped the work?",
    Pillar.ASSESSMENT: "Is the assessment up to date, analytical and clear about risks, needs and strengths?",
    Pillar.PLANNING: "Is there a SMART plan that the child and family understand, and is it making a difference?",
    Pillar.OVERSIGHT: "Is management oversight and supervision regular, reflective and driving the plan?",
}


class HeadlineQuestion(models.TextChoices):
    """The three questions reported every quarter; values are the Evaluation field names."""

    INTERVENTION_APPROPRIATE = (
        "intervention_appropriate",
        "Is our intervention appropriate to the child's circumstances?",
    )
    POSITIVE_DIFFERENCE = "positive_difference", "Has our intervention made a positive difference?"
    RECORD_REFLECTS_WORK = "record_reflects_work", "Does the child's written record reflect the quality of the work?"


class CycleType(models.TextChoices):
    TRUST_WIDE = "trust_wide", "Trust-wide practice evaluation"
    SERVICE = "service", "Service practice evaluation (SPE)"
    THEMATIC = "thematic", "Thematic audit or dip sample"
    REVISIT = "revisit", "Revisit"


class Cycle(ConstraintsCheckedInPython):
    """A round of evaluations in a quarter. A quarter may hold several rounds of a type."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    quarter = models.CharField(max_length=10, validators=[validate_quarter], help_text="For example 2025-26-Q1.")
    type = models.CharField(max_length=20, choices=CycleType.choices, default=CycleType.TRUST_WIDE)
    title = models.CharField(
        max_length=TEXT_LIMITS("Cycle", "title"), blank=True, help_text="Optional, e.g. the theme of a thematic audit."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Revisits (docs/revisits.md): the share, in percent, of the previous cycle's children that
    # a revisit cycle draws beyond those it always revisits (Inadequate, overdue actions).
    revisit_share = models.PositiveSmallIntegerField(
        "share of other children to revisit (%)",
        default=10,
        validators=[MaxValueValidator(100, "The share is a percentage: 100 at most")],
        help_text="Every child graded Inadequate or with overdue recommendations is revisited; "
        "this share of the others is drawn at random.",
    )

    # The moderation sample (see Moderation).
    moderation_share = models.PositiveSmallIntegerField(
        "share of the other grades to moderate (%)",
        default=20,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Every Inadequate and Outstanding overall grade is moderated; this share of the rest is "
        "drawn at random.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-quarter", "type", "title"]
        constraints = [
            models.UniqueConstraint(fields=["quarter", "type", "title"], name="cycle_unique_round"),
            TEXT_LIMITS.constraint("Cycle"),
        ]

    def __str__(self) -> str:
        name = f"{self.quarter} {self.get_type_display()}"
        return f"{name}: {self.title}" if self.title else name

    @property
    def quarter_period(self) -> Quarter:
        return Quarter.parse(self.quarter)

    @property
    def quarter_label(self) -> str:
        """For pages: a quarter stored before quarters were bounded is shown as written, so
        its page opens and the Practice Hub can see what to correct."""
        period = quarter_or_none(self.quarter)
        return period.label if period else f"{self.quarter} (outside the years PQA accepts)"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Evaluation(ConstraintsCheckedInPython):
    """One child's case, evaluated with one practitioner by one evaluator."""

    class Status(models.TextChoices):
        ALLOCATED = "allocated", "Allocated"
        IN_PROGRESS = "in_progress", "In progress"
        # "completed" is the contract's code (docs/contracts/evaluations-csv.md); elsewhere the word is "returned".
        RETURNED = "completed", "Returned"
        NOT_RETURNED = "not_returned", "Not returned"

    EDITABLE_STATUSES = (Status.ALLOCATED, Status.IN_PROGRESS)

    reference = models.CharField(
        max_length=40,
        unique=True,
        validators=[validate_reference],
        help_text="The trust's id of the evaluation, e.g. PE-2025-0001.",
    )
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="evaluations")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="evaluations")
    child_ref = models.CharField(
        "child's case id",
        max_length=40,
        validators=[validate_child_ref],
        help_text="The id in the case management system. Never a name.",
    )
    practitioner = models.CharField(
        max_length=TEXT_LIMITS("Evaluation", "practitioner"), help_text="Staff id or name of the practitioner."
    )
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="evaluations")
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ALLOCATED)
    revisit_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="revisits",
        help_text="The earlier evaluation of this child that this one revisits.",
    )

    evaluation_date = models.DateField("date of the conversation", null=True, blank=True)
    overall_grade = models.CharField(max_length=24, choices=Grade.choices, blank=True)
    intervention_appropriate = models.CharField(max_length=8, choices=Answer.choices, blank=True)
    positive_difference = models.CharField(max_length=8, choices=Answer.choices, blank=True)
    record_reflects_work = models.CharField(max_length=8, choices=Answer.choices, blank=True)
    edi_considered = models.CharField(
        "equality, diversity and inclusion considered", max_length=8, choices=Answer.choices, blank=True
    )
    fathers_included = models.CharField(max_length=16, choices=FathersIncluded.choices, blank=True)
    strengths = TEXT_LIMITS.text_field("Evaluation", "strengths", blank=True)
    areas_for_development = TEXT_LIMITS.text_field("Evaluation", "areas_for_development", blank=True)
    safeguarding_concern = models.BooleanField("immediate safeguarding concern", default=False)
    safeguarding_description = TEXT_LIMITS.text_field("Evaluation", "safeguarding_description", blank=True)
    safeguarding_reported_at = models.DateTimeField(null=True, blank=True)
    # A reported concern is acknowledged once, by a manager of the team or the Practice Hub.
    safeguarding_acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    safeguarding_acknowledged_at = models.DateTimeField(null=True, blank=True)

    child_age_band = models.CharField(max_length=TEXT_LIMITS("Evaluation", "child_age_band"), blank=True)
    child_gender = models.CharField(max_length=TEXT_LIMITS("Evaluation", "child_gender"), blank=True)
    child_ethnicity = models.CharField(max_length=TEXT_LIMITS("Evaluation", "child_ethnicity"), blank=True)

    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    allocated_at = models.DateTimeField(auto_now_add=True)
    draft_saved_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic locking: every save bumps it, a save based on an older one is refused...
    version = models.PositiveIntegerField(default=1)
    # ...unless the newer versions came from the same browser tab (a save sent as the page
    # unloaded, racing the reload): the tab's random token is kept with the draft.
    draft_editor_token = models.CharField(max_length=64, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-cycle__quarter", "reference"]
        indexes = [
            models.Index(fields=["status", "cycle"], name="evaluation_status_cycle_idx"),
            models.Index(fields=["evaluator", "status"], name="evaluation_evaluator_idx"),
            models.Index(fields=["team", "status"], name="evaluation_team_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="completed") | ~models.Q(overall_grade=""),
                name="completed_evaluation_has_overall_grade",
            ),
            # A child is evaluated once in a cycle; case ids are compared by their child_key,
            # whatever their letter case, as every check before the database compares them.
            models.UniqueConstraint(
                child_key_expression("child_ref"),
                "cycle",
                name="evaluation_one_child_once_a_cycle",
                violation_error_message="This child is already in this cycle.",
            ),
            models.UniqueConstraint(
                fields=["revisit_of", "cycle"],
                name="evaluation_one_revisit_of_an_evaluation_a_cycle",
                violation_error_message="This evaluation is already revisited in this cycle.",
            ),
            models.CheckConstraint(
                condition=models.Q(safeguarding_acknowledged_at__isnull=True, safeguarding_acknowledged_by__isnull=True)
                | models.Q(
                    safeguarding_acknowledged_at__isnull=False,
                    safeguarding_acknowledged_by__isnull=False,
                    safeguarding_reported_at__isnull=False,
                ),
                name="safeguarding_acknowledged_with_who_and_when",
                violation_error_message="An acknowledgement needs a reported concern, who acknowledged it and when.",
            ),
            TEXT_LIMITS.constraint("Evaluation"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} (child {self.child_ref})"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE_STATUSES

    @property
    def final_grade(self) -> str:
        """The grade of record: a confirmed moderation's grade, else the evaluator's (a sampled or
        blind-graded moderation is not yet a judgement anyone may rely on)."""
        moderation = getattr(self, "moderation", None)
        if moderation is not None and moderation.is_confirmed:
            return moderation.moderated_grade
        return self.overall_grade


def validate_revisit_of(evaluation: Evaluation) -> None:
    """A revisit goes back to a child PQA has evaluated: its original is a returned evaluation
    of the same child (compared by child_key), in another cycle. The services that set
    `revisit_of` (allocation, the administrators' correction) ask this."""
    original = evaluation.revisit_of
    if original is None:
        return
    if original.pk == evaluation.pk or original.cycle_id == evaluation.cycle_id:
        raise ValidationError({"revisit_of": "A revisit goes back to an evaluation of an earlier cycle."})
    if original.status != Evaluation.Status.RETURNED:
        raise ValidationError(
            {"revisit_of": f"{original.reference} has not been returned: only a returned evaluation can be revisited."}
        )
    if child_key(original.child_ref) != child_key(evaluation.child_ref):
        raise ValidationError(
            {"revisit_of": f"{original.reference} is of child {original.child_ref}, not child {evaluation.child_ref}."}
        )


class PillarGrade(ConstraintsCheckedInPython):
    """One pillar of one evaluation: what the practitioner told, what the record showed, the grade."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="pillar_grades")
    pillar = models.CharField(max_length=20, choices=Pillar.choices)
    tell_me = TEXT_LIMITS.text_field(
        "PillarGrade", "tell_me", "tell me", blank=True, help_text="The practitioner's account."
    )
    show_me = TEXT_LIMITS.text_field(
        "PillarGrade", "show_me", "show me", blank=True, help_text="The evidence seen in the child's record."
    )
    grade = models.CharField(max_length=24, choices=Grade.choices, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["evaluation", "pillar"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "pillar"], name="one_grade_per_pillar"),
            TEXT_LIMITS.constraint("PillarGrade"),
        ]
        indexes = [
            models.Index(fields=["pillar", "grade"], name="pillargrade_pillar_grade_idx"),
            # A quarter's pillar grades counted from the index alone (PostgreSQL index-only scan).
            models.Index(fields=["evaluation", "pillar", "grade"], name="pillargrade_evaluation_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation.reference}: {self.get_pillar_display()} {self.get_grade_display() or 'not graded'}"


class Respondent(models.TextChoices):
    CHILD = "child", "Child or young person"
    PARENT_CARER = "parent_carer", "Parent or carer"
    PARTNER = "partner", "Partner professional"


class EvaluationFeedback(ConstraintsCheckedInPython):
    """What a child, parent or carer, or partner professional said when asked during the evaluation."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="feedback_gathered")
    respondent = models.CharField(max_length=20, choices=Respondent.choices)
    spoken_to = models.BooleanField(null=True, blank=True)
    not_spoken_reason = models.CharField(
        "why not", max_length=TEXT_LIMITS("EvaluationFeedback", "not_spoken_reason"), blank=True
    )
    understood_why = models.CharField(
        "understood why we are involved", max_length=8, choices=Answer.choices, blank=True
    )
    involved_in_decisions = models.CharField(max_length=8, choices=Answer.choices, blank=True)
    needs_understood = models.CharField(
        "practitioner understands their needs", max_length=8, choices=Answer.choices, blank=True
    )
    quote = TEXT_LIMITS.text_field("EvaluationFeedback", "quote", blank=True, help_text="A short quote, with no names.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["evaluation", "respondent"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "respondent"], name="one_feedback_per_respondent"),
            TEXT_LIMITS.constraint("EvaluationFeedback"),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation.reference}: {self.get_respondent_display()}"


class ModerationPanel(ConstraintsCheckedInPython):
    """A moderation panel: the moderators (and Practice Hub) who met on a date to look at a group
    of a cycle's moderation sample together. A moderation may belong to one panel."""

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="moderation_panels")
    held_on = models.DateField("date of the panel")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="moderation_panels", blank=True)
    notes = TEXT_LIMITS.text_field("ModerationPanel", "notes", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-held_on", "pk"]
        constraints = [TEXT_LIMITS.constraint("ModerationPanel")]

    def __str__(self) -> str:
        return f"Moderation panel, {self.held_on:%-d %b %Y} ({self.cycle})"


class Moderation(ConstraintsCheckedInPython):
    """A moderator's view of an evaluation: their own grade for each pillar and overall, with a
    rationale. Outcomes (agreed, raised, lowered) are derived, never typed. One per evaluation;
    earlier rounds are kept in ModerationRound.

    States (one service per transition, see services.py):

        sampled ──grade blind──▶ graded_blind ──confirm──▶ confirmed
           │                                                  │  ▲
           └── removed from the sample (deleted)              └──┘ changed by the Practice Hub,
                                                                   with a reason: a new round

    - sampled: in the cycle's sample (drawn, or added by the Practice Hub); no grade yet.
    - graded_blind: a moderator recorded their grades and rationale without seeing the
      evaluator's; only now may they see both side by side.
    - confirmed: the moderated overall grade is the grade of record (Evaluation.final_grade),
      the evaluator has been told. A grade recorded directly (import, administrator) is
      confirmed at once. Rows from before the sample existed were migrated as confirmed.
    """

    class Outcome(models.TextChoices):
        AGREED = "agreed", "Agreed"
        UPGRADED = "upgraded", "Raised"
        DOWNGRADED = "downgraded", "Lowered"

    class State(models.TextChoices):
        SAMPLED = "sampled", "Sampled"
        GRADED_BLIND = "graded_blind", "Graded blind"
        CONFIRMED = "confirmed", "Confirmed"

    class SampleReason(models.TextChoices):
        INADEQUATE = "inadequate", "Every Inadequate grade"
        OUTSTANDING = "outstanding", "Every Outstanding grade"
        RANDOM = "random", "Drawn at random"
        ADDED = "added", "Added by the Practice Hub"
        RECORDED = "recorded", "Recorded directly (import or administrator)"

    evaluation = models.OneToOneField(Evaluation, on_delete=models.CASCADE, related_name="moderation")
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="moderations"
    )
    # Blank only while sampled (constraint below).
    moderated_grade = models.CharField(max_length=24, choices=Grade.choices, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    rationale = TEXT_LIMITS.text_field("Moderation", "rationale", blank=True)
    moderated_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)
    # The default is confirmed so that a grade recorded directly (and every row that existed
    # before the sample) is the grade of record; the sample's services set sampled.
    state = models.CharField(max_length=14, choices=State.choices, default=State.CONFIRMED)
    sample_reason = models.CharField(
        "why it is in the sample", max_length=12, choices=SampleReason.choices, default=SampleReason.RECORDED
    )
    sampled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sampled_at = models.DateTimeField(null=True, blank=True)
    graded_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    round = models.PositiveSmallIntegerField(default=1)
    round_reason = models.CharField(
        "why this round",
        max_length=TEXT_LIMITS("Moderation", "round_reason"),
        blank=True,
        help_text="Why the Practice Hub changed a confirmed moderation.",
    )
    panel = models.ForeignKey(
        ModerationPanel, on_delete=models.SET_NULL, null=True, blank=True, related_name="moderations"
    )
    history = HistoricalRecords()

    class Meta:
        indexes = [
            models.Index(fields=["state", "moderator"], name="moderation_state_moderator_idx"),
            # The distribution and the dashboard join every evaluation of a quarter to its
            # moderation for the grade that stands: covered, PostgreSQL answers from the index.
            models.Index(
                fields=["evaluation", "state", "outcome", "moderated_grade"], name="moderation_evaluation_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state="sampled", moderated_grade="", outcome="")
                | (~models.Q(state="sampled") & ~models.Q(moderated_grade="") & ~models.Q(outcome="")),
                name="moderation_graded_unless_sampled",
                violation_error_message="A moderation has a grade and an outcome once graded, and none before.",
            ),
            TEXT_LIMITS.constraint("Moderation"),
        ]

    def __str__(self) -> str:
        if self.state == self.State.SAMPLED:
            return f"{self.evaluation.reference}: sampled"
        return f"{self.evaluation.reference}: {self.get_outcome_display()}"

    @property
    def is_confirmed(self) -> bool:
        return self.state == self.State.CONFIRMED

    @staticmethod
    def outcome_for(*, overall_grade: str, moderated_grade: str) -> str:
        """Agreed, raised or lowered: the moderator's grade against the evaluator's. The one
        place the direction of a moderation is decided (overall and per pillar)."""
        if moderated_grade == overall_grade:
            return Moderation.Outcome.AGREED
        if GRADE_RANK[moderated_grade] < GRADE_RANK[overall_grade]:
            return Moderation.Outcome.UPGRADED
        return Moderation.Outcome.DOWNGRADED


class ModeratedPillarGrade(models.Model):
    """The moderator's grade for one pillar; its outcome is derived against the evaluator's
    grade for that pillar (blank when the evaluator left the pillar ungraded, e.g. imported)."""

    moderation = models.ForeignKey(Moderation, on_delete=models.CASCADE, related_name="pillar_grades")
    pillar = models.CharField(max_length=20, choices=Pillar.choices)
    grade = models.CharField(max_length=24, choices=Grade.choices)
    outcome = models.CharField(max_length=12, choices=Moderation.Outcome.choices, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["moderation", "pillar"]
        constraints = [models.UniqueConstraint(fields=["moderation", "pillar"], name="one_moderated_grade_per_pillar")]
        indexes = [
            models.Index(fields=["pillar", "outcome"], name="moderatedpillar_outcome_idx"),
            # Moderation per pillar for a quarter, counted from the index alone.
            models.Index(fields=["moderation", "pillar", "outcome"], name="moderatedpillar_covering_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.moderation.evaluation.reference}: {self.get_pillar_display()} {self.get_grade_display()}"


class ModerationRound(ConstraintsCheckedInPython):
    """A confirmed round of a moderation that the Practice Hub has since changed: what it said,
    and why it was replaced. The current round is the Moderation itself."""

    moderation = models.ForeignKey(Moderation, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField()
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    moderated_grade = models.CharField(max_length=24, choices=Grade.choices)
    outcome = models.CharField(max_length=12, choices=Moderation.Outcome.choices)
    pillar_grades = models.JSONField(default=dict, blank=True, help_text="Pillar code to grade, as moderated.")
    rationale = TEXT_LIMITS.text_field("ModerationRound", "rationale", blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    replaced_at = models.DateTimeField()
    replaced_because = models.CharField(max_length=TEXT_LIMITS("ModerationRound", "replaced_because"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["moderation", "number"]
        constraints = [
            models.UniqueConstraint(fields=["moderation", "number"], name="one_moderation_round_number"),
            TEXT_LIMITS.constraint("ModerationRound"),
        ]

    def __str__(self) -> str:
        return f"{self.moderation.evaluation.reference}: round {self.number}"


class Recommendation(ConstraintsCheckedInPython):
    """An action an evaluation raises, held in the Practice Hub's central record (the register)
    until it is done.

    States (services.recommendation_set_status, one rule for every route):

        open ──▶ in_progress ──▶ done (a note of what was done, and when)
          │          │      └──▶ not_achieved (a reason, and when it was given up)
          └──────────┴──────▶ done / not_achieved; either may be opened again.

    The owner is an account. Owners typed as text before PQA had accounts for them are kept in
    `owner_text` (the register lists those still without an account for the Practice Hub).
    `revisit_found_done` is what a revisit found, written only by
    services.recommendation_record_revisit_finding."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        NOT_ACHIEVED = "not_achieved", "Not achieved"

    # Still to be done: reminded, and overdue once past the due date.
    ACTIVE_STATUSES = (Status.OPEN, Status.IN_PROGRESS)
    CLOSED_STATUSES = (Status.DONE, Status.NOT_ACHIEVED)

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="recommendations")
    action = TEXT_LIMITS.text_field("Recommendation", "action")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recommendations_owned",
        help_text="The account of the person who will do it.",
    )
    owner_text = models.CharField(
        "owner as first written",
        max_length=120,
        blank=True,
        help_text="Who owned it when owners were typed as text; kept when no account matched.",
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    completed_on = models.DateField(
        "done or given up on", null=True, blank=True, help_text="When it was done, or when it was not achieved."
    )
    outcome_note = TEXT_LIMITS.text_field(
        "Recommendation",
        "outcome_note",
        "what was done, or why not",
        blank=True,
        help_text="Needed when it is done or not achieved.",
    )
    tabled_on = models.DateField("tabled in supervision", null=True, blank=True)
    revisit_found_done = models.BooleanField(
        "a revisit found it done", null=True, blank=True, help_text="Empty until a revisit has checked it."
    )
    tracker_reference = models.CharField(
        max_length=40,
        null=True,
        blank=True,
        unique=True,
        help_text="The id it had in the Practice Hub's tracker, when it was imported from it.",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["evaluation", "created_at", "pk"]
        indexes = [
            models.Index(fields=["status", "due_date"], name="recommendation_open_due_idx"),
            models.Index(fields=["owner", "status"], name="recommendation_owner_idx"),
        ]
        constraints = [TEXT_LIMITS.constraint("Recommendation")]

    def __str__(self) -> str:
        return f"{self.evaluation.reference}: {self.action[:60]}"

    def clean(self):
        super().clean()
        errors = closure_problems(status=self.status, note=self.outcome_note, completed_on=self.completed_on)
        if errors:
            raise ValidationError(errors)

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    def is_overdue(self, today) -> bool:
        return self.is_active and self.due_date is not None and self.due_date < today

    @property
    def owner_label(self) -> str:
        if self.owner_id:
            return str(self.owner)
        return f"No account ({self.owner_text})" if self.owner_text else "No owner"


def closure_problems(*, status: str, note: str, completed_on) -> dict[str, str]:
    """The rule of closing a recommendation: done needs a note of what was done and the date,
    not achieved a reason and the date. Field name -> message; empty when it may be saved."""
    problems = {}
    if status == Recommendation.Status.DONE:
        if not (note or "").strip():
            problems["outcome_note"] = "Enter what was done"
        if completed_on is None:
            problems["completed_on"] = "Enter the date it was done"
    elif status == Recommendation.Status.NOT_ACHIEVED:
        if not (note or "").strip():
            problems["outcome_note"] = "Enter why it was not achieved"
        if completed_on is None:
            problems["completed_on"] = "Enter the date it was given up"
    return problems


class SentReminder(models.Model):
    """One reminder e-mail queued for one person, of one kind, for one day: the unique
    constraint is what makes pqa_reminders safe to run twice, even at the same time."""

    class Kind(models.TextChoices):
        OWNER = "owner", "To an owner"
        TEAM_MANAGER = "team_manager", "To a team manager"

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    day = models.DateField()
    recommendations = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "kind", "person"]
        constraints = [
            models.UniqueConstraint(fields=["person", "kind", "day"], name="one_reminder_a_person_kind_day"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.person_id} on {self.day}"


class RevisitFinding(ConstraintsCheckedInPython):
    """What a revisit found of one recommendation of the evaluation it revisits: whether it was
    done and whether it made a difference for the child. Saved with the revisit's draft;
    every one is answered before the revisit is returned (services.evaluation_problems)."""

    revisit = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="findings")
    recommendation = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="revisit_findings")
    done = models.CharField("was it done", max_length=8, choices=Answer.choices, blank=True)
    made_difference = models.CharField(
        "did it make a difference for the child", max_length=8, choices=Answer.choices, blank=True
    )
    note = TEXT_LIMITS.text_field(
        "RevisitFinding", "note", blank=True, help_text="What you saw. Case ids only, no names."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["revisit", "recommendation"]
        constraints = [
            models.UniqueConstraint(fields=["revisit", "recommendation"], name="one_finding_per_recommendation"),
            TEXT_LIMITS.constraint("RevisitFinding"),
        ]

    def __str__(self) -> str:
        return f"{self.revisit.reference}: {self.recommendation_id} done {self.done or 'not answered'}"
