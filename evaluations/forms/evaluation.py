"""The sit-alongside form: one form for the evaluation, one per pillar, one per person asked
for feedback, and a formset of recommendations. Nothing is required here, because a draft
may be saved at any point; completeness is the submit service's rule (evaluation_problems)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django import forms

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
from evaluations.services import DRAFT_FIELDS, FEEDBACK_FIELDS, PILLAR_FIELDS, RECOMMENDATION_FIELDS
from pqa.models import User


def _radios(choices, label: str, help_text: str = "") -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=list(choices), required=False, widget=forms.RadioSelect, label=label, help_text=help_text
    )


def _text(label: str, help_text: str = "", rows: int = 4, max_length: int | None = None) -> forms.CharField:
    return forms.CharField(
        required=False,
        label=label,
        help_text=help_text,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


# The version the page was drawn from is hidden, so anything outside what a version column
# holds (1 to the largest integer every database stores) was changed by hand: a clear error,
# never a 500 when it reaches the database.
VERSION_CHANGED = "This page is out of date or was changed: reload it and try again"
VERSION_ERRORS = dict.fromkeys(("required", "invalid", "min_value", "max_value", "max_digits"), VERSION_CHANGED)


class EvaluationForm(forms.ModelForm):
    version = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=2_147_483_647, error_messages=VERSION_ERRORS
    )
    evaluation_date = forms.DateField(
        required=False,
        label="Date of the conversation",
        help_text="The day you sat alongside the practitioner.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
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
    strengths = _text("Strengths", "What is working well in this child's case.")
    areas_for_development = _text("Areas for development", "What would make the practice better.")
    safeguarding_concern = forms.BooleanField(
        required=False,
        label="I found an immediate safeguarding concern",
        help_text="The team manager and the Practice Hub are told at once when you save.",
    )
    safeguarding_description = _text(
        "Describe the safeguarding concern", "What you found and what has been done so far. Case ids only, no names."
    )
    child_age_band = forms.CharField(
        required=False, label="Child's age band", max_length=40, help_text="For example 11–15."
    )
    child_gender = forms.CharField(required=False, label="Child's gender", max_length=40)
    child_ethnicity = forms.CharField(required=False, label="Child's ethnicity", max_length=80)

    class Meta:
        model = Evaluation
        fields = DRAFT_FIELDS

    def cleaned_fields(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in DRAFT_FIELDS}


class PillarForm(forms.Form):
    tell_me = _text("Tell me", "The practitioner's account of the work with the child.", rows=5)
    show_me = _text("Show me", "The evidence you saw in the child's record.", rows=5)
    grade = _radios(Grade.choices, "Grade")

    def __init__(self, *args, pillar: Pillar, **kwargs):
        super().__init__(*args, prefix=f"pillar-{pillar.value}", **kwargs)
        self.pillar = pillar
        self.prompt = PILLAR_PROMPTS[pillar]
        self.fields["grade"].label = f"Grade for {pillar.label.lower()}"


class FeedbackForm(forms.Form):
    spoken_to = forms.TypedChoiceField(
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: {"yes": True, "no": False}.get(value),
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        label="Did you speak to them?",
    )
    not_spoken_reason = forms.CharField(required=False, max_length=300, label="If not, why not?")
    understood_why = _radios(Answer.choices, "Do they understand why the Trust is involved?")
    involved_in_decisions = _radios(Answer.choices, "Are they involved in decisions?")
    needs_understood = _radios(Answer.choices, "Does the practitioner understand their needs?")
    quote = _text("What they said", "A short quote in their words. No names.", rows=2, max_length=600)

    def __init__(self, *args, respondent: Respondent, **kwargs):
        super().__init__(*args, prefix=f"feedback-{respondent.value}", **kwargs)
        self.respondent = respondent


class RecommendationForm(forms.Form):
    action = _text("Action", "What needs to happen, for the child.", rows=2)
    # An account, not a name: the register, "my actions" and the reminders reach the person.
    # The options are drawn once per page (SitAlongsideForms.build); validation reads the queryset.
    owner = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        label="Owner",
        help_text="Who will do it. The team's managers and people are listed first.",
        empty_label="Choose who owns it",
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    due_date = forms.DateField(
        required=False, label="Due date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


RecommendationFormSet = forms.formset_factory(RecommendationForm, extra=0, max_num=20, absolute_max=20)


@dataclass
class SitAlongsideForms:
    """All the forms of one evaluation, bound or not, handled as one."""

    evaluation_form: EvaluationForm
    pillar_forms: list[PillarForm]
    feedback_forms: list[FeedbackForm]
    recommendations: forms.BaseFormSet

    @classmethod
    def build(cls, evaluation: Evaluation, data=None) -> SitAlongsideForms:
        pillars = {item.pillar: item for item in evaluation.pillar_grades.all()}
        feedback = {item.respondent: item for item in evaluation.feedback_gathered.all()}
        recommendations = [
            {"action": item.action, "owner": item.owner_id, "due_date": item.due_date}
            for item in evaluation.recommendations.all()
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
        )

    def all_forms(self):
        return [self.evaluation_form, *self.pillar_forms, *self.feedback_forms, *self.recommendations.forms]

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
        rows = self.recommendations.forms
        # The service counts the recommendations it saved: the rows that were filled in.
        filled = [row for row in rows if any((row.cleaned_data or {}).get(name) for name in RECOMMENDATION_FIELDS)]
        for problem in problems:
            if problem.section == "evaluation":
                self.evaluation_form.add_error(problem.field, problem.message)
            elif problem.section == "pillar":
                pillar_forms[problem.key].add_error(problem.field, problem.message)
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
            # A group of radios is reached through its first radio.
            radios = isinstance(form.fields[name].widget, forms.RadioSelect)
            anchor = f"{form[name].auto_id}_0" if radios else form[name].auto_id
        label = form.fields[name].label if name in form.fields else ""
        for error in form.errors[name]:
            summary.append((anchor, f"{label}: {error}" if label and error.startswith("Enter a valid") else error))
    return summary
