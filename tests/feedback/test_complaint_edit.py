"""Changing what was recorded about a complaint (customer relations, the Practice Hub,
administrators): saved through complaint_update with its history attributed; a save from a
page opened before someone else's is refused, nothing overwritten and what was typed kept."""

import datetime as dt

import pytest
from django.urls import reverse

from feedback.complaints import services
from pqa.models import EditConflict, Role

D = dt.date
pytestmark = pytest.mark.django_db


def _date(prefix, day):
    return {f"{prefix}_0": day.day, f"{prefix}_1": day.month, f"{prefix}_2": day.year}


def _posted(complaint, **changes):
    """The edit page's form as a person sends it, from the version they opened."""
    data = {
        "version": complaint.version,
        **_date("received", complaint.received),
        "how_received": complaint.how_received,
        "complainant": complaint.complainant,
        "procedure": complaint.procedure,
        "service_area": complaint.service_area_id,
        "team": complaint.team_id or "",
        "child_ref": complaint.child_ref,
        "themes": [theme.theme for theme in complaint.themes.all()],
        "summary": complaint.summary,
        "age_band": complaint.age_band,
        "ethnicity": complaint.ethnicity,
        "disability": complaint.disability,
        "gender": complaint.gender,
    }
    data.update(changes)
    return data


@pytest.fixture
def complaint(record_complaint):
    return record_complaint(summary="Calls not returned.", themes=["delay"])


def test_the_complaints_page_links_to_its_change_page_for_those_who_manage_complaints(
    client_for, customer_relations, complaint
):
    page = client_for(customer_relations).get(reverse("feedback:complaints:detail", args=[complaint.pk]))
    assert f'href="/feedback/complaints/{complaint.pk}/edit/">Change the complaint' in page.content.decode()


def test_the_change_page_shows_the_complaint_as_saved(client_for, practice_hub, complaint):
    response = client_for(practice_hub).get(reverse("feedback:complaints:edit", args=[complaint.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Change the complaint" in page and complaint.reference in page
    assert "Calls not returned." in page
    assert f'name="version" value="{complaint.version}"' in page
    assert 'name="reference"' not in page  # the reference stays as recorded


def test_a_change_is_saved_through_the_service_with_its_history_attributed(
    client_for, customer_relations, practice_hub, complaint
):
    response = client_for(practice_hub).post(
        reverse("feedback:complaints:edit", args=[complaint.pk]),
        _posted(complaint, summary="Calls and e-mails not returned.", themes=["delay", "communication"]),
        follow=True,
    )
    assert f"Complaint {complaint.reference} saved." in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.summary == "Calls and e-mails not returned."
    assert sorted(complaint.themes.values_list("theme", flat=True)) == ["communication", "delay"]
    assert complaint.version == 2
    latest = complaint.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (practice_hub, "Updated")
    # The complaint's page says who changed it, and who recorded it.
    page = response.content.decode()
    history = page[page.index('id="history"') :]
    assert history.index(practice_hub.get_full_name()) < history.index(customer_relations.get_full_name())
    assert "Updated" in history and "Recorded" in history


def test_a_save_from_a_stale_page_is_refused_and_what_was_typed_is_kept(
    client_for, customer_relations, practice_hub, complaint
):
    opened = _posted(complaint)  # both open version 1
    services.complaint_update(actor=customer_relations, complaint=complaint, version=1, summary="Saved first.")
    mine = {**opened, "summary": "My careful account of the calls."}
    response = client_for(practice_hub).post(reverse("feedback:complaints:edit", args=[complaint.pk]), mine)
    page = response.content.decode()
    assert response.status_code == 409
    assert "<title>Error: " in page and "govuk-error-summary" in page
    assert f"{customer_relations} saved this record after you opened it, so your changes were not saved." in page
    assert "My careful account of the calls." in page  # typed text back in the form
    assert 'name="version" value="2"' in page  # saving again now puts it over the saved one
    complaint.refresh_from_db()
    assert (complaint.summary, complaint.version) == ("Saved first.", 2)
    kept = EditConflict.objects.get(user=practice_hub)
    assert kept.data["summary"] == ["My careful account of the calls."]
    assert f"/feedback/complaints/{complaint.pk}/edit/not-saved/?conflict={kept.pk}" in page

    # Comparing: the two versions side by side; using theirs saves it through the service.
    client = client_for(practice_hub)
    compare = client.get(reverse("feedback:complaints:conflicts", args=[complaint.pk])).content.decode()
    assert "My careful account of the calls." in compare and "Saved first." in compare
    client.post(
        reverse("feedback:complaints:conflicts", args=[complaint.pk]),
        {"conflict": kept.pk, "version": 2, "choice": "mine"},
    )
    complaint.refresh_from_db()
    assert (complaint.summary, complaint.version) == ("My careful account of the calls.", 3)
    assert complaint.history.latest().history_user == practice_hub
    kept.refresh_from_db()
    assert kept.resolution == EditConflict.Resolution.APPLIED


def test_saving_the_kept_text_again_from_the_form_settles_the_kept_copy(
    client_for, customer_relations, practice_hub, complaint
):
    opened = _posted(complaint)
    services.complaint_update(actor=customer_relations, complaint=complaint, version=1, summary="Saved first.")
    client = client_for(practice_hub)
    url = reverse("feedback:complaints:edit", args=[complaint.pk])
    client.post(url, {**opened, "summary": "Mine."})
    kept = EditConflict.objects.get(user=practice_hub)
    client.post(url, {**opened, "summary": "Mine.", "version": 2, "resolves_conflict": kept.pk})
    complaint.refresh_from_db()
    assert complaint.summary == "Mine."
    kept.refresh_from_db()
    assert kept.resolution == EditConflict.Resolution.APPLIED


def test_a_change_the_rules_refuse_is_shown_beside_the_field_and_nothing_is_saved(
    client_for, customer_relations, complaint, other_team
):
    services.complaint_respond(
        actor=customer_relations, complaint=complaint, stage=1, responded=D(2024, 6, 14), outcome="upheld"
    )
    complaint.refresh_from_db()
    client = client_for(customer_relations)
    url = reverse("feedback:complaints:edit", args=[complaint.pk])
    response = client.post(url, _posted(complaint, **_date("received", D(2024, 6, 20))))
    assert response.status_code == 400
    assert "The complaint cannot be received after its Stage 1 response." in response.content.decode()
    response = client.post(url, _posted(complaint, team=other_team.pk))
    assert response.status_code == 400
    assert "is not a team of" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.received == D(2024, 6, 10)


@pytest.mark.parametrize("role", [Role.TEAM_MANAGER, Role.LEADER, Role.EVALUATOR])
def test_someone_who_may_not_manage_complaints_finds_no_change_page(client_for, make_user, team, complaint, role):
    reader = make_user(role)
    client = client_for(reader)
    for name in ("feedback:complaints:edit", "feedback:complaints:conflicts"):
        assert client.get(reverse(name, args=[complaint.pk])).status_code == 404
        assert client.post(reverse(name, args=[complaint.pk]), _posted(complaint, summary="No.")).status_code == 404
    if role == Role.TEAM_MANAGER:  # reads their team's complaint, without the link to change it
        page = client.get(reverse("feedback:complaints:detail", args=[complaint.pk])).content.decode()
        assert "Change the complaint" not in page
    complaint.refresh_from_db()
    assert complaint.summary == "Calls not returned."


def test_the_compare_page_names_the_themes_that_differ_in_words(
    client_for, customer_relations, practice_hub, complaint
):
    opened = _posted(complaint)
    services.complaint_update(actor=customer_relations, complaint=complaint, version=1, themes=["delay", "no_reply"])
    client = client_for(practice_hub)
    client.post(reverse("feedback:complaints:edit", args=[complaint.pk]), {**opened, "themes": ["communication"]})
    compare = client.get(reverse("feedback:complaints:conflicts", args=[complaint.pk])).content.decode()
    assert "One answer differs." in compare
    # The ticks in words, in the order of the checkboxes, on both sides.
    assert ">Communication<" in compare and ">No reply, Delay<" in compare
