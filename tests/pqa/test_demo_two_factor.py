"""Demo accounts that need a second factor can be tried without a phone, in debug mode only."""

import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from pqa.demo import DEMO_DEVICE_NAME
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
