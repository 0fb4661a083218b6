"""Security in a real Chromium: the Content Security Policy is enforced, the idle-timeout
warning works from the keyboard and keeps the draft, and two-factor set-up works end to end."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from pqa.models import Role, User
from tests.browser.conftest import give_code, with_authenticator
from tests.conftest import PQAClient
from tests.factories import EvaluationFactory, TeamFactory, UserFactory

PASSWORD = "correct-horse-battery-staple"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def evaluation(transactional_db):
    team = TeamFactory(service_area__name="Children in Care", name="CiC Team 1")
    evaluator = UserFactory(username="eve", email="eve@trust.example", role=Role.EVALUATOR, first_name="Eve")
    return EvaluationFactory(
        evaluator=evaluator, team=team, child_ref="CHILD123456", due_date=dt.date.today() + dt.timedelta(days=7)
    )


def sign_in(page: Page, base: str, username: str, path: str = "", *, second_factor: bool = True) -> None:
    """Sign in as a person does: the password, then the code from their authenticator app (set
    up for them first if they have none). `second_factor=False` stops after the password, on
    the page that asks for the code or for setting up the app."""
    person = User.objects.get(username=username)
    if second_factor:
        with_authenticator(person)
    page.goto(f"{base}/accounts/login/{'?next=' + path if path else ''}")
    sign_in_again(page, person, second_factor=second_factor)


def sign_in_again(page: Page, person, *, second_factor: bool = True) -> None:
    """On the sign-in page (after the session ended, say): the password, then the code."""
    page.get_by_label("E-mail address or username").fill(person.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if second_factor:
        give_code(page, person)


def test_the_policy_refuses_an_inline_script(page: Page, live_server, evaluation, csp_violations):
    sign_in(page, live_server.url, "eve")
    expect(page.get_by_role("heading", name="My evaluations")).to_be_visible()
    assert csp_violations == []
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.injected = true';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.injected === undefined")
    assert csp_violations, "the browser should have reported the refused inline script"


def test_the_idle_timeout_warns_then_signs_out_and_the_draft_comes_back(
    page: Page, live_server, evaluation, settings, csp_violations, axe_check
):
    settings.SESSION_COOKIE_AGE = 12
    settings.PQA_SESSION_WARNING_SECONDS = 5
    form_path = f"/evaluations/{evaluation.pk}/form/"
    sign_in(page, live_server.url, "eve", form_path)
    expect(page.get_by_role("heading", name="Sit alongside: tell me – show me")).to_be_visible()

    # Two minutes before the end (here: 5 seconds) an alert dialog takes the focus.
    warning = page.get_by_role("alertdialog", name="You are about to be signed out")
    expect(warning).to_be_visible(timeout=12_000)
    expect(warning.get_by_role("button", name="Stay signed in")).to_be_focused()
    assert axe_check(page) == []
    page.keyboard.press("Enter")
    expect(warning).to_be_hidden()

    # Typing and leaving it: the time runs out, PQA signs out and asks to sign in again.
    page.locator("#id_strengths").fill("Knows the child well.")
    expect(warning).to_be_visible(timeout=15_000)
    page.wait_for_url(re.compile(r"/accounts/login/\?next="), timeout=15_000)
    assert f"next={form_path.replace('/', '%2F')}" in page.url or f"next={form_path}" in page.url
    sign_in_again(page, evaluation.evaluator)
    expect(page.locator("#id_strengths")).to_have_value("Knows the child well.")
    assert csp_violations == []


def test_the_practice_hub_sets_up_two_factor_authentication(
    page: Page, live_server, transactional_db, csp_violations, axe_check
):
    UserFactory(username="hub", role=Role.PRACTICE_HUB)
    sign_in(page, live_server.url, "hub", second_factor=False)
    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    qr_code = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr_code).to_be_visible()
    assert page.evaluate("img => img.naturalWidth > 0", qr_code.element_handle()), "the QR code did not load"
    assert axe_check(page) == []

    device = TOTPDevice.objects.get(user__username="hub", confirmed=False)
    key = page.locator("#two-factor-key").inner_text().replace(" ", "")
    assert key  # the key to type is on the page too
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    page.get_by_label("Code from your authenticator app").fill(f"{code:06d}")
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    page.get_by_role("link", name="I have saved my codes, continue").click()
    expect(page.get_by_role("heading", level=1, name="Practice Hub")).to_be_visible()  # their Overview
    assert csp_violations == []


def test_an_administrator_reads_a_records_history_with_nothing_refused_by_the_policy(
    page: Page, live_server, evaluation, csp_violations
):
    """The admin's history page comes from django-simple-history, with one style attribute
    the policy allows by its hash: in the browser nothing on it is refused."""
    administrator = UserFactory(username="ada", role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    # Signed in with both factors as the test client signs in; the browser gets that session.
    client = PQAClient()
    client.force_login(administrator)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])

    page.goto(f"{live_server.url}/admin/evaluations/evaluation/{evaluation.pk}/history/")
    expect(page.get_by_role("heading", name=re.compile("history: PE-"))).to_be_visible()
    expect(page.locator("p.paginator")).to_be_visible()
    page.wait_for_timeout(200)
    assert csp_violations == []
