"""What the apps' feed columns are made of (pqa.registry.feed_table): pqa.exports.Column, and
the few ways a value is written in the feed, the same in every table and in both formats.

- a code (grade, status, outcome...) as the code itself, empty (JSON null) when there is none;
- a yes/no as `yes` or `no` (as the import contracts write them), empty when unknown;
- a decimal as the number it is, without the zeros of its stored places;
- a time as the day it fell on in the trust's time zone (ISO date);
- a related record by its reference, never by a name.

No column may read free text that could name a child: tell me / show me, summaries, comments,
quotes, extracts, descriptions, notes and staff names stay out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from pqa.exports import Column


def code(value):
    """A code, or None for a blank one."""
    return value or None


def yes_no(value: bool | None) -> str | None:
    if value is None:
        return None
    return "yes" if value else "no"


def number(value: Decimal | None) -> Decimal | None:
    """A stored decimal without the zeros of its stored places: 423.000000 as 423, 79.50 as 79.5."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def day(value: dt.datetime | None) -> dt.date | None:
    """The day a moment fell on, in the trust's time zone."""
    if value is None:
        return None
    return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()


def field(name: str) -> Column:
    """A column named as the record's own field, holding its value as it is (a date, a number)."""
    return Column(name, lambda row: getattr(row, name))


def code_field(name: str, header: str | None = None) -> Column:
    """A column holding the record's code field `name` (None when blank)."""
    return Column(header or name, lambda row: code(getattr(row, name)))


__all__ = ["Column", "code", "code_field", "day", "field", "number", "yes_no"]
