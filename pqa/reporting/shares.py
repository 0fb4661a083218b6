"""Shares and how they are written: the one rule for the dashboard's tables and the quarterly
report (web page, PDF and workbook).

A share is a fraction, exact from its counts (`share(3, 4) == 0.75`), None when there is
nothing to divide by. It is written as a percentage with one decimal place, rounded half up
from the exact share: `percent_text(0.855) == "85.5%"`, `percent_text(0.0005) == "0.1%"`.
A float is read as the decimal it prints as (0.855, not the binary 0.85499…), so a share
typed or stored as a float rounds as a person would round it."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

NO_FIGURE = "–"


def share(count: int, total: int) -> float | None:
    """count ÷ total as a fraction (not rounded), None when total is 0."""
    return count / total if total else None


def _exact(value: float | int | Decimal | Fraction) -> Fraction:
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    return Fraction(value)


def percent_number(value: float | int | Decimal | Fraction | None) -> Decimal | None:
    """A share as a percentage with one decimal place, rounded half up (0.855 -> 85.5)."""
    if value is None:
        return None
    return _half_up(_exact(value) * 100)


def _half_up(exact: Fraction) -> Decimal:
    tenths = exact * 10
    # Half up (away from zero for a negative share, as ROUND_HALF_UP does).
    whole = (abs(tenths.numerator) * 2 + tenths.denominator) // (2 * tenths.denominator)
    number = Decimal(whole if tenths >= 0 else -whole) / 10
    return number.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def percent_of(count: int, total: int) -> float | None:
    """count ÷ total as a percentage, one place, half up, as a number for a table: 85.5."""
    if not total:
        return None
    return float(percent_number(Fraction(count, total)))


def percent_text(value: float | int | Decimal | Fraction | None) -> str:
    """A share written for people: "85.5%"; "–" when there is no figure."""
    number = percent_number(value)
    if number is None:
        return NO_FIGURE
    return f"{number.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"
