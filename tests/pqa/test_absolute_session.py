"""An absolute session lifetime on top of the idle timeout: 12 hours after signing in the
session ends, however active the person has been, and they sign in again."""

import re
import time

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.urls import reverse

from pqa.sessions import ACTIVE_AT, SIGNED_IN_AT
from tests.evaluations.test_sit_alongside_form import form_data
from tests.factories import EvaluationFactory

pytestmark = pytest.mark.django_db
TWELVE_HOURS = 12 * 60 * 60
LOGIN_URL = reverse("login")


def _signed_in_ago(client, seconds: int) -> str:
    """Pretend the person signed in `seconds` ago and was active a moment ago; returns the key."""
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    store = SessionStore(session_key=key)
    now = int(time.time())
    store[SIGNED_IN_AT] = now - seconds
    store[ACTIVE_AT] = now - 5
    store.save()
    return key


def test_a_session_lasts_at_most_twelve_hours():
    assert django_settings.PQA_SESSION_MAX_SECONDS == TWELVE_HOURS


def test_signing_in_records_when(client, evaluator):
    from tests.test_security import sign_in

    before = int(time.time())
    sign_in(client, "eve.evaluator")
    assert client.session[SIGNED_IN_AT] >= before


def test_twelve_hours_after_signing_in_an_active_session_ends_and_asks_to_sign_in_again(client_for, evaluator):
    client = client_for(evaluator)
    key = _signed_in_ago(client, TWELVE_HOURS)
    response = client.get(reverse("evaluations:mine"))
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={reverse('evaluations:mine')}"
    assert not Session.objects.filter(session_key=key).exists()
    # Ended for good: the next request is not signed in either.
    assert client.get(reverse("evaluations:mine")).status_code == 302


def test_just_under_twelve_hours_the_session_goes_on(client_for, evaluator):
    client = client_for(evaluator)
    _signed_in_ago(client, TWELVE_HOURS - 60)
    response = client.get(reverse("evaluations:mine"))
    assert response.status_code == 200


def test_the_countdown_counts_to_the_absolute_end_when_it_comes_before_the_idle_one(client_for, evaluator):
    client = client_for(evaluator)
    _signed_in_ago(client, TWELVE_HOURS - 100)
    response = client.get(reverse("evaluations:mine"))
    left = int(response["X-PQA-Session-Expires-In"])
    assert 95 <= left <= 100
    assert f'data-session-expires-in="{left}"' in response.text


def test_stay_signed_in_cannot_push_the_absolute_end_back(client_for, evaluator):
    client = client_for(evaluator)
    _signed_in_ago(client, TWELVE_HOURS - 90)
    assert client.get(reverse("session_ping")).json()["expires_in"] <= 90


def test_an_autosave_after_the_absolute_end_is_refused_as_after_the_idle_timeout(client_for, evaluator, team):
    """Nothing is written; the page's script gets what it gets after the idle timeout, and the
    words stay in the tab until the person signs in again (tests/browser)."""
    evaluation = EvaluationFactory(evaluator=evaluator, team=team)
    client = client_for(evaluator)
    _signed_in_ago(client, TWELVE_HOURS + 1)
    response = client.post(
        reverse("evaluations:autosave", args=[evaluation.pk]), form_data(evaluation, strengths="Typed late")
    )
    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN_URL}?next=")
    evaluation.refresh_from_db()
    assert evaluation.strengths == ""


def test_near_the_absolute_end_every_answer_says_that_it_is_the_end_that_cannot_move(client_for, evaluator):
    client = client_for(evaluator)
    response = client.get(reverse("evaluations:mine"))
    assert response["X-PQA-Session-Ends"] == "idle"
    assert 'data-session-ends="idle"' in response.text

    _signed_in_ago(client, TWELVE_HOURS - 90)  # the idle end is 30 minutes away, this one 90 s
    response = client.get(reverse("evaluations:mine"))
    assert response["X-PQA-Session-Ends"] == "absolute"
    assert 'data-session-ends="absolute"' in response.text
    ping = client.get(reverse("session_ping"))
    assert ping.json()["ends"] == "absolute"
    assert ping.json()["expires_in"] <= 90


def test_the_warning_of_the_absolute_end_says_why_in_plain_words(client_for, evaluator):
    client = client_for(evaluator)
    _signed_in_ago(client, TWELVE_HOURS - 90)
    page = re.sub(r"\s+", " ", client.get(reverse("evaluations:mine")).text)
    assert (
        "For your security you will be signed out at "
        '<strong class="pqa-session-end-at">the end of your session</strong> '
        "because you signed in 12 hours ago; your typing is kept."
    ) in page
