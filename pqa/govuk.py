"""GOV.UK Design System markup drawn in Python, for the fields every app draws the same way:
a field's hint, its error messages and the date input (day, month and year in a fieldset).

Drawn with format_html, which escapes every value, rather than by template includes: a page
draws many fields and the template engine took milliseconds per page doing it
(docs/benchmarks.md). `field` is a bound form field; a date is pqa.forms.DateField, whose three
inputs are named NAME_0, NAME_1 and NAME_2."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join


def hint(field, css: str = "govuk-hint"):
    return format_html('<div id="{}-hint" class="{}">{}</div>', field.auto_id, css, field.help_text)


def error_messages(field, errors):
    return format_html_join(
        "",
        '<p id="{}-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> {}</p>',
        ((field.auto_id, error) for error in errors),
    )


def date_input(field, errors, legend_size: str):
    auto_id = field.auto_id
    described_by = (f"{auto_id}-hint" if field.help_text else "") + (f" {auto_id}-error" if errors else "")
    error_class = " govuk-input--error" if errors else ""
    parts = format_html_join(
        "",
        '<div class="govuk-date-input__item"><div class="govuk-form-group">'
        '<label class="govuk-label govuk-date-input__label" for="{}">{}</label>'
        '<input class="{}{}" id="{}" name="{}" type="text" inputmode="numeric" value="{}"></div></div>',
        (
            (
                part["attrs"]["id"],
                part["attrs"]["label"],
                part["attrs"]["class"],
                error_class,
                part["attrs"]["id"],
                part["name"],
                "" if part["value"] is None else part["value"],
            )
            for part in field.subwidgets[0].data["subwidgets"]
        ),
    )
    error_text = format_html_join(
        "",
        "{}",
        (
            (format_html(("<br>" if index else "") + '<span class="govuk-visually-hidden">Error:</span> {}', error),)
            for index, error in enumerate(errors)
        ),
    )
    return format_html(
        '<fieldset class="govuk-fieldset" role="group" aria-describedby="{}">'
        '<legend class="govuk-fieldset__legend govuk-fieldset__legend--{}">{}</legend>{}{}'
        '<div class="govuk-date-input" id="{}">{}</div></fieldset>',
        described_by,
        legend_size,
        field.label,
        hint(field) if field.help_text else "",
        format_html('<p id="{}-error" class="govuk-error-message">{}</p>', auto_id, error_text) if errors else "",
        auto_id,
        parts,
    )
