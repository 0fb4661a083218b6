import datetime as dt

import pytest

from feedback.complaints import services
from pqa.models import Role


@pytest.fixture
def customer_relations(make_user):
    return make_user(Role.CUSTOMER_RELATIONS, username="cara.relations")


@pytest.fixture
def record_complaint(db, team, customer_relations):
    """Record a complaint through the service, with sensible defaults."""
    counter = {"n": 0}

    def record(**kwargs):
        counter["n"] += 1
        defaults = {
            "actor": customer_relations,
            "reference": f"C-{counter['n']:04d}",
            "received": dt.date(2024, 6, 10),
            "how_received": "email",
            "complainant": "parent_carer",
            "procedure": "statutory",
            "service_area": team.service_area,
            "team": team,
        }
        defaults.update(kwargs)
        return services.complaint_record(**defaults)

    return record
