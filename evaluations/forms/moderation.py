"""Forms for moderation: the moderator's blind grades, the Practice Hub's change of a confirmed
moderation, the sample and the panels. They validate what a person typed; the services enforce
the workflow rules (who may moderate what, and from which state)."""

from __future__ import annotations

import datetime as dt

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

from evaluations.models import Grade, Moderation, Pillar
from evaluations.permissions import MODERATE_ROLES
from pqa.forms import ModelMultipleChoiceField
from pqa.models import User

# The moderator's rationale and the Practice Hub's reason for a new round: long enough for a
# paragraph of evidence, short enough to read in the e-mail the evaluator is sent.
RATIONALE_MAX_LENGTH = 2000
REASON_MAX_LENGTH = 500
PANEL_NOTES_MAX_LENGTH = 2000


def pillar_field_name(pillar: str) -> str:
    return f"pillar_{pillar}"


class BlindGradeForm(forms.Form):
    """The moderator's own grade for each pillar and overall, with a rationale."""

    overall_grade = forms.ChoiceField(
        label="Your overall grade",
        choices=Grade.choices,
        widget=forms.RadioSelect,
        help_text="A best-fit judgement across the four pillars.",
        error_messages={"required": "Select your overall grade"},
    )
    rationale = forms.CharField(
        label="Your rationale",
        max_length=RATIONALE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What in the record supports your grades. The evaluator is sent this once you confirm.",
        error_messages={
            "required": "Enter your rationale",
            "max_length": f"Your rationale must be {RATIONALE_MAX_LENGTH} characters or fewer",
        },
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    submit_label = "Record my grades"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pillar_fields = {}
        for pillar in Pillar:
            pillar_fields[pillar_field_name(pillar.value)] = forms.ChoiceField(
                label=f"Your grade for {pillar.label.lower()}",
                choices=Grade.choices,
                widget=forms.RadioSelect,
                error_messages={"required": f"Select your grade for {pillar.label.lower()}"},
            )
        # The pillars first, in the order of the conversation, then the overall grade.
        self.fields = {**pillar_fields, **self.fields}
        self.helper = FormHelper()
        self.helper.layout = Layout(*self.layout_fields(), Submit("submit", self.submit_label))

    def layout_fields(self) -> list:
        return [
            *(Field.radios(pillar_field_name(pillar), legend_size=Size.SMALL, small=True) for pillar in Pillar.values),
            Field.radios("overall_grade", legend_size=Size.MEDIUM),
            Field.textarea("rationale", rows=6, max_characters=RATIONALE_MAX_LENGTH),
            "version",
        ]

    def pillar_grades(self) -> dict[str, str]:
        return {pillar: self.cleaned_data[pillar_field_name(pillar)] for pillar in Pillar.values}


class ChangeModerationForm(BlindGradeForm):
    """The Practice Hub's new round of a confirmed moderation: new grades, and why."""

    reason = forms.CharField(
        label="Why are you changing the confirmed moderation?",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the earlier round and sent to the evaluator.",
        error_messages={
            "required": "Enter why the confirmed moderation is being changed",
            "max_length": f"The reason must be {REASON_MAX_LENGTH} characters or fewer",
        },
    )

    submit_label = "Confirm the new round"

    def layout_fields(self) -> list:
        return [
            Field.textarea("reason", rows=3, max_characters=REASON_MAX_LENGTH),
            *super().layout_fields(),
        ]

    @classmethod
    def initial_for(cls, moderation: Moderation) -> dict:
        initial = {pillar_field_name(row.pillar): row.grade for row in moderation.pillar_grades.all()}
        return {
            **initial,
            "overall_grade": moderation.moderated_grade,
            "rationale": moderation.rationale,
            "version": moderation.version,
        }


class SampleDrawForm(forms.Form):
    share = forms.IntegerField(
        label="Share of the other grades to moderate (%)",
        min_value=0,
        max_value=100,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Every Inadequate and Outstanding overall grade is always in the sample; this share of the "
        "rest is drawn at random.",
        error_messages={
            "required": "Enter the share to moderate, from 0 to 100",
            "invalid": "Enter the share as a whole number, from 0 to 100",
            "min_value": "The share must be 0 or more",
            "max_value": "The share must be 100 or less",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.text("share", field_width=3), Submit("draw", "Draw the sample", css_class="govuk-button")
        )


class SampleAddForm(forms.Form):
    reference = forms.CharField(
        label="Add an evaluation by its reference",
        max_length=40,
        help_text="A returned evaluation of this cycle, for example PE-2025-0001.",
        error_messages={"required": "Enter the reference of the evaluation to add"},
    )

    def __init__(self, *args, cycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.cycle = cycle
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.text("reference", field_width=20),
            Submit("add", "Add to the sample", css_class="govuk-button--secondary"),
        )

    def clean_reference(self):
        reference = self.cleaned_data["reference"].strip()
        evaluation = self.cycle.evaluations.filter(reference__iexact=reference).first()
        if evaluation is None:
            raise ValidationError(f"There is no evaluation {reference} in this cycle")
        self.evaluation = evaluation
        return reference


class PeopleChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return f"{user.get_full_name() or user.username} ({user.get_role_display()})"


class SampleChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, moderation):
        evaluation = moderation.evaluation
        return f"{evaluation.reference} (child {evaluation.child_ref}), {moderation.get_state_display().lower()}"


class PanelDateField(DateInputField):
    """The GOV.UK date input (day, month, year), with messages that say what to fix."""

    def compress(self, data_list):
        day, month, year = data_list
        if not (day and month and year):
            return None
        if len(str(year)) != 4:
            raise ValidationError("The year must have 4 numbers, for example 2026")
        try:
            return dt.date(day=int(day), month=int(month), year=int(year))
        except ValueError as error:
            raise ValidationError("The date of the panel must be a real date") from error


class PanelForm(forms.Form):
    held_on = PanelDateField(label="Date of the panel", help_text="For example, 27 3 2026.", require_all_fields=False)
    members = PeopleChoiceField(
        queryset=User.objects.none(),
        label="Members",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one member of the panel"},
    )
    notes = forms.CharField(
        label="Notes (optional)",
        required=False,
        max_length=PANEL_NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the panel looked at and agreed. Case ids only, never a name.",
        error_messages={"max_length": f"The notes must be {PANEL_NOTES_MAX_LENGTH} characters or fewer"},
    )
    moderations = SampleChoiceField(
        queryset=Moderation.objects.none(),
        label="Evaluations the panel looks at",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, sample, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = User.objects.filter(is_active=True, role__in=MODERATE_ROLES).order_by(
            "last_name", "first_name", "username"
        )
        self.fields["moderations"].queryset = sample
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field("held_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field.checkboxes("members", legend_size=Size.SMALL, small=True),
            Field.textarea("notes", rows=4, max_characters=PANEL_NOTES_MAX_LENGTH),
            Field.checkboxes("moderations", legend_size=Size.SMALL, small=True),
            Submit("submit", "Save the panel"),
        )

    def clean_held_on(self):
        value = self.cleaned_data["held_on"]
        if value is None:
            raise ValidationError("Enter the date of the panel")
        return value
