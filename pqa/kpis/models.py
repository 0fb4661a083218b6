"""KPI definitions, their targets per financial year and their monthly values (shared
contract kpis.md). Loaded into the `pqa` app by pqa/models.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

from pqa.constraints import ConstraintsCheckedInPython
from pqa.kpis import rules
from pqa.validators import validate_no_control_characters

CODE_MAX_LENGTH = 20
TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 1000
# A month's commentary: a few paragraphs, as in the monthly report to commissioners.
COMMENTARY_MAX_LENGTH = 2000

# Figures: up to 9 digits before the point and 6 after, enough for any count or rate a trust reports.
FIGURE = {"max_digits": 15, "decimal_places": 6}
# Targets and tolerances, as the contract writes them (85, 17–24, 240 days).
LIMIT = {"max_digits": 9, "decimal_places": 2}


class Indicator(models.Model):
    """A contract KPI: what it measures, in which unit, and whether a high or a low value is
    good (its polarity). Its targets belong to financial years (IndicatorTarget)."""

    class Unit(models.TextChoices):
        PERCENT = rules.PERCENT, "Percentage"
        DAYS = rules.DAYS, "Days"
        NUMBER = rules.NUMBER, "Number"

    class Polarity(models.TextChoices):
        HIGH = rules.HIGH, "Good = high"
        LOW = rules.LOW, "Good = low"

    code = models.CharField(
        max_length=CODE_MAX_LENGTH,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+$", "Use letters, digits, - and _ only, e.g. KPI16.")],
        help_text="Short and fixed, e.g. KPI01: imports and the scorecard's JSON use it.",
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH, validators=[validate_no_control_characters])
    unit = models.CharField(max_length=10, choices=Unit.choices)
    polarity = models.CharField(
        max_length=4, choices=Polarity.choices, help_text="Whether a high or a low value is the good one."
    )
    description = models.TextField(
        max_length=DESCRIPTION_MAX_LENGTH,
        blank=True,
        # A TextField's max_length limits only its form: the validator holds imports and services to it.
        validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH), validate_no_control_characters],
        help_text="The full definition, as the contract words it.",
    )
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"

    @property
    def is_percent(self) -> bool:
        return self.unit == rules.PERCENT


class IndicatorTarget(ConstraintsCheckedInPython):
    """An indicator's target and tolerance band for one UK financial year (April to March).
    A month is judged against its own year's; a year without one uses the latest earlier one."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField(
        "financial year",
        validators=[MinValueValidator(rules.FIRST_YEAR), MaxValueValidator(2100)],
        help_text="The calendar year it starts in: 2018 for 2018-19 (April 2018 to March 2019).",
    )
    target = models.DecimalField(**LIMIT)
    tolerance_low = models.DecimalField("tolerance from", **LIMIT)
    tolerance_high = models.DecimalField("tolerance to", **LIMIT)
    history = HistoricalRecords()

    class Meta:
        ordering = ["indicator__code", "year"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "year"], name="indicatortarget_one_per_year"),
            models.CheckConstraint(
                condition=models.Q(tolerance_low__lte=models.F("target"), target__lte=models.F("tolerance_high")),
                name="indicatortarget_target_inside_tolerance",
                violation_error_message="The target must be inside its tolerance band (its edges included).",
            ),
        ]

    def __str__(self) -> str:
        return f"{rules.financial_year_label(self.year)}: {self.target} ({self.tolerance_low}–{self.tolerance_high})"

    @property
    def year_label(self) -> str:
        return rules.financial_year_label(self.year)

    def clean(self):
        super().clean()
        if None in (self.target, self.tolerance_low, self.tolerance_high):
            return
        if self.tolerance_low > self.tolerance_high:
            raise ValidationError({"tolerance_high": "The tolerance band ends below where it starts."})
        if not self.tolerance_low <= self.target <= self.tolerance_high:
            raise ValidationError({"target": "The target must be inside its tolerance band (its edges included)."})


class IndicatorValue(ConstraintsCheckedInPython):
    """One month's value of an indicator, with its numerator and denominator when it is a
    rate, the comparators for that month and the commentary of the people who run the
    service. One per indicator and month; entering it again replaces it (a new version)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="values")
    month = models.DateField(help_text="The first day of the month the value is for.")
    numerator = models.DecimalField(**FIGURE, null=True, blank=True, validators=[MinValueValidator(Decimal(0))])
    denominator = models.DecimalField(**FIGURE, null=True, blank=True)
    value = models.DecimalField(
        **FIGURE, help_text="Given, or worked out from the numerator and denominator (× 100 for a percentage)."
    )
    national = models.DecimalField("national average", **FIGURE, null=True, blank=True)
    statistical_neighbours = models.DecimalField("statistical neighbours' average", **FIGURE, null=True, blank=True)
    commentary = models.TextField(
        max_length=COMMENTARY_MAX_LENGTH,
        blank=True,
        validators=[MaxLengthValidator(COMMENTARY_MAX_LENGTH), validate_no_control_characters],
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["indicator__code", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "month"], name="indicatorvalue_one_per_month"),
            models.CheckConstraint(
                condition=models.Q(numerator__isnull=True, denominator__isnull=True)
                | models.Q(numerator__isnull=False, denominator__gt=0),
                name="indicatorvalue_numerator_with_denominator",
                violation_error_message="Give a numerator with its denominator (above 0), or neither.",
            ),
        ]
        indexes = [models.Index(fields=["month"], name="indicatorvalue_month_idx")]

    def __str__(self) -> str:
        return f"{self.indicator.code} {rules.month_text(self.month)}: {self.value}"

    @property
    def exact_value(self) -> Decimal:
        """The value as the contract defines it: from the numerator and denominator when there
        are some (exactly, not the stored value's 6 places), else as given."""
        if self.numerator is not None and self.denominator:
            return rules.measured_value(
                unit=self.indicator.unit, value=None, numerator=self.numerator, denominator=self.denominator
            )
        return self.value

    def clean(self):
        super().clean()
        if isinstance(self.month, dt.date) and self.month.day != 1:
            raise ValidationError({"month": "A value is for a month: give its first day."})
        if isinstance(self.month, dt.date) and self.month > rules.first_of_month(rules._today()):
            raise ValidationError({"month": f"{rules.month_label(self.month)} has not begun: no value yet."})
