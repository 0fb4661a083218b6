import datetime as dt
from decimal import Decimal

import pytest

from pqa.kpis.models import Indicator
from pqa.kpis.services import indicator_value_record


@pytest.fixture
def enter(db):
    """Record a KPI value through the service: enter("KPI01", "2018-12", numerator=423, denominator=548)."""

    def record(code: str, month: str, actor=None, **values):
        year, number = (int(part) for part in month.split("-"))
        figures = {
            name: (None if values.get(name) is None else Decimal(str(values[name])))
            for name in ("numerator", "denominator", "value", "national", "statistical_neighbours")
        }
        saved, _ = indicator_value_record(
            indicator=Indicator.objects.get(code=code),
            month=dt.date(year, number, 1),
            values={**figures, "commentary": values.get("commentary", "")},
            actor=actor,
        )
        return saved

    return record
