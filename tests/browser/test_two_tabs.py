"""Nothing typed is lost (issue 7, items 9 and 10), in a real Chromium:
- a duplicated tab carries its own editor token, so its save after the first tab's is a
  conflict and both texts are kept (one saved, the other reachable from the banner);
- an evaluation given to another evaluator while its first evaluator types: the page says so,
  stops retrying, and their text is kept on their kept-texts page.
Screenshots go to test-artifacts/browser/."""

import datetime as dt
import json

import pytest
from playwright.sync_api import Page, expect

from evaluations import services
from evaluations.models import Evaluation
from pqa.models import EditConflict, Role, User
from tests.browser.conftest import give_code, with_authenticator
from tests.factories import EvaluationFactory, TeamFactory, UserFactory

PASSWORD = "correct-horse-battery-staple"
pytestmark = pytest.mark.django_db(transaction=True)

FIRST_TAB = "Words typed in the first tab."
SECOND_TAB = "Different words typed in the duplicated tab."


@pytest.fixture
def evaluation(transactional_db):
    team = TeamFactory(service_area__name="Children in Care", name="CiC Team 1")
    evaluator = UserFactory(username="tab", email="tab@trust.example", role=Role.EVALUATOR)
    return EvaluationFactory(evaluator=evaluator, team=team, due_date=dt.date.today() + dt.timedelta(days=7))


def sign_in(page: Page, base: str) -> None:
    """The password, then the code from the evaluator's authenticator app (every role has one)."""
    person = with_authenticator(User.objects.get(username="tab"))
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail address or username").fill("tab@trust.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    give_code(page, person)


def duplicate(page: Page, url: str) -> Page:
    """What "Duplicate tab" does: a new tab in the same session whose sessionStorage is a copy
    of this tab's, open at the same address."""
    storage = page.evaluate("() => JSON.stringify(Object.entries(sessionStorage))")
    copy = page.context.new_page()
    copy.add_init_script(
        "(() => { for (const [k, v] of " + storage + ") { if (sessionStorage.getItem(k) === null) "
        "sessionStorage.setItem(k, v); } })()"
    )
    copy.goto(url)
    return copy


def test_a_duplicated_tab_has_its_own_token_and_its_later_save_is_a_conflict_keeping_both_texts(
    page: Page, live_server, evaluation, artifacts
):
    sign_in(page, live_server.url)
    url = f"{live_server.url}/evaluations/{evaluation.pk}/form/"
    page.goto(url)
    # The copied storage holds whatever the first tab keeps there: the duplicate must not share its token.
    page.evaluate("() => sessionStorage.setItem('pqa-editor-token', 'left-by-an-earlier-version')")
    second = duplicate(page, url)
    first_token = page.locator("input[name=editor_token]").input_value()
    second_token = second.locator("input[name=editor_token]").input_value()
    assert first_token and second_token and first_token != second_token
    assert "left-by-an-earlier-version" not in (first_token, second_token)

    page.locator("#id_strengths").fill(FIRST_TAB)
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved at", timeout=10_000)
    second.locator("#id_strengths").fill(SECOND_TAB)
    expect(second.locator("#autosave-status")).to_contain_text("saved this evaluation", timeout=10_000)
    expect(second.get_by_role("link", name="Compare your version with the saved one")).to_be_visible()
    page.screenshot(path=str(artifacts / "two-tabs-first-saved.png"), full_page=False)
    second.screenshot(path=str(artifacts / "two-tabs-second-refused.png"), full_page=False)

    # One text saved, the other kept as the refused version, and the banner's link leads to it.
    assert Evaluation.objects.get(pk=evaluation.pk).strengths == FIRST_TAB
    kept = EditConflict.objects.get(user=evaluation.evaluator, resolved_at__isnull=True)
    assert kept.data["strengths"] == [SECOND_TAB]
    second.get_by_role("link", name="Compare your version with the saved one").click()
    expect(second.locator("body")).to_contain_text(SECOND_TAB)
    expect(second.locator("body")).to_contain_text(FIRST_TAB)
    second.screenshot(path=str(artifacts / "two-tabs-compare.png"), full_page=True)
    second.close()


def test_a_reload_keeps_the_tabs_token_and_restores_the_typed_words(page: Page, live_server, evaluation):
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/evaluations/{evaluation.pk}/form/")
    token = page.locator("input[name=editor_token]").input_value()
    page.locator("#id_areas_for_development").fill("Typed just before the reload.")
    page.reload()
    expect(page.locator("#id_areas_for_development")).to_have_value("Typed just before the reload.")
    assert page.locator("input[name=editor_token]").input_value() == token
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved at", timeout=10_000)
    assert not EditConflict.objects.exists()


def test_an_evaluation_given_away_while_typing_says_so_stops_retrying_and_keeps_the_text(
    page: Page, live_server, evaluation, artifacts
):
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/evaluations/{evaluation.pk}/form/")
    hub = UserFactory(role=Role.PRACTICE_HUB)
    services.evaluation_reassign(evaluation=evaluation, evaluator=UserFactory(role=Role.EVALUATOR), actor=hub)

    saves = []
    page.on("request", lambda request: saves.append(request.url) if "/autosave/" in request.url else None)
    page.locator("#id_strengths").fill("Typed after the Practice Hub gave it away.")
    status = page.locator("#autosave-status")
    expect(status).to_contain_text("given to another evaluator", timeout=10_000)
    expect(status).to_contain_text("Your text has been kept")
    expect(status).not_to_contain_text("connection")
    page.screenshot(path=str(artifacts / "given-away-while-typing.png"), full_page=False)
    page.wait_for_timeout(3_000)  # longer than the autosave's pause: no retry follows
    assert len(saves) == 1

    page.get_by_role("link", name="Read your kept text").click()
    expect(page.get_by_role("heading", name="Your kept texts")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Typed after the Practice Hub gave it away.")
    expect(page.locator("main")).not_to_contain_text(evaluation.child_ref)
    page.screenshot(path=str(artifacts / "kept-texts.png"), full_page=True)
    assert json.dumps(EditConflict.objects.get().data).count("Typed after the Practice Hub gave it away.") == 1
