"""Filters for the lists of compliments, responses and advocacy referrals."""

import django_filters
from django import forms

from feedback.models import (
    AdvocacyReferral,
    AdvocacySource,
    Compliment,
    ComplimentFrom,
    FeedbackRespondent,
    FeedbackResponse,
    FeedbackSource,
    Rating,
)
from pqa.filters import DateFilter
from pqa.models import ServiceArea, Team


class _VoiceFilter(django_filters.FilterSet):
    service_area = django_filters.ModelChoiceFilter(queryset=ServiceArea.objects.all(), empty_label="All service areas")

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            for field in form.fields.values():
                if isinstance(field, forms.ModelChoiceField):
                    field.widget.choices = list(iter(field.choices))  # one query per drop-down
        return self._form


def _dates(field: str):
    return (
        DateFilter(field_name=field, lookup_expr="gte", label="From"),
        DateFilter(field_name=field, lookup_expr="lte", label="To"),
    )


class ComplimentFilter(_VoiceFilter):
    team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.select_related("service_area"), empty_label="All teams"
    )
    from_whom = django_filters.ChoiceFilter(choices=ComplimentFrom.choices, empty_label="Anyone", label="From")
    received_after, received_before = _dates("received")
    may_share = django_filters.BooleanFilter(label="May be shared")

    class Meta:
        model = Compliment
        fields = ["service_area", "team", "from_whom", "received_after", "received_before", "may_share"]


class ResponseFilter(_VoiceFilter):
    team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.select_related("service_area"), empty_label="All teams"
    )
    source = django_filters.ChoiceFilter(choices=FeedbackSource.choices, empty_label="Any source")
    respondent = django_filters.ChoiceFilter(choices=FeedbackRespondent.choices, empty_label="Anyone")
    rating = django_filters.ChoiceFilter(choices=Rating.choices, empty_label="Any rating")
    date_after, date_before = _dates("date")

    class Meta:
        model = FeedbackResponse
        fields = ["service_area", "team", "source", "respondent", "rating", "date_after", "date_before"]


class ReferralFilter(_VoiceFilter):
    source = django_filters.ChoiceFilter(choices=AdvocacySource.choices, empty_label="Any source")
    date_after, date_before = _dates("date")

    class Meta:
        model = AdvocacyReferral
        fields = ["service_area", "source", "date_after", "date_before"]
