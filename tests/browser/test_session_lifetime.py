"""The absolute session lifetime in a real Chromium: however busy the person is, the session
ends when its time is up, they sign in again, and what they typed comes back, as after the
idle timeout."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_security import evaluation, sign_in, sign_in_again  # noqa: F401 - evaluation is a fixture

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_absolute_lifetime_ends_a_busy_session_and_the_typing_comes_back(
    page: Page,
    live_server,
    evaluation,  # noqa: F811
    settings,
    csp_violations,
    artifacts,
    axe_check,
):
    settings.PQA_SESSION_MAX_SECONDS = 16  # the idle period stays 30 minutes
    settings.PQA_SESSION_WARNING_SECONDS = 5
    form_path = f"/evaluations/{evaluation.pk}/form/"
    sign_in(page, live_server.url, "eve", form_path)
    expect(page.get_by_role("heading", name="Sit alongside: tell me – show me")).to_be_visible()

    # Busy: typing (and so autosaving) all along does not keep the session past its lifetime.
    page.locator("#id_strengths").fill("Knows the child")
    page.locator("#id_areas_for_development").focus()
    warning = page.get_by_role("alertdialog", name="You are about to be signed out")
    expect(warning).to_be_visible(timeout=16_000)
    # The end that cannot move: the warning says why, in plain words, and offers no way to stay.
    expect(warning).to_contain_text(
        re.compile(
            r"For your security you will be signed out at \d\d:\d\d because you signed in 16 seconds ago; "
            r"your typing is kept"
        )
    )
    expect(warning.get_by_role("button", name="Stay signed in")).to_be_hidden()
    expect(warning.get_by_role("button", name="Carry on until then")).to_be_focused()
    page.screenshot(path=str(artifacts / "session-absolute-end-warning.png"))
    assert axe_check(page) == []
    page.keyboard.press("Escape")  # "not now": the warning closes and does not come back at once
    expect(warning).to_be_hidden()
    page.wait_for_timeout(1500)
    expect(warning).to_be_hidden()
    page.wait_for_url(re.compile(r"/accounts/login/\?next="), timeout=15_000)

    sign_in_again(page, evaluation.evaluator)
    expect(page.locator("#id_strengths")).to_have_value("Knows the child")
    assert csp_violations == []


def test_stay_signed_in_near_the_absolute_end_turns_the_warning_into_one_that_says_why(
    page: Page,
    live_server,
    evaluation,  # noqa: F811
    settings,
    csp_violations,
):
    """The idle end comes first, so the warning offers to stay; staying buys time only up to
    the absolute end, and then the warning says why and offers no way to stay."""
    settings.SESSION_COOKIE_AGE = 14
    settings.PQA_SESSION_MAX_SECONDS = 22
    settings.PQA_SESSION_WARNING_SECONDS = 5
    sign_in(page, live_server.url, "eve")
    warning = page.get_by_role("alertdialog", name="You are about to be signed out")
    expect(warning).to_be_visible(timeout=16_000)
    expect(warning.get_by_role("button", name="Stay signed in")).to_be_focused()
    page.keyboard.press("Enter")
    expect(warning).to_be_hidden()  # the time bought, up to the absolute end
    expect(warning).to_be_visible(timeout=20_000)
    expect(warning).to_contain_text("because you signed in 22 seconds ago; your typing is kept", timeout=10_000)
    expect(warning.get_by_role("button", name="Stay signed in")).to_be_hidden()
    page.wait_for_url(re.compile(r"/accounts/login/\?next="), timeout=15_000)
    assert csp_violations == []
