import django_filters
from django import forms

from evaluations.models import Cycle, CycleType, Evaluation, Grade, Recommendation
from evaluations.selectors import final_grade_is
from pqa.models import ServiceArea, Team, User


class EvaluationFilter(django_filters.FilterSet):
    """Filters for the evaluation list. Choices are limited to what the user may see."""

    cycle = django_filters.ModelChoiceFilter(queryset=Cycle.objects.none(), empty_label="All cycles")
    type = django_filters.ChoiceFilter(field_name="cycle__type", choices=CycleType.choices, empty_label="All types")
    status = django_filters.ChoiceFilter(choices=Evaluation.Status.choices, empty_label="Any status")
    service_area = django_filters.ModelChoiceFilter(
        field_name="team__service_area",
        queryset=ServiceArea.objects.all(),
        empty_label="All service areas",
        label="Service area",
    )
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.none(), empty_label="All teams")
    evaluator = django_filters.ModelChoiceFilter(queryset=User.objects.none(), empty_label="All evaluators")
    # The grade the lists show: the final grade (moderated where it was moderated).
    grade = django_filters.ChoiceFilter(
        method="final_grade", choices=Grade.choices, empty_label="Any grade", label="Final grade"
    )
    # Bounded: SQLite refuses a LIKE pattern over 50,000 bytes (a 500), and no reference is long.
    reference = django_filters.CharFilter(
        max_length=100,
        method="search",
        label="Reference or child's case id",
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )

    class Meta:
        model = Evaluation
        fields = ["reference", "cycle", "type", "status", "service_area", "team", "evaluator", "grade"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["cycle"].queryset = Cycle.objects.all()
        self.filters["team"].queryset = Team.objects.select_related("service_area")
        # The evaluators of what this person may see: a team manager can tell their team's
        # evaluations apart by evaluator, an evaluator is offered only themselves.
        self.filters["evaluator"].queryset = User.objects.filter(pk__in=self.queryset.values("evaluator_id"))

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            for field in form.fields.values():
                if isinstance(field, forms.ModelChoiceField):
                    # The options the list page draws (widget.choices), fetched once as a list.
                    # A {% for %} over the queryset's choices, or list() without iter(), would
                    # first ask their length: a COUNT, a second query per drop-down.
                    # Validation still uses the field's queryset.
                    field.widget.choices = list(iter(field.choices))
        return self._form

    def final_grade(self, queryset, name, value):
        return queryset.filter(final_grade_is(value))

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(reference__icontains=value) | queryset.filter(child_ref__icontains=value)


# --- The recommendations register -------------------------------------------------------------


class RecommendationFilter(django_filters.FilterSet):
    """The register's filters and sort. What the page shows is exactly what the export writes:
    both read `.qs` of this filter."""

    OVERDUE_CHOICES = (("yes", "Overdue"), ("no", "Not overdue"))

    cycle = django_filters.ModelChoiceFilter(
        field_name="evaluation__cycle", queryset=Cycle.objects.none(), empty_label="All cycles", label="Cycle"
    )
    service_area = django_filters.ModelChoiceFilter(
        field_name="evaluation__team__service_area",
        queryset=ServiceArea.objects.none(),
        empty_label="All service areas",
        label="Service area",
    )
    team = django_filters.ModelChoiceFilter(
        field_name="evaluation__team", queryset=Team.objects.none(), empty_label="All teams", label="Team"
    )
    # "No account yet": owners typed as text before owners were accounts, that matched none.
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.none(), empty_label="Anyone", null_label="No account yet", null_value="none"
    )
    status = django_filters.ChoiceFilter(choices=Recommendation.Status.choices, empty_label="Any status")
    overdue = django_filters.ChoiceFilter(
        choices=OVERDUE_CHOICES, method="filter_overdue", empty_label="Any", label="Overdue"
    )
    grade = django_filters.ChoiceFilter(
        field_name="evaluation__overall_grade", choices=Grade.choices, empty_label="Any grade", label="Overall grade"
    )
    sort = django_filters.OrderingFilter(
        fields=(
            ("due_date", "due"),
            ("evaluation__reference", "evaluation"),
            ("evaluation__team__name", "team"),
            ("owner__last_name", "owner"),
            ("status", "status"),
        ),
        label="Sort by",
    )

    class Meta:
        model = Recommendation
        fields = ["cycle", "service_area", "team", "owner", "status", "overdue", "grade"]

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.filters["cycle"].queryset = Cycle.objects.all()
        self.filters["service_area"].queryset = ServiceArea.objects.all()
        self.filters["team"].queryset = Team.objects.select_related("service_area")
        # The owners of what this person may see.
        self.filters["owner"].queryset = User.objects.filter(pk__in=self.queryset.values("owner_id"))

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            for field in form.fields.values():
                field.widget.attrs["class"] = "govuk-select"
                if isinstance(field, forms.ModelChoiceField):
                    # Fetched once as a list (see EvaluationFilter.form).
                    field.widget.choices = list(iter(field.choices))
        return self._form

    def filter_overdue(self, queryset, name, value):
        overdue = {"status__in": Recommendation.ACTIVE_STATUSES, "due_date__lt": self.today}
        if value == "yes":
            return queryset.filter(**overdue)
        if value == "no":
            return queryset.exclude(**overdue)
        return queryset
