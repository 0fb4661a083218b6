"""Forms for revisits (docs/revisits.md): the Practice Hub sets a revisit cycle's share, reviews
the proposal and allocates the revisits. The services enforce the rules."""

from __future__ import annotations

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from evaluations.forms.cycles import EvaluatorsChoiceField, due_date_field
from evaluations.models import Evaluation
from evaluations.selectors import RevisitProposal, people_who_evaluate
from pqa.forms import ModelMultipleChoiceField
from pqa.models import User


class RevisitShareForm(forms.Form):
    revisit_share = forms.IntegerField(
        label="Share of the other children to revisit (%)",
        help_text="Children graded Inadequate or with overdue recommendations are always proposed. "
        "This share of the others is drawn at random, rounded up.",
        validators=[
            MinValueValidator(0, "The share cannot be below 0%"),
            MaxValueValidator(100, "The share is a percentage: 100 at most"),
        ],
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": "Enter a whole number, for example 20",
            "required": "Enter the share, for example 20",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.text("revisit_share", field_width=3),
            Submit("action", "Update the share", css_class="govuk-button--secondary"),
        )
        # Two forms on one page: the button's value says which was sent.
        self.helper.form_id = "share-form"


class RevisitAllocateForm(forms.Form):
    originals = ModelMultipleChoiceField(
        queryset=Evaluation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Children to revisit",
        error_messages={
            "required": "Choose at least one child to revisit",
            "invalid_choice": "Choose children from the proposal",
            "invalid_pk_value": "Choose children from the proposal",
        },
    )
    evaluators = EvaluatorsChoiceField(
        queryset=User.objects.none(),
        label="Evaluators to share them among",
        help_text="The revisits are shared among the people you choose in turn.",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one evaluator",
            "invalid_choice": "Choose evaluators from the list",
            "invalid_pk_value": "Choose evaluators from the list",
        },
    )
    due_date = due_date_field()

    def __init__(self, *args, proposal: RevisitProposal, **kwargs):
        super().__init__(*args, **kwargs)
        self.proposal = proposal
        pks = [candidate.evaluation.pk for candidate in proposal.candidates]
        self.fields["originals"].queryset = Evaluation.objects.filter(pk__in=pks).order_by("reference")
        self.fields["originals"].initial = pks
        self.fields["evaluators"].queryset = people_who_evaluate()
        self.helper = FormHelper()
        # The children are listed by the page itself, with why each is proposed.
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.checkboxes("evaluators", legend_size=Size.SMALL, small=True),
            Field("due_date", context={"legend_size": Size.for_legend(Size.SMALL)}),
        )

    def chosen(self) -> list[Evaluation]:
        """The originals chosen, as the proposal found them (with their team)."""
        wanted = {evaluation.pk for evaluation in self.cleaned_data["originals"]}
        return [candidate.evaluation for candidate in self.proposal.candidates if candidate.evaluation.pk in wanted]

    def checked(self) -> set[str]:
        values = self["originals"].value() or []
        return {str(value) for value in values}
