"""Typed work survives closing the tab before the autosave has run."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from evaluations.models import Evaluation
from pqa.models import Role
from tests.browser.conftest import give_code, with_authenticator
from tests.factories import EvaluationFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_closing_the_tab_straight_after_typing_keeps_the_words(browser, live_server):
    team = TeamFactory(service_area__name="Fostering", name="Fostering Support")
    evaluator = with_authenticator(UserFactory(username="cat", email="cat@trust.example", role=Role.EVALUATOR))
    evaluation = EvaluationFactory(evaluator=evaluator, team=team, due_date=dt.date.today() + dt.timedelta(days=3))
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail address or username").fill("cat@trust.example")
    page.get_by_label("Password").fill("correct-horse-battery-staple")
    page.get_by_role("button", name="Sign in").click()
    give_code(page, evaluator)
    page.goto(f"{live_server.url}/evaluations/{evaluation.pk}/form/")
    page.locator("#id_areas_for_development").fill("Typed in the last second before the tab was closed.")
    page.close(run_before_unload=True)  # well inside the autosave's two-second pause

    # The beacon is sent as the tab closes; the server may need a moment to store it.
    words = "Typed in the last second before the tab was closed."
    reopened = context.new_page()
    for _ in range(20):
        reopened.goto(f"{live_server.url}/evaluations/{evaluation.pk}/form/")
        field = reopened.locator("#id_areas_for_development")
        if field.count() and field.input_value() == words:
            break
        reopened.wait_for_timeout(250)
    expect(reopened.locator("#id_areas_for_development")).to_have_value(words)
    reopened.close()
    assert Evaluation.objects.get(pk=evaluation.pk).status == Evaluation.Status.IN_PROGRESS
    context.close()
