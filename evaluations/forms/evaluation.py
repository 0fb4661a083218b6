"""The sit-alongside form: one form for the evaluation, one per pillar, one per person asked
for feedback, and a formset of recommendations. Nothing is required here, because a draft
may be saved at any point; completeness is the submit service's rule (evaluation_problems)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from django import forms

from evaluations import selectors
from evaluations.limits import TEXT_LIMITS
from evaluations.models import (
    GRADE_DESCRIPTORS,
    PILLAR_PROMPTS,
    Answer,
    Evaluation,
    FathersIncluded,
    Grade,
    HeadlineQuestion,
    Pillar,
    Respondent,
)
from evaluations.selectors import owner_choices_for
from evaluations.services import DRAFT_FIELDS, FEEDBACK_FIELDS, FINDING_FIELDS, PILLAR_FIELDS, RECOMMENDATION_FIELDS
from pqa.forms import DateField, ModelChoiceField, Select, example_date_hint
from pqa.models import User
from pqa.text_limits import too_long_message


def _radios(choices, label: str, help_text: str = "") -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=list(choices), required=False, widget=forms.RadioSelect, label=label, help_text=help_text
    )


def _text(label: str, help_text: str = "", rows: int = 4, *, limit: tuple[str, str]) -> forms.CharField:
    """A free-text answer, as long as its model field allows (evaluations/limits.py); the page
    shows the limit as a GOV.UK character count (the govuk_field tag, evaluations_tags)."""
    return _line(label, help_text, limit=limit, widget=forms.Textarea(attrs={"rows": rows}))


def _line(label: str, help_text: str = "", *, limit: tuple[str, str], widget=None) -> forms.CharField:
    max_length = TEXT_LIMITS(*limit)
    return forms.CharField(
        required=False,
        label=label,
        help_text=help_text,
        max_length=max_length,
        widget=widget,
        error_messages={"max_length": too_long_message(label, max_length)},
    )


def _name_in_message(field: forms.CharField, label: str) -> None:
    """Say which pillar or person a too-long answer is about: the summary lists four 'Tell me's."""
    field.error_messages = {**field.error_messages, "max_length": too_long_message(label, field.max_length)}


# The version the page was drawn from is hidden, so anything outside what a version column
# holds (1 to the largest integer every database stores) was changed by hand: a clear error,
# never a 500 when it reaches the database.
VERSION_CHANGED = "This page is out of date or was changed: reload it and try again"
VERSION_ERRORS = dict.fromkeys(("required", "invalid", "min_value", "max_value", "max_digits"), VERSION_CHANGED)


class EvaluationForm(forms.ModelForm):
    version = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=2_147_483_647, error_messages=VERSION_ERRORS
    )
    evaluation_date = DateField(
        label="Date of the conversation",
        help_text=example_date_hint("The day you sat alongside the practitioner."),
    )
    overall_grade = _radios(
        Grade.choices, "Overall grade", "A best-fit judgement across the four pillars and the child's experience."
    )
    intervention_appropriate = _radios(Answer.choices, HeadlineQuestion.INTERVENTION_APPROPRIATE.label)
    positive_difference = _radios(Answer.choices, HeadlineQuestion.POSITIVE_DIFFERENCE.label)
    record_reflects_work = _radios(Answer.choices, HeadlineQuestion.RECORD_REFLECTS_WORK.label)
    edi_considered = _radios(
        Answer.choices,
        "Were equality, diversity and inclusion considered?",
        "For example the child's identity, culture, language, faith, disability.",
    )
    fathers_included = _radios(FathersIncluded.choices, "Were fathers included?")
    strengths = _text("Strengths", "What is working well in this child's case.", limit=("Evaluation", "strengths"))
    areas_for_development = _text(
        "Areas for development",
        "What would make the practice better.",
        limit=("Evaluation", "areas_for_development"),
    )
    safeguarding_concern = forms.BooleanField(
        required=False,
        label="I found an immediate safeguarding concern",
        help_text="The team manager and the Practice Hub are told at once when you save.",
    )
    safeguarding_description = _text(
        "Describe the safeguarding concern",
        "What you found and what has been done so far. Case ids only, no names.",
        limit=("Evaluation", "safeguarding_description"),
    )
    child_age_band = _line("Child's age band", "For example 11–15.", limit=("Evaluation", "child_age_band"))
    child_gender = _line("Child's gender", limit=("Evaluation", "child_gender"))
    child_ethnicity = _line("Child's ethnicity", limit=("Evaluation", "child_ethnicity"))

    class Meta:
        model = Evaluation
        fields = DRAFT_FIELDS

    def cleaned_fields(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in DRAFT_FIELDS}


class PillarForm(forms.Form):
    tell_me = _text(
        "Tell me", "The practitioner's account of the work with the child.", rows=5, limit=("PillarGrade", "tell_me")
    )
    show_me = _text("Show me", "The evidence you saw in the child's record.", rows=5, limit=("PillarGrade", "show_me"))
    grade = _radios(Grade.choices, "Grade")

    def __init__(self, *args, pillar: Pillar, **kwargs):
        super().__init__(*args, prefix=f"pillar-{pillar.value}", **kwargs)
        self.pillar = pillar
        self.prompt = PILLAR_PROMPTS[pillar]
        self.fields["grade"].label = f"Grade for {pillar.label.lower()}"
        for name in ("tell_me", "show_me"):
            _name_in_message(self.fields[name], f"{self.fields[name].label} for {pillar.label.lower()}")


class FeedbackForm(forms.Form):
    spoken_to = forms.TypedChoiceField(
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: {"yes": True, "no": False}.get(value),
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        label="Did you speak to them?",
    )
    not_spoken_reason = _line("If not, why not?", limit=("EvaluationFeedback", "not_spoken_reason"))
    understood_why = _radios(Answer.choices, "Do they understand why the Trust is involved?")
    involved_in_decisions = _radios(Answer.choices, "Are they involved in decisions?")
    needs_understood = _radios(Answer.choices, "Does the practitioner understand their needs?")
    quote = _text(
        "What they said", "A short quote in their words. No names.", rows=2, limit=("EvaluationFeedback", "quote")
    )

    def __init__(self, *args, respondent: Respondent, **kwargs):
        super().__init__(*args, prefix=f"feedback-{respondent.value}", **kwargs)
        self.respondent = respondent
        who = respondent.label.lower()
        _name_in_message(self.fields["not_spoken_reason"], f"Why the {who} was not spoken to")
        _name_in_message(self.fields["quote"], f"What the {who} said")


class RecommendationForm(forms.Form):
    action = _text("Action", "What needs to happen, for the child.", rows=2, limit=("Recommendation", "action"))
    # An account, not a name: the register, "my actions" and the reminders reach the person.
    # The options are drawn once per page (SitAlongsideForms.build); validation reads the queryset.
    owner = ModelChoiceField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        label="Owner",
        help_text="Who will do it. The team's managers and people are listed first.",
        empty_label="Choose who owns it",
        widget=Select(attrs={"class": "govuk-select"}),
    )
    due_date = DateField(label="Due date", help_text=example_date_hint(days_from_today=28))


class RevisitFindingForm(forms.Form):
    """A revisit's finding on one recommendation of the evaluation it revisits."""

    done = _radios(Answer.choices, "Was it done?")
    made_difference = _radios(Answer.choices, "Did it make a difference for the child?")
    note = _text("What you found (optional)", "Case ids only, no names.", rows=2, limit=("RevisitFinding", "note"))

    def __init__(self, *args, recommendation, number: int, **kwargs):
        super().__init__(*args, prefix=f"finding-{recommendation.pk}", **kwargs)
        self.recommendation = recommendation
        self.number = number
        self.fields["done"].label = f"Was recommendation {number} done?"
        self.fields["made_difference"].label = f"Did recommendation {number} make a difference for the child?"


RecommendationFormSet = forms.formset_factory(RecommendationForm, extra=0, max_num=20, absolute_max=20)


@dataclass
class SitAlongsideForms:
    """All the forms of one evaluation, bound or not, handled as one."""

    evaluation_form: EvaluationForm
    pillar_forms: list[PillarForm]
    feedback_forms: list[FeedbackForm]
    recommendations: forms.BaseFormSet
    # A revisit: the evaluation it goes back to, and a finding for each of its recommendations.
    original: Evaluation | None = None
    finding_forms: list[RevisitFindingForm] = field(default_factory=list)

    @classmethod
    def build(cls, evaluation: Evaluation, data=None) -> SitAlongsideForms:
        # What is saved is the starting point of a page to draw; posted forms hold every value
        # themselves (a bound form shows its data, not its initial), so they need no reading.
        drawn = data is None
        pillars = {item.pillar: item for item in evaluation.pillar_grades.all()} if drawn else {}
        feedback = {item.respondent: item for item in evaluation.feedback_gathered.all()} if drawn else {}
        recommendations = [
            {"action": item.action, "owner": item.owner_id, "due_date": item.due_date}
            for item in (evaluation.recommendations.all() if drawn else [])
        ]
        pillar_forms = []
        for pillar in Pillar:
            item = pillars.get(pillar.value)
            initial = {name: getattr(item, name) for name in PILLAR_FIELDS} if item else None
            pillar_forms.append(PillarForm(data, pillar=pillar, initial=initial))
        feedback_forms = []
        for respondent in Respondent:
            item = feedback.get(respondent.value)
            initial = None
            if item:
                initial = {name: getattr(item, name) for name in FEEDBACK_FIELDS}
                initial["spoken_to"] = {True: "yes", False: "no"}.get(item.spoken_to, "")
            feedback_forms.append(FeedbackForm(data, respondent=respondent, initial=initial))
        original = selectors.revisit_original(evaluation)
        finding_forms = []
        if original is not None:
            found = {item.recommendation_id: item for item in evaluation.findings.all()}
            for number, recommendation in enumerate(original.recommendations.all(), start=1):
                item = found.get(recommendation.pk)
                initial = {name: getattr(item, name) for name in FINDING_FIELDS} if item else None
                finding_forms.append(
                    RevisitFindingForm(data, recommendation=recommendation, number=number, initial=initial)
                )
        # Always offer two empty rows after those already written.
        formset_class = forms.formset_factory(RecommendationForm, extra=2, max_num=20, absolute_max=20)
        recommendation_forms = formset_class(
            data, initial=None if data is not None else recommendations, prefix="recommendations"
        )
        # Drawn only when the page is (an autosave renders none), and then once for every row.
        owners = functools.cache(lambda: [("", "Choose who owns it"), *owner_choices_for(evaluation.team_id)])
        for row in recommendation_forms.forms:
            row.fields["owner"].widget.choices = owners
        return cls(
            evaluation_form=EvaluationForm(data, instance=evaluation, initial={"version": evaluation.version}),
            pillar_forms=pillar_forms,
            feedback_forms=feedback_forms,
            # A posted page says what every row holds now: compared with the rows saved since the
            # page was drawn, an unchanged row would look empty and be dropped.
            recommendations=recommendation_forms,
            original=original,
            finding_forms=finding_forms,
        )

    def all_forms(self):
        return [
            self.evaluation_form,
            *self.finding_forms,
            *self.pillar_forms,
            *self.feedback_forms,
            *self.recommendations.forms,
        ]

    def is_valid(self) -> bool:
        return all([form.is_valid() for form in self.all_forms()] + [self.recommendations.is_valid()])

    def draft_arguments(self) -> dict:
        """The cleaned data, shaped for services.evaluation_save_draft."""
        return {
            "expected_version": self.evaluation_form.cleaned_data["version"],
            "fields": self.evaluation_form.cleaned_fields(),
            "pillars": {form.pillar.value: form.cleaned_data for form in self.pillar_forms},
            "feedback": {form.respondent.value: form.cleaned_data for form in self.feedback_forms},
            "recommendations": [form.cleaned_data for form in self.recommendations.forms if form.cleaned_data],
            "findings": {form.recommendation.pk: form.cleaned_data for form in self.finding_forms},
        }

    # Where the evaluation form's own fields sit on the page (templates/evaluations/form.html):
    # the date above the pillars, safeguarding and the child's details below the
    # recommendations, the rest between the pillars and the feedback.
    FIELDS_ABOVE_PILLARS = ("evaluation_date",)
    FIELDS_BELOW_RECOMMENDATIONS = (
        "safeguarding_concern",
        "safeguarding_description",
        "child_age_band",
        "child_gender",
        "child_ethnicity",
    )

    def errors_for_summary(self) -> list[tuple[str, str]]:
        """(anchor, message) pairs for the error summary at the top of the page, in the order of
        the page, so the summary reads as the form does."""
        above, below = self.FIELDS_ABOVE_PILLARS, self.FIELDS_BELOW_RECOMMENDATIONS
        evaluation_errors = self.evaluation_form.errors
        summary = _summary_of(
            self.evaluation_form,
            [name for name in evaluation_errors if name not in self.evaluation_form.fields or name in above],
        )
        for form in self.finding_forms:
            summary += _summary_of(form, form.errors)
        for form in self.pillar_forms:
            summary += _summary_of(form, form.errors)
        summary += _summary_of(
            self.evaluation_form,
            [
                name
                for name in self.evaluation_form.fields
                if name in evaluation_errors and name not in above and name not in below
            ],
        )
        for form in self.feedback_forms:
            summary += _summary_of(form, form.errors)
        for form in self.recommendations.forms:
            summary += _summary_of(form, form.errors)
        summary += [("recommendations", error) for error in self.recommendations.non_form_errors()]
        summary += _summary_of(self.evaluation_form, [name for name in below if name in evaluation_errors])
        return summary

    def add_problems(self, problems) -> None:
        """Put the submit service's problems beside the fields they are about."""
        pillar_forms = {form.pillar.value: form for form in self.pillar_forms}
        finding_forms = {str(form.recommendation.pk): form for form in self.finding_forms}
        rows = self.recommendations.forms
        # The service counts the recommendations it saved: the rows that were filled in.
        filled = [row for row in rows if any((row.cleaned_data or {}).get(name) for name in RECOMMENDATION_FIELDS)]
        for problem in problems:
            if problem.section == "evaluation":
                self.evaluation_form.add_error(problem.field, problem.message)
            elif problem.section == "pillar":
                pillar_forms[problem.key].add_error(problem.field, problem.message)
            elif problem.section == "findings" and problem.key in finding_forms:
                finding_forms[problem.key].add_error(problem.field, problem.message)
            elif problem.section == "recommendations":
                index = int(problem.key or 0)
                target = filled[index] if index < len(filled) else (rows[0] if rows else None)
                if target is not None:
                    target.add_error(problem.field, problem.message)
                else:
                    self.recommendations._non_form_errors.append(problem.message)  # noqa: SLF001


def grade_descriptors():
    return [(grade, grade.label, GRADE_DESCRIPTORS[grade]) for grade in Grade]


def _summary_of(form, names) -> list[tuple[str, str]]:
    """The summary's (anchor, message) pairs for these fields of one form, in this order."""
    summary = []
    for name in names:
        anchor = ""
        if name in form.fields:
            # A group of radios is reached through its first radio, a date through its day.
            widget = form.fields[name].widget
            first = isinstance(widget, forms.RadioSelect | forms.MultiWidget)
            anchor = f"{form[name].auto_id}_0" if first else form[name].auto_id
        label = form.fields[name].label if name in form.fields else ""
        for error in form.errors[name]:
            summary.append((anchor, f"{label}: {error}" if label and error.startswith("Enter a valid") else error))
    return summary
