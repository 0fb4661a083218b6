import datetime as dt

from django import forms, template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from evaluations import selectors
from evaluations.models import GRADE_DESCRIPTORS, Cycle, Evaluation, Grade, Pillar, Recommendation
from evaluations.permissions import grades_hidden_from as _grades_hidden_from
from pqa.govuk import date_input as _date_input
from pqa.govuk import error_messages as _errors
from pqa.govuk import hint as _hint

register = template.Library()

# One map for the colours of grades and statuses (GOV.UK tag modifiers). Every tag on every
# page takes its colour from here, through the filters and the tags below
# (status_tag, grade_tag, final_grade).
GRADE_COLOURS = {
    Grade.OUTSTANDING: "green",
    Grade.GOOD: "turquoise",
    Grade.REQUIRES_IMPROVEMENT: "orange",
    Grade.INADEQUATE: "red",
}
STATUS_COLOURS = {
    "evaluation": {
        Evaluation.Status.ALLOCATED: "grey",
        Evaluation.Status.IN_PROGRESS: "blue",
        Evaluation.Status.RETURNED: "green",
        Evaluation.Status.NOT_RETURNED: "red",
        "overdue": "orange",
    },
    "cycle": {Cycle.Status.OPEN: "blue", Cycle.Status.CLOSED: "grey", "in_progress": "yellow"},
    "recommendation": {Recommendation.Status.OPEN: "blue", Recommendation.Status.DONE: "green"},
}


def grade_colour(grade: str) -> str:
    return GRADE_COLOURS.get(grade, "grey")


def status_colour(status: str, kind: str = "evaluation") -> str:
    return STATUS_COLOURS.get(kind, {}).get(status, "grey")


register.filter("grade_colour", grade_colour)
register.filter("status_colour", status_colour)


@register.filter
def overdue(evaluation: Evaluation) -> bool:
    return selectors.overdue(evaluation)


@register.filter
def grade_label(value: str) -> str:
    """'requires_improvement' -> 'Requires improvement to be good'; anything else unchanged."""
    try:
        return Grade(value).label
    except ValueError:
        return value


@register.filter
def grade_descriptor(value: str) -> str:
    try:
        return GRADE_DESCRIPTORS[Grade(value)]
    except ValueError:
        return ""


@register.filter
def percent(part, whole) -> str:
    if not whole:
        return "–"
    return f"{100 * (part or 0) / whole:.0f}%"


@register.filter
def pillar_label(value: str) -> str:
    try:
        return Pillar(value).label
    except ValueError:
        return value


@register.filter
def grades_hidden_from(evaluation, user) -> bool:
    """permissions.grades_hidden_from: a moderator grades blind first."""
    return _grades_hidden_from(user, evaluation)


@register.filter
def rate_percent(rate) -> str:
    """A rate from 0 to 1 as a whole percentage; a dash when there is none."""
    return "–" if rate is None else f"{100 * rate:.0f}%"


# --- One form field in GOV.UK markup ----------------------------------------------------------
# {% govuk_field form.name descriptors=True small=True inline=True legend_size="m" width="10" %}
# Label, hint, the error beside the field, then the input: a date (pqa.forms.DateField) is the
# GOV.UK date input, day, month and year in a fieldset; radios are a fieldset with a legend
# (`descriptors` puts each grade's descriptor under it as a hint); a text field with a
# max_length gets a GOV.UK character count (a one-line field only near its limit).
# Drawn here in Python rather than by an include: the sit-alongside form draws about 40 fields
# and 100 radios, and the template engine took ~10 ms a page doing it (docs/benchmarks.md).
# Every value goes through format_html, which escapes it.


def _radios(field, errors, *, legend_size: str, descriptors: bool, small: bool, inline: bool):
    auto_id, name = field.auto_id, field.html_name
    described_by = (f"{auto_id}-hint " if field.help_text else "") + (f"{auto_id}-error" if errors else "")
    items = []
    for radio in field:
        radio_id, value = radio.id_for_label, radio.data["value"]
        items.append(
            format_html(
                '<div class="govuk-radios__item"><input class="govuk-radios__input" id="{}" name="{}" type="radio" '
                'value="{}"{}{}><label class="govuk-label govuk-radios__label" for="{}">{}</label>{}</div>',
                radio_id,
                name,
                value,
                " checked" if radio.data["selected"] else "",
                format_html(' aria-describedby="{}-hint"', radio_id) if descriptors else "",
                radio_id,
                radio.choice_label,
                format_html(
                    '<div id="{}-hint" class="govuk-hint govuk-radios__hint">{}</div>',
                    radio_id,
                    grade_descriptor(value),
                )
                if descriptors
                else "",
            )
        )
    return format_html(
        '<fieldset class="govuk-fieldset" aria-describedby="{}">'
        '<legend class="govuk-fieldset__legend govuk-fieldset__legend--{}">{}</legend>{}{}'
        '<div class="govuk-radios{}{}" data-module="govuk-radios">{}</div></fieldset>',
        described_by,
        legend_size,
        field.label,
        _hint(field) if field.help_text else "",
        _errors(field, errors),
        " govuk-radios--small" if small else "",
        " govuk-radios--inline" if inline else "",
        format_html_join("", "{}", ((item,) for item in items)),
    )


def _checkbox(field, errors):
    auto_id = field.auto_id
    return format_html(
        '{}<div class="govuk-checkboxes" data-module="govuk-checkboxes"><div class="govuk-checkboxes__item">'
        '<input class="govuk-checkboxes__input" id="{}" name="{}" type="checkbox" value="on"{}{}>'
        '<label class="govuk-label govuk-checkboxes__label" for="{}">{}</label>{}</div></div>',
        _errors(field, errors),
        auto_id,
        field.html_name,
        " checked" if field.value() else "",
        format_html(' aria-describedby="{}-hint"', auto_id) if field.help_text else "",
        auto_id,
        field.label,
        _hint(field, "govuk-hint govuk-checkboxes__hint") if field.help_text else "",
    )


def _text(field, errors, *, widget: str, limit, label_size: str, width: str):
    auto_id, name = field.auto_id, field.html_name
    value = field.value()
    described_by = ""
    if field.help_text or errors or limit:
        described_by = format_html(
            ' aria-describedby="{}"',
            (f"{auto_id}-info " if limit else "")
            + (f"{auto_id}-hint" if field.help_text else "")
            + (f" {auto_id}-error" if errors else ""),
        )
    count_class = " govuk-js-character-count" if limit else ""
    if widget == "textarea":
        control = format_html(
            '<textarea class="govuk-textarea{}{}" id="{}" name="{}" rows="{}"{}>{}</textarea>',
            " govuk-textarea--error" if errors else "",
            count_class,
            auto_id,
            name,
            field.field.widget.attrs.get("rows") or 4,
            described_by,
            "" if value is None else value,
        )
    elif widget == "select":
        control = format_html("{}", field)
    else:
        control = format_html(
            '<input class="govuk-input{}{}{}" id="{}" name="{}" type="{}" value="{}"{}>',
            f" govuk-input--width-{width}" if width else "",
            " govuk-input--error" if errors else "",
            count_class,
            auto_id,
            name,
            widget,
            date_filter(value, "Y-m-d") if isinstance(value, dt.date) else ("" if value is None else value),
            described_by,
        )
    return format_html(
        '<label class="govuk-label{}" for="{}">{}</label>{}{}{}{}',
        f" govuk-label--{label_size}" if label_size else "",
        auto_id,
        field.label,
        _hint(field) if field.help_text else "",
        _errors(field, errors),
        control,
        format_html(
            '<div id="{}-info" class="govuk-hint govuk-character-count__message">'
            "You can enter up to {} characters</div>",
            auto_id,
            intcomma(limit),
        )
        if limit
        else "",
    )


@register.simple_tag
def govuk_field(
    field,
    *,
    descriptors: bool = False,
    small: bool = False,
    inline: bool = False,
    legend_size: str = "",
    label_size: str = "",
    width: str = "",
):
    widget = getattr(field.field.widget, "input_type", None) or "textarea"
    limit = getattr(field.field, "max_length", None)
    errors = field.errors
    legend_size = legend_size or "s"
    if isinstance(field.field.widget, forms.MultiWidget):
        body = _date_input(field, errors, legend_size)
    elif widget == "radio":
        body = _radios(field, errors, legend_size=legend_size, descriptors=descriptors, small=small, inline=inline)
    elif widget == "checkbox":
        body = _checkbox(field, errors)
    else:
        body = _text(field, errors, widget=widget, limit=limit, label_size=label_size, width=width)
    count = ""
    if limit:
        count = format_html(
            ' data-module="govuk-character-count" data-maxlength="{}"{}',
            limit,
            format_html(' data-threshold="{}"', 75) if widget != "textarea" else "",
        )
    return format_html(
        '<div class="govuk-form-group{}{}" id="group-{}"{}>\n{}\n</div>\n',
        " govuk-form-group--error" if errors else "",
        " govuk-character-count" if limit else "",
        field.auto_id,
        count,
        body,
    )


# --- Status and grade tags ------------------------------------------------------------------
# Drawn in Python: a list draws them on each of its 25 rows, and an include per cell cost the
# template engine more than the rest of the row (docs/benchmarks.md). Each ends with a newline,
# as the includes they replace did, so the text around them reads the same.


@register.simple_tag
def status_tag(evaluation: Evaluation, today: dt.date | None = None):
    """The evaluation's status as a GOV.UK tag, and "Overdue" beside it when it is (`today`:
    the page's date, so that a list asks for it once)."""
    tag = format_html(
        '<strong class="govuk-tag govuk-tag--{}">{}</strong>',
        status_colour(evaluation.status),
        evaluation.get_status_display(),
    )
    if selectors.overdue(evaluation, today):
        tag = format_html('{} <strong class="govuk-tag govuk-tag--{}">Overdue</strong>', tag, status_colour("overdue"))
    return format_html("{}\n", tag)


@register.simple_tag
def grade_tag(grade: str, label: str | None = None):
    """A grade as a GOV.UK tag in its colour (its label, or the grade's own); "Not graded" if none."""
    if not grade:
        return format_html('<span class="govuk-hint govuk-!-margin-0">{}</span>\n', "Not graded")
    return format_html(
        '<strong class="govuk-tag govuk-tag--{}">{}</strong>\n', grade_colour(grade), label or grade_label(grade)
    )


@register.simple_tag
def final_grade(evaluation: Evaluation):
    """The grade that stands: the moderated grade where there is one, else the evaluator's; the
    evaluator's beside it when moderation changed it. Only a returned evaluation has one (a
    draft's grade is still being written)."""
    if evaluation.status != Evaluation.Status.RETURNED:
        return format_html(
            '<span class="govuk-hint govuk-!-margin-0">{}</span>\n',
            "No grade" if evaluation.status == Evaluation.Status.NOT_RETURNED else "Not returned yet",
        )
    tag = grade_tag(evaluation.final_grade)
    if evaluation.final_grade != evaluation.overall_grade:
        tag = format_html(
            '{} <span class="pqa-evaluator-grade">(evaluator: {})</span>', tag, grade_label(evaluation.overall_grade)
        )
    return format_html("{}\n", tag)


@register.simple_tag
def evaluation_rows(evaluations, user, today: dt.date | None = None):
    """The rows of the evaluations list (templates/evaluations/list.html): reference (a link),
    child's case id, status, final grade (hidden from a moderator until graded blind), cycle,
    team and service area, evaluator. One tag for the page's 25 rows: the template engine took
    ~10 ms a page resolving their cells one by one (docs/benchmarks.md)."""
    today = today or timezone.localdate()
    blind = format_html(
        '<span class="govuk-hint govuk-!-margin-0">{}</span>', "In the moderation sample: grade it blind first"
    )
    return format_html_join(
        "\n",
        '<tr class="govuk-table__row">\n'
        '<td class="govuk-table__cell"><a class="govuk-link" href="{}">{}</a></td>\n'
        '<td class="govuk-table__cell">{}</td>\n'
        '<td class="govuk-table__cell">{}</td>\n'
        '<td class="govuk-table__cell">{}</td>\n'
        '<td class="govuk-table__cell">{} {}</td>\n'
        '<td class="govuk-table__cell">{}<br><span class="govuk-hint govuk-!-font-size-16">{}</span></td>\n'
        '<td class="govuk-table__cell">{}</td>\n'
        "</tr>",
        (
            (
                reverse("evaluations:detail", args=[evaluation.pk]),
                evaluation.reference,
                evaluation.child_ref,
                status_tag(evaluation, today),
                blind if _grades_hidden_from(user, evaluation) else final_grade(evaluation),
                evaluation.cycle.quarter,
                evaluation.cycle.get_type_display(),
                evaluation.team.name,
                evaluation.team.service_area.name,
                evaluation.evaluator,
            )
            for evaluation in evaluations
        ),
    )
