"""Forms of the complaints pages: they validate what a person typed; the services enforce
the procedure's rules (the clock, the escalation window)."""

from __future__ import annotations

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Field, Fieldset, Layout, Size, Submit
from django import forms

from feedback.complaints.services import EDITABLE_FIELDS
from feedback.limits import TEXT_LIMITS
from feedback.models import Complainant, HowReceived, OmbudsmanDecision, Outcome, Procedure, Theme
from pqa.case_ids import ID_MAX_LENGTH, validate_child_ref
from pqa.forms import DateField, example_date_hint
from pqa.models import ServiceArea, Team
from pqa.text_limits import counted, too_long_message


def _helper(*fields, submit: str) -> FormHelper:
    helper = FormHelper()
    helper.layout = Layout(*fields, Submit("submit", submit))
    return helper


def _text(label: str, model: str, field: str, *, required: bool = False, textarea: bool = False, **kwargs):
    limit = TEXT_LIMITS(model, field)
    return forms.CharField(
        label=label,
        max_length=limit,
        required=required,
        widget=forms.Textarea(attrs={"rows": 5}) if textarea else forms.TextInput,
        error_messages={
            "max_length": too_long_message(label.removesuffix(" (optional)"), limit),
            "required": f"Enter the {label.lower()}",
        },
        **kwargs,
    )


class TeamField(forms.ModelChoiceField):
    def label_from_instance(self, team):
        return f"{team.name} ({team.service_area.name})"


class ComplaintForm(forms.Form):
    reference = _text(
        "Reference", "Complaint", "reference", required=True, help_text="The trust's id, for example CR-2025-014."
    )
    received = DateField(label="Date received", required=True, not_in_future=True, help_text=example_date_hint())
    how_received = forms.ChoiceField(
        label="How was it received?",
        choices=HowReceived.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the complaint was received"},
    )
    complainant = forms.ChoiceField(
        label="Who complained?",
        choices=Complainant.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who complained"},
    )
    procedure = forms.ChoiceField(
        label="Procedure",
        choices=Procedure.choices,
        widget=forms.RadioSelect,
        initial=Procedure.STATUTORY,
        error_messages={"required": "Choose the procedure"},
    )
    service_area = forms.ModelChoiceField(
        label="Service area",
        queryset=ServiceArea.objects.order_by("name"),
        error_messages={"required": "Choose the service area", "invalid_choice": "Choose a service area from the list"},
    )
    team = TeamField(
        label="Team (optional)",
        queryset=Team.objects.select_related("service_area").order_by("service_area__name", "name"),
        required=False,
        error_messages={"invalid_choice": "Choose a team from the list"},
    )
    child_ref = forms.CharField(
        label="Child's case id (optional)",
        max_length=ID_MAX_LENGTH,
        required=False,
        validators=[validate_child_ref],
        help_text="The id in the case management system. Never the child's name.",
    )
    themes = forms.MultipleChoiceField(
        label="Themes",
        choices=Theme.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply.",
    )
    summary = _text(
        "Summary (optional)", "Complaint", "summary", textarea=True, help_text="What it is about. No names."
    )
    age_band = _text("Age band (optional)", "Complaint", "age_band", help_text="Of the child, for example 11-15.")
    ethnicity = _text("Ethnicity (optional)", "Complaint", "ethnicity", help_text="As the complainant describes it.")
    disability = _text("Disability (optional)", "Complaint", "disability", help_text="Yes, no, or a few words.")
    gender = _text("Gender (optional)", "Complaint", "gender", help_text="As the complainant describes it.")

    submit_label = "Record the complaint"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(*self.layout_fields(), submit=self.submit_label)

    def layout_fields(self) -> list:
        return [
            Field.text("reference", field_width=20),
            *self.recorded_fields(),
        ]

    def recorded_fields(self) -> list:
        """What was recorded about the complaint, as the recording and the edit pages lay it out."""
        return [
            Field("received"),
            Field.radios("how_received", legend_size=Size.SMALL, small=True),
            Field.radios("complainant", legend_size=Size.SMALL, small=True),
            Field.radios("procedure", legend_size=Size.SMALL, small=True),
            Field.select("service_area"),
            Field.select("team"),
            Field.text("child_ref", field_width=20),
            Field.checkboxes("themes", legend_size=Size.SMALL, small=True),
            counted(self, "summary", threshold=75),
            Fieldset(
                HTML('<p class="govuk-body">For the trust\'s equality monitoring. Leave blank if not known.</p>'),
                counted(self, "age_band", field_width=10),
                counted(self, "ethnicity", field_width=20),
                counted(self, "disability", field_width=20),
                counted(self, "gender", field_width=10),
                legend="Equality information (optional)",
                legend_size=Size.SMALL,
            ),
        ]

    def clean(self):
        cleaned = super().clean()
        area, team = cleaned.get("service_area"), cleaned.get("team")
        if area and team and team.service_area_id != area.pk:
            self.add_error("team", f"{team.name} is not a team of {area.name}: choose one of its teams")
        return cleaned


class ComplaintEditForm(ComplaintForm):
    """What `services.complaint_update` may change (its EDITABLE_FIELDS and the themes; the
    reference stays), from the version the person opened: a save based on an older one is
    refused and what they typed kept (pqa.conflicts)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    # After a refused save the page shows the person's text again: saving it settles the kept copy.
    resolves_conflict = forms.CharField(widget=forms.HiddenInput, required=False, max_length=12)
    submit_label = "Save changes"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["reference"]

    def layout_fields(self) -> list:
        return [Field("version"), Field("resolves_conflict"), *self.recorded_fields()]

    @staticmethod
    def initial_for(complaint) -> dict:
        initial = {name: getattr(complaint, name) for name in EDITABLE_FIELDS}
        initial["themes"] = sorted(theme.theme for theme in complaint.themes.all())
        initial["version"] = complaint.version
        return initial

    def changes(self) -> dict:
        """The cleaned fields as `complaint_update` takes them."""
        return {name: self.cleaned_data[name] for name in (*EDITABLE_FIELDS, "themes", "version")}


class ExtendForm(forms.Form):
    reason = _text(
        "Why does this stage need longer?",
        "ComplaintStage",
        "extension_reason",
        required=True,
        textarea=True,
        help_text="The reason is kept with the complaint, for example waiting for another agency's records.",
    )

    def __init__(self, *args, stage: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = "Enter why the stage needs longer"
        days = 20 if stage == 1 else 65
        self.helper = _helper(counted(self, "reason", threshold=75), submit=f"Extend to {days} working days")


class RespondForm(forms.Form):
    responded = DateField(
        label="Date of the response", required=True, not_in_future=True, help_text=example_date_hint()
    )
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the outcome"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field("responded"), Field.radios("outcome", legend_size=Size.SMALL), submit="Record the response"
        )


class EscalateForm(forms.Form):
    requested = DateField(
        label="Date the complainant asked for the next stage",
        noun="date of the request",
        required=True,
        not_in_future=True,
        help_text=example_date_hint(),
    )

    def __init__(self, *args, submit: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field("requested"), submit=submit)


class PanelForm(forms.Form):
    panel = DateField(label="Date of the review panel", noun="panel date", required=True, not_in_future=True)
    report = DateField(label="Date of the panel's report (optional)", noun="report date", not_in_future=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field("panel"), Field("report"), submit="Save the panel")


class OmbudsmanForm(forms.Form):
    referred = DateField(
        label="Date referred to the Ombudsman", noun="referral date", required=True, not_in_future=True
    )
    decided = DateField(label="Date of the Ombudsman's decision (optional)", noun="decision date", not_in_future=True)
    decision = forms.ChoiceField(
        label="Decision (optional)", choices=[("", "Not decided yet"), *OmbudsmanDecision.choices], required=False
    )
    remedy = _text(
        "Remedy (optional)",
        "Complaint",
        "ombudsman_remedy",
        textarea=True,
        help_text="What the Ombudsman asked the trust to do.",
    )
    complied = DateField(label="Date the trust complied (optional)", noun="date complied", not_in_future=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field("referred"),
            Field("decided"),
            Field.select("decision"),
            counted(self, "remedy", threshold=75),
            Field("complied"),
            submit="Save",
        )

    def clean(self):
        cleaned = super().clean()
        decided, decision = cleaned.get("decided"), cleaned.get("decision")
        if decided and not decision:
            self.add_error("decision", "Choose the Ombudsman's decision")
        if decision and not decided and "decided" not in self.errors:
            self.add_error("decided", "Enter the date of the Ombudsman's decision")
        if cleaned.get("complied") and not decided and "decided" not in self.errors:
            self.add_error("decided", "Enter the date of the Ombudsman's decision before the date complied")
        return cleaned


class LearningForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    learning = _text(
        "What was learned", "Complaint", "learning", textarea=True, help_text="What the trust learned from it."
    )
    actions_taken = _text(
        "Actions taken", "Complaint", "actions_taken", textarea=True, help_text="What was done because of it."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field("version"),
            counted(self, "learning", threshold=75),
            counted(self, "actions_taken", threshold=75),
            submit="Save",
        )
