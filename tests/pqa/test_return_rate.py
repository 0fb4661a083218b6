"""One return rate (returned ÷ allocated) on the cycles pages, the distribution page and its
JSON; a quarter or cycle still open is marked in progress, its figures provisional."""

import re

import pytest
from django.urls import reverse

from evaluations import services
from evaluations.models import Cycle, Evaluation
from evaluations.selectors import Returns
from tests.factories import CycleFactory, EvaluationFactory, completed_evaluation

pytestmark = pytest.mark.django_db
QUARTER = "2025-26-Q2"


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def open_cycle(team, evaluator):
    """The issue's case: 21 allocated in an open cycle, 6 returned so far, 15 still out."""
    cycle = CycleFactory(quarter=QUARTER, status=Cycle.Status.OPEN)
    for number in range(6):
        completed_evaluation(cycle=cycle, team=team, evaluator=evaluator, reference=f"PE-R{number}")
    for number in range(15):
        status = Evaluation.Status.IN_PROGRESS if number % 2 else Evaluation.Status.ALLOCATED
        EvaluationFactory(cycle=cycle, team=team, evaluator=evaluator, reference=f"PE-O{number}", status=status)
    return cycle


def test_the_return_rate_is_returned_over_allocated_counting_what_is_still_out():
    returns = Returns(returned=6, not_returned=0, still_out=15, in_progress=True)
    assert (returns.allocated, returns.rate, returns.rate_display) == (21, 0.2857, "29%")
    assert Returns(returned=0, not_returned=0).rate is None


def test_an_open_quarter_is_in_progress_on_the_distribution_page_not_a_misleading_100_percent(
    client_for, leader, open_cycle
):
    page = text(client_for(leader).get(reverse("reporting:distribution"), {"quarter": QUARTER}))
    assert "In progress" in page
    assert "Returned so far: 6 of 21 allocated, 15 still out." in page
    assert "Return rate so far: 29%" in page
    assert "100%" not in page
    assert "returned ÷ allocated" in page


def test_an_open_cycle_says_the_same_on_the_cycles_pages(client_for, practice_hub, open_cycle):
    client = client_for(practice_hub)
    listed = text(client.get(reverse("evaluations:cycle_list")))
    assert "29% so far (in progress)" in listed
    assert "returned ÷ allocated" in listed
    detail = text(client.get(reverse("evaluations:cycle_detail", args=[open_cycle.pk])))
    assert "Returned so far: 6 of 21 allocated, 15 still out." in detail
    assert "provisional until the cycle closes" in detail


def test_the_json_keeps_the_contracts_counts_while_the_quarter_is_open(client_for, leader, open_cycle):
    data = client_for(leader).get(reverse("reporting:distribution_json"), {"quarter": QUARTER}).json()
    # The contract: allocated = completed + not returned, so what is still out is left out.
    assert (data["allocated"], data["completed"], data["return_rate"]) == (6, 6, 1.0)


def test_once_the_cycle_closes_every_page_and_the_json_agree(client_for, practice_hub, leader, open_cycle):
    services.cycle_close(cycle=open_cycle, actor=practice_hub)
    data = client_for(leader).get(reverse("reporting:distribution_json"), {"quarter": QUARTER}).json()
    assert (data["allocated"], data["completed"], data["return_rate"]) == (21, 6, 0.2857)
    page = text(client_for(leader).get(reverse("reporting:distribution"), {"quarter": QUARTER}))
    assert "29% (6 of 21 allocated returned, 15 not returned)" in page
    assert "In progress" not in page
    listed = text(client_for(practice_hub).get(reverse("evaluations:cycle_list")))
    assert "29%" in listed and "so far" not in listed
