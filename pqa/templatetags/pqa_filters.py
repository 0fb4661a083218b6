"""One field of a list page's filter form (django-filter), in GOV.UK markup.

{% filter_field field %} draws the label, the error beside the field, and the control: a
drop-down for a field with choices, the GOV.UK date input (day, month, year) for a date
(pqa.filters.DateFilter), else a one-line text input.
Drawn here in Python rather than by a {% for %} over the options: a list's filters offer about
a hundred options (cycles, teams, evaluators), and the template engine took ~8 ms a page
drawing them (docs/benchmarks.md). Every value goes through format_html, which escapes it.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join

from pqa.forms import DateField
from pqa.govuk import date_input

register = template.Library()

OPTION = '<option value="{}">{}</option>'
SELECTED = '<option value="{}" selected>{}</option>'


def _control(field):
    widget = field.field.widget
    if hasattr(widget, "choices"):
        value = field.value()
        chosen = "" if value is None else str(value)  # nothing chosen: the "All ..." option
        options = format_html_join(
            "\n",
            "{}",
            (
                (format_html(SELECTED if str(value) == chosen else OPTION, value, label),)
                for value, label in widget.choices
            ),
        )
        return format_html(
            '<select class="govuk-select govuk-!-width-full" id="{}" name="{}">\n{}\n</select>',
            field.id_for_label,
            field.html_name,
            options,
        )
    value = field.value()
    return format_html(
        '<input class="govuk-input" id="{}" name="{}" type="text" value="{}" spellcheck="false">',
        field.id_for_label,
        field.html_name,
        "" if value is None else value,
    )


@register.simple_tag
def filter_field(field):
    """A filter's form group: label, errors (each with its id, for the error summary), control."""
    if isinstance(field.field, DateField):
        return format_html(
            '<div class="govuk-form-group{}">\n{}\n</div>\n',
            " govuk-form-group--error" if field.errors else "",
            date_input(field, field.errors, "s"),
        )
    errors = format_html_join(
        "",
        '<p class="govuk-error-message" id="{}-error"><span class="govuk-visually-hidden">Error:</span> {}</p>',
        ((field.id_for_label, error) for error in field.errors),
    )
    return format_html(
        '<div class="govuk-form-group{}">\n'
        '<label class="govuk-label govuk-label--s" for="{}">{}</label>\n{}{}\n</div>\n',
        " govuk-form-group--error" if field.errors else "",
        field.id_for_label,
        field.label,
        errors,
        _control(field),
    )
