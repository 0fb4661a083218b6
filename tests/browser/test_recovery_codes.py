"""Two-factor set-up and recovery codes in a real Chromium, as a team manager: set up the
authenticator app, see (and download) the recovery codes, sign out, and sign in with a recovery
code instead of the app. Each page passes axe-core and the Content Security Policy, at 1280 and
390 px wide; screenshots go to test-artifacts/browser/recovery-codes-*.png."""

import re
from pathlib import Path

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from pqa.demo import next_unused_code
from pqa.models import RecoveryCode, Role
from tests.browser.test_security import PASSWORD, sign_in
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
WIDTHS = (1280, 390)


def check(page: Page, name: str, artifacts, axe_check) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(artifacts / f"recovery-codes-{name}-{width}.png"), full_page=True)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), (name, width)
        assert axe_check(page) == [], (name, width)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_team_manager_sets_up_two_factor_and_later_signs_in_with_a_recovery_code(
    page: Page, live_server, artifacts, axe_check, csp_violations
):
    team = TeamFactory(service_area__name="Children in Care", name="CiC Team 1")
    tom = UserFactory(username="tom", role=Role.TEAM_MANAGER, team=team)
    page.set_viewport_size({"width": 1280, "height": 900})

    # The first sign-in leads to set-up, before anything else.
    sign_in(page, live_server.url, "tom", second_factor=False)
    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    device = TOTPDevice.objects.get(user=tom, confirmed=False)
    page.get_by_label("Code from your authenticator app").fill(next_unused_code(device))
    page.get_by_role("button", name="Turn on two-factor authentication").click()

    # The recovery codes, shown once.
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", code) for code in codes)
    assert RecoveryCode.objects.filter(device__user=tom).count() == 10
    check(page, "shown", artifacts, axe_check)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the codes").click()
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    assert all(code in saved for code in codes)
    assert download.value.suggested_filename == "pqa-recovery-codes.txt"
    expect(page.get_by_role("link", name="Print the codes")).to_be_visible()
    page.get_by_role("link", name="I have saved my codes, continue").click()
    expect(page.get_by_role("heading", level=1, name="CiC Team 1")).to_be_visible()

    # Signed out; signing in again asks for the app's code, or a recovery code instead.
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail address or username").fill("tom")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter the code from your authenticator app")).to_be_visible()
    page.get_by_role("link", name="Sign in with a recovery code instead").click()
    expect(page.get_by_role("heading", name="Sign in with a recovery code")).to_be_visible()
    check(page, "sign-in", artifacts, axe_check)
    page.get_by_label("Recovery code").fill(codes[3].upper())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1, name="CiC Team 1")).to_be_visible()
    expect(page.get_by_text("You signed in with a recovery code. You have 9 recovery codes left.")).to_be_visible()
    check(page, "signed-in", artifacts, axe_check)
    assert RecoveryCode.objects.filter(device__user=tom).count() == 9

    # The two-factor page says how many are left.
    page.goto(f"{live_server.url}/accounts/two-factor/setup/")
    expect(page.get_by_text("You have 9 recovery codes left.")).to_be_visible()
    check(page, "status", artifacts, axe_check)
    assert csp_violations == []
