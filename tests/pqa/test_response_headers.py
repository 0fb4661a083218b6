"""No page is cached (they show children's records, and the two-factor set-up its secret), and
every answer carries a Permissions-Policy."""

import pytest
from django.conf import settings
from django.urls import reverse

from pqa.models import Role
from tests.factories import UserFactory
from tests.test_access_matrix import ANONYMOUS, EXPECTATIONS, PEOPLE, QUERY, _args, world  # noqa: F401 - world is a fixture

POLICY = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"


def _not_cached(response) -> bool:
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    return {"no-store", "no-cache", "private"} <= directives


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_every_page_for_everyone_is_not_cached_and_has_a_permissions_policy(client, world, name):  # noqa: F811
    method, argument, _ = EXPECTATIONS[name]
    url = reverse(name, args=_args(world, argument)) + QUERY.get(name, "")
    missing = []
    for person in PEOPLE:
        client.logout()
        if person != ANONYMOUS:
            client.force_login(world["people"][person])
        response = getattr(client, method)(url)
        if not _not_cached(response) or response.get("Permissions-Policy") != POLICY:
            missing.append((person, response.status_code, response.get("Cache-Control")))
    assert missing == []


@pytest.mark.django_db
def test_the_two_factor_set_up_showing_the_secret_is_not_cached(client):
    person = UserFactory(role=Role.PRACTICE_HUB)
    client.force_login(person, verified=False)
    response = client.get(reverse("two_factor_setup"))
    assert response.status_code == 200
    assert "secret" in response.text.lower() or "key" in response.text.lower()
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_a_page_not_found_is_not_cached_either(client_for, evaluator):
    client = client_for(evaluator)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert _not_cached(response)
    assert response["Permissions-Policy"] == POLICY


def test_static_files_carry_the_permissions_policy_too():
    headers = {}
    settings.WHITENOISE_ADD_HEADERS_FUNCTION(headers, "/srv/static/pqa/css/pqa.css", "/static/pqa/css/pqa.css")
    assert headers == {"Permissions-Policy": POLICY}
