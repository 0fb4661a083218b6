"""One request carries a bounded amount (settings PQA_MAX_REQUEST_BYTES and DATA_UPLOAD_*): more
is a clear 413 (or 400) in the trust's page, or in JSON for scripts, never a 500."""

import pytest
from django.core.exceptions import RequestDataTooBig
from django.test import RequestFactory
from django.urls import reverse

from evaluations import allocation_lists
from evaluations.forms import imports as import_form
from pqa import errors, spreadsheets

pytestmark = pytest.mark.django_db


def test_the_bounds_agree_with_the_largest_file_pqa_reads(settings):
    assert import_form.MAX_UPLOAD_BYTES <= spreadsheets.MAX_BYTES
    assert allocation_lists.MAX_FILE_BYTES <= spreadsheets.MAX_BYTES
    # The largest file, and room for the form around it.
    assert spreadsheets.MAX_BYTES < settings.PQA_MAX_REQUEST_BYTES <= spreadsheets.MAX_BYTES + 2 * 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE < spreadsheets.MAX_BYTES


def test_a_body_larger_than_pqa_takes_is_refused_before_it_is_read(client_for, practice_hub, settings):
    response = client_for(practice_hub).post(
        reverse("evaluations:import"),
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(settings.PQA_MAX_REQUEST_BYTES + 1),
    )
    assert response.status_code == 413
    assert "<title>Sorry, what was sent is too large" in response.text
    assert "larger than PQA takes at once (21 MB). Nothing was saved. Split a large spreadsheet" in response.text


def test_form_fields_larger_than_pqa_takes_are_a_413_page_not_a_500(client_for, practice_hub):
    response = client_for(practice_hub).post(
        reverse("evaluations:cycle_create"), {"quarter": "2025-26-Q1", "type": "thematic", "title": "t" * 5_000_000}
    )
    assert response.status_code == 413
    assert "more than 4 MB of text). Nothing was saved: shorten the longest answers" in response.text


def test_a_script_is_told_in_json(client_for, evaluator):
    response = client_for(evaluator).post(
        reverse("evaluations:list"), {"x": "y" * 5_000_000}, headers={"accept": "application/json"}
    )
    assert response.status_code == 413
    assert "Nothing was saved" in response.json()["error"]


def test_more_fields_than_any_form_has_are_a_400_that_says_so(client_for, practice_hub, settings):
    data = {f"field{number}": "1" for number in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = client_for(practice_hub).post(reverse("evaluations:cycle_create"), data)
    assert response.status_code == 400
    assert "more fields or files than any PQA form has" in response.text


def test_a_body_too_large_for_a_view_that_reads_it_itself_is_a_413_page(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = errors.bad_request(RequestFactory().get("/"), RequestDataTooBig())
    assert response.status_code == 413
    assert "Sorry, what was sent is too large" in response.text
