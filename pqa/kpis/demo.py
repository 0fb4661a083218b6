"""Demo KPI values: two years of months for every indicator, plausible and varied (on target,
within tolerance, outside it, better than it), with comparators and commentary in the words
a service manager would write. Entered through the same service as the monthly form, so the
history is real. Loaded by `manage.py load_demo`; the numbers come from a fixed seed."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from pqa.kpis import rules
from pqa.kpis.models import Indicator, IndicatorValue
from pqa.kpis.selectors import _band_of
from pqa.kpis.services import indicator_update, indicator_value_record

DEMO_SEED = 20181201
DEMO_MONTHS = 24


@dataclass(frozen=True)
class Shape:
    """How an indicator moves in the demo: a level, a drift a month, noise, a dip in a month
    of the year (holidays), and the size of its denominator (None: a value is given)."""

    level: float
    drift: float
    noise: float
    denominator: int | None = None
    dip_month: int | None = None
    dip: float = 0.0
    national: float | None = None
    neighbours: float | None = None


SHAPES = {
    "KPI01": Shape(84.0, 0.0, 3.0, 550, dip_month=12, dip=-6.0),
    "KPI02": Shape(23.0, -0.12, 1.0, 900, national=22, neighbours=23),
    "KPI03": Shape(87.5, 0.05, 1.8, 900, national=83, neighbours=83),
    "KPI04": Shape(27.0, 0.0, 0.8, 8000, national=31, neighbours=30),
    "KPI05": Shape(84.0, 0.12, 4.0, 50, national=77, neighbours=81),
    "KPI06": Shape(11.5, 0.0, 1.6, 1800),
    "KPI07": Shape(66.5, 0.05, 0.8, 690, national=70, neighbours=69),
    "KPI08": Shape(96.0, 0.0, 1.3, 300),
    "KPI09": Shape(57.0, 0.25, 1.5, 480, national=51, neighbours=52),
    "KPI10": Shape(262.0, -2.2, 6.0, None, national=220, neighbours=252),
    "KPI11": Shape(37.0, -0.1, 1.2, 1100, national=41),
    "KPI12": Shape(16.0, -0.17, 0.5, 600),
    "KPI13": Shape(19.0, 0.0, 3.5, 360, national=20, neighbours=26),
    "KPI14": Shape(17.5, -0.06, 0.5, None, national=18, neighbours=18),
    "KPI15": Shape(87.5, 0.0, 2.0, 470, dip_month=12, dip=-7.0),
}

# A target set for a later year, to show a month judged against its own year's target.
LATER_TARGETS = {"KPI12": (2025, Decimal(12), Decimal(9), Decimal(14))}

OPENING = {
    rules.IMPROVING: [
        "Performance improved this month",
        "There was an improvement on last month",
        "The figure moved in the right direction this month",
    ],
    rules.DECLINING: [
        "There has been a reduction in performance this month",
        "Performance dipped this month",
        "The figure moved the wrong way this month",
    ],
    rules.STABLE: ["Performance is stable", "Performance held steady this month"],
    None: ["This is the first month reported"],
}
STANDING = {
    rules.ON_TARGET: [
        "and is on target.",
        "and meets the target.",
    ],
    rules.WITHIN_TOLERANCE: [
        "and remains within tolerance, though short of the target.",
        "; it is below target but within the tolerance band.",
    ],
    rules.OUTSIDE_TOLERANCE: [
        "and is outside tolerance. Managers are reviewing every case behind the figure and an action plan is in place.",
        "and falls outside the tolerance band: a recovery plan is being monitored weekly by the head of service.",
    ],
    rules.BETTER_THAN_TOLERANCE: [
        "and is better than the tolerance band. We are sampling cases to assure ourselves the practice behind it "
        "is sound.",
        "and exceeds the upper tolerance, which indicates very good performance; we are checking it is sustained.",
    ],
    None: ["."],
}
CONTEXT = {
    "KPI01": "Lateral checks at the front door now get more attention, to support sound decisions first time.",
    "KPI02": "Closer oversight of closures is helping to make sure cases are not closed too soon.",
    "KPI03": "Regular sampling of assessments helps us understand their quality as well as their timeliness.",
    "KPI04": "The family support offer below the statutory threshold keeps long-open cases low.",
    "KPI05": "Conference scheduling is tracked daily from the strategy discussion onwards.",
    "KPI06": "Each repeat plan is examined to understand why support after the first plan did not hold.",
    "KPI07": "Permanence planning for children in care is a focus of this year's service plan.",
    "KPI08": "Independent reviewing officers follow up every review that did not happen on time.",
    "KPI09": "The care leavers' service works with colleges and employers on placements and apprenticeships.",
    "KPI10": "The adoption offer has improved and children are matched with their adopters more quickly.",
    "KPI11": "The figure comes from a Ministry of Justice cohort and is reported with a lag.",
    "KPI12": "Recruitment campaigns and a fast track for newly qualified staff aim to reduce agency use.",
    "KPI13": "Plans ending early are reviewed to make sure they were not started or ended unnecessarily.",
    "KPI14": "Caseloads are monitored weekly across teams to keep them even.",
    "KPI15": "Supervision records are checked monthly; holiday periods usually bring a dip.",
}


def _months(today: dt.date) -> list[dt.date]:
    last = rules.add_months(rules.first_of_month(today), -1)
    return [rules.add_months(last, offset) for offset in range(1 - DEMO_MONTHS, 1)]


def _figure(shape: Shape, index: int, month: dt.date, rng: random.Random) -> float:
    level = shape.level + shape.drift * index + rng.gauss(0, shape.noise)
    level += 0.6 * shape.noise * math.sin(index / 2.5)  # a slow swing, so months cluster as real ones do
    if shape.dip_month == month.month:
        level += shape.dip
    return level


def kpi_demo_load(*, actor=None, today: dt.date | None = None, seed: int = DEMO_SEED) -> int:
    """Two years of monthly values for every indicator, ending last month. Does nothing (and
    returns 0) when any KPI value exists already; else returns how many it entered."""
    if IndicatorValue.objects.exists():
        return 0
    today = today or timezone.localdate()
    rng = random.Random(seed)  # noqa: S311 - demo figures, not security  # nosec B311
    months = _months(today)
    count = 0
    with transaction.atomic():
        for code, (year, target, low, high) in LATER_TARGETS.items():
            indicator = Indicator.objects.filter(code=code).first()
            if indicator is not None and not indicator.targets.filter(year=year).exists():
                indicator_update(
                    indicator=indicator,
                    targets=[
                        (
                            indicator.targets.model(),
                            {"year": year, "target": target, "tolerance_low": low, "tolerance_high": high},
                        )
                    ],
                    expected_version=None,
                    actor=actor,
                )
        for indicator in Indicator.objects.filter(code__in=SHAPES).prefetch_related("targets"):
            shape = SHAPES[indicator.code]
            targets = sorted(indicator.targets.all(), key=lambda target: target.year)
            previous = None
            for index, month in enumerate(months):
                figure = _figure(shape, index, month, rng)
                values: dict[str, object] = {"numerator": None, "denominator": None, "value": None}
                if shape.denominator:
                    denominator = max(1, round(shape.denominator * rng.uniform(0.9, 1.1)))
                    rate = min(max(figure, 0.0), 100.0)
                    values["numerator"] = Decimal(round(denominator * rate / 100))
                    values["denominator"] = Decimal(denominator)
                    exact = rules.measured_value(
                        unit=indicator.unit,
                        value=None,
                        numerator=values["numerator"],
                        denominator=values["denominator"],
                    )
                else:
                    values["value"] = exact = Decimal(f"{max(figure, 0):.1f}")
                value = rules.rounded(exact)
                band = _band_of(targets, month)
                status = (
                    rules.kpi_status(value, target=band.target, low=band.low, high=band.high, good=indicator.polarity)
                    if band
                    else None
                )
                direction = rules.kpi_direction(value, previous, good=indicator.polarity)
                opening = rng.choice(OPENING[direction])
                standing = rng.choice(STANDING[status])
                joiner = "" if standing.startswith((";", ".")) else " "
                values["commentary"] = f"{opening}{joiner}{standing} {CONTEXT[indicator.code]}"
                values["national"] = None if shape.national is None else Decimal(str(shape.national))
                values["statistical_neighbours"] = None if shape.neighbours is None else Decimal(str(shape.neighbours))
                indicator_value_record(indicator=indicator, month=month, values=values, actor=actor, reason="Demo data")
                previous = value
                count += 1
    return count
