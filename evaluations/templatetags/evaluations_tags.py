from django import template

from evaluations import selectors
from evaluations.models import GRADE_DESCRIPTORS, Cycle, Evaluation, Grade, Pillar, Recommendation
from evaluations.permissions import grades_hidden_from as _grades_hidden_from

register = template.Library()

# One map for the colours of grades and statuses (GOV.UK tag modifiers). Every tag on every
# page takes its colour from here, through the filters below and the tag includes
# (templates/evaluations/_grade_tag.html, _status_tag.html).
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
