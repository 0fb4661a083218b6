"""The quarterly report's narrative form: four texts with character counts, and the quarter's
shareable extracts to choose from (pqa/reporting/report_pages.py)."""

from __future__ import annotations

from crispy_forms_gds.choices import Choice
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Field, Fieldset, Layout, Size
from django import forms
from django.utils.formats import date_format

from pqa.reporting.limits import TEXT_LIMITS
from pqa.reporting.report import Extract
from pqa.text_limits import counted, too_long_message
from pqa.validators import validate_no_control_characters

NARRATIVE = {
    "strengths": ("Strengths", "What went well this quarter, and how we know."),
    "areas_for_development": ("Areas for development", "What needs to get better, and why."),
    "actions": ("Actions", "What will be done, by whom and by when."),
    "children_and_families": (
        "What children and families told us",
        "In your words; choose their own words from the shareable extracts below. No names.",
    ),
}
NO_EXTRACTS = "The quarter has no shareable extracts to choose from: no extract can be quoted."
KINDS = {"compliment": "Compliment", "response": "Child and family feedback"}


def _text(name: str) -> forms.CharField:
    label, help_text = NARRATIVE[name]
    limit = TEXT_LIMITS("QuarterlyReport", name)
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        max_length=limit,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        validators=[validate_no_control_characters],
        error_messages={"max_length": too_long_message(label, limit)},
    )


def extract_choice(extract: Extract) -> Choice:
    hint = KINDS.get(extract.kind, extract.kind.capitalize())
    if extract.received:
        hint += f", received {date_format(extract.received, 'j F Y')}"
    return Choice(extract.key, f"“{extract.text}”", hint=hint)


class NarrativeForm(forms.Form):
    strengths = _text("strengths")
    areas_for_development = _text("areas_for_development")
    actions = _text("actions")
    children_and_families = _text("children_and_families")
    extract_keys = forms.MultipleChoiceField(
        label="Shareable extracts to quote",
        help_text="Only extracts recorded with consent to share are offered.",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)
    resolves_conflict = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)

    def __init__(self, *args, extracts: list[Extract], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["extract_keys"].choices = [extract_choice(extract) for extract in extracts]
        parts = [counted(self, name, threshold=None, rows=6) for name in NARRATIVE]
        if extracts:
            parts.append(Field.checkboxes("extract_keys", legend_size=Size.MEDIUM, small=True))
        else:
            parts.append(
                HTML(
                    '<h2 class="govuk-heading-m">Shareable extracts to quote</h2>'
                    '<p class="govuk-body" id="no-extracts">The quarter has no compliment extracts or quotes '
                    "recorded with consent to share.</p>"
                )
            )
        self.helper = FormHelper()
        self.helper.form_tag = False  # the page's form holds two buttons: save, and save and generate
        self.helper.layout = Layout(
            Fieldset(*parts[:4], legend="The narrative", legend_size=Size.MEDIUM),
            *parts[4:],
            Field("version"),
            Field("resolves_conflict"),
        )

    def clean(self):
        cleaned = super().clean()
        if not self.fields["extract_keys"].choices and "extract_keys" in self._errors:
            # No checkboxes on the page to point at: said once, at the top.
            del self._errors["extract_keys"]
            self.add_error(None, NO_EXTRACTS)
        return cleaned

    def narrative(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in NARRATIVE}
