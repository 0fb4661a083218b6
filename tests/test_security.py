"""Secure by default: lockout, passwords, sessions, deactivation, two-factor authentication,
the Content Security Policy, production settings and the audit log."""

import base64
import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from evaluations.imports import evaluations_import
from pqa import audit, services
from pqa.models import Role, User
from pqa.sessions import ACTIVE_AT
from tests.conftest import PQAClient
from tests.evaluations.test_imports import completed_row, csv_text, known  # noqa: F401 - `known` is a fixture
from tests.factories import CycleFactory, UserFactory, completed_evaluation
from tests.test_admin import admin_url, resubmit_data

BASE_DIR = Path(__file__).resolve().parents[1]
PASSWORD = "correct-horse-battery-staple"
LOGIN_URL = "/accounts/login/"


def sign_in(client, username: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN_URL, {"username": username, "password": password, **extra})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- Lockout ------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(client, evaluator):
    for _ in range(4):
        assert sign_in(client, "eve.evaluator", "wrong-password").status_code == 200
    response = sign_in(client, "eve.evaluator", "wrong-password")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Signing in is paused for 15 minutes" in page
    try_again = timezone.localtime(AccessAttempt.objects.get().attempt_time + dt.timedelta(minutes=15))
    assert f"try again at <strong>{try_again:%H:%M}</strong>" in page
    assert "eve.evaluator" not in page

    # Even the right password is refused while the lock lasts.
    assert sign_in(client, "eve.evaluator").status_code == 429
    assert not signed_in(client)

    # Fifteen minutes later, the right password works.
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    assert sign_in(client, "eve.evaluator").status_code == 302
    assert signed_in(client)


def test_username_e_mail_and_letter_case_share_one_count(client, evaluator):
    for typed in ("eve.evaluator", "EVE.EVALUATOR", "eve.evaluator@trust.example", "Eve.Evaluator", "eve.evaluator"):
        response = sign_in(client, typed, "wrong-password")
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"eve.evaluator"}


def test_the_lockout_is_by_account_so_colleagues_behind_the_same_proxy_still_sign_in(client, evaluator, leader):
    for _ in range(5):
        sign_in(client, "eve.evaluator", "wrong-password", REMOTE_ADDR="10.0.0.1")
    colleague = PQAClient()
    assert sign_in(colleague, "lee.leader", REMOTE_ADDR="10.0.0.1").status_code == 302
    assert signed_in(colleague)


def test_an_unknown_account_is_locked_out_in_the_same_words(client, evaluator):
    """No account enumeration: the lockout page is the same whether the account exists."""

    def lockout_page(username):
        for _ in range(5):
            response = PQAClient().post(LOGIN_URL, {"username": username, "password": "wrong-password"})
        assert response.status_code == 429
        return re.sub(r'\d\d:\d\d|value="[\w-]+"|nonce="[^"]+"', "", response.content.decode())

    assert lockout_page("eve.evaluator") == lockout_page("nobody.here")


def test_a_successful_sign_in_resets_the_count(client, evaluator):
    for _ in range(4):
        sign_in(client, "eve.evaluator", "wrong-password")
    assert sign_in(client, "eve.evaluator").status_code == 302
    client.logout()
    for _ in range(4):
        assert sign_in(client, "eve.evaluator", "wrong-password").status_code == 200
    assert sign_in(client, "eve.evaluator").status_code == 302


def test_axes_reset_unlocks_an_account(client, evaluator):
    for _ in range(5):
        sign_in(client, "eve.evaluator", "wrong-password")
    call_command("axes_reset_username", "eve.evaluator")
    assert sign_in(client, "eve.evaluator").status_code == 302


# --- Passwords and a new session at sign-in ----------------------------------------------


@pytest.mark.parametrize(
    "password, reason",
    [
        ("short-Pw1!", "too short"),
        ("password1234", "too common"),
        ("738291046583", "entirely numeric"),
        ("eve.evaluator1", "too similar"),
    ],
)
def test_weak_passwords_are_refused(evaluator, password, reason):
    with pytest.raises(ValidationError, match=reason):
        validate_password(password, user=evaluator)


def test_a_long_uncommon_password_is_accepted(evaluator):
    validate_password("plum-orchard-lantern-42", user=evaluator)


def test_signing_in_starts_a_new_session(client, evaluator):
    session = client.session
    session["before"] = "sign-in"
    session.save()
    before = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert sign_in(client, "eve.evaluator").status_code == 302
    after = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()


# --- Idle timeout ----------------------------------------------------------------------


def test_sessions_end_after_thirty_idle_minutes_and_with_the_browser():
    assert django_settings.SESSION_COOKIE_AGE == 30 * 60
    assert django_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    # Requests start the period again through pqa.sessions, which writes at most once a minute.
    assert django_settings.SESSION_SAVE_EVERY_REQUEST is False
    assert "pqa.sessions.IdleTimeoutMiddleware" in django_settings.MIDDLEWARE


def _age_active_at(client, seconds: int) -> str:
    """Pretend the session was last started again `seconds` ago; returns its key."""
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    store = SessionStore(session_key=key)
    store[ACTIVE_AT] = int(time.time()) - seconds
    store.save()
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + dt.timedelta(seconds=30 * 60 - seconds))
    return key


def _session_writes(queries) -> list[str]:
    return [q["sql"] for q in queries if "django_session" in q["sql"] and not q["sql"].lstrip().startswith("SELECT")]


def test_pages_opened_within_a_minute_of_each_other_do_not_write_the_session(client_for, evaluator):
    client = client_for(evaluator)
    client.get(reverse("evaluations:mine"))
    _age_active_at(client, 20)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("evaluations:mine"))
        client.post(reverse("evaluations:mine"))  # not allowed, still a request
    assert response.status_code == 200
    assert _session_writes(queries.captured_queries) == []


def test_a_request_a_minute_after_the_last_write_starts_the_thirty_minutes_again(client_for, evaluator):
    client = client_for(evaluator)
    client.get(reverse("evaluations:mine"))
    key = _age_active_at(client, 61)
    response = client.get(reverse("evaluations:mine"))
    assert response["X-PQA-Session-Expires-In"] == str(30 * 60)
    assert 'data-session-expires-in="1800"' in response.content.decode()
    assert Session.objects.get(session_key=key).expire_date > timezone.now() + dt.timedelta(minutes=29)


def test_every_answer_says_how_long_the_server_will_keep_the_session(client_for, evaluator):
    """Between writes the time left counts down from the last one, so the page's warning
    never comes later than the server's end of the session."""
    client = client_for(evaluator)
    client.get(reverse("evaluations:mine"))
    key = _age_active_at(client, 30)
    response = client.get(reverse("evaluations:mine"))
    left = int(response["X-PQA-Session-Expires-In"])
    assert 30 * 60 - 32 <= left <= 30 * 60 - 30
    assert f'data-session-expires-in="{left}"' in response.content.decode()
    server_end = Session.objects.get(session_key=key).expire_date
    assert server_end >= timezone.now() + dt.timedelta(seconds=left - 2)


def test_a_signed_out_answer_carries_no_countdown(client):
    assert "X-PQA-Session-Expires-In" not in client.get(LOGIN_URL)


def test_the_page_says_when_the_session_ends(client_for, evaluator, settings):
    settings.SESSION_COOKIE_AGE = 90
    page = client_for(evaluator).get(reverse("evaluations:mine")).content.decode()
    assert 'data-session-expires-in="90"' in page
    assert 'data-session-warning="120"' in page
    assert 'role="alertdialog"' in page
    assert "pqa/js/session-timeout.js" in page


def test_stay_signed_in_starts_the_idle_period_again(client_for, evaluator):
    client = client_for(evaluator)
    key = _age_active_at(client, 29 * 60)  # the warning is showing: a minute left
    response = client.get(reverse("session_ping"))
    assert response.json()["expires_in"] == 30 * 60
    expires = Session.objects.get(session_key=key).expire_date
    assert expires > timezone.now() + dt.timedelta(minutes=29)


def test_an_ended_session_sends_the_person_to_sign_in_with_the_page_to_return_to(client_for, evaluator):
    client = client_for(evaluator)
    Session.objects.all().update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(reverse("evaluations:mine"))
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={reverse('evaluations:mine')}"


def test_signing_out_after_the_session_ended_still_goes_to_the_sign_in_page(client, evaluator):
    """The timeout script signs out when time is up, perhaps a moment after the server did."""
    next_url = f"{LOGIN_URL}?next=/evaluations/mine/"
    response = client.post(reverse("logout"), {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url


# --- Deactivation ends every session -----------------------------------------------------


@pytest.fixture
def administrator(db):
    return UserFactory(username="ada.admin", role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)


def two_browsers(user):
    browsers = [PQAClient(), PQAClient()]
    for browser in browsers:
        browser.force_login(user)
    return browsers


def test_deactivating_an_account_ends_all_its_sessions(evaluator, leader, administrator):
    laptop, phone = two_browsers(evaluator)
    colleague = PQAClient()
    colleague.force_login(leader)

    assert services.user_deactivate(user=evaluator, actor=administrator) == 2

    evaluator.refresh_from_db()
    assert evaluator.is_active is False
    assert evaluator.history.latest().history_user == administrator
    for browser in (laptop, phone):
        assert browser.get(reverse("evaluations:mine"))["Location"].startswith(LOGIN_URL)
    assert colleague.get(reverse("evaluations:mine")).status_code == 200


def test_the_admin_action_deactivates_and_signs_out(client, evaluator, administrator):
    [browser, _] = two_browsers(evaluator)
    client.force_login(administrator)
    response = client.post(
        admin_url(User, "changelist"), {"action": "deactivate_selected", "_selected_action": [evaluator.pk]}
    )
    assert response.status_code == 302
    evaluator.refresh_from_db()
    assert evaluator.is_active is False
    assert browser.get(reverse("evaluations:mine"))["Location"].startswith(LOGIN_URL)


def test_unticking_active_in_the_admin_form_signs_the_person_out(client, evaluator, administrator):
    [browser, _] = two_browsers(evaluator)
    client.force_login(administrator)
    url = admin_url(User, "change", evaluator.pk)
    data = resubmit_data(client.get(url))
    data.pop("is_active")
    for name in ("date_joined", "last_login"):  # split date and time fields in the admin form
        value = data.pop(name, None)
        if value:
            data[f"{name}_0"], data[f"{name}_1"] = f"{value:%Y-%m-%d}", f"{value:%H:%M:%S}"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    evaluator.refresh_from_db()
    assert evaluator.is_active is False
    assert browser.get(reverse("evaluations:mine"))["Location"].startswith(LOGIN_URL)
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(evaluator.pk)]


# --- Two-factor authentication ------------------------------------------------------------


def current_code(device: TOTPDevice, *, ahead: int = 0) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + ahead):06d}"


def test_the_practice_hub_sets_up_two_factor_at_first_sign_in(client, practice_hub):
    response = sign_in(client, "hub.user")
    assert response["Location"] == "/"
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/two-factor/setup/?next=%2F"
    page = response.content.decode()
    assert "Set up two-factor authentication" in page
    assert 'src="data:image/svg+xml;base64,' in page
    assert "<svg" not in page  # the QR code is an image, not markup built on the server
    device = TOTPDevice.objects.get(user=practice_hub, confirmed=False)
    key = response.context["secret"].replace(" ", "")
    assert key in device.config_url

    # A wrong code is refused and nothing opens yet.
    wrong = client.post("/accounts/two-factor/setup/", {"code": "000000", "next": "/"})
    assert "The code is not right" in wrong.content.decode()
    assert client.get(reverse("evaluations:cycle_list"))["Location"].startswith("/accounts/two-factor/")

    session_before = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    device.refresh_from_db()
    device.throttle_reset()  # a wrong code makes the next try wait a second; a person would
    response = client.post("/accounts/two-factor/setup/", {"code": current_code(device), "next": "/"})
    # Set up: the recovery codes are shown, once, before going on.
    assert response.status_code == 200
    page = response.content.decode()
    assert "Two-factor authentication is set up" in page
    assert "Save your recovery codes" in page
    assert len(response.context["codes"]) == 10
    assert 'href="/"' in page  # continue to where they were going
    assert client.get("/", follow=True).redirect_chain[-1][0] == reverse("evaluations:hub_home")  # their Overview
    assert client.cookies[django_settings.SESSION_COOKIE_NAME].value != session_before
    device.refresh_from_db()
    assert device.confirmed

    # The next sign-in asks for a code from the same app.
    client.post(reverse("logout"))
    sign_in(client, "hub.user")
    response = client.get(reverse("evaluations:cycle_list"))
    assert response["Location"] == "/accounts/two-factor/?next=/evaluations/cycles/"
    page = client.get(response["Location"])
    assert "Enter the code from your authenticator app" in page.content.decode()
    device.refresh_from_db()
    response = client.post(
        "/accounts/two-factor/", {"code": current_code(device, ahead=1), "next": "/evaluations/cycles/"}
    )
    assert response["Location"] == "/evaluations/cycles/"
    assert client.get(reverse("evaluations:cycle_list")).status_code == 200


def test_a_code_cannot_be_used_twice(client, practice_hub):
    device = TOTPDevice.objects.create(user=practice_hub, name="Phone", confirmed=True)
    client.force_login(practice_hub, verified=False)
    code = current_code(device)
    assert client.post("/accounts/two-factor/", {"code": code})["Location"] == "/"
    other = PQAClient()
    other.force_login(practice_hub, verified=False)
    response = other.post("/accounts/two-factor/", {"code": code})
    assert response.status_code == 200
    assert "The code is not right" in response.content.decode()


def test_repeated_wrong_codes_are_slowed_down(client, practice_hub):
    TOTPDevice.objects.create(user=practice_hub, name="Phone", confirmed=True)
    client.force_login(practice_hub, verified=False)
    client.post("/accounts/two-factor/", {"code": "000000"})
    response = client.post("/accounts/two-factor/", {"code": "000000"})
    assert "Too many wrong codes" in response.content.decode()


def test_a_code_must_be_six_numbers(client, practice_hub):
    TOTPDevice.objects.create(user=practice_hub, name="Phone", confirmed=True)
    client.force_login(practice_hub, verified=False)
    response = client.post("/accounts/two-factor/", {"code": "12ab"})
    assert "Enter the code as 6 numbers" in response.content.decode()


@pytest.mark.parametrize("role", [Role.EVALUATOR, Role.TEAM_MANAGER, Role.LEADER, Role.CUSTOMER_RELATIONS])
def test_every_role_sets_up_two_factor_at_first_sign_in_and_is_then_asked_for_it(client, make_user, role):
    make_user(role, username="someone")
    sign_in(client, "someone")
    assert client.get("/")["Location"].startswith("/accounts/two-factor/")
    assert client.get("/accounts/two-factor/")["Location"].startswith("/accounts/two-factor/setup/")
    client.get("/accounts/two-factor/setup/")
    device = TOTPDevice.objects.get(user__username="someone")
    assert client.post("/accounts/two-factor/setup/", {"code": current_code(device)}).context["codes"]
    assert client.get("/accounts/two-factor/setup/").context["set_up"] is True

    client.post(reverse("logout"))
    sign_in(client, "someone")
    assert client.get("/")["Location"].startswith("/accounts/two-factor/")


def test_the_menu_is_hidden_until_the_code_is_given(client, practice_hub):
    client.force_login(practice_hub, verified=False)
    page = client.get("/accounts/two-factor/setup/").content.decode()
    assert "govuk-service-navigation__link" in page  # sign out is still there
    assert reverse("evaluations:cycle_list") not in page
    assert "data-session-expires-in" not in page


def test_an_administrator_resets_a_lost_phone(client, practice_hub, administrator):
    TOTPDevice.objects.create(user=practice_hub, name="Phone", confirmed=True)
    [browser, _] = two_browsers(practice_hub)
    client.force_login(administrator)
    response = client.post(
        admin_url(User, "changelist"), {"action": "reset_two_factor", "_selected_action": [practice_hub.pk]}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=practice_hub).exists()
    assert browser.get(reverse("evaluations:cycle_list"))["Location"].startswith(LOGIN_URL)
    # At the next sign-in they set up a new app.
    sign_in(browser, "hub.user")
    assert client.get("/").status_code == 302
    assert browser.get("/accounts/two-factor/")["Location"].startswith("/accounts/two-factor/setup/")


def test_the_admin_never_shows_an_authenticator_secret(client, practice_hub, administrator):
    device = TOTPDevice.objects.create(user=practice_hub, name="Phone", confirmed=True)
    client.force_login(administrator)
    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])).content.decode()
    assert device.key not in page


# --- Content Security Policy ------------------------------------------------------------


def test_pages_carry_a_content_security_policy_with_a_nonce(client_for, evaluator):
    response = client_for(evaluator).get(reverse("evaluations:mine"))
    policy = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in response["Content-Security-Policy"].split(";") if part
    )
    nonce = re.search(r"'nonce-([^']+)'", policy["script-src"]).group(1)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == f"'self' 'nonce-{nonce}'"
    assert policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["form-action"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert policy["object-src"] == "'none'"
    scripts = re.findall(r"<script[^>]*>", response.content.decode())
    assert scripts
    assert all(f'nonce="{nonce}"' in tag for tag in scripts), scripts


def test_every_style_attribute_in_an_installed_template_is_allowed_by_its_hash(client_for, evaluator):
    """The admin pages come from packages; a style attribute there that the policy refuses is
    a broken page in production. Each one found must be allowed by its exact hash."""
    policy = client_for(evaluator).get(reverse("evaluations:mine"))["Content-Security-Policy"]
    allowed = next(part for part in policy.split(";") if part.strip().startswith("style-src-attr"))
    roots = [BASE_DIR / "templates"] + [Path(config.path) / "templates" for config in apps.get_app_configs()]
    assert any("simple_history" in str(root) for root in roots) and any("admin" in str(root) for root in roots)
    found = set()
    for root in roots:
        for path in root.rglob("*.html") if root.is_dir() else []:
            found |= set(re.findall(r'\sstyle="([^"{}]*)"', path.read_text(errors="replace")))
    assert found == {"border-top: 0"}, "a new style attribute: add its hash to style-src-attr, or avoid it"
    for style in found:
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed, style
    assert "'unsafe-inline'" not in policy


# The quarterly report as a standalone document: a file (downloaded as an attachment, or
# turned into a PDF by WeasyPrint), never a page of the app, so it carries its own <style>;
# the report's page shows its body without it (tests/pqa/test_report_pages.py).
STANDALONE_DOCUMENTS = BASE_DIR / "templates" / "reporting" / "report"


def test_templates_have_no_inline_script_style_or_event_handler():
    problems = []
    for path in (BASE_DIR / "templates").rglob("*.html"):
        if path.is_relative_to(STANDALONE_DOCUMENTS):
            assert "<script" not in path.read_text(), path.name
            continue
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag or "nonce=" not in tag:
                problems.append(f"{path.name}: {tag}")
        problems += [f"{path.name}: {m}" for m in re.findall(r"<[^>]*\s(on[a-z]+|style)\s*=[^>]*>", text)]
        problems += [f"{path.name}: <style>" for _ in re.findall(r"<style\b", text)]
        problems += [f"{path.name}: javascript: URL" for _ in re.findall(r"javascript:", text)]
    assert problems == []


# --- Production settings ----------------------------------------------------------------


def _manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PQA_"))}
    clean.pop("DATABASE_URL", None)
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "pqa.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required when DJANGO_DEBUG=0" in result.stderr


def test_a_migration_check_needs_no_secret_key_but_nothing_else_starts_without_one():
    """makemigrations only reads the code, so it runs with a throwaway key; the same bare
    environment still stops every other command."""
    result = _manage("makemigrations", "--check", "--dry-run", DJANGO_DEBUG="0")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
    for command in (["migrate", "--check"], ["runserver", "--noreload"], ["check", "--deploy"]):
        refused = _manage(*command, DJANGO_DEBUG="0")
        assert refused.returncode != 0
        assert "DJANGO_SECRET_KEY is required" in refused.stderr, command


def test_production_settings_pass_check_deploy():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x7Kp2vQ9mZr4Lw8Nt3Hy6Bc1Fd5Gs0Ja-Ue_Xo7Ri2Pk9Vm4Qn8Tb3Wz6Ly1Ch",
        DJANGO_ALLOWED_HOSTS="pqa.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


# --- Audit log ------------------------------------------------------------------------------


@pytest.fixture
def audit_log(caplog):
    caplog.set_level("INFO", logger="pqa.audit")

    def lines():
        return [record.getMessage() for record in caplog.records if record.name == "pqa.audit"]

    return lines


def assert_no_personal_data(lines, *people):
    text = "\n".join(lines)
    assert "@" not in text
    for person in people:
        for value in (person.username, person.email, person.first_name, person.last_name):
            assert value.lower() not in text.lower(), value


def test_sign_ins_failures_lockouts_and_sign_outs_are_logged_without_personal_data(client, evaluator, audit_log):
    sign_in(client, "eve.evaluator@trust.example", "wrong-password")
    sign_in(client, "Eve.Evaluator", "wrong-password")
    sign_in(client, "nobody@trust.example", "wrong-password")
    sign_in(client, "eve.evaluator")
    client.post(reverse("logout"))
    for _ in range(5):
        sign_in(client, "eve.evaluator", "wrong-password")
    lines = audit_log()
    failed = [line for line in lines if line.startswith("login_failed ")]
    assert len(failed) == 8
    # The same account gives the same keyed hash, however it was typed; the user id is kept.
    expected = f"login_failed account={audit.account_hash('eve.evaluator')} user={evaluator.pk}"
    assert failed[0] == failed[1] == expected
    assert failed[2].endswith("user=-")
    assert f"login user={evaluator.pk}" in lines
    assert f"logout user={evaluator.pk}" in lines
    assert any(line.startswith("locked_out ") and f"user={evaluator.pk}" in line for line in lines)
    assert_no_personal_data(lines, evaluator)
    assert "nobody" not in "\n".join(lines)


def test_axes_own_log_lines_carry_no_username(client, evaluator, caplog):
    caplog.set_level("INFO")
    sign_in(client, "eve.evaluator", "wrong-password")
    axes_lines = [record.getMessage() for record in caplog.records if record.name.startswith("axes")]
    assert axes_lines
    assert not [line for line in axes_lines if "eve" in line.lower()]


def test_two_factor_failures_and_successes_are_logged(client, practice_hub, audit_log):
    device = TOTPDevice.objects.create(user=practice_hub, name="Phone", confirmed=True)
    client.force_login(practice_hub, verified=False)
    client.post("/accounts/two-factor/", {"code": "000000"})
    device.throttle_reset()
    client.post("/accounts/two-factor/", {"code": current_code(device)})
    lines = audit_log()
    assert f"two_factor_failed user={practice_hub.pk} stage=verify" in lines
    assert f"two_factor_verified user={practice_hub.pk}" in lines
    assert_no_personal_data(lines, practice_hub)


def test_denied_access_is_logged_by_url_name_without_the_query_string(client_for, evaluator, audit_log):
    client = client_for(evaluator)
    assert client.get(reverse("evaluations:cycle_list"), {"q": "CHILD123456"}).status_code == 404
    other = completed_evaluation(cycle=CycleFactory())
    assert client.get(reverse("evaluations:detail", args=[other.pk])).status_code == 404
    assert client.get("/no/such/page/").status_code == 404
    lines = [line for line in audit_log() if line.startswith("access_denied")]
    assert lines == [
        f"access_denied user={evaluator.pk} status=404 method=GET url=evaluations:cycle_list",
        f"access_denied user={evaluator.pk} status=404 method=GET url=evaluations:detail",
        f"access_denied user={evaluator.pk} status=404 method=GET url=unresolved",
    ]
    assert "CHILD" not in "\n".join(audit_log())


def test_a_refused_second_factor_is_logged_as_denied(client, practice_hub, audit_log):
    client.force_login(practice_hub, verified=False)
    assert client.get(reverse("session_ping")).status_code == 403
    assert f"access_denied user={practice_hub.pk} status=403 method=GET url=session_ping" in audit_log()


def test_exports_are_logged_with_who_what_and_filters(client_for, leader, audit_log, capsys):
    completed_evaluation(cycle=CycleFactory(quarter="2025-26-Q1"))
    response = client_for(leader).get(
        reverse("reporting:distribution_json"), {"quarter": "2025-26-Q1", "service_area": "Children in Care"}
    )
    assert response.status_code == 200
    call_command("pqa_distribution", "--quarter", "2025-26-Q1", "--type", "trust_wide")
    json.loads(capsys.readouterr().out)
    lines = [line for line in audit_log() if line.startswith("export")]
    assert lines == [
        f"export user={leader.pk} what=grade_distribution format=json quarter=2025-26-Q1 "
        "service_area=Children_in_Care type=-",
        "export user=command what=grade_distribution format=json quarter=2025-26-Q1 service_area=- type=trust_wide",
    ]


def test_an_import_is_logged_with_who_and_how_many(known, practice_hub, audit_log):  # noqa: F811
    result = evaluations_import(file=csv_text(completed_row()), actor=practice_hub)
    assert result.ok, result.problems
    evaluations_import(file=csv_text(completed_row()), actor=practice_hub, dry_run=True)
    assert [line for line in audit_log() if line.startswith("import")] == [
        f"import user={practice_hub.pk} what=evaluations rows=1"
    ]


def test_deactivation_and_two_factor_resets_are_logged(evaluator, administrator, audit_log):
    services.two_factor_reset(user=evaluator, actor=administrator)
    services.user_deactivate(user=evaluator, actor=administrator)
    lines = audit_log()
    assert f"two_factor_reset user={evaluator.pk} by={administrator.pk} devices_removed=0" in lines
    assert f"account_deactivated user={evaluator.pk} by={administrator.pk} sessions_ended=0" in lines
    assert_no_personal_data(lines, evaluator, administrator)
