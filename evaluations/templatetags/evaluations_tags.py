from django import template

from evaluations.models import GRADE_DESCRIPTORS, Grade, Pillar

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
def pillar_label(value: str) -> str:
    try:
        return Pillar(value).label
    except ValueError:
        return value
