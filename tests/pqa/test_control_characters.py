"""A control character in any query or form parameter of any page is a 400 naming the field,
never a 500 (PostgreSQL cannot store a NUL). Tab and newline in free text are kept."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from pqa.validators import control_character, validate_no_control_characters
from tests.evaluations.test_sit_alongside_form import form_data
from tests.factories import EvaluationFactory
from tests.test_access_matrix import ANONYMOUS, EXPECTATIONS, PEOPLE, QUERY, _args, world  # noqa: F401 - world is a fixture

JSON_ENDPOINTS = {
    "session_ping",
    "evaluations:autosave",
    "reporting:distribution_json",
    "reporting:scorecard_json",
    "reporting:feedback_json",
    "import_job_status",
    "feedback:complaints:register_json",
    "reporting:report_status",
}
# The BI feed asks for its bearer token before it reads anything: without one, a 401 (with a
# token, a control character in ?page is a 400: tests/pqa/test_feed.py).
TOKEN_ENDPOINTS = {"feed:csv", "feed:json"}


@pytest.mark.parametrize("text", ["\x00", "a\x01b", "\x08", "\x0b", "\x0c", "\x1b[31m", "\x1f"])
def test_control_characters_are_refused(text):
    assert control_character(text)
    with pytest.raises(ValidationError, match=r"control character \(U\+00"):
        validate_no_control_characters(text)


@pytest.mark.parametrize("text", ["plain", "two\nlines", "a\ttab", "windows\r\nline", "café – ✓"])
def test_tab_newline_and_ordinary_text_pass(text):
    assert control_character(text) is None
    validate_no_control_characters(text)


@pytest.mark.django_db
def test_a_nul_in_the_service_area_of_the_json_is_a_400_naming_the_field(client_for, leader):
    response = client_for(leader).get(
        reverse("reporting:distribution_json"), {"quarter": "2025-26-Q1", "service_area": "\x00"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "The field 'service_area' contains a control character (U+0000), which PQA does not accept: "
        "remove it (retype the text rather than paste it) and send again."
    }


@pytest.mark.django_db
def test_a_control_character_in_a_page_filter_is_the_400_page_naming_the_field(client_for, leader):
    response = client_for(leader).get(reverse("evaluations:list"), {"reference": "PE\x01"})
    assert response.status_code == 400
    assert "The field &#x27;reference&#x27; contains a control character (U+0001)" in response.text
    assert "Sorry, there is a problem with what was sent" in response.text


@pytest.mark.django_db
def test_a_nul_typed_into_the_form_is_refused_and_nothing_is_saved(client_for, evaluator, team):
    evaluation = EvaluationFactory(evaluator=evaluator, team=team)
    response = client_for(evaluator).post(
        reverse("evaluations:autosave", args=[evaluation.pk]),
        form_data(evaluation, strengths="Good\x00work"),
        headers={"X-Requested-With": "XMLHttpRequest", "Accept": "application/json"},
    )
    assert response.status_code == 400
    assert "'strengths' contains a control character (U+0000)" in response.json()["error"]
    evaluation.refresh_from_db()
    assert evaluation.version == 1


@pytest.mark.django_db
def test_tab_and_newline_in_free_text_are_saved(client_for, evaluator, team):
    evaluation = EvaluationFactory(evaluator=evaluator, team=team)
    response = client_for(evaluator).post(
        reverse("evaluations:autosave", args=[evaluation.pk]),
        form_data(evaluation, strengths="First\r\n\tsecond"),
        headers={"X-Requested-With": "XMLHttpRequest", "Accept": "application/json"},
    )
    assert response.status_code == 200
    evaluation.refresh_from_db()
    assert evaluation.strengths == "First\r\n\tsecond"


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_a_nul_in_any_parameter_of_any_page_is_a_400_for_everyone(client, world, name):  # noqa: F811
    _, argument, _ = EXPECTATIONS[name]
    url = reverse(name, args=_args(world, argument))
    query = QUERY.get(name, "?")
    outcomes = {}
    for person in PEOPLE:
        client.logout()
        if person != ANONYMOUS:
            client.force_login(world["people"][person])
        for method, response in (
            ("GET value", client.get(f"{url}{query}&q=%00")),
            ("GET name", client.get(f"{url}{query}&%00=1")),
            ("POST", client.post(f"{url}{query}", {"csrfmiddlewaretoken": "x", "text": "a\x00b"})),
        ):
            json = response["Content-Type"] == "application/json"
            outcomes[(person, method)] = (response.status_code, json)
    expected = (401, False) if name in TOKEN_ENDPOINTS else (400, name in JSON_ENDPOINTS)
    assert outcomes == dict.fromkeys(outcomes, expected)


@pytest.mark.django_db
def test_a_nul_in_the_sign_in_form_is_a_400_not_a_lockout_record(client):
    response = client.post(reverse("login"), {"username": "eve\x00", "password": "x"})
    assert response.status_code == 400
    assert "The field &#x27;username&#x27;" in response.text
