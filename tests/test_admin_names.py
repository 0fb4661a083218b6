"""The admin carries PQA's name and the trust's, and every section reads as words."""

import re

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import reverse

from pqa.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_page(client):
    administrator = UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(administrator)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response.content.decode()


def section_headings(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", caption).strip() for caption in re.findall(r"<caption>(.*?)</caption>", html, re.S)]


def test_the_admin_carries_pqas_name_and_the_trusts(admin_page):
    assert f"<title>Records, people and settings | {settings.PQA_TRUST_NAME} PQA administration</title>" in (
        admin_page.replace("&#x27;", "'")
    )
    assert f"{settings.PQA_TRUST_NAME} PQA administration" in admin_page.replace("&#x27;", "'")
    assert "Django administration" not in admin_page


def test_every_section_of_the_admin_reads_as_words(admin_page):
    headings = section_headings(admin_page)
    assert "Sign-in lockouts" in headings
    assert "Authenticators" in headings
    for heading in headings:
        assert "_" not in heading, heading
        assert not heading.isupper(), heading


def test_every_app_with_models_in_the_admin_has_a_name_in_words():
    for model in admin.site._registry:
        name = model._meta.app_config.verbose_name
        assert "_" not in name and not name.isupper(), f"{model._meta.app_label}: {name}"
