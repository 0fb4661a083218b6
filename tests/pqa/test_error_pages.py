"""The error pages are the trust's, in plain words with a way back, and need no database: the
500 page renders with the database down."""

import html

import pytest
from django.core.exceptions import PermissionDenied
from django.db import OperationalError, connection
from django.test import RequestFactory
from django.urls import reverse

from pqa import errors
from tests.conftest import PQAClient

PAGES = {
    400: (errors.bad_request, "Sorry, there is a problem with what was sent"),
    403: (errors.permission_denied, "You cannot do that"),
    404: (errors.page_not_found, "Page not found"),
}


def _title(response) -> str:
    text = response.content.decode()
    return html.unescape(text.split("<title>", 1)[1].split("</title>", 1)[0])


@pytest.mark.django_db
@pytest.mark.parametrize("status", sorted(PAGES))
def test_each_error_page_has_its_status_title_and_a_way_back_without_a_query(status, django_assert_num_queries):
    handler, heading = PAGES[status]
    request = RequestFactory().get("/anything/")
    with django_assert_num_queries(0):
        response = handler(request, PermissionDenied())
    assert response.status_code == status
    assert _title(response) == f"{heading} – Children's Trust PQA"
    assert f'<h1 class="govuk-heading-l">{heading}</h1>' in response.text
    assert 'href="/"' in response.text  # the way back to the person's start page


@pytest.mark.django_db
def test_the_500_page_has_its_status_title_and_a_way_back_without_a_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = errors.server_error(RequestFactory().get("/anything/"))
    assert response.status_code == 500
    assert _title(response) == "Sorry, there is a problem with the service – Children's Trust PQA"
    assert "Try again in a few minutes." in response.text
    assert 'href="/"' in response.text


def _database_down(execute, sql, params, many, context):
    raise OperationalError("could not connect to server: Connection refused")


@pytest.mark.django_db
def test_a_page_that_fails_because_the_database_is_down_gets_the_trusts_500_page(evaluator):
    client = PQAClient(raise_request_exception=False)
    client.force_login(evaluator)
    with connection.execute_wrapper(_database_down):
        response = client.get(reverse("evaluations:mine"))
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.text
    assert "Children&#x27;s Trust PQA" in response.text


@pytest.mark.django_db
def test_someone_elses_record_is_the_trusts_404_page(client_for, evaluator):
    response = client_for(evaluator).get(reverse("evaluations:detail", args=[999999]))
    assert response.status_code == 404
    assert _title(response) == "Page not found – Children's Trust PQA"


@pytest.mark.django_db
def test_a_form_sent_with_an_old_token_gets_the_trusts_403_page_saying_nothing_changed(evaluator):
    client = PQAClient(enforce_csrf_checks=True)
    client.force_login(evaluator)
    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403
    assert _title(response) == "The page you sent has expired – Children's Trust PQA"
    assert "Nothing was changed." in response.text
