"""The monthly entry of a KPI value: a value, or its numerator and denominator; the
comparators; and the commentary, with a character count."""

from __future__ import annotations

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fieldset, Layout, Size, Submit
from django import forms

from pqa.kpis import rules
from pqa.kpis.models import COMMENTARY_MAX_LENGTH, FIGURE
from pqa.validators import validate_no_control_characters


def _figure(label: str, help_text: str = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        help_text=help_text,
        required=False,
        max_digits=FIGURE["max_digits"],
        decimal_places=FIGURE["decimal_places"],
        widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false"}),
    )


class IndicatorValueForm(forms.Form):
    numerator = _figure("Numerator", "The count that meets the indicator, e.g. 423 referrals with a decision in time.")
    denominator = _figure("Denominator", "The count it is out of, e.g. 548 referrals.")
    value = _figure("Value", "Only when there is no numerator and denominator, e.g. an average of 236 days.")
    national = _figure("National average", "Optional.")
    statistical_neighbours = _figure("Statistical neighbours' average", "Optional.")
    commentary = forms.CharField(
        label="Commentary",
        help_text="What the figure means for children and what is being done: it appears beside the chart.",
        required=False,
        max_length=COMMENTARY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        validators=[validate_no_control_characters],
    )
    based_on_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, indicator, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicator = indicator
        if indicator.unit == rules.PERCENT:
            self.fields["value"].help_text = (
                "Only when there is no numerator and denominator: the percentage, e.g. 77.2. "
                "With them, it is worked out as numerator ÷ denominator × 100."
            )
        self.helper = FormHelper()
        self.helper.form_tag = False  # the page's own form posts back to the month it shows
        self.helper.layout = Layout(
            Fieldset(
                Field.text("numerator", field_width=10),
                Field.text("denominator", field_width=10),
                legend="From a numerator and denominator",
                legend_size=Size.SMALL,
            ),
            Fieldset(Field.text("value", field_width=10), legend="Or the value itself", legend_size=Size.SMALL),
            Fieldset(
                Field.text("national", field_width=10),
                Field.text("statistical_neighbours", field_width=10),
                legend="Comparators",
                legend_size=Size.SMALL,
            ),
            Field.textarea("commentary", max_characters=COMMENTARY_MAX_LENGTH),
            Field("based_on_version"),
            Submit("save", "Save value"),
        )

    def clean(self):
        cleaned = super().clean()
        if any(name in self.errors for name in ("numerator", "denominator", "value")):
            return cleaned
        try:
            rules.measured_value(
                unit=self.indicator.unit,
                value=cleaned.get("value"),
                numerator=cleaned.get("numerator"),
                denominator=cleaned.get("denominator"),
            )
        except rules.MeasureProblem as problem:
            self.add_error(problem.field, problem.message[:1].upper() + problem.message[1:] + ".")
        return cleaned

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name != "based_on_version"}
