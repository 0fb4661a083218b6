"""Reads of KPIs: the scorecard of a month (shared contract kpis.md) and an indicator's run of
months, each in a fixed number of queries whatever the number of indicators and values. Every
figure is judged by the rules of pqa.kpis.rules; nothing here decides a status itself.

KPIs are the trust's own aggregate figures (no child or person in them): who may read them is
the reporting side's rule (pqa.reporting.permissions), applied by its views."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from pqa.feed.columns import Column, number
from pqa.kpis import rules
from pqa.kpis.models import Indicator, IndicatorTarget, IndicatorValue


@dataclass(frozen=True)
class Band:
    """A target and its tolerance band, for one financial year."""

    year: int
    target: Decimal
    low: Decimal
    high: Decimal

    @property
    def year_label(self) -> str:
        return rules.financial_year_label(self.year)


@dataclass(frozen=True)
class Judged:
    """One indicator in one month: its rounded value, the month before's, and how it stands."""

    indicator: Indicator
    month: dt.date
    band: Band | None
    record: IndicatorValue | None
    value: Decimal | None
    previous: Decimal | None
    status: str | None
    direction: str | None

    @property
    def national(self) -> Decimal | None:
        return self.record.national if self.record else None

    @property
    def statistical_neighbours(self) -> Decimal | None:
        return self.record.statistical_neighbours if self.record else None

    @property
    def status_label(self) -> str:
        return rules.STATUS_LABELS.get(self.status, "No value")

    @property
    def direction_label(self) -> str | None:
        return rules.DIRECTION_LABELS.get(self.direction)

    @property
    def financial_year(self) -> int:
        return rules.financial_year(self.month)

    @property
    def movement(self) -> str | None:
        """Which way the value itself moved ("up", "down", "same"): the arrow. Whether that is
        good is the direction, by the polarity."""
        if self.value is None or self.previous is None:
            return None
        return "same" if self.value == self.previous else ("up" if self.value > self.previous else "down")


def _band_of(targets: list[IndicatorTarget] | list[Band], month: dt.date) -> Band | None:
    """The band a month is judged against: its own financial year's target, or else the
    latest earlier year's; None before the first. `targets` in order of year."""
    year = rules.financial_year(month)
    found = None
    for target in targets:
        if target.year > year:
            break
        found = target
    if found is None or isinstance(found, Band):
        return found
    return Band(found.year, found.target, found.tolerance_low, found.tolerance_high)


def judge(
    indicator: Indicator,
    month: dt.date,
    band: Band | None,
    record: IndicatorValue | None,
    previous: IndicatorValue | None,
) -> Judged:
    """Round the month's value and the month before's (half up, 1 place) and judge them."""
    value = rules.rounded(record.exact_value) if record else None
    before = rules.rounded(previous.exact_value) if previous else None
    status = (
        rules.kpi_status(value, target=band.target, low=band.low, high=band.high, good=indicator.polarity)
        if band
        else None
    )
    direction = rules.kpi_direction(value, before, good=indicator.polarity)
    return Judged(indicator, month, band, record, value, before, status, direction)


def scorecard(month: dt.date) -> list[Judged]:
    """Every indicator in `month`, ordered by code: two queries, whatever their number."""
    month = rules.first_of_month(month)
    previous_month = rules.add_months(month, -1)
    year = rules.financial_year(month)
    applicable = IndicatorTarget.objects.filter(indicator=OuterRef("pk"), year__lte=year).order_by("-year")
    indicators = list(
        Indicator.objects.annotate(
            band_year=Subquery(applicable.values("year")[:1]),
            band_target=Subquery(applicable.values("target")[:1]),
            band_low=Subquery(applicable.values("tolerance_low")[:1]),
            band_high=Subquery(applicable.values("tolerance_high")[:1]),
        ).order_by("code")
    )
    records: dict[tuple[int, dt.date], IndicatorValue] = {
        (record.indicator_id, record.month): record
        # No ordering: the default (by indicator code) would join the indicators again for nothing.
        for record in IndicatorValue.objects.filter(month__in=[month, previous_month])
        .select_related("entered_by")
        .order_by()
    }
    rows = []
    for indicator in indicators:
        band = (
            Band(indicator.band_year, indicator.band_target, indicator.band_low, indicator.band_high)
            if indicator.band_year is not None
            else None
        )
        record, previous = records.get((indicator.pk, month)), records.get((indicator.pk, previous_month))
        for found in (record, previous):
            if found is not None:
                found.indicator = indicator  # already read: no query to reach its unit
        rows.append(judge(indicator, month, band, record, previous))
    return rows


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def scorecard_data(month: dt.date) -> dict:
    """The scorecard as the contract's JSON object (`pqa_scorecard`, /pqa/scorecard.json)."""
    return {
        "month": rules.month_text(month),
        "indicators": [
            {
                "code": row.indicator.code,
                "title": row.indicator.title,
                "unit": row.indicator.unit,
                "good": row.indicator.polarity,
                "target": _number(row.band.target) if row.band else None,
                "tolerance": [_number(row.band.low), _number(row.band.high)] if row.band else None,
                "value": _number(row.value),
                "previous": _number(row.previous),
                "status": row.status,
                "direction": row.direction,
                "national": _number(row.national),
                "statistical_neighbours": _number(row.statistical_neighbours),
            }
            for row in scorecard(month)
        ],
    }


def indicator_months(indicator: Indicator, *, last: dt.date, count: int = 12) -> list[Judged]:
    """An indicator's `count` months up to `last`, oldest first, each judged against its own
    financial year's band: two queries (its targets, its values)."""
    last = rules.first_of_month(last)
    months = [rules.add_months(last, offset) for offset in range(1 - count, 1)]
    targets = list(IndicatorTarget.objects.filter(indicator=indicator).order_by("year"))
    records = {
        record.month: record
        for record in IndicatorValue.objects.filter(
            indicator=indicator, month__gte=rules.add_months(months[0], -1), month__lte=last
        )
        .select_related("entered_by")
        .order_by()
    }
    for record in records.values():
        record.indicator = indicator
    return [
        judge(indicator, month, _band_of(targets, month), records.get(month), records.get(rules.add_months(month, -1)))
        for month in months
    ]


def indicator_by_code(code: str) -> Indicator | None:
    return Indicator.objects.filter(code=code).first()


def months_with_values() -> list[dt.date]:
    """The months that have at least one value, newest first (one query)."""
    return list(IndicatorValue.objects.order_by("-month").values_list("month", flat=True).distinct())


def indicator_targets(indicator: Indicator) -> list[Band]:
    return [
        Band(target.year, target.target, target.tolerance_low, target.tolerance_high)
        for target in IndicatorTarget.objects.filter(indicator=indicator).order_by("year")
    ]


# --- The BI feed (pqa.registry.feed_table, docs/feed.md) ------------------------------------
# One row an indicator's month: the value as the scorecard rounds it, the figures it came
# from, the comparators, the band it is judged against, its status, and the commentary
# (written about the service, not about a child).


def feed_kpi_values() -> QuerySet[IndicatorValue]:
    return IndicatorValue.objects.select_related("indicator").prefetch_related(
        Prefetch("indicator__targets", queryset=IndicatorTarget.objects.order_by("year"))
    )


def _band(record: IndicatorValue) -> Band | None:
    return _band_of(list(record.indicator.targets.all()), record.month)


def _status(record: IndicatorValue) -> str | None:
    band = _band(record)
    if band is None:
        return None
    value = rules.rounded(record.exact_value)
    return rules.kpi_status(value, target=band.target, low=band.low, high=band.high, good=record.indicator.polarity)


def _band_column(header: str, attribute: str) -> Column:
    def value(record: IndicatorValue):
        band = _band(record)
        return number(getattr(band, attribute)) if band else None

    return Column(header, value)


KPI_VALUE_FEED_COLUMNS = [
    Column("indicator", lambda record: record.indicator.code),
    Column("month", lambda record: record.month),
    Column("unit", lambda record: record.indicator.unit),
    Column("good", lambda record: record.indicator.polarity),
    Column("value", lambda record: number(rules.rounded(record.exact_value))),
    Column("numerator", lambda record: number(record.numerator)),
    Column("denominator", lambda record: number(record.denominator)),
    Column("national", lambda record: number(record.national)),
    Column("statistical_neighbours", lambda record: number(record.statistical_neighbours)),
    _band_column("target", "target"),
    _band_column("tolerance_low", "low"),
    _band_column("tolerance_high", "high"),
    Column("status", _status),
    Column("commentary", lambda record: record.commentary or None),
]
