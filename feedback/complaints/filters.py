"""The complaints list's filters. Stage and status come from the clock (working days), not a
column, so they are read for the filtered complaints in one pass."""

import django_filters
from django import forms

from feedback.complaints import clock
from feedback.complaints.selectors import complaints_listed, today
from feedback.models import Complainant, Complaint, Theme
from pqa.filters import DateFilter
from pqa.models import ServiceArea, Team

STAGES = [("1", "Stage 1"), ("2", "Stage 2"), ("3", "Stage 3"), ("ombudsman", "Ombudsman"), ("closed", "Closed")]
STATUSES = [
    (clock.OVERDUE, "Overdue"),
    (clock.OPEN, "Open"),
    (clock.LATE, "Responded late"),
    (clock.ON_TIME, "Responded on time"),
]


class ComplaintFilter(django_filters.FilterSet):
    stage = django_filters.ChoiceFilter(method="by_clock", choices=STAGES, empty_label="Any stage", label="Stage")
    status = django_filters.ChoiceFilter(
        method="by_clock", choices=STATUSES, empty_label="Any status", label="Status of the latest stage"
    )
    service_area = django_filters.ModelChoiceFilter(
        queryset=ServiceArea.objects.all(), empty_label="All service areas", label="Service area"
    )
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all(), empty_label="All teams")
    complainant = django_filters.ChoiceFilter(choices=Complainant.choices, empty_label="Anyone")
    theme = django_filters.ChoiceFilter(
        field_name="themes__theme", choices=Theme.choices, empty_label="Any theme", label="Theme"
    )
    received_from = DateFilter(field_name="received", lookup_expr="gte", label="Received from")
    received_to = DateFilter(field_name="received", lookup_expr="lte", label="Received to")

    class Meta:
        model = Complaint
        fields = ["stage", "status", "service_area", "team", "complainant", "theme", "received_from", "received_to"]

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            for field in form.fields.values():
                if isinstance(field, forms.ModelChoiceField):
                    field.widget.choices = list(iter(field.choices))
        return self._form

    def filter_queryset(self, queryset):
        # The clock's filters need the others applied first: they read what is left.
        clocked = {name: self.form.cleaned_data.get(name) for name in ("stage", "status")}
        for name, value in self.form.cleaned_data.items():
            if name not in clocked:
                queryset = self.filters[name].filter(queryset, value)
        queryset = queryset.distinct()
        if any(clocked.values()):
            day = today()
            keep = []
            for item in complaints_listed(queryset, day):
                latest = [stage for stage in item.register.stages if stage.started is not None][-1]
                if clocked["stage"] and item.register.stage != clocked["stage"]:
                    continue
                if clocked["status"] and latest.status != clocked["status"]:
                    continue
                keep.append(item.complaint.pk)
            queryset = queryset.filter(pk__in=keep)
        return queryset

    def by_clock(self, queryset, name, value):  # applied in filter_queryset
        return queryset
