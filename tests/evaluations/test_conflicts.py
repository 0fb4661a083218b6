"""Lost updates: when two saves start from the same version, the second is refused with a clear
message, nothing is overwritten, and the refused version is kept for its author to compare
with the saved one and then use or set aside. Evaluations through the web; moderation and
recommendations (no pages yet) through their services."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluations import services
from evaluations.models import Evaluation, Grade, Moderation, Recommendation
from pqa.models import EditConflict, Role
from pqa.services import EditConflictError, edit_conflict_keep, edit_conflict_resolve
from tests.conftest import PQAClient
from tests.evaluations.test_sit_alongside_form import form_data
from tests.factories import EvaluationFactory, UserFactory, completed_evaluation

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluation(evaluator, team):
    return EvaluationFactory(evaluator=evaluator, team=team)


def autosave(client, evaluation, **fields):
    return client.post(reverse("evaluations:autosave", args=[evaluation.pk]), form_data(evaluation, **fields))


def two_devices(evaluator):
    """The evaluator signed in twice, e.g. on a laptop and a tablet: two sessions, two tabs."""
    laptop, tablet = PQAClient(), PQAClient()
    laptop.force_login(evaluator)
    tablet.force_login(evaluator)
    return laptop, tablet


def refused_on_the_tablet(evaluator, evaluation):
    """The laptop saves first from version 1; the tablet then saves from version 1 too."""
    laptop, tablet = two_devices(evaluator)
    assert autosave(laptop, evaluation, editor_token="laptop", strengths="From the laptop").status_code == 200
    response = autosave(
        tablet,
        evaluation,
        editor_token="tablet",
        strengths="From the tablet",
        overall_grade="outstanding",
        **{"pillar-planning-tell_me": "Planning, as told on the tablet"},
    )
    return laptop, tablet, response


# --- Evaluations: refused, kept ----------------------------------------------------------------


def test_the_second_autosave_is_refused_with_a_clear_message_and_nothing_is_overwritten(evaluator, evaluation):
    _, _, response = refused_on_the_tablet(evaluator, evaluation)
    assert response.status_code == 409
    body = response.json()
    assert "saved this evaluation" in body["error"] and "after you opened it" in body["error"]
    assert body["version"] == 2
    assert body["not_saved_url"] == reverse("evaluations:conflicts", args=[evaluation.pk])
    evaluation.refresh_from_db()
    assert evaluation.strengths == "From the laptop"
    assert evaluation.overall_grade == Grade.GOOD
    assert evaluation.version == 2


def test_the_refused_autosave_is_kept_on_the_server_without_the_csrf_token(evaluator, evaluation):
    refused_on_the_tablet(evaluator, evaluation)
    conflict = EditConflict.objects.get()
    assert conflict.user == evaluator
    assert conflict.record == evaluation
    assert (conflict.based_on_version, conflict.winning_version) == (1, 2)
    assert conflict.data["strengths"] == ["From the tablet"]
    assert conflict.data["pillar-planning-tell_me"] == ["Planning, as told on the tablet"]
    assert "csrfmiddlewaretoken" not in conflict.data
    assert conflict.resolved_at is None
    assert timezone.now() - conflict.refused_at < dt.timedelta(minutes=1)


def test_autosaves_that_keep_being_refused_keep_one_copy_with_the_latest_words(evaluator, evaluation):
    _, tablet, _ = refused_on_the_tablet(evaluator, evaluation)
    assert autosave(tablet, evaluation, editor_token="tablet", strengths="From the tablet, more").status_code == 409
    conflict = EditConflict.objects.get()
    assert conflict.data["strengths"] == ["From the tablet, more"]


def test_a_refused_form_save_keeps_the_typed_version_and_shows_the_banner(evaluator, evaluation):
    laptop, tablet = two_devices(evaluator)
    autosave(laptop, evaluation, strengths="From the laptop")
    response = tablet.post(
        reverse("evaluations:form", args=[evaluation.pk]), form_data(evaluation, strengths="Typed on the tablet")
    )
    assert response.status_code == 409
    assert "Typed on the tablet" in response.text
    assert "have not been saved yet" in response.text
    conflict = EditConflict.objects.get()
    assert conflict.data["strengths"] == ["Typed on the tablet"]
    assert "You have a version that was not saved (from " in response.text
    evaluation.refresh_from_db()
    assert evaluation.strengths == "From the laptop"


def test_after_navigating_away_the_form_says_a_version_was_not_saved_and_links_to_it(evaluator, evaluation):
    _, tablet, _ = refused_on_the_tablet(evaluator, evaluation)
    conflict = EditConflict.objects.get()
    response = tablet.get(reverse("evaluations:form", args=[evaluation.pk]))
    assert response.status_code == 200
    at = timezone.localtime(conflict.refused_at).strftime("%H:%M")
    assert f"You have a version that was not saved (from {at})" in response.text
    assert f"{reverse('evaluations:conflicts', args=[evaluation.pk])}?conflict={conflict.pk}" in response.text


def test_the_form_has_no_banner_when_nothing_was_refused(client_for, evaluator, evaluation):
    response = client_for(evaluator).get(reverse("evaluations:form", args=[evaluation.pk]))
    assert "was not saved" not in response.text


def test_a_submit_overtaken_by_a_save_from_another_tab_is_not_submitted_and_says_so(evaluator, evaluation, monkeypatch):
    laptop, tablet = two_devices(evaluator)
    real_submit = services.evaluation_submit

    def saved_meanwhile(**kwargs):
        # The laptop autosaves from the version the tablet's save has just made.
        assert (
            autosave(laptop, Evaluation.objects.get(pk=evaluation.pk), strengths="From the laptop").status_code == 200
        )
        return real_submit(**kwargs)

    monkeypatch.setattr(services, "evaluation_submit", saved_meanwhile)
    response = tablet.post(
        reverse("evaluations:form", args=[evaluation.pk]), form_data(evaluation, submit="1"), follow=True
    )
    assert "so it has not been submitted: check it, then submit it again" in response.text
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.strengths) == (Evaluation.Status.IN_PROGRESS, "From the laptop")


# --- Evaluations: compared, then applied or set aside --------------------------------------


def test_the_comparison_shows_only_the_answers_that_differ_side_by_side(evaluator, evaluation):
    _, tablet, _ = refused_on_the_tablet(evaluator, evaluation)
    response = tablet.get(reverse("evaluations:conflicts", args=[evaluation.pk]))
    assert response.status_code == 200
    differences = response.context["differences"]
    assert [(difference.label, difference.mine, difference.saved) for difference in differences] == [
        ("Overall grade", "Outstanding", "Good"),
        ("Strengths", "From the tablet", "From the laptop"),
        ("Planning: Tell me", "Planning, as told on the tablet", "Told about planning"),
    ]
    text = response.text
    assert "Your version (not saved)" in text and "The saved version" in text
    assert "From the tablet" in text and "From the laptop" in text
    assert "Use my version" in text and "Keep the saved version" in text
    assert "you had saved it from another tab or device" in text


def test_use_my_version_applies_it_through_the_draft_service_and_resolves_it(evaluator, evaluation):
    _, tablet, _ = refused_on_the_tablet(evaluator, evaluation)
    conflict = EditConflict.objects.get()
    response = tablet.post(
        reverse("evaluations:conflicts", args=[evaluation.pk]),
        {"conflict": conflict.pk, "version": 2, "choice": "mine"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("evaluations:form", args=[evaluation.pk])
    evaluation.refresh_from_db()
    assert evaluation.strengths == "From the tablet"
    assert evaluation.overall_grade == Grade.OUTSTANDING
    assert evaluation.pillar_grades.get(pillar="planning").tell_me == "Planning, as told on the tablet"
    assert evaluation.version == 3
    assert evaluation.history.order_by("-history_date").first().history_user == evaluator
    conflict.refresh_from_db()
    assert conflict.resolution == EditConflict.Resolution.APPLIED and conflict.resolved_at is not None
    page = tablet.get(reverse("evaluations:form", args=[evaluation.pk]))
    assert "Your version has been saved." in page.text
    assert "was not saved" not in page.text


def test_use_my_version_with_a_value_no_longer_allowed_is_refused_with_a_message(evaluator, evaluation):
    _, tablet, _ = refused_on_the_tablet(evaluator, evaluation)
    conflict = EditConflict.objects.get()
    conflict.data["overall_grade"] = ["excellent"]  # e.g. a grade the scale no longer has
    conflict.save()
    response = tablet.post(
        reverse("evaluations:conflicts", args=[evaluation.pk]),
        {"conflict": conflict.pk, "version": 2, "choice": "mine"},
        follow=True,
    )
    assert "Your version could not be applied" in response.text
    assert "excellent is not one of the available choices" in response.text
    evaluation.refresh_from_db()
    assert (evaluation.strengths, evaluation.overall_grade, evaluation.version) == ("From the laptop", Grade.GOOD, 2)
    conflict.refresh_from_db()
    assert conflict.resolved_at is None


def test_keep_the_saved_version_sets_mine_aside_and_changes_nothing(evaluator, evaluation):
    _, tablet, _ = refused_on_the_tablet(evaluator, evaluation)
    conflict = EditConflict.objects.get()
    response = tablet.post(
        reverse("evaluations:conflicts", args=[evaluation.pk]),
        {"conflict": conflict.pk, "version": 2, "choice": "saved"},
    )
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.strengths == "From the laptop"
    assert evaluation.version == 2
    conflict.refresh_from_db()
    assert conflict.resolution == EditConflict.Resolution.DISCARDED
    assert conflict.data["strengths"] == ["From the tablet"]  # still there to read in the admin
    assert "was not saved" not in tablet.get(reverse("evaluations:form", args=[evaluation.pk])).text


def test_my_version_is_not_applied_over_a_save_made_while_i_was_comparing(evaluator, evaluation):
    laptop, tablet, _ = refused_on_the_tablet(evaluator, evaluation)
    conflict = EditConflict.objects.get()
    page = tablet.get(reverse("evaluations:conflicts", args=[evaluation.pk]))
    assert 'name="version" value="2"' in page.text
    assert autosave(laptop, evaluation, editor_token="laptop", version=2, strengths="Laptop again").status_code == 200
    response = tablet.post(
        reverse("evaluations:conflicts", args=[evaluation.pk]),
        {"conflict": conflict.pk, "version": 2, "choice": "mine"},
        follow=True,
    )
    assert "saved again while you were comparing" in response.text
    evaluation.refresh_from_db()
    assert evaluation.strengths == "Laptop again"
    conflict.refresh_from_db()
    assert conflict.resolved_at is None
    assert response.context["differences"]  # compared again, with the version saved now


def test_a_returned_evaluation_offers_no_way_to_apply_the_refused_version(evaluator, evaluation):
    _, tablet, _ = refused_on_the_tablet(evaluator, evaluation)
    Evaluation.objects.filter(pk=evaluation.pk).update(status=Evaluation.Status.NOT_RETURNED)
    page = tablet.get(reverse("evaluations:conflicts", args=[evaluation.pk]))
    assert "Use my version" not in page.text
    assert "can no longer be applied" in page.text
    conflict = EditConflict.objects.get()
    tablet.post(reverse("evaluations:conflicts", args=[evaluation.pk]), {"conflict": conflict.pk, "choice": "mine"})
    evaluation.refresh_from_db()
    assert evaluation.strengths == "From the laptop"
    conflict.refresh_from_db()
    assert conflict.resolved_at is None


def test_with_nothing_refused_the_page_says_so(client_for, evaluator, evaluation):
    response = client_for(evaluator).get(reverse("evaluations:conflicts", args=[evaluation.pk]))
    assert response.status_code == 200
    assert "No version is waiting to be compared" in response.text


def test_nobody_else_sees_or_resolves_my_refused_version(client_for, evaluator, evaluation):
    refused_on_the_tablet(evaluator, evaluation)
    conflict = EditConflict.objects.get()
    stranger = UserFactory(role=Role.EVALUATOR)
    client = client_for(stranger)
    url = reverse("evaluations:conflicts", args=[evaluation.pk])
    assert client.get(f"{url}?conflict={conflict.pk}").status_code == 404
    assert client.post(url, {"conflict": conflict.pk, "choice": "saved"}).status_code == 404
    with pytest.raises(EditConflictError):
        edit_conflict_resolve(conflict=conflict, user=stranger, resolution=EditConflict.Resolution.DISCARDED)
    conflict.refresh_from_db()
    assert conflict.resolved_at is None


def test_a_refused_version_is_resolved_once(evaluator, evaluation):
    refused_on_the_tablet(evaluator, evaluation)
    conflict = EditConflict.objects.get()
    edit_conflict_resolve(conflict=conflict, user=evaluator, resolution=EditConflict.Resolution.DISCARDED)
    with pytest.raises(EditConflictError, match="already been dealt with"):
        edit_conflict_resolve(conflict=conflict, user=evaluator, resolution=EditConflict.Resolution.APPLIED)


# --- Moderation and recommendations (service level) ----------------------------------------


def test_a_second_moderation_from_a_stale_version_is_refused_and_can_be_kept(evaluator, make_user):
    evaluation = completed_evaluation(evaluator=evaluator)
    first, second = make_user(Role.MODERATOR), make_user(Role.MODERATOR)
    services.moderation_record(evaluation=evaluation, moderated_grade=Grade.GOOD, moderator=first)
    opened = Moderation.objects.get(evaluation=evaluation)  # both moderators open version 1
    services.moderation_record(
        evaluation=evaluation,
        moderated_grade=Grade.REQUIRES_IMPROVEMENT,
        moderator=first,
        rationale="Plan is not SMART.",
        expected_version=opened.version,
    )
    attempt = {"moderated_grade": Grade.OUTSTANDING, "rationale": "Exemplary direct work."}
    with pytest.raises(services.ConcurrentEditError) as refused:
        services.moderation_record(evaluation=evaluation, moderator=second, expected_version=opened.version, **attempt)
    assert str(first) in str(refused.value)
    moderation = Moderation.objects.get(evaluation=evaluation)
    assert (moderation.moderated_grade, moderation.moderator, moderation.version) == (
        Grade.REQUIRES_IMPROVEMENT,
        first,
        2,
    )

    conflict = edit_conflict_keep(
        user=second,
        instance=moderation,
        based_on_version=opened.version,
        data=attempt,
        winning_version=refused.value.current_version,
    )
    assert EditConflict.objects.unresolved_for(user=second, instance=moderation).get() == conflict
    assert (conflict.based_on_version, conflict.winning_version) == (1, 2)
    assert conflict.data == {"moderated_grade": "outstanding", "rationale": "Exemplary direct work."}

    # Reconciled: the second moderator applies theirs on top of the version saved now.
    services.moderation_record(
        evaluation=evaluation, moderator=second, expected_version=moderation.version, **conflict.data
    )
    edit_conflict_resolve(conflict=conflict, user=second, resolution=EditConflict.Resolution.APPLIED)
    moderation.refresh_from_db()
    assert moderation.moderated_grade == Grade.OUTSTANDING and moderation.version == 3
    assert not EditConflict.objects.unresolved_for(user=second, instance=moderation).exists()


def test_a_second_recommendation_status_change_from_a_stale_version_is_refused_and_can_be_kept(
    evaluator, practice_hub, team_manager
):
    evaluation = completed_evaluation(evaluator=evaluator, grade=Grade.REQUIRES_IMPROVEMENT)
    recommendation = Recommendation.objects.create(
        evaluation=evaluation, action="Update the chronology", owner=team_manager
    )
    services.recommendation_set_status(
        recommendation=recommendation,
        status=Recommendation.Status.IN_PROGRESS,
        actor=team_manager,
        expected_version=1,
    )
    with pytest.raises(services.ConcurrentEditError) as refused:
        services.recommendation_set_status(
            recommendation=recommendation,
            status=Recommendation.Status.IN_PROGRESS,
            actor=practice_hub,
            expected_version=1,
        )
    assert refused.value.current_version == 2
    recommendation.refresh_from_db()
    assert recommendation.version == 2

    conflict = edit_conflict_keep(
        user=practice_hub, instance=recommendation, based_on_version=1, data={"status": Recommendation.Status.DONE}
    )
    assert conflict.winning_version == 2  # read from the database when not given
    assert conflict.record == recommendation
    edit_conflict_resolve(conflict=conflict, user=practice_hub, resolution=EditConflict.Resolution.DISCARDED)
    assert not EditConflict.objects.unresolved_for(user=practice_hub, instance=recommendation).exists()
