"""Every write of KPIs: indicators with their targets per financial year (the admin), and
monthly values (the entry form, the import, the admin, the demo). Each validates with the
model's own rules (`full_clean`), records who made the change in the history, and refuses a
change based on a version someone else has since replaced (pqa.versioning)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from pqa.kpis import rules
from pqa.kpis.models import FIGURE, Indicator, IndicatorTarget, IndicatorValue
from pqa.versioning import version_bump, version_check, version_lock

INDICATOR_FIELDS = ("code", "title", "unit", "polarity", "description")
TARGET_FIELDS = ("year", "target", "tolerance_low", "tolerance_high")
VALUE_FIELDS = ("numerator", "denominator", "value", "national", "statistical_neighbours", "commentary")
STORED_PLACES = Decimal(1).scaleb(-FIGURE["decimal_places"])


def _attribute(instance, actor, reason: str | None = None) -> None:
    if actor is not None:
        instance._history_user = actor
    if reason:
        instance._change_reason = reason


def _unknown(values: Mapping[str, object], allowed: Iterable[str], what: str) -> None:
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError(f"Not {what} field that can be changed: {', '.join(sorted(unknown))}")


# --- Indicators and their targets ----------------------------------------------------------


def _save_targets(indicator: Indicator, targets, actor) -> bool:
    changed = False
    for row, values in targets:
        if values is None:
            if row.pk:
                target = IndicatorTarget.objects.get(pk=row.pk, indicator=indicator)
                _attribute(target, actor)
                target.delete()
                changed = True
            continue
        _unknown(values, TARGET_FIELDS, "a target")
        # Read again: a form may already have written its values onto the row it was given.
        target = IndicatorTarget.objects.get(pk=row.pk, indicator=indicator) if row.pk else IndicatorTarget()
        target.indicator = indicator
        differences = [name for name, value in values.items() if getattr(target, name) != value]
        if target.pk and not differences:
            continue
        for name in differences:
            setattr(target, name, values[name])
        target.full_clean()
        _attribute(target, actor)
        target.save()
        changed = True
    return changed


@transaction.atomic
def indicator_create(
    *,
    values: Mapping[str, object],
    actor,
    targets: Iterable[tuple[IndicatorTarget, Mapping[str, object] | None]] = (),
) -> Indicator:
    """Add an indicator (beyond the contract's 15) with its targets per financial year."""
    _unknown(values, INDICATOR_FIELDS, "an indicator")
    indicator = Indicator(**values)
    indicator.full_clean()
    _attribute(indicator, actor)
    indicator.save()
    _save_targets(indicator, targets, actor)
    return indicator


@transaction.atomic
def indicator_update(
    *,
    indicator: Indicator,
    values: Mapping[str, object] | None = None,
    targets: Iterable[tuple[IndicatorTarget, Mapping[str, object] | None]] = (),
    expected_version: int | None,
    actor,
) -> Indicator:
    """Change an indicator and its targets (a row with its new values, or None to remove it),
    which are part of it: one version for the whole. Refused (ConcurrentEditError) if it
    changed since `expected_version`; refused (ValidationError, nothing written) if a value
    breaks a rule, e.g. a target outside its tolerance band or two targets for one year."""
    values = dict(values or {})
    _unknown(values, INDICATOR_FIELDS, "an indicator")
    locked = version_lock(Indicator, indicator.pk, expected_version)
    changed = [name for name, value in values.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, values[name])
    if changed:
        locked.full_clean()
    targets_changed = _save_targets(locked, targets, actor)
    if changed or targets_changed:
        version_bump(locked)
        _attribute(locked, actor)
        locked.save()
    return locked


# --- Monthly values ------------------------------------------------------------------------


def _stored(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value).quantize(STORED_PLACES, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return Decimal(value)  # too large to keep: the model's max_digits says so, beside the field


def _measure(indicator: Indicator, values: Mapping[str, object]) -> Decimal:
    try:
        return rules.measured_value(
            unit=indicator.unit,
            value=values.get("value"),
            numerator=values.get("numerator"),
            denominator=values.get("denominator"),
        )
    except rules.MeasureProblem as problem:
        raise ValidationError({problem.field: problem.message[:1].upper() + problem.message[1:] + "."}) from None


def indicator_value_build(
    *, indicator: Indicator, month: dt.date, values: Mapping[str, object], current: IndicatorValue | None = None
) -> IndicatorValue:
    """The value as it would be saved, validated by the model's rules (ValidationError
    otherwise), without writing it: the service below and the import's check use it."""
    _unknown(values, VALUE_FIELDS, "a KPI value")
    # Figures are kept to 6 decimal places; the value is worked out from the figures kept.
    figures = {name: _stored(values.get(name)) for name in ("numerator", "denominator", "value")}
    measured = _measure(indicator, figures)
    record = current or IndicatorValue(indicator=indicator, month=month)
    record.numerator = figures["numerator"]
    record.denominator = figures["denominator"]
    record.value = _stored(measured)
    record.national = _stored(values.get("national"))
    record.statistical_neighbours = _stored(values.get("statistical_neighbours"))
    record.commentary = values.get("commentary") or ""
    record.full_clean(exclude=["indicator", "entered_by"], validate_unique=current is None)
    return record


@transaction.atomic
def indicator_value_record(
    *,
    indicator: Indicator,
    month: dt.date,
    values: Mapping[str, object],
    actor,
    expected_version: int | None = None,
    reason: str | None = None,
) -> tuple[IndicatorValue, bool]:
    """Record an indicator's value for a month: a value, or a numerator and denominator from
    which it is worked out (× 100 for a percentage), never both; comparators and commentary
    beside it. A month that has a value already gets the new one (a new version), refused
    (ConcurrentEditError) if it changed since `expected_version` (None: replace whatever is
    there, as an import does). Returns the saved value and whether it was new."""
    month = rules.first_of_month(month)
    current = IndicatorValue.objects.select_for_update().filter(indicator=indicator, month=month).first()
    if current is not None:
        version_check(current, expected_version)
        before = {name: getattr(current, name) for name in VALUE_FIELDS}
    record = indicator_value_build(indicator=indicator, month=month, values=values, current=current)
    if current is not None:
        if all(getattr(record, name) == before[name] for name in VALUE_FIELDS):
            return record, False
        version_bump(record)
    record.entered_by = actor
    _attribute(record, actor, reason)
    record.save()
    return record, current is None


@transaction.atomic
def indicator_value_delete(*, value: IndicatorValue, actor, expected_version: int | None = None) -> None:
    """Remove a month's value entered by mistake; its history stays."""
    locked = version_lock(IndicatorValue, value.pk, expected_version)
    _attribute(locked, actor)
    locked.delete()
