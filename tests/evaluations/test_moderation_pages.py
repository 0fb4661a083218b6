"""Moderation's pages: what a moderator, the Practice Hub and a leader see and do."""

import datetime as dt

import pytest
from django.urls import reverse

from evaluations import services
from evaluations.models import (
    Evaluation,
    Grade,
    ModeratedPillarGrade,
    Moderation,
    ModerationPanel,
    ModerationRound,
    Pillar,
)
from pqa.models import Role
from tests.factories import CycleFactory, UserFactory, completed_evaluation
from tests.test_error_summaries import assert_summary_links_go_to_fields

# An Outstanding grade's tag, as _grade_tag.html draws it (the evaluator's grade in these tests).
OUTSTANDING_TAG = 'govuk-tag--green">Outstanding</strong>'

ALL_GOOD = dict.fromkeys(Pillar.values, Grade.GOOD)


@pytest.fixture
def cycle(db):
    return CycleFactory(quarter="2025-26-Q1", title="")


@pytest.fixture
def sampled(cycle, team, evaluator, practice_hub):
    evaluation = completed_evaluation(
        grade=Grade.OUTSTANDING, pillar_grade=Grade.GOOD, cycle=cycle, team=team, evaluator=evaluator
    )
    return services.moderation_sample_add(evaluation=evaluation, actor=practice_hub)


def blind_post(overall=Grade.GOOD, rationale="The plan is clear and reviewed.", version=1):
    return {
        **{f"pillar_{pillar}": Grade.GOOD for pillar in Pillar.values},
        "overall_grade": overall,
        "rationale": rationale,
        "version": version,
    }


def test_the_moderators_home_is_their_queue(client_for, moderator, sampled):
    client = client_for(moderator)
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("evaluations:moderation_queue")
    page = client.get(response["Location"]).content.decode()
    assert sampled.evaluation.reference in page
    assert reverse("evaluations:moderation_grade", args=[sampled.pk]) in page


def test_the_queue_leaves_out_the_moderators_own_evaluations(client_for, cycle, team, moderator, practice_hub):
    own = completed_evaluation(cycle=cycle, team=team, evaluator=moderator)
    services.moderation_sample_add(evaluation=own, actor=practice_hub)
    page = client_for(moderator).get(reverse("evaluations:moderation_queue")).content.decode()
    assert own.reference not in page
    assert "Nothing is waiting to be moderated." in page


def test_the_blind_form_shows_the_evidence_but_not_the_evaluators_grades(client_for, moderator, sampled):
    response = client_for(moderator).get(reverse("evaluations:moderation_grade", args=[sampled.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "evaluation" not in response.context and "moderation" not in response.context
    assert "Outstanding" in page  # a choice of the radios...
    assert "checked" not in page  # ...none chosen for the moderator
    assert OUTSTANDING_TAG not in page and "Evaluator" not in page
    for pillar in Pillar:
        assert f'name="pillar_{pillar.value}"' in page
    assert 'data-module="govuk-character-count"' in page and 'data-maxlength="2000"' in page


def test_the_evaluation_page_hides_the_grades_from_a_moderator_until_graded_blind(client_for, moderator, sampled):
    client = client_for(moderator)
    page = client.get(reverse("evaluations:detail", args=[sampled.evaluation_id])).content.decode()
    assert "its grades are hidden" in page and OUTSTANDING_TAG not in page
    listing = client.get(reverse("evaluations:list")).content.decode()
    assert "grade it blind first" in listing and OUTSTANDING_TAG not in listing
    client.post(reverse("evaluations:moderation_grade", args=[sampled.pk]), blind_post())
    page = client.get(reverse("evaluations:detail", args=[sampled.evaluation_id])).content.decode()
    assert OUTSTANDING_TAG in page


def test_an_empty_blind_form_lists_every_problem_at_the_top(client_for, moderator, sampled):
    response = client_for(moderator).post(reverse("evaluations:moderation_grade", args=[sampled.pk]), {"version": 1})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in page
    assert "govuk-error-summary" in page
    for message in (
        "Select your grade for the child&#x27;s voice",
        "Select your overall grade",
        "Enter your rationale",
    ):
        assert message in page
    assert 'href="#id_pillar_childs_voice_1"' in page
    assert Moderation.objects.get().state == Moderation.State.SAMPLED


def test_a_moderator_grades_blind_then_sees_both_side_by_side_and_confirms(client_for, moderator, sampled, evaluator):
    client = client_for(moderator)
    response = client.post(
        reverse("evaluations:moderation_grade", args=[sampled.pk]), blind_post(rationale="Good, not outstanding.")
    )
    assert response["Location"] == reverse("evaluations:moderation_detail", args=[sampled.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Compare and confirm" in page
    assert OUTSTANDING_TAG in page  # the evaluator's overall grade, now shown
    assert "Lowered" in page and "Agreed" in page
    assert "Good, not outstanding." in page
    response = client.post(reverse("evaluations:moderation_detail", args=[sampled.pk]), {"version": 2})
    assert response["Location"] == reverse("evaluations:moderation_queue")
    moderation = Moderation.objects.get()
    assert moderation.is_confirmed
    evaluation = Evaluation.objects.select_related("moderation").get()
    assert evaluation.final_grade == Grade.GOOD


def test_a_moderator_cannot_open_the_blind_form_of_their_own_evaluation(
    client_for, cycle, team, moderator, practice_hub
):
    own = completed_evaluation(cycle=cycle, team=team, evaluator=moderator)
    moderation = services.moderation_sample_add(evaluation=own, actor=practice_hub)
    client = client_for(moderator)
    assert client.get(reverse("evaluations:moderation_grade", args=[moderation.pk])).status_code == 404
    assert client.post(reverse("evaluations:moderation_grade", args=[moderation.pk]), blind_post()).status_code == 404
    assert Moderation.objects.get().state == Moderation.State.SAMPLED


def test_the_reveal_page_sends_a_moderator_who_has_not_graded_back_to_the_blind_form(client_for, moderator, sampled):
    response = client_for(moderator).get(reverse("evaluations:moderation_detail", args=[sampled.pk]))
    assert response["Location"] == reverse("evaluations:moderation_grade", args=[sampled.pk])


def test_the_practice_hub_draws_the_sample_and_holds_a_panel(
    client_for, cycle, team, evaluator, practice_hub, moderator
):
    for grade in (Grade.INADEQUATE, Grade.GOOD, Grade.GOOD, Grade.GOOD, Grade.GOOD):
        completed_evaluation(grade=grade, cycle=cycle, team=team, evaluator=evaluator)
    client = client_for(practice_hub)
    url = reverse("evaluations:cycle_moderation", args=[cycle.pk])
    response = client.post(url, {"share": "25", "draw": "Draw the sample"})
    assert response["Location"] == url
    assert Moderation.objects.count() == 2  # the inadequate one, and 25% of 4
    page = client.get(url).content.decode()
    assert "Every Inadequate grade" in page and "Drawn at random" in page

    response = client.post(url, {"share": "150", "draw": "Draw the sample"})
    assert "The share must be 100 or less" in response.content.decode()
    assert "<title>Error: " in response.content.decode()

    response = client.get(reverse("evaluations:moderation_panel_create", args=[cycle.pk]))
    assert 'data-maxlength="2000"' in response.content.decode()
    response = client.post(
        reverse("evaluations:moderation_panel_create", args=[cycle.pk]),
        {
            "held_on_0": "14",
            "held_on_1": "7",
            "held_on_2": "2025",
            "members": [moderator.pk, practice_hub.pk],
            "notes": "Looked at the inadequate grade first.",
            "moderations": list(Moderation.objects.values_list("pk", flat=True)),
        },
    )
    assert response["Location"] == url
    panel = ModerationPanel.objects.get()
    assert panel.held_on == dt.date(2025, 7, 14)
    assert set(panel.members.all()) == {moderator, practice_hub}
    assert panel.moderations.count() == 2


def test_the_practice_hub_adds_and_removes_an_evaluation(client_for, cycle, team, evaluator, practice_hub):
    evaluation = completed_evaluation(cycle=cycle, team=team, evaluator=evaluator)
    client = client_for(practice_hub)
    url = reverse("evaluations:cycle_moderation", args=[cycle.pk])
    response = client.post(url, {"reference": "PE-NONE", "add": "Add"})
    assert "There is no evaluation PE-NONE in this cycle" in response.content.decode()
    client.post(url, {"reference": evaluation.reference.lower(), "add": "Add"})
    moderation = Moderation.objects.get()
    assert moderation.sample_reason == Moderation.SampleReason.ADDED
    response = client.post(reverse("evaluations:moderation_remove", args=[moderation.pk]), {"version": 1})
    assert response["Location"] == url
    assert not Moderation.objects.exists()


def test_the_practice_hub_changes_a_confirmed_moderation_with_a_reason(client_for, moderator, practice_hub, sampled):
    services.moderation_grade_blind(
        moderation=sampled, actor=moderator, overall_grade=Grade.GOOD, pillar_grades=ALL_GOOD, rationale="First."
    )
    services.moderation_confirm(moderation=sampled, actor=moderator)
    client = client_for(practice_hub)
    url = reverse("evaluations:moderation_change", args=[sampled.pk])
    response = client.post(url, {**blind_post(overall=Grade.OUTSTANDING, rationale="Second.", version=3), "reason": ""})
    assert "Enter why the confirmed moderation is being changed" in response.content.decode()
    response = client.post(
        url, {**blind_post(overall=Grade.OUTSTANDING, rationale="Second.", version=3), "reason": "Panel review."}
    )
    assert response["Location"] == reverse("evaluations:moderation_detail", args=[sampled.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Round 1" in page and "Panel review." in page and "round 2" in page
    assert client_for(moderator).get(url).status_code == 404


def test_leaders_see_which_evaluators_need_a_refresher(client_for, cycle, team, moderator, leader, make_user):
    generous = make_user(Role.EVALUATOR, first_name="Gene", last_name="Rous")
    hub = make_user(Role.PRACTICE_HUB)
    for _ in range(3):
        evaluation = completed_evaluation(grade=Grade.GOOD, cycle=cycle, team=team, evaluator=generous)
        moderation = services.moderation_sample_add(evaluation=evaluation, actor=hub)
        services.moderation_grade_blind(
            moderation=moderation,
            actor=moderator,
            overall_grade=Grade.REQUIRES_IMPROVEMENT,
            pillar_grades=ALL_GOOD,
            rationale="Too generous.",
        )
        services.moderation_confirm(moderation=moderation, actor=moderator)
    page = client_for(leader).get(reverse("evaluations:moderation_consistency")).content.decode()
    assert "Gene Rous</strong>: 0% agreement over 3 moderated (0 raised, 3 lowered)" in page
    assert "Children in Care" in page
    page = client_for(leader).get(reverse("evaluations:moderation_consistency"), {"cycle": cycle.pk}).content.decode()
    assert "Gene Rous" in page


@pytest.mark.parametrize("size", [1, 8])
def test_the_queue_and_the_consistency_page_take_the_same_queries_however_many(
    client_for, cycle, team, evaluator, moderator, practice_hub, size, django_assert_num_queries
):
    for _ in range(size):
        evaluation = completed_evaluation(cycle=cycle, team=team, evaluator=evaluator)
        services.moderation_sample_add(evaluation=evaluation, actor=practice_hub)
    client = client_for(moderator)
    client.get(reverse("evaluations:moderation_queue"))  # warm the session
    with django_assert_num_queries(5):  # session, user, second factor, queue, confirmed by them
        client.get(reverse("evaluations:moderation_queue"))
    with django_assert_num_queries(10):  # session, user, second factor, cycles, six for the figures
        client.get(reverse("evaluations:moderation_consistency"))


def test_every_error_summary_link_on_the_moderation_forms_goes_to_a_field(
    client_for, cycle, moderator, practice_hub, sampled
):
    blind = client_for(moderator).post(reverse("evaluations:moderation_grade", args=[sampled.pk]), {"version": 1})
    assert len(assert_summary_links_go_to_fields(blind)) == 6
    client = client_for(practice_hub)
    panel = client.post(reverse("evaluations:moderation_panel_create", args=[cycle.pk]), {"notes": "x" * 2001})
    links = assert_summary_links_go_to_fields(panel)
    assert "The notes must be 2000 characters or fewer" in links.values()
    sample = client.post(reverse("evaluations:cycle_moderation", args=[cycle.pk]), {"share": "", "draw": "Draw"})
    assert list(assert_summary_links_go_to_fields(sample).values()) == ["Enter the share to moderate, from 0 to 100"]


def test_an_administrator_reads_panels_rounds_and_pillar_grades_but_changes_them_only_through_the_pages(
    client, practice_hub, moderator, sampled
):
    services.moderation_grade_blind(
        moderation=sampled, actor=moderator, overall_grade=Grade.GOOD, pillar_grades=ALL_GOOD, rationale="First."
    )
    services.moderation_confirm(moderation=sampled, actor=moderator)
    services.moderation_change(
        moderation=sampled,
        actor=practice_hub,
        overall_grade=Grade.OUTSTANDING,
        pillar_grades=ALL_GOOD,
        rationale="Second.",
        reason="Panel.",
    )
    panel = services.moderation_panel_create(
        cycle=sampled.evaluation.cycle, held_on=dt.date(2025, 7, 1), members=[moderator], actor=practice_hub
    )
    client.force_login(UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True))
    for model, obj in (
        (ModerationPanel, panel),
        (ModerationRound, ModerationRound.objects.get()),
        (ModeratedPillarGrade, ModeratedPillarGrade.objects.first()),
    ):
        name = f"admin:evaluations_{model._meta.model_name}"
        assert client.get(reverse(f"{name}_changelist")).status_code == 200
        assert client.get(reverse(f"{name}_change", args=[obj.pk])).status_code == 200
        assert client.get(reverse(f"{name}_history", args=[obj.pk])).status_code == 200
        assert client.get(reverse(f"{name}_add")).status_code == 403


def test_the_admin_refuses_the_evaluator_as_moderator_of_their_own_evaluation(client, cycle, team, evaluator):
    evaluation = completed_evaluation(cycle=cycle, team=team, evaluator=evaluator)
    client.force_login(UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:evaluations_moderation_add"),
        {"evaluation": evaluation.pk, "moderated_grade": Grade.GOOD, "moderator": evaluator.pk},
    )
    assert response.status_code == 200
    assert "never the evaluator who graded it" in response.content.decode()
    assert not Moderation.objects.exists()
