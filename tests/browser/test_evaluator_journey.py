"""An evaluator's journey in a real Chromium: sign in, fill the form, reload mid-way, lose the
session, submit with a missing grade, put it right, submit. Screenshots go to test-artifacts/."""

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from evaluations.models import Evaluation, Pillar
from pqa.models import Role, User
from tests.browser.conftest import give_code, with_authenticator
from tests.factories import EvaluationFactory, TeamFactory, UserFactory

PASSWORD = "correct-horse-battery-staple"
YESTERDAY = dt.date.today() - dt.timedelta(days=1)
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def evaluation(transactional_db):
    team = TeamFactory(service_area__name="Children in Care", name="CiC Team 1")
    evaluator = UserFactory(username="eve", email="eve@trust.example", role=Role.EVALUATOR, first_name="Eve")
    return EvaluationFactory(
        evaluator=evaluator, team=team, child_ref="CHILD123456", due_date=dt.date.today() + dt.timedelta(days=7)
    )


@pytest.fixture
def browser_context_args(browser_context_args):
    # No bypass_csp: the page runs under its real Content Security Policy (axe-core is
    # evaluated through DevTools, see conftest.py).
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


def sign_in(page: Page, base: str, next_path: str = "") -> None:
    eve = with_authenticator(User.objects.get(username="eve"))
    page.goto(f"{base}/accounts/login/{'?next=' + next_path if next_path else ''}")
    page.get_by_label("E-mail address or username").fill("eve@trust.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    give_code(page, eve)


def pillar_group(page: Page, pillar: Pillar):
    return page.get_by_role("group", name=f"Grade for {pillar.label.lower()}")


def wait_for_autosave(page: Page) -> None:
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved at", timeout=10_000)


def test_an_evaluator_fills_in_reloads_and_submits_the_form(
    page: Page, live_server, evaluation, artifacts, axe_check, csp_violations
):
    base = live_server.url
    sign_in(page, base)
    expect(page.get_by_role("heading", name="My evaluations")).to_be_visible()
    assert axe_check(page) == []
    page.get_by_role("link", name=re.compile(f"Start {evaluation.reference}")).click()
    expect(page.get_by_role("heading", name="Sit alongside: tell me – show me")).to_be_visible()
    assert axe_check(page) == []

    # The first pillar, then autosave.
    # The GOV.UK date input: day, month and year.
    conversation = page.get_by_role("group", name="Date of the conversation")
    conversation.get_by_label("Day").fill(str(YESTERDAY.day))
    conversation.get_by_label("Month").fill(str(YESTERDAY.month))
    conversation.get_by_label("Year").fill(str(YESTERDAY.year))
    page.locator("#id_pillar-childs_voice-tell_me").fill("We talk about school and football every visit.")
    page.locator("#id_pillar-childs_voice-show_me").fill("Direct work sessions recorded monthly.")
    pillar_group(page, Pillar.CHILDS_VOICE).get_by_label("Good", exact=True).check()
    wait_for_autosave(page)

    # Reload straight after typing, before the autosave can run: the tab's copy brings it back.
    page.locator("#id_pillar-assessment-tell_me").fill("Assessment updated after the new baby was born.")
    page.reload()
    expect(page.locator("#id_pillar-childs_voice-tell_me")).to_have_value(
        "We talk about school and football every visit."
    )
    expect(page.locator("#id_pillar-assessment-tell_me")).to_have_value(
        "Assessment updated after the new baby was born."
    )
    expect(pillar_group(page, Pillar.CHILDS_VOICE).get_by_label("Good", exact=True)).to_be_checked()
    expect(page.locator("#id_evaluation_date_0")).to_have_value(str(YESTERDAY.day))
    expect(page.locator("#id_evaluation_date_2")).to_have_value(str(YESTERDAY.year))
    wait_for_autosave(page)
    evaluation.refresh_from_db()
    assert evaluation.evaluation_date == YESTERDAY
    page.screenshot(path=str(artifacts / "01-form-after-reload.png"), full_page=True)

    # The session expires while typing: the work stays, and comes back after signing in again.
    page.context.clear_cookies()
    page.locator("#id_strengths").fill("The practitioner knows the child really well.")
    expect(page.locator("#autosave-status")).to_contain_text("Your session has ended", timeout=10_000)
    page.get_by_role("link", name="Sign in again").click()
    page.get_by_label("E-mail address or username").fill("eve@trust.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    give_code(page, evaluation.evaluator)
    expect(page.locator("#id_strengths")).to_have_value("The practitioner knows the child really well.")
    expect(page.locator("#restored-banner")).to_be_visible()
    wait_for_autosave(page)
    evaluation.refresh_from_db()
    assert evaluation.strengths == "The practitioner knows the child really well."

    # Everything else but the planning grade, then submit.
    for pillar in (Pillar.ASSESSMENT, Pillar.OVERSIGHT):
        pillar_group(page, pillar).get_by_label("Good", exact=True).check()
    page.get_by_role("group", name="Overall grade").get_by_label("Good", exact=True).check()
    for question in (
        "Is our intervention appropriate to the child's circumstances?",
        "Has our intervention made a positive difference?",
        "Does the child's written record reflect the quality of the work?",
    ):
        page.get_by_role("group", name=question).get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Submit evaluation").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Select a grade for planning")
    expect(page.locator("#id_pillar-planning-grade-error")).to_contain_text("Select a grade for planning")
    expect(page.locator("#id_strengths")).to_have_value("The practitioner knows the child really well.")
    page.screenshot(path=str(artifacts / "02-submit-with-missing-grade.png"), full_page=True)
    assert axe_check(page) == []

    # The error summary link takes the keyboard to the field; fix it and submit.
    summary.get_by_role("link", name="Select a grade for planning").click()
    pillar_group(page, Pillar.PLANNING).get_by_label("Good", exact=True).check()
    page.get_by_role("button", name="Submit evaluation").click()
    expect(page.get_by_text(f"Evaluation {evaluation.reference} submitted")).to_be_visible()
    page.screenshot(path=str(artifacts / "03-submitted.png"), full_page=True)

    evaluation.refresh_from_db()
    assert evaluation.status == Evaluation.Status.RETURNED
    assert dict(evaluation.pillar_grades.values_list("pillar", "grade")) == dict.fromkeys(Pillar.values, "good")
    assert evaluation.strengths == "The practitioner knows the child really well."
    # Every page of the journey ran under the Content Security Policy without a refusal.
    assert csp_violations == []


def test_the_evaluation_list_has_no_serious_accessibility_problems(
    page: Page, live_server, evaluation, artifacts, axe_check
):
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/evaluations/")
    expect(page.get_by_role("heading", name="Practice evaluations")).to_be_visible()
    expect(page.get_by_role("link", name=evaluation.reference)).to_be_visible()
    page.screenshot(path=str(artifacts / "04-evaluation-list.png"), full_page=True)
    assert axe_check(page) == []
