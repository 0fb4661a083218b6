"""The grade distribution page opens on figures that are final."""

import pytest
from django.urls import reverse

from evaluations.models import Cycle
from tests.factories import CycleFactory, completed_evaluation

pytestmark = pytest.mark.django_db


def test_the_page_opens_on_the_latest_quarter_whose_cycles_are_closed(client_for, leader):
    completed_evaluation(cycle=CycleFactory(quarter="2025-26-Q1", status=Cycle.Status.CLOSED))
    completed_evaluation(cycle=CycleFactory(quarter="2025-26-Q2", status=Cycle.Status.OPEN))
    response = client_for(leader).get(reverse("reporting:distribution"))
    assert response.status_code == 200
    assert "Q1 2025/26" in response.text
    assert "not final" not in response.text


def test_a_quarter_with_an_open_cycle_says_its_figures_are_not_final(client_for, leader):
    completed_evaluation(cycle=CycleFactory(quarter="2025-26-Q2", status=Cycle.Status.OPEN))
    response = client_for(leader).get(reverse("reporting:distribution"), {"quarter": "2025-26-Q2"})
    assert "its figures are not final" in response.text
