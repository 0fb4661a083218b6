"""Demo accounts that need a second factor can be tried without a phone, in debug mode only."""

import re
import types

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from pqa.demo import DEMO_DEVICE_NAME, DEMO_PASSWORD
from pqa.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_hub():
    user = UserFactory(username="demo-hub-test", role=Role.PRACTICE_HUB)
    TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, confirmed=True)
    return user


def test_in_debug_mode_the_code_page_shows_a_demo_accounts_code_and_it_works(client, settings, demo_hub):
    settings.DEBUG = True
    client.force_login(demo_hub, verified=False)
    page = client.get(reverse("two_factor"))
    code = re.search(r"the code now is <strong>(\d{6})</strong>", page.text)
    assert code, "the demo code is shown"
    response = client.post(reverse("two_factor"), {"code": code[1], "next": reverse("evaluations:cycle_list")})
    assert response.status_code == 302
    assert client.get(reverse("evaluations:cycle_list")).status_code == 200


def test_without_debug_mode_no_code_is_shown(client, settings, demo_hub):
    settings.DEBUG = False
    client.force_login(demo_hub, verified=False)
    assert "the code now is" not in client.get(reverse("two_factor")).text


def test_a_real_device_never_has_its_code_shown(client, settings):
    settings.DEBUG = True
    user = UserFactory(username="demo-real-device", role=Role.MODERATOR)
    TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    client.force_login(user, verified=False)
    assert "the code now is" not in client.get(reverse("two_factor")).text


@pytest.fixture
def frozen_otp_clock(monkeypatch):
    """django-otp's clock held still, so every sign-in below falls in one 30-second step."""
    from django_otp import oath
    from django_otp.plugins.otp_totp import models as totp_models

    now = 1_800_000_000 + 3  # early in a step
    monkeypatch.setattr(oath, "time", lambda: now)
    monkeypatch.setattr(totp_models, "time", types.SimpleNamespace(time=lambda: now))


def sign_in_with_the_shown_code(client, username):
    response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, "the password is accepted"
    page = client.get(reverse("two_factor"))
    code = re.search(r"the code now is <strong>(\d{6})</strong>", page.text)
    assert code, "the demo code is shown"
    response = client.post(reverse("two_factor"), {"code": code[1], "next": reverse("evaluations:list")})
    assert response.status_code == 302, "the code shown is accepted"
    assert response.url == reverse("evaluations:list")
    assert client.get(reverse("evaluations:list")).status_code == 200
    return code[1]


def test_the_demo_moderator_signs_in_twice_in_a_row_and_both_succeed(client, settings, frozen_otp_clock):
    settings.DEBUG = True
    moderator = UserFactory(username="demo-moderator", role=Role.MODERATOR)
    moderator.set_password(DEMO_PASSWORD)
    moderator.save()
    TOTPDevice.objects.create(user=moderator, name=DEMO_DEVICE_NAME, confirmed=True)

    codes = []
    for _ in range(3):
        codes.append(sign_in_with_the_shown_code(client, "demo-moderator"))
        client.post(reverse("logout"))
    assert len(set(codes)) == 3, "a code already used is never shown again"


def test_the_login_page_says_every_demo_account_is_asked_for_a_code(client, settings):
    settings.DEBUG = True
    UserFactory(username="demo-moderator", role=Role.MODERATOR)
    UserFactory(username="demo-evaluator", role=Role.EVALUATOR)
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get(reverse("login")).text))
    assert "Every account is then asked for a two-factor code" in page
    assert "demo-moderator Moderator" in page
    assert "demo-evaluator Evaluator" in page


@pytest.mark.parametrize("role", list(Role))
def test_the_demo_account_of_every_role_signs_in_without_a_phone(client, settings, role):
    settings.DEBUG = True
    username = f"demo-{role}"
    person = UserFactory(username=username, role=role, is_staff=role == Role.ADMINISTRATOR)
    person.set_password(DEMO_PASSWORD)
    person.save()
    TOTPDevice.objects.create(user=person, name=DEMO_DEVICE_NAME, confirmed=True)
    sign_in_with_the_shown_code(client, username)
