"""Filters every app's lists share (django-filter)."""

from __future__ import annotations

import django_filters

from pqa.forms import DateField


class DateFilter(django_filters.DateFilter):
    """A date to filter by, typed as the GOV.UK date input (day, month and year: NAME_0, NAME_1,
    NAME_2), as every date in PQA is: pqa.forms.DateField, with its words for a date that is
    not real or out of range, shown beside the field ({% filter_field %})."""

    field_class = DateField

    def __init__(self, *args, label: str, **kwargs):
        # The field's messages name the date: "The 'received from' date must be a real date".
        kwargs.setdefault("noun", f"'{label.lower()}' date")
        super().__init__(*args, label=label, **kwargs)
