"""The core's chart kit (pqa/charts.py): geometry a reader can trust, drawn by templates."""

from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from pqa import charts


def _value_at(chart, y):
    return chart.y_min + (chart.bottom - y) / (chart.bottom - chart.top) * (chart.y_max - chart.y_min)


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(72, 88, (70, 90, 5)), (0, 1, (0, 1, 0.25)), (215, 262, (200, 280, 20)), (5, 5, (4.5, 5.5, 0.25))],
)
def test_an_axis_runs_in_round_steps_around_the_figures(low, high, expected):
    start, end, step = charts.nice_scale(low, high)
    assert start <= low and end >= high
    assert (start, end, step) == pytest.approx(expected)


def test_each_point_sits_at_its_value_and_a_missing_value_leaves_a_gap():
    values = [Decimal("80.1"), None, Decimal("77.2"), Decimal("78.4"), Decimal("85.0")]
    chart = charts.line_chart(
        id="t",
        title="T",
        description="D",
        labels=["Aug", "Sep", "Oct", "Nov", "Dec"],
        values=values,
        targets=[85, 85, 85, 86, 86],
        bands=[(75, 95)] * 3 + [(80, 90)] * 2,
    )
    assert [point.label for point in chart.points] == ["Aug", "Oct", "Nov", "Dec"]
    for point in chart.points:
        assert _value_at(chart, point.y) == pytest.approx(point.value, abs=0.05)
    assert len(chart.lines) == 1  # Aug stands alone before the gap; Oct to Dec are joined
    assert len(chart.lines[0].split()) == 3
    # The target steps where the financial year's target changes.
    assert {round(_value_at(chart, segment.y1), 1) for segment in chart.target} == {85.0, 86.0}
    assert len(chart.band) == 5 and chart.y_min <= 75 and chart.y_max >= 95
    assert [name for _, name in chart.legend] == ["Value", "Target", "Tolerance band"]


def test_the_line_chart_draws_with_text_of_at_least_14_px_and_no_style_attribute():
    chart = charts.line_chart(id="c", title="KPI <01>", description="Desc & more", labels=["Jan"], values=[1])
    svg = render_to_string("charts/_line_chart.html", {"chart": chart})
    assert 'role="img"' in svg and 'aria-labelledby="c-title c-desc"' in svg
    assert "KPI &lt;01&gt;" in svg and "Desc &amp; more" in svg  # escaped, never built as HTML in Python
    assert 'font-size="14"' in svg and "style=" not in svg


def test_a_stacked_bar_splits_each_category_into_its_shares():
    chart = charts.stacked_bar_chart(
        id="g",
        title="Grades",
        description="Grades by quarter",
        categories=["Q1", "Q2"],
        series=["Outstanding", "Good", "Requires improvement", "Inadequate"],
        counts=[[5, 57, 31, 7], [0, 0, 0, 0]],
    )
    first = chart.bars[0]["segments"]
    assert [round(segment.width / chart.bar_width * 100) for segment in first] == [5, 57, 31, 7]
    assert [segment.text for segment in first] == ["", "57%", "31%", ""]  # only where the text fits
    assert all(segment.width == 0 for segment in chart.bars[1]["segments"])  # nothing to share
    svg = render_to_string("charts/_stacked_bar_chart.html", {"chart": chart})
    assert svg.count("<rect") == 8 and 'role="img"' in svg and "style=" not in svg


def test_a_count_bar_is_as_long_as_its_count_against_the_largest_with_the_count_written():
    chart = charts.bar_chart(id="t", title="Themes", description="Themes", categories=["A", "B", "C"], counts=[6, 3, 0])
    lengths = [bar["segments"][0].width for bar in chart.bars]
    assert lengths[0] == 2 * lengths[1] and lengths[2] == 0
    assert [bar["segments"][0].text for bar in chart.bars] == ["6", "3", "0"]
    assert max(lengths) + chart.label_width < chart.width  # room for the count after the longest
    svg = render_to_string("charts/_stacked_bar_chart.html", {"chart": chart})
    assert svg.count("<rect") == 3 and 'role="img"' in svg and "style=" not in svg
    empty = charts.bar_chart(id="e", title="None", description="None", categories=["A"], counts=[0])
    assert empty.bars[0]["segments"][0].width == 0
