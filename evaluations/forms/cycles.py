"""Forms for the Practice Hub: opening a cycle, allocating (one, from a list, a random sample),
and reassigning. They validate what a person typed; the services enforce the workflow rules."""

from __future__ import annotations

from itertools import groupby

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from evaluations import allocation_lists
from evaluations.limits import PASTED_LIST_CHARACTERS, TEXT_LIMITS
from evaluations.models import Cycle, CycleType
from evaluations.selectors import people_who_evaluate
from pqa.case_ids import child_key, child_key_expression, validate_child_ref
from pqa.forms import DateField, ModelChoiceField, ModelMultipleChoiceField, example_date_hint
from pqa.models import Team, User
from pqa.quarters import Quarter, QuarterError
from pqa.text_limits import counted, too_long_message


def _helper(*fields, submit: str) -> FormHelper:
    helper = FormHelper()
    helper.layout = Layout(*fields, Submit("submit", submit))
    return helper


def due_date_field(*, label: str = "Due date", help_text: str = "") -> DateField:
    """A due date: today or later, optional."""
    return DateField(
        label=label,
        noun="due date",
        help_text=help_text or example_date_hint("Leave blank for no due date.", days_from_today=28),
        not_in_past=True,
    )


class TeamChoiceIterator(forms.models.ModelChoiceIterator):
    """Teams grouped by service area, as <optgroup>s, from one query."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        teams = self.queryset.select_related("service_area").order_by("service_area__name", "name")
        for area, members in groupby(teams, key=lambda team: team.service_area.name):
            yield (area, [(self.choice(team)[0], team.name) for team in members])


class TeamChoiceField(ModelChoiceField):
    iterator = TeamChoiceIterator


class EvaluatorChoiceField(ModelChoiceField):
    def label_from_instance(self, user):
        return f"{user.get_full_name() or user.username} ({user.email})"


class EvaluatorsChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return f"{user.get_full_name() or user.username} ({user.email})"


CHOOSE_TEAM = {"required": "Choose the team", "invalid_choice": "Choose a team from the list"}
CHOOSE_EVALUATOR = {
    "required": "Choose the evaluator",
    "invalid_choice": "Choose an evaluator from the list: only active people who evaluate can be chosen",
}


class CycleForm(forms.Form):
    quarter = forms.CharField(
        label="Quarter",
        max_length=10,
        error_messages={"required": "Enter the quarter, for example 2025-26-Q1"},
        help_text="The financial year and quarter, for example 2025-26-Q1 (Q1 is April to June).",
    )
    type = forms.ChoiceField(
        label="Type of cycle",
        choices=CycleType.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the type of cycle"},
    )
    title = forms.CharField(
        label="Title (optional)",
        max_length=TEXT_LIMITS("Cycle", "title"),
        error_messages={"max_length": too_long_message("The title", TEXT_LIMITS("Cycle", "title"))},
        required=False,
        help_text="For example the theme of a thematic audit. "
        "Needed to tell apart two cycles of one type in a quarter.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quarter"].initial = str(Quarter.containing(timezone.localdate()))
        self.fields["type"].initial = CycleType.TRUST_WIDE
        self.helper = _helper(
            Field.text("quarter", field_width=10),
            Field.radios("type", legend_size=Size.SMALL),
            counted(self, "title", threshold=75),
            submit="Open the cycle",
        )

    def clean_quarter(self):
        value = self.cleaned_data["quarter"].strip()
        try:
            return str(Quarter.parse(value))
        except QuarterError as error:
            raise ValidationError(str(error)) from error

    def clean(self):
        cleaned = super().clean()
        quarter, type_ = cleaned.get("quarter"), cleaned.get("type")
        title = (cleaned.get("title") or "").strip()
        if quarter and type_ and Cycle.objects.filter(quarter=quarter, type=type_, title=title).exists():
            kind = CycleType(type_).label.lower()
            named = f" called '{title}'" if title else " without a title"
            self.add_error(
                "quarter",
                f"There is already a {kind} cycle{named} in {quarter}: choose another quarter or give this one a title",
            )
        return cleaned


class AllocateOneForm(forms.Form):
    child_ref = forms.CharField(
        label="Child's case id",
        max_length=40,
        validators=[validate_child_ref],
        error_messages={"required": "Enter the child's case id"},
        help_text="The id in the case management system, for example 1234567. Never the child's name.",
    )
    practitioner = forms.CharField(
        label="Practitioner",
        max_length=TEXT_LIMITS("Evaluation", "practitioner"),
        help_text="Staff id or name of the practitioner.",
        error_messages={
            "required": "Enter the practitioner",
            "max_length": too_long_message("The practitioner", TEXT_LIMITS("Evaluation", "practitioner")),
        },
    )
    team = TeamChoiceField(
        queryset=Team.objects.all(), label="Team", empty_label="Choose the team", error_messages=CHOOSE_TEAM
    )
    evaluator = EvaluatorChoiceField(
        queryset=User.objects.none(),
        label="Evaluator",
        empty_label="Choose the evaluator",
        error_messages=CHOOSE_EVALUATOR,
    )
    due_date = due_date_field()

    def __init__(self, *args, cycle: Cycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.cycle = cycle
        self.fields["evaluator"].queryset = people_who_evaluate()
        self.helper = _helper(
            Field.text("child_ref", field_width=20),
            counted(self, "practitioner", threshold=75, field_width=20),
            Field.select("team"),
            Field.select("evaluator"),
            Field("due_date", context={"legend_size": Size.for_legend(Size.SMALL)}),
            submit="Allocate",
        )

    def clean_child_ref(self):
        child_ref = self.cleaned_data["child_ref"].strip()
        existing = (
            self.cycle.evaluations.annotate(key=child_key_expression("child_ref"))
            .filter(key=child_key(child_ref))
            .values_list("reference", flat=True)
            .first()
        )
        if existing:
            raise ValidationError(f"Child {child_ref} is already in this cycle ({existing})")
        return child_ref


def _taken_in(cycle: Cycle) -> dict[str, str]:
    return {
        child_key(child_ref): f"this cycle ({reference})"
        for child_ref, reference in cycle.evaluations.values_list("child_ref", "reference")
    }


LIST_HELP = (
    "One evaluation a line: child_ref, practitioner, service_area, team, evaluator_email, due_date "
    "(DD/MM/YYYY or YYYY-MM-DD, optional). Separate the columns with commas or tabs: copying rows from Excel "
    "gives tabs. A header row is optional."
)


class AllocateListForm(forms.Form):
    rows = forms.CharField(
        label="Paste the list",
        required=False,
        max_length=PASTED_LIST_CHARACTERS,
        error_messages={
            "max_length": too_long_message("The pasted list", PASTED_LIST_CHARACTERS) + ": upload it as a file instead"
        },
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
        help_text=LIST_HELP,
    )
    file = forms.FileField(
        label="Or upload a CSV file or an Excel workbook",
        required=False,
        help_text="The same columns, with a header row first: child_ref, practitioner, service_area, team, "
        "evaluator_email, due_date. A CSV file, or an .xlsx workbook (its first sheet; a date cell is a date).",
    )
    due_date = due_date_field(
        label="Due date for rows without one",
        help_text=example_date_hint("Leave blank to leave those rows without a due date.", days_from_today=28),
    )

    def __init__(self, *args, cycle: Cycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.cycle = cycle
        self.requests = []
        self.helper = _helper(
            counted(self, "rows", threshold=90, rows=10),
            Field("file", accept=",".join(allocation_lists.FILE_TYPES)),
            Field("due_date", context={"legend_size": Size.for_legend(Size.SMALL)}),
            submit="Allocate these evaluations",
        )

    def clean(self):
        cleaned = super().clean()
        pasted = cleaned.get("rows") or ""
        upload = cleaned.get("file")
        if self.errors:
            return cleaned
        if not pasted.strip() and not upload:
            self.add_error("rows", "Paste the list or choose a CSV file")
            return cleaned
        taken = _taken_in(self.cycle)
        default_due = cleaned.get("due_date")
        requests = []
        if pasted.strip():
            parsed = allocation_lists.parse_allocations(pasted, taken=taken, default_due_date=default_due)
            self._report("rows", "Pasted list", parsed)
            requests += parsed.items
            taken |= {
                child_key(item.child_ref): f"the pasted list (row {row})"
                for item, row in zip(parsed.items, parsed.rows, strict=True)
            }
        if upload:
            try:
                table = allocation_lists.read_upload(upload)
            except allocation_lists.UnreadableFile as error:
                self.add_error("file", str(error))
            else:
                parsed = allocation_lists.parse_allocations(
                    table, header_required=True, taken=taken, default_due_date=default_due
                )
                self._report("file", f"{upload.name}", parsed)
                requests += parsed.items
        if not self.errors and not requests:
            self.add_error("rows" if pasted.strip() else "file", "The list has no rows to allocate")
        self.requests = requests
        return cleaned

    def _report(self, field: str, source: str, parsed) -> None:
        if parsed.errors:
            self.add_error(field, [ValidationError(f"{source}: {error}") for error in parsed.errors])


class AllocateSampleForm(forms.Form):
    cases = forms.CharField(
        label="Paste the open cases",
        max_length=PASTED_LIST_CHARACTERS,
        error_messages={
            "required": "Paste the list of open cases",
            "max_length": too_long_message("The list of open cases", PASTED_LIST_CHARACTERS) + ": paste fewer cases",
        },
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
        help_text="One case a line: child_ref, practitioner, service_area, team. Separate the columns with commas "
        "or tabs: copying rows from Excel gives tabs. A header row is optional.",
    )
    per_team = forms.IntegerField(
        label="Cases to draw from each team",
        initial=2,
        validators=[MinValueValidator(1, "Draw at least 1 case from each team"), MaxValueValidator(50)],
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        error_messages={"invalid": "Enter a whole number, for example 2", "required": "Enter how many cases to draw"},
    )
    evaluators = EvaluatorsChoiceField(
        queryset=User.objects.none(),
        label="Evaluators to share them among",
        help_text="The cases are shared among the people you choose in turn.",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one evaluator",
            "invalid_choice": "Choose evaluators from the list",
            "invalid_pk_value": "Choose evaluators from the list",
        },
    )
    due_date = due_date_field()

    def __init__(self, *args, cycle: Cycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.cycle = cycle
        self.open_cases = []
        self.fields["evaluators"].queryset = people_who_evaluate()
        self.helper = _helper(
            counted(self, "cases", threshold=90, rows=10),
            Field.text("per_team", field_width=3),
            Field.checkboxes("evaluators", legend_size=Size.SMALL, small=True),
            Field("due_date", context={"legend_size": Size.for_legend(Size.SMALL)}),
            submit="Draw the sample and allocate",
        )

    def clean_cases(self):
        text = self.cleaned_data["cases"]
        parsed = allocation_lists.parse_open_cases(text)
        if parsed.errors:
            raise ValidationError([ValidationError(str(error)) for error in parsed.errors])
        if not parsed.items:
            raise ValidationError("The list has no cases")
        self.open_cases = parsed.items
        return text


class ReassignForm(forms.Form):
    evaluator = EvaluatorChoiceField(
        queryset=User.objects.none(),
        label="New evaluator",
        empty_label="Choose the evaluator",
        error_messages=CHOOSE_EVALUATOR,
    )
    due_date = due_date_field(
        label="New due date (optional)",
        help_text=example_date_hint("Leave blank to keep the current due date.", days_from_today=28),
    )

    def __init__(self, *args, current_evaluator_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evaluator"].queryset = people_who_evaluate().exclude(pk=current_evaluator_id)
        self.helper = _helper(
            Field.select("evaluator"),
            Field("due_date", context={"legend_size": Size.for_legend(Size.SMALL)}),
            submit="Reassign",
        )
