"""Charts drawn on the server as SVG, so that a page and its PDF show the same picture: a line
chart with a target line and a tolerance band (a KPI's months, a trend across quarters), and
a stacked bar chart (a distribution of grades).

This module only computes geometry; templates/charts/_line_chart.html and
_stacked_bar_chart.html draw it (no HTML is built in Python, so everything is escaped). Every
chart has its title and description for screen readers (role="img"), text of at least 14 px,
and is meant to sit beside a table carrying the same figures. Colours are SVG presentation
attributes, which the Content Security Policy allows (no style attribute, no script)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

FONT_SIZE = 14  # no text smaller than this
FONT = "arial, helvetica, sans-serif"
TEXT = "#0b0c0c"
LINE = "#1d70b8"
TARGET = "#0b0c0c"
BAND = "#dbe8f5"
GRID = "#d8dadb"
# Distinct on white and to people with the common colour-vision deficiencies (GOV.UK palette).
PALETTE = ("#1d70b8", "#00703c", "#f47738", "#d4351c", "#6f72af", "#505a5f", "#912b88", "#28a197")

Number = int | float | Decimal


def _float(value: Number | None) -> float | None:
    return None if value is None else float(value)


def nice_scale(low: float, high: float, ticks: int = 5) -> tuple[float, float, float]:
    """An axis from below `low` to above `high` in round steps (1, 2, 2.5 or 5 × 10ⁿ)."""
    if high < low:
        low, high = high, low
    if high == low:
        pad = abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / max(ticks - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    end = math.ceil(high / step) * step
    return start, end, step


def _tick_text(value: float, step: float) -> str:
    places = max(0, -Decimal(repr(step)).normalize().as_tuple().exponent)
    return f"{value:,.{places}f}"


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    value: float
    text: str
    colour: str


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str = BAND
    label: str = ""
    text: str = ""
    text_x: float = 0
    text_y: float = 0
    text_fill: str = "#ffffff"
    value: float = 0


@dataclass(frozen=True)
class Segment:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class Tick:
    position: float
    text: str


@dataclass
class LineChart:
    id: str
    title: str
    description: str
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    y_min: float
    y_max: float
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    x_subticks: list[Tick] = field(default_factory=list)
    band: list[Rect] = field(default_factory=list)
    target: list[Segment] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    unit: str = ""

    @property
    def title_id(self) -> str:
        return f"{self.id}-title"

    @property
    def desc_id(self) -> str:
        return f"{self.id}-desc"

    @property
    def y_axis_label_x(self) -> float:
        return self.left - 8


def line_chart(
    *,
    id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    values: Sequence[Number | None],
    sublabels: Sequence[str] | None = None,
    targets: Sequence[Number | None] | None = None,
    bands: Sequence[tuple[Number, Number] | None] | None = None,
    point_colours: Sequence[str] | None = None,
    value_texts: Sequence[str] | None = None,
    unit: str = "",
    width: int = 620,
    height: int = 340,
    floor_zero: bool = False,
) -> LineChart:
    """A line through `values` (None leaves a gap) over the `labels`, with an optional target
    per point (drawn as a level line across its column, so a target that changes with the
    financial year steps there) and an optional tolerance band per point (a shaded column).
    `sublabels` go under the labels (e.g. the year under its first month)."""
    count = len(labels)
    targets = list(targets or [None] * count)
    bands = list(bands or [None] * count)
    numbers = [_float(value) for value in values]
    seen = [number for number in numbers if number is not None]
    seen += [_float(target) for target in targets if target is not None]
    for band in bands:
        if band is not None:
            seen += [_float(band[0]), _float(band[1])]
    if floor_zero:
        seen.append(0.0)
    low, high = (min(seen), max(seen)) if seen else (0.0, 1.0)
    y_min, y_max, step = nice_scale(low, high)
    if floor_zero and low >= 0:
        y_min = max(y_min, 0.0)

    left, right = 64.0, width - 16.0
    top, bottom = 16.0, height - 56.0
    column = (right - left) / max(count, 1)

    def x_of(index: int) -> float:
        return round(left + column * (index + 0.5), 1)

    def y_of(value: float) -> float:
        return round(bottom - (value - y_min) / (y_max - y_min) * (bottom - top), 1)

    chart = LineChart(
        id=id,
        title=title,
        description=description,
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        y_min=y_min,
        y_max=y_max,
        unit=unit,
    )
    tick = y_min
    while tick <= y_max + step / 1000:
        chart.y_ticks.append(Tick(y_of(tick), f"{_tick_text(tick, step)}{unit}"))
        tick += step
    chart.x_ticks = [Tick(x_of(index), label) for index, label in enumerate(labels)]
    chart.x_subticks = [Tick(x_of(index), text) for index, text in enumerate(sublabels or []) if text]
    for index, band in enumerate(bands):
        if band is not None:
            y_high, y_low = y_of(max(_float(band[0]), _float(band[1]))), y_of(min(_float(band[0]), _float(band[1])))
            chart.band.append(Rect(round(left + column * index, 1), y_high, round(column, 1), round(y_low - y_high, 1)))
    for index, target in enumerate(targets):
        if target is not None:
            y = y_of(_float(target))
            chart.target.append(Segment(round(left + column * index, 1), y, round(left + column * (index + 1), 1), y))
    run: list[str] = []
    for index, number in enumerate(numbers):
        if number is None:
            if len(run) > 1:
                chart.lines.append(" ".join(run))
            run = []
            continue
        x, y = x_of(index), y_of(number)
        run.append(f"{x},{y}")
        chart.points.append(
            Point(
                x,
                y,
                labels[index],
                number,
                value_texts[index] if value_texts else f"{number:g}{unit}",
                point_colours[index] if point_colours else LINE,
            )
        )
    if len(run) > 1:
        chart.lines.append(" ".join(run))
    chart.legend = [(LINE, "Value")]
    if chart.target:
        chart.legend.append((TARGET, "Target"))
    if chart.band:
        chart.legend.append((BAND, "Tolerance band"))
    return chart


@dataclass
class StackedBarChart:
    id: str
    title: str
    description: str
    width: int
    height: int
    label_width: float
    bar_width: float
    bars: list[dict] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)

    @property
    def title_id(self) -> str:
        return f"{self.id}-title"

    @property
    def desc_id(self) -> str:
        return f"{self.id}-desc"


def stacked_bar_chart(
    *,
    id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[str],
    counts: Sequence[Sequence[Number]],
    colours: Sequence[str] | None = None,
    width: int = 620,
    label_width: int = 150,
    bar_height: int = 28,
) -> StackedBarChart:
    """One horizontal bar per category, split into the shares of each series (a distribution:
    grades per quarter, per service). `counts[i][j]` is category i's count of series j. A
    segment wide enough carries its share as text."""
    colours = list(colours or PALETTE)
    gap = 14
    bar_width = width - label_width - 8
    chart = StackedBarChart(
        id=id,
        title=title,
        description=description,
        width=width,
        height=len(categories) * (bar_height + gap) + gap,
        label_width=label_width,
        bar_width=bar_width,
    )
    for row, (category, row_counts) in enumerate(zip(categories, counts, strict=True)):
        total = sum(float(count) for count in row_counts)
        y = gap + row * (bar_height + gap)
        x = float(label_width)
        segments = []
        for index, count in enumerate(row_counts):
            share = float(count) / total * 100 if total else 0.0
            segment_width = round(bar_width * share / 100, 1)
            text = f"{share:.0f}%" if segment_width >= 44 else ""
            colour = colours[index % len(colours)]
            segments.append(
                Rect(
                    round(x, 1),
                    y,
                    segment_width,
                    bar_height,
                    fill=colour,
                    label=series[index],
                    text=text,
                    text_x=round(x + segment_width / 2, 1),
                    text_y=y + bar_height / 2 + 5,
                    text_fill="#0b0c0c" if colour in ("#ffdd00", "#85994b") else "#ffffff",
                    value=float(count),
                )
            )
            x += segment_width
        chart.bars.append({"label": category, "label_y": y + bar_height / 2 + 5, "total": total, "segments": segments})
    chart.legend = [(colours[index % len(colours)], name) for index, name in enumerate(series)]
    return chart


def bar_chart(
    *,
    id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    counts: Sequence[Number],
    colour: str = LINE,
    width: int = 620,
    label_width: int = 150,
    bar_height: int = 28,
) -> StackedBarChart:
    """One horizontal bar per category, its length the category's count against the largest,
    the count written after it (how many complaints per theme, referrals per source). Drawn
    by the stacked bar chart's template: each bar is a single segment."""
    gap = 14
    room = 48  # for the count after the longest bar
    bar_width = width - label_width - 8
    chart = StackedBarChart(
        id=id,
        title=title,
        description=description,
        width=width,
        height=len(categories) * (bar_height + gap) + gap,
        label_width=label_width,
        bar_width=bar_width,
    )
    largest = max((float(count) for count in counts), default=0.0)
    for row, (category, count) in enumerate(zip(categories, counts, strict=True)):
        y = gap + row * (bar_height + gap)
        length = round((bar_width - room) * float(count) / largest, 1) if largest else 0.0
        segment = Rect(
            float(label_width),
            y,
            length,
            bar_height,
            fill=colour,
            label=category,
            text=f"{float(count):g}",
            text_x=round(label_width + length + room / 2, 1),
            text_y=y + bar_height / 2 + 5,
            text_fill=TEXT,
            value=float(count),
        )
        chart.bars.append(
            {"label": category, "label_y": y + bar_height / 2 + 5, "total": float(count), "segments": [segment]}
        )
    chart.legend = [(colour, "Count")]
    return chart
