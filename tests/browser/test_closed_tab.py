"""Typed work survives closing the tab before the autosave has run."""

import datetime as dt
import time

import pytest
from playwright.sync_api import expect

from evaluations.models import Evaluation
from pqa.models import Role
from tests.factories import EvaluationFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_closing_the_tab_straight_after_typing_keeps_the_words(browser, live_server):
    team = TeamFactory(service_area__name="Fostering", name="Fostering Support")
    evaluator = UserFactory(username="cat", email="cat@trust.example", role=Role.EVALUATOR)
    evaluation = EvaluationFactory(evaluator=evaluator, team=team, due_date=dt.date.today() + dt.timedelta(days=3))
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail address or username").fill("cat@trust.example")
    page.get_by_label("Password").fill("correct-horse-battery-staple")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/evaluations/{evaluation.pk}/form/")
    page.locator("#id_areas_for_development").fill("Typed in the last second before the tab was closed.")
    page.close(run_before_unload=True)  # well inside the autosave's two-second pause

    # The beacon is sent as the tab closes; give the server a moment to store it.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not Evaluation.objects.get(pk=evaluation.pk).areas_for_development:
        time.sleep(0.1)
    reopened = context.new_page()
    reopened.goto(f"{live_server.url}/evaluations/{evaluation.pk}/form/")
    expect(reopened.locator("#id_areas_for_development")).to_have_value(
        "Typed in the last second before the tab was closed."
    )
    assert Evaluation.objects.get(pk=evaluation.pk).status == Evaluation.Status.IN_PROGRESS
    context.close()
