"""The core's refused-version kit (pqa.conflicts) works for any versioned record, given only
that record's forms and save service: here a recommendation, with a small form of its own and
none of the evaluation's page."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from evaluations import services
from evaluations.models import Grade, Recommendation
from pqa.conflicts import RefusedVersionPage, form_values, keep_refused_version
from pqa.models import EditConflict
from pqa.versioning import ConcurrentEditError
from tests.factories import completed_evaluation

pytestmark = pytest.mark.django_db

FIELDS = ("action", "outcome_note")


class RecommendationEditForm(forms.Form):
    # Nothing required here: what the model refuses, its service refuses.
    version = forms.IntegerField(widget=forms.HiddenInput)
    action = forms.CharField(required=False, label="Action")
    outcome_note = forms.CharField(required=False, label="Note")


def build(recommendation, data):
    initial = {"version": recommendation.version, **{name: getattr(recommendation, name) for name in FIELDS}}
    return RecommendationEditForm(data, initial=initial)


def apply(request, recommendation, form):
    services.recommendation_update(
        recommendation=recommendation,
        values={name: form.cleaned_data[name] for name in FIELDS},
        actor=request.user,
        expected_version=form.cleaned_data["version"],
    )


PAGE = RefusedVersionPage(
    build=build,
    sections=lambda form: {"recommendation": ("", form_values(form))},
    errors=lambda form: [message for messages in form.errors.values() for message in messages],
    apply=apply,
    form_url=lambda recommendation: f"/recommendations/{recommendation.pk}/",
)


def request_as(user, method="get", data=None, path="/recommendations/not-saved/"):
    request = getattr(RequestFactory(), method)(path, data or {})
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


@pytest.fixture
def refused(team_manager, practice_hub):
    """Both open version 1; the Practice Hub saves first; the team manager's save is refused and kept."""
    recommendation = Recommendation.objects.create(
        evaluation=completed_evaluation(grade=Grade.REQUIRES_IMPROVEMENT),
        action="Update the chronology",
        owner_text="TM",
    )
    services.recommendation_update(
        recommendation=recommendation,
        values={"action": "Update the chronology by Friday"},
        actor=practice_hub,
        expected_version=1,
    )
    mine = {"version": "1", "action": "Update the chronology with the family", "outcome_note": ""}
    with pytest.raises(ConcurrentEditError) as error:
        services.recommendation_update(
            recommendation=recommendation, values={"action": mine["action"]}, actor=team_manager, expected_version=1
        )
    keep_refused_version(request_as(team_manager, "post", mine), recommendation, based_on_version=1, error=error.value)
    recommendation.refresh_from_db()
    return recommendation


def test_the_kept_version_of_another_record_is_compared_with_the_saved_one(refused, team_manager, practice_hub):
    response = PAGE.view(request_as(team_manager), refused)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Your version that was not saved: recommendation" in text
    assert "Your version (not saved)" in text and "The saved version" in text
    assert "Update the chronology with the family" in text and "Update the chronology by Friday" in text
    assert f"{practice_hub} had saved it after you opened it" in text
    assert "Use my version" in text


def test_use_my_version_applies_it_through_the_records_own_service(refused, team_manager):
    conflict = EditConflict.objects.get()
    request = request_as(team_manager, "post", {"conflict": conflict.pk, "version": 2, "choice": "mine"})
    response = PAGE.view(request, refused)
    assert (response.status_code, response["Location"]) == (302, f"/recommendations/{refused.pk}/")
    refused.refresh_from_db()
    assert (refused.action, refused.version) == ("Update the chronology with the family", 3)
    assert refused.history.latest().history_user == team_manager
    conflict.refresh_from_db()
    assert conflict.resolution == EditConflict.Resolution.APPLIED


def test_a_kept_version_the_model_refuses_is_not_applied_and_says_why(refused, team_manager):
    conflict = EditConflict.objects.get()
    conflict.data["action"] = [""]  # a recommendation needs its action
    conflict.save()
    request = request_as(team_manager, "post", {"conflict": conflict.pk, "version": 2, "choice": "mine"})
    response = PAGE.view(request, refused)
    assert response.status_code == 302
    [message] = [str(message) for message in get_messages(request)]
    assert message.startswith("Your version could not be applied (This field cannot be blank.)")
    refused.refresh_from_db()
    assert (refused.action, refused.version) == ("Update the chronology by Friday", 2)
    conflict.refresh_from_db()
    assert conflict.resolved_at is None
