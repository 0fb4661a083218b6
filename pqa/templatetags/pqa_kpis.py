"""How KPI figures read on a page: values to one place with their unit (as the scorecard
judges them), targets and counts as written, statuses and directions in words."""

from decimal import Decimal

from django import template

from pqa.kpis import rules

register = template.Library()

UNIT_SUFFIX = {rules.PERCENT: "%", rules.DAYS: " days", rules.NUMBER: ""}


def _plain(value: Decimal) -> str:
    """A Decimal without the zeros its column adds: 85.00 → 85, 12.50 → 12.5, 9736 → 9,736."""
    text = f"{Decimal(value).normalize():f}"
    whole, _, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = f"{int(whole.lstrip('-') or 0):,}"
    return f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"


@register.filter
def kpi_value(value, unit: str) -> str:
    """A (rounded) value with its unit, always with its one decimal place: 78.4%, 236.0 days."""
    if value is None or value == "":
        return "No value"
    return f"{rules.rounded(Decimal(value))}{UNIT_SUFFIX.get(unit, '')}"


@register.filter
def kpi_figure(value, unit: str = "") -> str:
    """A target, comparator or count as written, with the unit when one is given: 85%, 9,736."""
    if value is None or value == "":
        return "–"
    return f"{_plain(value)}{UNIT_SUFFIX.get(unit, '')}"


@register.simple_tag
def kpi_band(band, unit: str) -> str:
    if band is None:
        return "No target"
    return f"{_plain(band.low)}–{_plain(band.high)}{UNIT_SUFFIX.get(unit, '')}"


@register.filter
def kpi_month(month) -> str:
    return rules.month_label(month)


@register.filter
def kpi_month_short(month) -> str:
    return f"{month:%b %Y}"
