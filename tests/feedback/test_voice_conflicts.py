"""The compare page of a compliment, response or referral whose save was refused (someone saved
it after the person opened it): the change page links to it; it shows the person's version
beside the saved one; "Use my version" saves theirs through the kind's update service and
"Keep the saved version" sets it aside, each settling the kept copy, as saving the change page
again does. Only those who may change the record find it."""

import datetime as dt

import pytest
from django.urls import reverse

from feedback.voice import services
from pqa.models import EditConflict, Role
from tests.feedback.test_voice_change import _date, _referral_form, _response_form, make_referral, make_response

pytestmark = pytest.mark.django_db


def _compliment(team):
    return services.compliment_record(
        actor=None,
        reference="CMP-1",
        received=dt.date(2025, 5, 1),
        from_whom="parent_carer",
        service_area=team.service_area,
        team=team,
        themes="kind",
    )


def _compliment_form(compliment):
    return {
        "reference": compliment.reference,
        **_date("received", compliment.received),
        "from_whom": compliment.from_whom,
        "service_area": compliment.service_area_id,
        "team": compliment.team_id,
        "themes": compliment.themes,
    }


# Each kind: its path, the name of its pages, how one is made and posted, and a text field the
# two people change.
KINDS = {
    "compliments": ("compliment", _compliment, _compliment_form, "themes"),
    "responses": ("response", make_response, _response_form, "comment"),
    "advocacy": ("referral", make_referral, _referral_form, "reference"),
}


@pytest.fixture(params=list(KINDS))
def refused(request, team, client_for, practice_hub, make_user):
    """Customer relations save the record first; the Practice Hub's save from the same opened
    version is refused. Gives what the tests need to go on."""
    singular, make, form_of, field = KINDS[request.param]
    record = make(team)
    opened = {**form_of(record), "version": record.version}
    cara = make_user(Role.CUSTOMER_RELATIONS, first_name="Cara", last_name="Relations")
    change = reverse(f"feedback:{singular}_change", args=[record.pk])
    first = client_for(cara).post(change, {**opened, field: "Saved-first"})
    assert first.status_code == 302
    client = client_for(practice_hub)
    page = client.post(change, {**opened, field: "Mine-typed"})
    return {
        "record": record,
        "field": field,
        "opened": opened,
        "change": change,
        "compare": reverse(f"feedback:{singular}_conflicts", args=[record.pk]),
        "client": client,
        "page": page,
        "kept": EditConflict.objects.get(user=practice_hub),
    }


def test_a_refused_save_links_to_the_compare_page_and_will_settle_the_kept_copy(refused):
    page, kept = refused["page"], refused["kept"]
    assert page.status_code == 409
    assert "Relations saved this record after you opened it, so your changes were not saved." in page.text
    assert f'href="{refused["compare"]}?conflict={kept.pk}"' in page.text
    assert "compare your version with the saved one" in page.text
    assert f'name="resolves_conflict" value="{kept.pk}"' in page.text
    assert 'value="Mine-typed"' in page.text or "Mine-typed</textarea>" in page.text


def test_the_compare_page_shows_the_persons_version_beside_the_saved_one(refused):
    page = refused["client"].get(refused["compare"])
    assert page.status_code == 200
    assert "Your version that was not saved" in page.text
    mine, saved = page.text.split('id="mine"')[1].split('id="saved"')
    assert "Mine-typed" in mine and "Saved-first" in saved
    assert mine.count("govuk-summary-list__row") == 1  # only the answer both changed differs


def test_using_my_version_saves_it_through_the_service_with_the_history_and_settles_it(refused, practice_hub):
    record, kept = refused["record"], refused["kept"]
    reply = refused["client"].post(refused["compare"], {"conflict": kept.pk, "version": 2, "choice": "mine"})
    assert (reply.status_code, reply["Location"]) == (302, refused["change"])
    record.refresh_from_db()
    assert (getattr(record, refused["field"]), record.version) == ("Mine-typed", 3)
    assert record.history.latest().history_user == practice_hub
    kept.refresh_from_db()
    assert kept.resolution == EditConflict.Resolution.APPLIED
    assert "No version is waiting to be compared" in refused["client"].get(refused["compare"]).text


def test_keeping_the_saved_version_sets_mine_aside_and_changes_nothing(refused):
    record, kept = refused["record"], refused["kept"]
    reply = refused["client"].post(refused["compare"], {"conflict": kept.pk, "version": 2, "choice": "saved"})
    assert reply.status_code == 302
    record.refresh_from_db()
    assert (getattr(record, refused["field"]), record.version) == ("Saved-first", 2)
    kept.refresh_from_db()
    assert kept.resolution == EditConflict.Resolution.DISCARDED


def test_saving_the_change_page_again_saves_mine_and_settles_the_kept_copy(refused):
    record, kept = refused["record"], refused["kept"]
    again = {**refused["opened"], refused["field"]: "Mine-typed", "version": 2, "resolves_conflict": kept.pk}
    assert refused["client"].post(refused["change"], again).status_code == 302
    record.refresh_from_db()
    assert (getattr(record, refused["field"]), record.version) == ("Mine-typed", 3)
    kept.refresh_from_db()
    assert kept.resolution == EditConflict.Resolution.APPLIED
    assert not EditConflict.objects.filter(resolved_at__isnull=True).exists()


def test_a_version_saved_again_while_comparing_is_not_applied(refused, client_for, make_user, practice_hub):
    record, kept = refused["record"], refused["kept"]
    refused["client"].get(refused["compare"])  # the page is opened at version 2...
    other = {**refused["opened"], refused["field"]: "Saved-again", "version": 2}
    assert client_for(make_user(Role.CUSTOMER_RELATIONS)).post(refused["change"], other).status_code == 302
    client = client_for(practice_hub)  # ...and saved again before "Use my version"
    reply = client.post(refused["compare"], {"conflict": kept.pk, "version": 2, "choice": "mine"})
    assert reply["Location"] == f"{refused['compare']}?conflict={kept.pk}"
    record.refresh_from_db()
    assert (getattr(record, refused["field"]), record.version) == ("Saved-again", 3)
    kept.refresh_from_db()
    assert kept.resolved_at is None


@pytest.mark.parametrize("role", [Role.TEAM_MANAGER, Role.LEADER, Role.EVALUATOR])
def test_someone_who_may_not_change_the_record_finds_no_compare_page(refused, client_for, make_user, role):
    client = client_for(make_user(role))
    kept = refused["kept"]
    assert client.get(refused["compare"]).status_code == 404
    assert client.post(refused["compare"], {"conflict": kept.pk, "choice": "mine"}).status_code == 404
    kept.refresh_from_db()
    assert kept.resolved_at is None


def test_another_persons_kept_version_is_not_found_on_the_compare_page(refused, client_for, make_user):
    client = client_for(make_user(Role.CUSTOMER_RELATIONS))
    kept = refused["kept"]
    assert client.get(f"{refused['compare']}?conflict={kept.pk}").status_code == 404
    assert client.post(refused["compare"], {"conflict": kept.pk, "choice": "mine"}).status_code == 404
    kept.refresh_from_db()
    assert kept.resolved_at is None


def test_a_record_that_does_not_exist_has_no_compare_page(client_for, practice_hub):
    client = client_for(practice_hub)
    assert client.get(reverse("feedback:compliment_conflicts", args=[999999])).status_code == 404


def test_the_records_page_shows_who_changed_it_newest_first(refused, practice_hub):
    refused["client"].post(refused["compare"], {"conflict": refused["kept"].pk, "version": 2, "choice": "mine"})
    page = refused["client"].get(refused["change"].removesuffix("change/"))
    assert page.status_code == 200
    history = page.text[page.text.index('id="history"') :]
    rows = history.split('<tr class="govuk-table__row">')[2:]  # the rows after the header's
    hub = practice_hub.get_full_name() or practice_hub.username
    assert hub in rows[0] and "Cara Relations" in rows[1]
    assert "Changed" in rows[0]
