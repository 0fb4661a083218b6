"""Moderation's rules, through the services and selectors: the sample, blind grading, the
confirmation and its notification, rounds, and the consistency figures."""

import random

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluations import selectors, services
from evaluations.models import Evaluation, Grade, Moderation, ModerationRound, Pillar
from evaluations.notifications import NotificationKind
from evaluations.selectors import StillBlind, grade_distribution
from evaluations.services import ModerationRefused
from pqa.models import Notification, Role
from pqa.versioning import ConcurrentEditError
from tests.factories import CycleFactory, EvaluationFactory, TeamFactory, UserFactory, completed_evaluation

ALL_GOOD = dict.fromkeys(Pillar.values, Grade.GOOD)


@pytest.fixture
def cycle(db):
    return CycleFactory(quarter="2025-26-Q1")


@pytest.fixture
def sampled(cycle, team, evaluator, practice_hub):
    """A returned evaluation graded good throughout, in the sample."""
    evaluation = completed_evaluation(grade=Grade.GOOD, cycle=cycle, team=team, evaluator=evaluator)
    return services.moderation_sample_add(evaluation=evaluation, actor=practice_hub)


def grade_blind(moderation, moderator, *, overall=Grade.GOOD, pillars=None, rationale="Evidence in the record."):
    return services.moderation_grade_blind(
        moderation=moderation,
        actor=moderator,
        overall_grade=overall,
        pillar_grades=pillars or ALL_GOOD,
        rationale=rationale,
    )


# --- The sample -------------------------------------------------------------------------------


def test_the_sample_includes_every_inadequate_and_outstanding_grade_and_a_share_of_the_rest(
    cycle, team, evaluator, practice_hub
):
    grades = [Grade.INADEQUATE] * 2 + [Grade.OUTSTANDING] * 3 + [Grade.GOOD] * 6 + [Grade.REQUIRES_IMPROVEMENT] * 4
    evaluations = [completed_evaluation(grade=grade, cycle=cycle, team=team, evaluator=evaluator) for grade in grades]
    EvaluationFactory(cycle=cycle, team=team, evaluator=evaluator)  # not returned: never sampled
    drawn = services.moderation_sample_draw(cycle=cycle, share=20, actor=practice_hub, rng=random.Random(1))
    in_sample = {item.evaluation_id for item in drawn}
    for evaluation in evaluations[:5]:
        assert evaluation.pk in in_sample
    rest = {evaluation.pk for evaluation in evaluations[5:]}
    assert len(in_sample & rest) == 2  # 20% of 10
    reasons = sorted(Moderation.objects.values_list("sample_reason", flat=True))
    assert reasons.count(Moderation.SampleReason.INADEQUATE) == 2
    assert reasons.count(Moderation.SampleReason.OUTSTANDING) == 3
    assert reasons.count(Moderation.SampleReason.RANDOM) == 2
    assert set(Moderation.objects.values_list("state", flat=True)) == {Moderation.State.SAMPLED}
    cycle.refresh_from_db()
    assert cycle.moderation_share == 20


def test_drawing_again_only_tops_the_sample_up(cycle, team, evaluator, practice_hub):
    for _ in range(10):
        completed_evaluation(grade=Grade.GOOD, cycle=cycle, team=team, evaluator=evaluator)
    assert len(services.moderation_sample_draw(cycle=cycle, share=20, actor=practice_hub)) == 2
    assert services.moderation_sample_draw(cycle=cycle, actor=practice_hub) == []
    assert len(services.moderation_sample_draw(cycle=cycle, share=50, actor=practice_hub)) == 3
    assert Moderation.objects.count() == 5


def test_only_the_practice_hub_draws_adds_to_or_removes_from_the_sample(cycle, team, evaluator, moderator, sampled):
    other = completed_evaluation(cycle=cycle, team=team, evaluator=evaluator)
    with pytest.raises(ModerationRefused):
        services.moderation_sample_draw(cycle=cycle, actor=moderator)
    with pytest.raises(ModerationRefused):
        services.moderation_sample_add(evaluation=other, actor=moderator)
    with pytest.raises(ModerationRefused):
        services.moderation_sample_remove(moderation=sampled, actor=moderator)
    assert Moderation.objects.count() == 1


def test_an_evaluation_not_returned_cannot_join_the_sample(cycle, team, evaluator, practice_hub):
    draft = EvaluationFactory(cycle=cycle, team=team, evaluator=evaluator)
    with pytest.raises(ModerationRefused, match="has not been returned"):
        services.moderation_sample_add(evaluation=draft, actor=practice_hub)


def test_a_confirmed_moderation_cannot_be_taken_out_of_the_sample(sampled, moderator, practice_hub):
    grade_blind(sampled, moderator)
    services.moderation_confirm(moderation=sampled, actor=moderator)
    with pytest.raises(ModerationRefused, match="confirmed"):
        services.moderation_sample_remove(moderation=sampled, actor=practice_hub)
    assert Moderation.objects.get(pk=sampled.pk).is_confirmed


# --- Who may moderate ----------------------------------------------------------------------


def test_a_moderator_cannot_moderate_their_own_evaluation(cycle, team, moderator, practice_hub):
    own = completed_evaluation(cycle=cycle, team=team, evaluator=moderator)
    moderation = services.moderation_sample_add(evaluation=own, actor=practice_hub)
    with pytest.raises(ModerationRefused, match="never their own"):
        grade_blind(moderation, moderator)
    assert moderation.pk not in {item.pk for item in selectors.moderation_queue(moderator)}
    moderation.refresh_from_db()
    assert moderation.state == Moderation.State.SAMPLED


def test_the_service_checks_the_role_not_only_the_page(sampled, make_user):
    for role in (Role.EVALUATOR, Role.TEAM_MANAGER, Role.LEADER, Role.ADMINISTRATOR):
        with pytest.raises(ModerationRefused):
            grade_blind(sampled, make_user(role))
    assert Moderation.objects.get().state == Moderation.State.SAMPLED


def test_the_practice_hub_may_moderate_too(sampled, practice_hub):
    assert grade_blind(sampled, practice_hub).state == Moderation.State.GRADED_BLIND


def test_a_recorded_moderation_names_a_moderator_who_may_moderate_it(cycle, team, evaluator):
    evaluation = completed_evaluation(cycle=cycle, team=team, evaluator=evaluator)
    with pytest.raises(ModerationRefused):
        services.moderation_record(evaluation=evaluation, moderated_grade=Grade.GOOD, moderator=evaluator)


# --- Blind first --------------------------------------------------------------------------


def test_a_moderator_cannot_see_the_evaluators_grades_before_recording_their_own(sampled, moderator):
    with pytest.raises(StillBlind):
        selectors.moderation_reveal(user=moderator, pk=sampled.pk)
    with CaptureQueriesContext(connection) as queries:
        case = selectors.moderation_blind_case(user=moderator, pk=sampled.pk)
    sql = " ".join(query["sql"] for query in queries)
    assert '"overall_grade"' not in sql  # the evaluator's overall grade is never even read
    assert '"evaluations_pillargrade"."grade"' not in sql
    assert not any("grade" in name for name in vars(case) if name != "pillars")
    assert [pillar.pillar for pillar in case.pillars] == Pillar.values
    grade_blind(sampled, moderator)
    moderation, rows = selectors.moderation_reveal(user=moderator, pk=sampled.pk)
    assert rows[-1].evaluator_grade == Grade.GOOD


def test_a_graded_moderation_is_not_graded_blind_again(sampled, moderator, make_user):
    grade_blind(sampled, moderator)
    with pytest.raises(ModerationRefused, match="already been graded"):
        grade_blind(sampled, make_user(Role.MODERATOR))


def test_blind_grades_need_every_pillar_the_overall_grade_and_a_rationale(sampled, moderator):
    with pytest.raises(ValidationError) as error:
        services.moderation_grade_blind(
            moderation=sampled,
            actor=moderator,
            overall_grade="",
            pillar_grades={Pillar.CHILDS_VOICE: Grade.GOOD},
            rationale="  ",
        )
    assert set(error.value.message_dict) == {
        "pillar_assessment",
        "pillar_planning",
        "pillar_oversight",
        "overall_grade",
        "rationale",
    }


# --- Outcomes -----------------------------------------------------------------------------


def test_the_outcome_is_derived_for_every_grade(sampled, moderator):
    pillars = {
        Pillar.CHILDS_VOICE: Grade.OUTSTANDING,  # raised
        Pillar.ASSESSMENT: Grade.GOOD,  # agreed
        Pillar.PLANNING: Grade.REQUIRES_IMPROVEMENT,  # lowered
        Pillar.OVERSIGHT: Grade.INADEQUATE,  # lowered
    }
    moderation = grade_blind(sampled, moderator, overall=Grade.REQUIRES_IMPROVEMENT, pillars=pillars)
    assert moderation.outcome == Moderation.Outcome.DOWNGRADED
    outcomes = dict(moderation.pillar_grades.values_list("pillar", "outcome"))
    assert outcomes == {
        Pillar.CHILDS_VOICE: Moderation.Outcome.UPGRADED,
        Pillar.ASSESSMENT: Moderation.Outcome.AGREED,
        Pillar.PLANNING: Moderation.Outcome.DOWNGRADED,
        Pillar.OVERSIGHT: Moderation.Outcome.DOWNGRADED,
    }


# --- Confirmation: the grade of record and the evaluator told --------------------------------


def test_the_moderated_grade_becomes_the_grade_of_record_only_once_confirmed(sampled, moderator, evaluator):
    grade_blind(sampled, moderator, overall=Grade.INADEQUATE, rationale="Risks from the new adult are not assessed.")
    evaluation = Evaluation.objects.select_related("moderation").get(pk=sampled.evaluation_id)
    assert evaluation.final_grade == Grade.GOOD
    data = grade_distribution(quarter="2025-26-Q1")
    assert data["overall"]["final"][Grade.GOOD] == 1
    assert data["moderation"]["moderated"] == 0

    services.moderation_confirm(moderation=sampled, actor=moderator, expected_version=2)
    evaluation = Evaluation.objects.select_related("moderation").get(pk=sampled.evaluation_id)
    assert (evaluation.final_grade, evaluation.overall_grade) == (Grade.INADEQUATE, Grade.GOOD)
    data = grade_distribution(quarter="2025-26-Q1")
    assert data["overall"]["final"] == {"outstanding": 0, "good": 0, "requires_improvement": 0, "inadequate": 1}
    assert data["overall"]["evaluator"][Grade.GOOD] == 1
    assert (data["moderation"]["moderated"], data["moderation"]["downgraded"]) == (1, 1)
    assert data["moderation"]["agreement_rate"] == 0.0
    assert data["moderation"]["by_pillar"][Pillar.CHILDS_VOICE]["agreed"] == 1


def test_the_evaluator_is_told_with_the_rationale_when_a_moderation_is_confirmed(
    sampled, moderator, evaluator, django_capture_on_commit_callbacks
):
    grade_blind(sampled, moderator, overall=Grade.OUTSTANDING, rationale="Direct work shows the child's voice.")
    assert not Notification.objects.exists()
    with django_capture_on_commit_callbacks(execute=False):
        services.moderation_confirm(moderation=sampled, actor=moderator)
    notification = Notification.objects.get()
    assert notification.kind == NotificationKind.MODERATION_CONFIRMED
    assert notification.recipients == [evaluator.email]
    assert "Direct work shows the child's voice." in notification.body
    assert "Moderated overall grade: Outstanding (raised)" in notification.body


def test_only_the_moderator_who_graded_it_confirms_it(sampled, moderator, make_user, practice_hub):
    grade_blind(sampled, moderator)
    for person in (make_user(Role.MODERATOR), practice_hub):
        with pytest.raises(ModerationRefused):
            services.moderation_confirm(moderation=sampled, actor=person)
    assert services.moderation_confirm(moderation=sampled, actor=moderator).is_confirmed
    with pytest.raises(ModerationRefused, match="Only a moderation graded blind"):
        services.moderation_confirm(moderation=sampled, actor=moderator)


def test_a_confirmation_based_on_an_older_version_is_refused(sampled, moderator):
    grade_blind(sampled, moderator)
    with pytest.raises(ConcurrentEditError):
        services.moderation_confirm(moderation=sampled, actor=moderator, expected_version=1)
    assert Moderation.objects.get().state == Moderation.State.GRADED_BLIND


# --- Rounds ---------------------------------------------------------------------------------


@pytest.fixture
def confirmed(sampled, moderator):
    grade_blind(sampled, moderator, rationale="First look.")
    return services.moderation_confirm(moderation=sampled, actor=moderator)


def change(moderation, actor, reason="The panel found new evidence in the chronology."):
    return services.moderation_change(
        moderation=moderation,
        actor=actor,
        overall_grade=Grade.REQUIRES_IMPROVEMENT,
        pillar_grades={**ALL_GOOD, Pillar.PLANNING: Grade.REQUIRES_IMPROVEMENT},
        rationale="The plan is not SMART.",
        reason=reason,
    )


def test_a_confirmed_moderation_is_changed_only_by_the_practice_hub_with_a_reason(
    confirmed, moderator, practice_hub, make_user
):
    for person in (moderator, make_user(Role.LEADER), make_user(Role.EVALUATOR)):
        with pytest.raises(ModerationRefused):
            change(confirmed, person)
    with pytest.raises(ValidationError):
        change(confirmed, practice_hub, reason="  ")
    with pytest.raises(ModerationRefused):
        grade_blind(confirmed, moderator)
    assert Moderation.objects.get().moderated_grade == Grade.GOOD
    assert not ModerationRound.objects.exists()

    changed = change(confirmed, practice_hub)
    assert (changed.round, changed.moderated_grade, changed.outcome) == (
        2,
        Grade.REQUIRES_IMPROVEMENT,
        Moderation.Outcome.DOWNGRADED,
    )
    assert changed.is_confirmed and changed.moderator == practice_hub
    earlier = ModerationRound.objects.get()
    assert (earlier.number, earlier.moderated_grade, earlier.rationale, earlier.moderator) == (
        1,
        Grade.GOOD,
        "First look.",
        moderator,
    )
    assert earlier.replaced_because == "The panel found new evidence in the chronology."
    assert earlier.pillar_grades == dict.fromkeys(Pillar.values, Grade.GOOD)
    assert Notification.objects.filter(kind=NotificationKind.MODERATION_CONFIRMED).count() == 2


def test_the_practice_hub_cannot_change_the_moderation_of_its_own_evaluation(cycle, team, practice_hub, moderator):
    hub_own = completed_evaluation(cycle=cycle, team=team, evaluator=practice_hub)
    moderation = services.moderation_record(evaluation=hub_own, moderated_grade=Grade.GOOD, moderator=moderator)
    with pytest.raises(ModerationRefused):
        change(moderation, practice_hub)


def test_a_recorded_grade_is_confirmed_and_a_changed_one_keeps_its_earlier_round(cycle, team, evaluator, moderator):
    evaluation = completed_evaluation(cycle=cycle, team=team, evaluator=evaluator)
    recorded = services.moderation_record(evaluation=evaluation, moderated_grade=Grade.GOOD, moderator=moderator)
    assert recorded.is_confirmed and recorded.confirmed_at is not None
    again = services.moderation_record(
        evaluation=evaluation,
        moderated_grade=Grade.OUTSTANDING,
        moderator=moderator,
        expected_version=1,
        reason="web import tracker.csv",
    )
    assert (again.round, again.moderated_grade) == (2, Grade.OUTSTANDING)
    assert ModerationRound.objects.get().replaced_because == "web import tracker.csv"


# --- Consistency ------------------------------------------------------------------------------


def moderate_confirmed(evaluation, moderator, overall, pillars=None):
    moderation = services.moderation_sample_add(
        evaluation=evaluation, actor=UserFactory(username="hub-for-tests", role=Role.PRACTICE_HUB)
    )
    grade_blind(moderation, moderator, overall=overall, pillars=pillars)
    return services.moderation_confirm(moderation=moderation, actor=moderator)


def build_consistency(size: int, moderator):
    """`size` evaluations for each of two evaluators in two service areas: the first agreed
    with every time, the second lowered every time."""
    cycle = CycleFactory(quarter="2025-26-Q2", title=f"Consistency {size}")
    steady = UserFactory(first_name="Steady", last_name="Grader")
    generous = UserFactory(first_name="Generous", last_name="Grader")
    cic = TeamFactory(service_area__name="Children in Care", name="CiC Team 1")
    cp = TeamFactory(service_area__name="Child Protection", name="CP Team 1")
    for _ in range(size):
        agreed = completed_evaluation(grade=Grade.GOOD, cycle=cycle, team=cic, evaluator=steady)
        moderate_confirmed(agreed, moderator, Grade.GOOD)
        lowered = completed_evaluation(grade=Grade.GOOD, cycle=cycle, team=cp, evaluator=generous)
        moderate_confirmed(
            lowered, moderator, Grade.REQUIRES_IMPROVEMENT, {**ALL_GOOD, Pillar.PLANNING: Grade.INADEQUATE}
        )
        completed_evaluation(grade=Grade.GOOD, cycle=cycle, team=cic, evaluator=steady)  # not moderated
    return cycle, steady, generous


def test_consistency_figures_per_cycle_evaluator_and_service_area(db, moderator):
    cycle, steady, generous = build_consistency(3, moderator)
    figures = selectors.moderation_consistency(cycle=cycle)
    by_evaluator = {row.key: row for row in figures["evaluators"]}
    assert (by_evaluator[steady.pk].returned, by_evaluator[steady.pk].moderated) == (6, 3)
    assert by_evaluator[steady.pk].share_moderated == 0.5
    assert by_evaluator[steady.pk].agreement_rate == 1.0
    assert by_evaluator[generous.pk].agreement_rate == 0.0
    assert by_evaluator[generous.pk].downgraded == 3
    assert by_evaluator[generous.pk].pillars == {
        Pillar.CHILDS_VOICE: 1.0,
        Pillar.ASSESSMENT: 1.0,
        Pillar.PLANNING: 0.0,
        Pillar.OVERSIGHT: 1.0,
    }
    assert [row.label for row in selectors.evaluators_needing_a_refresher(figures)] == ["Generous Grader"]
    areas = {row.label: row for row in figures["service_areas"]}
    assert (areas["Child Protection"].moderated, areas["Child Protection"].agreement_rate) == (3, 0.0)
    assert areas["Children in Care"].share_moderated == 0.5
    [whole] = figures["cycles"]
    assert (whole.returned, whole.moderated, whole.agreed, whole.downgraded) == (9, 6, 3, 3)


def test_an_evaluator_needs_at_least_a_few_moderated_grades_before_a_refresher_is_suggested(db, moderator):
    cycle, _, _ = build_consistency(2, moderator)
    assert selectors.evaluators_needing_a_refresher(selectors.moderation_consistency(cycle=cycle)) == []


@pytest.mark.parametrize("size", [2, 12])
def test_consistency_figures_take_six_queries_whatever_the_number_of_evaluations(
    db, moderator, size, django_assert_num_queries
):
    cycle, _, _ = build_consistency(size, moderator)
    with django_assert_num_queries(6):
        selectors.moderation_consistency(cycle=cycle)
    with django_assert_num_queries(6):
        selectors.moderation_consistency()


@pytest.mark.parametrize("size", [2, 12])
def test_the_distribution_takes_the_same_queries_with_moderated_pillars(db, moderator, size, django_assert_num_queries):
    build_consistency(size, moderator)
    with django_assert_num_queries(2):  # evaluations; pillar grades with moderated pillar grades
        data = grade_distribution(quarter="2025-26-Q2")
    assert data["moderation"]["by_pillar"][Pillar.PLANNING] == {
        "moderated": 2 * size,
        "agreed": size,
        "upgraded": 0,
        "downgraded": size,
        "agreement_rate": 0.5,
    }
    assert data["moderation"]["agreement_rate"] == 0.5
