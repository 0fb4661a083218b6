"""Recovery codes: ten single-use codes shown once at set-up, each signing in once instead of a
code from the authenticator app, kept only as digests, voided by a new set, slowed down and
audited like app codes, and removed by an administrator's reset."""

import hashlib
import logging
import re

import pytest
from django.db import connection
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from pqa import services
from pqa.models import RecoveryCode, RecoveryCodeDevice, Role, User
from tests.conftest import PQAClient
from tests.test_admin import admin_url

pytestmark = pytest.mark.django_db
RECOVERY = "/accounts/two-factor/recovery/"


@pytest.fixture
def manager(make_user):
    person = make_user(Role.TEAM_MANAGER, username="tom.manager")
    TOTPDevice.objects.create(user=person, name="Phone", confirmed=True)
    return person


@pytest.fixture
def codes(manager):
    return services.two_factor_recovery_codes_generate(user=manager)


def password_only(person) -> PQAClient:
    browser = PQAClient()
    browser.force_login(person, verified=False)
    return browser


def test_set_up_shows_ten_codes_once_with_a_download_and_a_print_button(client, make_user):
    person = make_user(Role.LEADER, username="lee.leader")
    client.force_login(person, verified=False)
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=person)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    response = client.post(reverse("two_factor_setup"), {"code": code, "next": "/evaluations/"})
    shown = response.context["codes"]
    page = response.content.decode()
    assert len(shown) == 10 and len(set(shown)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", code) for code in shown)
    assert all(code in page for code in shown)
    assert "PQA shows these codes only now" in page
    assert 'download="pqa-recovery-codes.txt"' in page
    assert "data-print" in page
    assert 'href="/evaluations/"' in page
    # Shown once: the page of codes afterwards says how many, never which.
    later = client.get(reverse("two_factor_recovery_codes")).content.decode()
    assert "You have 10 recovery codes left" in later
    assert not any(code in later for code in shown)


def test_a_recovery_code_signs_in_once_and_not_twice(manager, codes):
    browser = password_only(manager)
    assert browser.get(reverse("evaluations:team_home"))["Location"].startswith("/accounts/two-factor/")
    response = browser.post(RECOVERY, {"code": codes[0].upper().replace("-", " "), "next": "/"})
    assert response["Location"] == "/"
    page = browser.get(reverse("evaluations:team_home"))
    assert page.status_code == 200
    assert "You signed in with a recovery code. You have 9 recovery codes left." in page.content.decode()

    again = password_only(manager)
    response = again.post(RECOVERY, {"code": codes[0], "next": "/"})
    assert response.status_code == 200
    assert "has been used already" in response.content.decode()
    assert again.get(reverse("evaluations:team_home"))["Location"].startswith("/accounts/two-factor/")


def test_the_page_warns_when_few_codes_are_left(manager, codes):
    for code in codes[:7]:
        RecoveryCodeDevice.objects.get(user=manager).verify_token(code)
    browser = password_only(manager)
    browser.post(RECOVERY, {"code": codes[7], "next": "/"})
    page = browser.get(reverse("two_factor_recovery_codes")).content.decode()
    assert "only 2 recovery codes left" in page
    assert "only 2 recovery codes left" in browser.get(reverse("two_factor_setup")).content.decode()


def test_a_new_set_voids_the_old_one(manager, codes):
    browser = PQAClient()
    browser.force_login(manager)
    response = browser.post(reverse("two_factor_recovery_codes"))
    new_codes = response.context["codes"]
    assert "Your earlier recovery codes no longer work" in response.content.decode()
    assert set(new_codes).isdisjoint(codes)
    assert RecoveryCode.objects.filter(device__user=manager).count() == 10

    old = password_only(manager)
    assert "has been used already" in old.post(RECOVERY, {"code": codes[1]}).content.decode()
    # The wrong try slows the next one down by a second; a person would wait, the test resets it.
    RecoveryCodeDevice.objects.filter(user=manager).update(throttling_failure_count=0)
    fresh = password_only(manager)
    fresh.post(RECOVERY, {"code": new_codes[1]})
    assert fresh.get(reverse("evaluations:team_home")).status_code == 200


def test_codes_are_not_stored_in_a_form_a_database_reader_can_use(manager, codes):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM pqa_recoverycode")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
        cursor.execute("SELECT * FROM pqa_recoverycodedevice")
        stored += " ".join(str(value) for row in cursor.fetchall() for value in row)
    for code in codes:
        plain = code.replace("-", "")
        assert code not in stored and plain not in stored
        assert hashlib.sha256(plain.encode()).hexdigest() in stored  # only its digest
    # What a reader finds does not sign in.
    digest = RecoveryCode.objects.filter(device__user=manager).first().digest
    browser = password_only(manager)
    assert browser.post(RECOVERY, {"code": digest[:16]}).status_code == 200
    assert browser.get(reverse("evaluations:team_home"))["Location"].startswith("/accounts/two-factor/")


def test_wrong_recovery_codes_are_slowed_down_like_app_codes(manager, codes):
    browser = password_only(manager)
    browser.post(RECOVERY, {"code": "aaaa-bbbb-cccc-dddd"})
    response = browser.post(RECOVERY, {"code": codes[0]})
    assert "Too many wrong codes" in response.content.decode()
    assert RecoveryCode.objects.filter(device__user=manager).count() == 10, "a throttled try uses no code"


def test_a_recovery_code_must_look_like_one(manager, codes):
    response = password_only(manager).post(RECOVERY, {"code": "123456"})
    assert "Enter the recovery code as 16 letters and numbers" in response.content.decode()
    assert "<title>Error: Sign in with a recovery code" in response.content.decode()


def test_the_code_page_offers_a_recovery_code_instead(manager):
    page = password_only(manager).get("/accounts/two-factor/?next=/evaluations/").content.decode()
    assert 'href="/accounts/two-factor/recovery/?next=%2Fevaluations%2F"' in page


def test_someone_with_no_app_yet_is_sent_to_set_up_not_to_recovery(make_user):
    person = make_user(Role.LEADER, username="new.leader")
    assert password_only(person).get(RECOVERY)["Location"].startswith("/accounts/two-factor/setup/")


def test_after_a_lost_phone_the_person_sets_up_a_new_one_themselves(manager, codes):
    old_phone = TOTPDevice.objects.get(user=manager)
    browser = password_only(manager)
    browser.post(RECOVERY, {"code": codes[0]})
    page = browser.get(reverse("two_factor_setup") + "?new=1")
    assert "Set up a new authenticator app" in page.content.decode()
    new_phone = TOTPDevice.objects.get(user=manager, confirmed=False)
    code = f"{totp(new_phone.bin_key, new_phone.step, new_phone.t0, new_phone.digits, new_phone.drift):06d}"
    response = browser.post(reverse("two_factor_setup") + "?new=1", {"code": code})
    assert response.status_code == 302
    assert list(TOTPDevice.objects.filter(user=manager)) == [new_phone]
    assert not TOTPDevice.objects.filter(pk=old_phone.pk).exists()
    assert RecoveryCode.objects.filter(device__user=manager).count() == 9, "the codes are kept"


def test_using_and_regenerating_codes_are_audited(manager, codes, caplog):
    caplog.set_level(logging.INFO, logger="pqa.audit")
    browser = password_only(manager)
    browser.post(RECOVERY, {"code": "aaaa-bbbb-cccc-dddd"})
    RecoveryCodeDevice.objects.filter(user=manager).update(throttling_failure_count=0)
    browser.post(RECOVERY, {"code": codes[0]})
    browser.post(reverse("two_factor_recovery_codes"))
    lines = [record.getMessage() for record in caplog.records if record.name == "pqa.audit"]
    assert f"two_factor_failed user={manager.pk} stage=recovery" in lines
    assert f"recovery_code_used user={manager.pk} left=9" in lines
    assert f"recovery_codes_generated user={manager.pk} codes=10" in lines
    assert not any(code in " ".join(lines) for code in codes)


def test_an_administrators_reset_removes_the_recovery_codes_too(client, manager, codes):
    administrator = User.objects.create_user(
        username="ada.admin", password="x" * 20, role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True
    )
    client.force_login(administrator)
    response = client.post(
        admin_url(User, "changelist"), {"action": "reset_two_factor", "_selected_action": [manager.pk]}
    )
    assert response.status_code == 302
    assert not RecoveryCodeDevice.objects.filter(user=manager).exists()
    assert not RecoveryCode.objects.filter(device__user=manager).exists()
    browser = password_only(manager)
    assert browser.post(RECOVERY, {"code": codes[0]})["Location"].startswith("/accounts/two-factor/setup/")


def test_switching_between_app_and_recovery_codes_gives_a_guesser_no_more_tries(manager, codes):
    browser = password_only(manager)
    browser.post("/accounts/two-factor/", {"code": "000000"})
    assert "Too many wrong codes" in browser.post(RECOVERY, {"code": codes[0]}).content.decode()
    TOTPDevice.objects.filter(user=manager).update(throttling_failure_count=0)
    browser.post(RECOVERY, {"code": "aaaa-bbbb-cccc-dddd"})
    assert "Too many wrong codes" in browser.post("/accounts/two-factor/", {"code": "123456"}).content.decode()
