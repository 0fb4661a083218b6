"""Changing a child and family feedback response or an advocacy referral, as a compliment is
changed: through its update service from the version opened, with the history attributed; a
save from a stale page refused, what was typed kept; only those who record feedback may."""

import datetime as dt

import pytest
from django.urls import reverse

from feedback.voice import services
from pqa.models import EditConflict, Role
from pqa.versioning import ConcurrentEditError

pytestmark = pytest.mark.django_db


def _date(prefix, day):
    return {f"{prefix}_0": day.day, f"{prefix}_1": day.month, f"{prefix}_2": day.year}


def make_response(team):
    return services.feedback_response_record(
        actor=None,
        reference="FR-1",
        date=dt.date(2025, 5, 1),
        source="review",
        respondent="child",
        service_area=team.service_area,
        team=team,
        comment="They listened.",
    )


def make_referral(team):
    return services.advocacy_referral_record(
        actor=None, reference="AR-1", date=dt.date(2025, 5, 1), source="self", service_area=team.service_area
    )


@pytest.fixture
def response(team):
    return make_response(team)


@pytest.fixture
def referral(team):
    return make_referral(team)


def _response_form(response, **changes):
    return {
        "version": response.version,
        "reference": response.reference,
        **_date("date", response.date),
        "source": response.source,
        "respondent": response.respondent,
        "service_area": response.service_area_id,
        "team": response.team_id,
        "comment": response.comment,
        **changes,
    }


def _referral_form(referral, **changes):
    return {
        "version": referral.version,
        "reference": referral.reference,
        **_date("date", referral.date),
        "source": referral.source,
        "service_area": referral.service_area_id,
        **changes,
    }


def test_a_response_is_changed_through_its_service_with_the_history_attributed(client_for, practice_hub, response):
    client = client_for(practice_hub)
    detail = client.get(reverse("feedback:response_detail", args=[response.pk])).text
    assert f'href="/feedback/responses/{response.pk}/change/"' in detail
    reply = client.post(
        reverse("feedback:response_change", args=[response.pk]), _response_form(response, comment="They listened.!")
    )
    assert (reply.status_code, reply["Location"]) == (302, f"/feedback/responses/{response.pk}/")
    response.refresh_from_db()
    assert (response.comment, response.version) == ("They listened.!", 2)
    assert response.history.latest().history_user == practice_hub


def test_a_referral_changed_from_a_stale_page_is_refused_and_what_was_typed_kept(
    client_for, practice_hub, make_user, referral
):
    opened = _referral_form(referral)
    client_for(make_user(Role.CUSTOMER_RELATIONS)).post(
        reverse("feedback:referral_change", args=[referral.pk]), {**opened, "reference": "AR-1-A"}
    )
    url = reverse("feedback:referral_change", args=[referral.pk])
    refused = client_for(practice_hub).post(url, {**opened, "reference": "AR-1-B"})
    assert refused.status_code == 409
    assert "saved this record after you opened it, so your changes were not saved." in refused.text
    assert 'value="AR-1-B"' in refused.text and 'name="version" value="2"' in refused.text
    referral.refresh_from_db()
    assert (referral.reference, referral.version) == ("AR-1-A", 2)
    assert EditConflict.objects.get(user=practice_hub).data["reference"] == ["AR-1-B"]


def test_a_stale_response_service_call_is_refused(response):
    services.feedback_response_update(actor=None, response=response, expected_version=1, comment="First.")
    with pytest.raises(ConcurrentEditError):
        services.feedback_response_update(actor=None, response=response, expected_version=1, comment="Second.")


@pytest.mark.parametrize("role", [Role.TEAM_MANAGER, Role.LEADER])
def test_someone_who_does_not_record_feedback_finds_no_change_page(client_for, make_user, response, referral, role):
    client = client_for(make_user(role))
    assert client.get(reverse("feedback:response_change", args=[response.pk])).status_code == 404
    assert (
        client.post(reverse("feedback:referral_change", args=[referral.pk]), _referral_form(referral)).status_code
        == 404
    )
