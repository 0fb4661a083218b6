"""The demo's KPI values: two years for every indicator, with every status somewhere."""

import datetime as dt

import pytest

from pqa.kpis.demo import kpi_demo_load
from pqa.kpis.models import IndicatorValue
from pqa.kpis.rules import STATUSES
from pqa.kpis.selectors import months_with_values, scorecard

pytestmark = pytest.mark.django_db


def test_two_years_of_values_for_every_indicator_with_commentary_and_varied_statuses():
    assert kpi_demo_load(today=dt.date(2026, 12, 1)) == 15 * 24
    months = months_with_values()
    assert (months[0], months[-1], len(months)) == (dt.date(2026, 11, 1), dt.date(2024, 12, 1), 24)
    assert not IndicatorValue.objects.filter(commentary="").exists()
    seen = {row.status for month in months for row in scorecard(month)}
    assert seen == set(STATUSES)
    assert kpi_demo_load(today=dt.date(2026, 12, 1)) == 0  # loaded once
