"""Quarters of the UK financial year, written `2025-26-Q1` (Q1 = April to June 2025).

The years PQA accepts are bounded, one rule for every way a quarter comes in (the cycle
form, the model's validator, the import, the report's filters and JSON): from the financial
year 2000-01, before any record a trust would bring in, to the one ten years after the
current one, room for planning and no more. A quarter like 9999-00-Q4 is a typing mistake,
and its end (April 10000) is a date Python cannot even hold.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

QUARTER_PATTERN = re.compile(r"^(\d{4})-(\d{2})-Q([1-4])$")


FIRST_YEAR = 2000  # the financial year 2000-01
YEARS_AHEAD = 10  # the last is ten financial years after the current one


class QuarterError(ValueError):
    pass


def _today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()


def year_range(today: dt.date | None = None) -> tuple[int, int]:
    """The first and the last financial year (by the calendar year it starts in) PQA accepts."""
    current = Quarter.containing(today or _today()).start_year
    return FIRST_YEAR, current + YEARS_AHEAD


def _financial_year(start_year: int) -> str:
    return f"{start_year}-{(start_year + 1) % 100:02d}"


@dataclass(frozen=True, order=True)
class Quarter:
    start_year: int  # the calendar year in which the financial year starts (April)
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = QUARTER_PATTERN.match((text or "").strip())
        if not match:
            raise QuarterError(f"'{text}' is not a quarter: write it as YYYY-YY-QN, e.g. 2025-26-Q1")
        year, short_next, number = int(match[1]), int(match[2]), int(match[3])
        if (year + 1) % 100 != short_next:
            raise QuarterError(
                f"'{text}' is not a quarter: {year} is followed by {(year + 1) % 100:02d}, not {short_next:02d}"
            )
        first, last = year_range()
        if not first <= year <= last:
            raise QuarterError(
                f"'{text}' is outside the years PQA accepts: "
                f"use a quarter from {_financial_year(first)}-Q1 to {_financial_year(last)}-Q4"
            )
        return cls(year, number)

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        start_year = day.year if day.month >= 4 else day.year - 1
        number = ((day.month - 4) % 12) // 3 + 1
        return cls(start_year, number)

    @property
    def start(self) -> dt.date:
        month = 4 + (self.number - 1) * 3
        year = self.start_year
        if month > 12:
            month -= 12
            year += 1
        return dt.date(year, month, 1)

    @property
    def end(self) -> dt.date:
        return self.next().start - dt.timedelta(days=1)

    def next(self) -> Quarter:
        return Quarter(self.start_year + 1, 1) if self.number == 4 else Quarter(self.start_year, self.number + 1)

    def previous(self) -> Quarter:
        return Quarter(self.start_year - 1, 4) if self.number == 1 else Quarter(self.start_year, self.number - 1)

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    @property
    def label(self) -> str:
        return f"Q{self.number} {self.start_year}/{(self.start_year + 1) % 100:02d} ({self.start:%B}–{self.end:%B %Y})"

    def __str__(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}-Q{self.number}"


def date_outside_quarter(day: dt.date, quarter: Quarter) -> str | None:
    """Why `day` cannot be the date of something in `quarter` (it is in another quarter, which
    is named, or in no quarter PQA accepts, like 0001-01-01), or None when it is inside it."""
    if quarter.contains(day):
        return None
    first, last = year_range()
    found = Quarter.containing(day)
    if not first <= found.start_year <= last:
        return (
            f"{day.isoformat()} is not in {quarter} ({quarter.start:%B}–{quarter.end:%B %Y}), nor in any quarter "
            f"PQA accepts ({_financial_year(first)}-Q1 to {_financial_year(last)}-Q4): check the date"
        )
    return (
        f"{day.isoformat()} is in {found} ({found.start:%B}–{found.end:%B %Y}), not in {quarter} "
        f"({quarter.start:%B}–{quarter.end:%B %Y}): check the date and the quarter"
    )


def quarter_or_none(text: str) -> Quarter | None:
    """The quarter, or None for text Quarter.parse refuses: for values already stored, which
    a page must show or skip rather than fail on."""
    try:
        return Quarter.parse(text)
    except QuarterError:
        return None


def validate_quarter(value: str) -> None:
    from django.core.exceptions import ValidationError

    try:
        Quarter.parse(value)
    except QuarterError as error:
        raise ValidationError(str(error)) from error
