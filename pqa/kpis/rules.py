"""The KPI rules of the shared contract kpis.md, each in one pure function: months, financial
years, how a value is measured and rounded, and how it is judged (status) and how it moved
(direction). Forms, services, the import, the selector, the admin and the pages call these."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

# --- Words of the contract ----------------------------------------------------------------

PERCENT, DAYS, NUMBER = "percent", "days", "number"
HIGH, LOW = "high", "low"

BETTER_THAN_TOLERANCE = "better_than_tolerance"
ON_TARGET = "on_target"
WITHIN_TOLERANCE = "within_tolerance"
OUTSIDE_TOLERANCE = "outside_tolerance"
STATUSES = (BETTER_THAN_TOLERANCE, ON_TARGET, WITHIN_TOLERANCE, OUTSIDE_TOLERANCE)
STATUS_LABELS = {
    BETTER_THAN_TOLERANCE: "Better than tolerance",
    ON_TARGET: "On target",
    WITHIN_TOLERANCE: "Within tolerance",
    OUTSIDE_TOLERANCE: "Outside tolerance",
}

IMPROVING, DECLINING, STABLE = "improving", "declining", "stable"
DIRECTION_LABELS = {IMPROVING: "Improving", DECLINING: "Declining", STABLE: "Stable"}

ONE_PLACE = Decimal("0.1")


# --- Months and financial years -----------------------------------------------------------

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR = 2000  # as for quarters (pqa.quarters): before any record a trust would bring in
YEARS_AHEAD = 10


class MonthError(ValueError):
    pass


def _today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()


def parse_month(text: str, *, today: dt.date | None = None) -> dt.date:
    """A month written YYYY-MM, as the first day of that month. The years are bounded as
    quarters are: from 2000 to ten years after the current one. Raises MonthError."""
    value = (text or "").strip()
    match = MONTH_PATTERN.match(value)
    if not match:
        raise MonthError(f"'{text}' is not a month: write it as YYYY-MM, e.g. 2018-12")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise MonthError(f"'{text}' is not a month: there is no month {month} (write it as YYYY-MM, e.g. 2018-12)")
    last = (today or _today()).year + YEARS_AHEAD
    if not FIRST_YEAR <= year <= last:
        raise MonthError(f"'{text}' is outside the years PQA accepts: use a month from {FIRST_YEAR}-01 to {last}-12")
    return dt.date(year, month, 1)


def month_text(month: dt.date) -> str:
    return f"{month:%Y-%m}"


def month_label(month: dt.date) -> str:
    return f"{month:%B %Y}"


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def financial_year(month: dt.date) -> int:
    """The UK financial year (April to March) a month belongs to, by the calendar year it
    starts in: December 2018 and March 2019 are both in 2018 (2018-19)."""
    return month.year if month.month >= 4 else month.year - 1


def financial_year_label(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


# --- Measuring -----------------------------------------------------------------------------


class MeasureProblem(ValueError):
    """A value that cannot be measured; `field` is the column or form field it is about."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def measured_value(
    *, unit: str, value: Decimal | None, numerator: Decimal | None, denominator: Decimal | None
) -> Decimal:
    """The month's value: as given, or from its numerator and denominator (× 100 for a percent
    indicator), exactly. Either a value or both a numerator and a denominator, never both;
    the numerator not negative, the denominator above 0. Raises MeasureProblem naming the
    field at fault; giving both is a problem of `value`."""
    has_parts = numerator is not None or denominator is not None
    if value is not None and has_parts:
        raise MeasureProblem(
            "value", "give either a value or a numerator and denominator, not both: the value is worked out from them"
        )
    if not has_parts:
        if value is None:
            raise MeasureProblem("value", "give a value, or a numerator and denominator")
        return value
    if numerator is None:
        raise MeasureProblem("numerator", "a denominator needs its numerator")
    if denominator is None:
        raise MeasureProblem("denominator", "a numerator needs its denominator")
    if numerator < 0:
        raise MeasureProblem("numerator", "the numerator cannot be negative")
    if denominator <= 0:
        raise MeasureProblem("denominator", "the denominator must be above 0")
    # Multiplied first, so that only the division rounds (at 28 significant digits).
    return numerator * 100 / denominator if unit == PERCENT else numerator / denominator


def rounded(value: Decimal | None) -> Decimal | None:
    """A value as the scorecard shows and judges it: 1 decimal place, half up (78.45 → 78.5)."""
    if value is None:
        return None
    return Decimal(value).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


# --- Judging -------------------------------------------------------------------------------


def kpi_status(
    value: Decimal | None, *, target: Decimal | None, low: Decimal | None, high: Decimal | None, good: str
) -> str | None:
    """How a (rounded) value stands against its target and tolerance band, by the polarity.
    The band holds both its edges. For good = high: above the band is better_than_tolerance;
    from the target up to the band's top, on_target; from the band's bottom up to just under
    the target, within_tolerance; below the band, outside_tolerance. For good = low every
    comparison is mirrored. None without a value or without a target."""
    if value is None or target is None or low is None or high is None:
        return None
    if good == LOW:
        # Mirrored: a lower value is a better one, and the band's top is its bad edge.
        value, target, low, high = -value, -target, -high, -low
    if value > high:
        return BETTER_THAN_TOLERANCE
    if value < low:
        return OUTSIDE_TOLERANCE
    if value >= target:
        return ON_TARGET
    return WITHIN_TOLERANCE


def kpi_direction(value: Decimal | None, previous: Decimal | None, *, good: str) -> str | None:
    """How a (rounded) value moved since the month before, by the polarity: improving,
    declining, or stable when equal; None when either is missing."""
    if value is None or previous is None:
        return None
    if value == previous:
        return STABLE
    better = value > previous if good == HIGH else value < previous
    return IMPROVING if better else DECLINING
