"""The owner's form on "my actions": move a recommendation along. The closing rule (a note and
a date when done or not achieved) is models.closure_problems; the form shows its messages
beside the fields."""

from __future__ import annotations

import datetime as dt

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from evaluations.models import Recommendation, closure_problems
from pqa.forms import ModelChoiceField
from pqa.models import User

NOTE_MAX_LENGTH = Recommendation._meta.get_field("outcome_note").max_length


class PastDateField(DateInputField):
    """The GOV.UK date input for a day that has happened: today or before."""

    def __init__(self, *, label: str, help_text: str, **kwargs):
        super().__init__(label=label, required=False, require_all_fields=False, help_text=help_text, **kwargs)

    def compress(self, data_list):
        day, month, year = data_list
        if not (day or month or year):
            return None
        if not (day and month and year):
            raise ValidationError(f"{self.label} must include a day, month and year")
        if len(str(year)) != 4:
            raise ValidationError("The year must have 4 numbers, for example 2026")
        try:
            return dt.date(day=int(day), month=int(month), year=int(year))
        except ValueError as error:
            raise ValidationError(f"{self.label} must be a real date") from error

    def validate(self, value):
        super().validate(value)
        if value is not None and value > timezone.localdate():
            raise ValidationError(f"{self.label} must be today or in the past")


class ActionUpdateForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(
        choices=Recommendation.Status.choices,
        widget=forms.RadioSelect,
        label="Where is this action now?",
        error_messages={"required": "Select where this action is now"},
    )
    completed_on = PastDateField(
        label="Date done or given up",
        help_text="Needed when it is done or not achieved. For example, 27 3 2026.",
    )
    outcome_note = forms.CharField(
        label="What was done, or why it was not achieved",
        help_text="Needed when it is done or not achieved. No names: use case ids.",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    tabled_on = PastDateField(
        label="Date tabled in supervision",
        help_text="When it was discussed in supervision, if it has been. For example, 27 3 2026.",
    )

    def __init__(self, *args, owners=None, **kwargs):
        """`owners`, (id, label) pairs, adds the choice of owner: the Practice Hub's."""
        super().__init__(*args, **kwargs)
        owner_field = []
        if owners is not None:
            self.fields["owner"] = ModelChoiceField(
                queryset=User.objects.filter(is_active=True),
                label="Owner",
                help_text="The team's managers and people first.",
                error_messages={"required": "Choose who owns this action"},
            )
            self.fields["owner"].widget.choices = owners
            owner_field = [Field("owner")]
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field("version"),
            *owner_field,
            Field.radios("status", legend_size=Size.MEDIUM),
            Field("completed_on"),
            Field.textarea("outcome_note", max_characters=NOTE_MAX_LENGTH, rows=4),
            Field("tabled_on"),
            Submit("submit", "Save"),
        )

    def clean(self):
        cleaned = super().clean()
        if "status" in cleaned:
            for name, message in closure_problems(
                status=cleaned["status"],
                note=cleaned.get("outcome_note", ""),
                completed_on=cleaned.get("completed_on"),
            ).items():
                if name not in self.errors:
                    self.add_error(name, message)
        return cleaned
