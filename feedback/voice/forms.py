"""Staff's entry forms: a compliment, a child's or family's response, an advocacy referral."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms
from django.core.exceptions import ValidationError

from feedback.models import STANDARD_QUESTIONS, AdvocacyReferral, Compliment, FeedbackResponse
from pqa.forms import DateField, example_date_hint
from pqa.models import Team
from pqa.text_limits import counted

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
FILE_TYPES = (".csv", ".txt", ".xlsx")


class _EntryForm(forms.ModelForm):
    date_field = "date"
    submit = "Save"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "team" in self.fields:
            self.fields["team"].queryset = Team.objects.select_related("service_area")
            self.fields["team"].required = False
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        layout = []
        for name, field in self.fields.items():
            if name == self.date_field:
                layout.append(Field(name))
            elif isinstance(field, forms.CharField) and not isinstance(field, forms.ChoiceField) and field.max_length:
                if not field.help_text:  # the GOV.UK character count describes itself beside a hint
                    field.help_text = f"Up to {field.max_length:,} characters."
                layout.append(counted(self, name, threshold=75))
            elif isinstance(field, forms.BooleanField):
                layout.append(Field.checkbox(name))
            elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
                # Radios have no "---------": a required choice has none, an optional one says so.
                choices = [(code, label) for code, label in field.choices if code != ""]
                if not field.required:
                    choices.append(("", "Not answered"))
                field.choices = choices
                if len(choices) <= 6:
                    field.widget = forms.RadioSelect(choices=choices)
                    layout.append(Field.radios(name, inline=len(choices) <= 4, legend_size=Size.SMALL))
                else:
                    layout.append(Field.select(name))
            else:
                layout.append(Field(name))
        layout.append(Submit("save", self.submit))
        self.helper.layout = Layout(*layout)


class ComplimentForm(_EntryForm):
    date_field = "received"
    submit = "Save the compliment"
    received = DateField(label="Date received", required=True, not_in_future=True, help_text=example_date_hint())

    class Meta:
        model = Compliment
        fields = [
            "reference",
            "received",
            "from_whom",
            "service_area",
            "team",
            "staff_named",
            "themes",
            "extract",
            "may_share",
        ]
        widgets = {"extract": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"extract": "The words worth sharing, with every name taken out."}


class _Change:
    """A record's entry form as its change page: the same fields, and the version the person
    opened, so a save based on an older one is refused (the record's update service)."""

    submit = "Save the changes"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"] = forms.IntegerField(
            widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1, initial=self.instance.version
        )
        # After a refused save the page shows the person's text again: saving it settles the
        # copy kept of it (pqa.conflicts.settle_kept_version).
        self.fields["resolves_conflict"] = forms.CharField(widget=forms.HiddenInput, required=False, max_length=12)
        self.helper.layout.insert(0, Field("resolves_conflict"))
        self.helper.layout.insert(0, Field("version"))

    def changes(self) -> dict:
        """The cleaned fields as the update service takes them (the version and the kept copy
        to settle aside)."""
        return {
            name: value for name, value in self.cleaned_data.items() if name not in {"version", "resolves_conflict"}
        }


class ComplimentChangeForm(_Change, ComplimentForm):
    pass


class ResponseForm(_EntryForm):
    submit = "Save the response"
    date = DateField(label="Date", required=True, not_in_future=True, help_text=example_date_hint())

    class Meta:
        model = FeedbackResponse
        fields = [
            "reference",
            "date",
            "source",
            "respondent",
            "age_band",
            "service_area",
            "team",
            *(name for name, _ in STANDARD_QUESTIONS),
            "rating",
            "comment",
            "may_quote",
        ]
        widgets = {"comment": forms.Textarea(attrs={"rows": 4})}
        labels = dict(STANDARD_QUESTIONS)


class ReferralForm(_EntryForm):
    submit = "Save the referral"
    date = DateField(label="Date of the referral", required=True, not_in_future=True, help_text=example_date_hint())

    class Meta:
        model = AdvocacyReferral
        fields = ["reference", "date", "source", "service_area"]


class ResponseChangeForm(_Change, ResponseForm):
    pass


class ReferralChangeForm(_Change, ReferralForm):
    pass


KIND_CHOICES = (
    ("complaints", "Complaints (the log, one row a complaint, its stages flattened)"),
    ("compliments", "Compliments"),
    ("responses", "Child and family feedback responses"),
    ("advocacy", "Advocacy referrals"),
)


class FeedbackImportForm(forms.Form):
    kind = forms.ChoiceField(label="What the file holds", choices=KIND_CHOICES)
    file = forms.FileField(
        label="Upload a CSV file or an Excel workbook",
        help_text="A CSV file or an .xlsx workbook (its first sheet), with a header row. Up to 10 MB.",
        error_messages={"required": "Choose a CSV file or an Excel workbook", "empty": "The file is empty"},
    )
    create_missing = forms.BooleanField(label="Create missing service areas and teams", required=False)
    check_only = forms.BooleanField(
        label="Check the file only", required=False, help_text="Say what the import would do, and change nothing."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ",".join(FILE_TYPES)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.label_size = Size.MEDIUM
        self.helper.layout = Layout(
            Field.radios("kind"),
            Field("file"),
            Field.checkbox("create_missing"),
            Field.checkbox("check_only"),
            Submit("submit", "Import"),
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError("The file must be smaller than 10 MB: import a larger file with the command")
        if not upload.name.lower().endswith(FILE_TYPES):
            raise ValidationError("The selected file must be a CSV file or an Excel workbook (.xlsx)")
        return upload
