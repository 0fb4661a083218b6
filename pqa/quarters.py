"""Quarters of the UK financial year, written `2025-26-Q1` (Q1 = April to June 2025)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

QUARTER_PATTERN = re.compile(r"^(\d{4})-(\d{2})-Q([1-4])$")


class QuarterError(ValueError):
    pass


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


def validate_quarter(value: str) -> None:
    from django.core.exceptions import ValidationError

    try:
        Quarter.parse(value)
    except QuarterError as error:
        raise ValidationError(str(error)) from error
