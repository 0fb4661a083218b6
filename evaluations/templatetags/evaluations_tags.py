from django import template

from evaluations.models import GRADE_DESCRIPTORS, Grade
from evaluations.permissions import grades_hidden_from as _grades_hidden_from

register = template.Library()


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
def grade_label(value: str) -> str:
    """A grade's words, e.g. for the grade of record (Evaluation.final_grade)."""
    try:
        return Grade(value).label
    except ValueError:
        return ""


@register.filter
def grades_hidden_from(evaluation, user) -> bool:
    """permissions.grades_hidden_from: a moderator grades blind first."""
    return _grades_hidden_from(user, evaluation)


@register.filter
def rate_percent(rate) -> str:
    """A rate from 0 to 1 as a whole percentage; a dash when there is none."""
    return "–" if rate is None else f"{100 * rate:.0f}%"
