"""The evaluation workflow services: states, concurrency and history."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from evaluations import services
from evaluations.models import Evaluation, Grade, Pillar, Recommendation
from evaluations.permissions import can_be_moderated
from tests.factories import EvaluationFactory, UserFactory, completed_evaluation

pytestmark = pytest.mark.django_db


def save(evaluation, actor, version, token="", **fields):
    return services.evaluation_save_draft(
        evaluation=evaluation, actor=actor, expected_version=version, fields=fields, editor_token=token
    )


def test_the_first_draft_moves_an_allocated_evaluation_to_in_progress(evaluator):
    evaluation = EvaluationFactory(evaluator=evaluator)
    saved = save(evaluation, evaluator, 1, strengths="Good rapport")
    assert saved.status == Evaluation.Status.IN_PROGRESS
    assert saved.version == 2
    assert saved.draft_saved_at is not None


def test_a_save_based_on_an_older_version_from_another_tab_is_refused(evaluator):
    evaluation = EvaluationFactory(evaluator=evaluator)
    save(evaluation, evaluator, 1, token="tab-a", strengths="From tab A")
    with pytest.raises(services.ConcurrentEditError) as refused:
        save(evaluation, evaluator, 1, token="tab-b", strengths="From tab B")
    assert refused.value.current_version == 2
    evaluation.refresh_from_db()
    assert evaluation.strengths == "From tab A"


def test_saves_from_the_same_tab_racing_a_reload_are_not_a_conflict(evaluator):
    evaluation = EvaluationFactory(evaluator=evaluator)
    save(evaluation, evaluator, 1, token="tab-a", strengths="Sent as the page unloaded")
    saved = save(evaluation, evaluator, 1, token="tab-a", strengths="Sent after the reload")
    assert saved.strengths == "Sent after the reload"


def test_only_the_allocated_evaluator_can_save(evaluator):
    evaluation = EvaluationFactory(evaluator=evaluator)
    with pytest.raises(services.EvaluationError):
        save(evaluation, UserFactory(), 1, strengths="Not mine")


def test_submitting_an_incomplete_evaluation_lists_every_missing_answer(evaluator):
    evaluation = EvaluationFactory(evaluator=evaluator)
    with pytest.raises(services.IncompleteEvaluation) as incomplete:
        services.evaluation_submit(evaluation=evaluation, actor=evaluator)
    messages = [problem.message for problem in incomplete.value.problems]
    assert "Enter the date of the conversation" in messages
    assert "Select an overall grade" in messages
    assert len([problem for problem in incomplete.value.problems if problem.section == "pillar"]) == len(Pillar)
    assert len([message for message in messages if message.startswith("Answer")]) == 3


def test_every_save_is_attributed_to_the_person_who_made_it(evaluator):
    evaluation = EvaluationFactory(evaluator=evaluator)
    save(evaluation, evaluator, 1, strengths="Attributed")
    latest = evaluation.history.order_by("-history_date").first()
    assert latest.history_user == evaluator
    assert latest.strengths == "Attributed"


def test_a_closed_evaluation_cannot_be_changed(evaluator):
    evaluation = EvaluationFactory(evaluator=evaluator, status=Evaluation.Status.NOT_RETURNED)
    with pytest.raises(services.EvaluationError):
        save(evaluation, evaluator, 1, strengths="Too late")


# --- The model's rules hold in every service -----------------------------------------------


def test_a_draft_with_a_grade_not_in_the_scale_is_refused_and_nothing_is_written(evaluator):
    evaluation = EvaluationFactory(evaluator=evaluator)
    with pytest.raises(ValidationError) as refused:
        services.evaluation_save_draft(
            evaluation=evaluation,
            actor=evaluator,
            expected_version=1,
            fields={"strengths": "Kept?", "overall_grade": "excellent"},
        )
    assert "overall_grade" in refused.value.message_dict
    evaluation.refresh_from_db()
    assert (evaluation.strengths, evaluation.overall_grade, evaluation.version) == ("", "", 1)


def test_a_pillar_grade_not_in_the_scale_is_refused_by_the_name_its_form_posts(evaluator):
    evaluation = EvaluationFactory(evaluator=evaluator)
    with pytest.raises(ValidationError) as refused:
        services.evaluation_save_draft(
            evaluation=evaluation,
            actor=evaluator,
            expected_version=1,
            fields={"strengths": "Kept?"},
            pillars={Pillar.PLANNING: {"grade": "excellent"}},
        )
    assert list(refused.value.message_dict) == ["pillar-planning-grade"]
    evaluation.refresh_from_db()
    assert (evaluation.strengths, evaluation.version) == ("", 1)
    assert not evaluation.pillar_grades.exists()


def test_a_draft_may_keep_a_recommendation_still_without_its_action(evaluator):
    evaluation = EvaluationFactory(evaluator=evaluator)
    saved = services.evaluation_save_draft(
        evaluation=evaluation, actor=evaluator, expected_version=1, fields={}, recommendations=[{"owner": evaluator}]
    )
    assert list(saved.recommendations.values_list("action", "owner")) == [("", evaluator.pk)]


@pytest.mark.parametrize(
    ("values", "field"),
    [({"child_ref": "Jo Bloggs"}, "child_ref"), ({"overall_grade": ""}, "overall_grade")],
    ids=["a name as case id", "a returned evaluation without an overall grade"],
)
def test_a_correction_the_model_does_not_allow_is_refused_and_nothing_is_written(values, field, practice_hub):
    evaluation = completed_evaluation()
    with pytest.raises(ValidationError) as refused:
        services.evaluation_update(evaluation=evaluation, actor=practice_hub, expected_version=1, values=values)
    assert field in refused.value.message_dict
    evaluation.refresh_from_db()
    assert (evaluation.overall_grade, evaluation.version) == (Grade.GOOD, 1)
    assert evaluation.child_ref != "Jo Bloggs"


def test_a_correction_of_a_pillar_grade_is_a_new_version_of_its_evaluation(evaluator, practice_hub):
    evaluation = completed_evaluation(evaluator=evaluator)
    planning = evaluation.pillar_grades.get(pillar=Pillar.PLANNING)
    services.evaluation_update(
        evaluation=evaluation,
        actor=practice_hub,
        expected_version=1,
        parts=[(planning, {"grade": Grade.REQUIRES_IMPROVEMENT})],
    )
    planning.refresh_from_db()
    evaluation.refresh_from_db()
    assert (planning.grade, evaluation.version) == (Grade.REQUIRES_IMPROVEMENT, 2)
    assert planning.history.latest().history_user == practice_hub
    with pytest.raises(services.ConcurrentEditError):
        services.evaluation_update(
            evaluation=evaluation, actor=practice_hub, expected_version=1, parts=[(planning, {"grade": Grade.GOOD})]
        )


def test_nothing_changed_is_no_new_version(practice_hub):
    evaluation = completed_evaluation()
    saved = services.evaluation_update(
        evaluation=evaluation, actor=practice_hub, expected_version=1, values={"overall_grade": Grade.GOOD}
    )
    assert saved.version == 1


def test_only_a_returned_evaluation_can_be_moderated(evaluator, moderator):
    draft = EvaluationFactory(evaluator=evaluator, status=Evaluation.Status.IN_PROGRESS, overall_grade=Grade.GOOD)
    assert not can_be_moderated(draft)
    with pytest.raises(services.EvaluationError, match="Only a returned evaluation can be moderated"):
        services.moderation_record(evaluation=draft, moderated_grade=Grade.GOOD, moderator=moderator)
    returned = completed_evaluation(evaluator=evaluator)
    assert can_be_moderated(returned)
    assert services.moderation_record(evaluation=returned, moderated_grade=Grade.GOOD, moderator=moderator).pk


def test_a_recommendation_marked_done_records_when(team_manager):
    recommendation = Recommendation.objects.create(evaluation=completed_evaluation(), action="Visit", owner_text="TM")
    done = services.recommendation_update(
        recommendation=recommendation,
        values={
            "status": Recommendation.Status.DONE,
            "completed_on": dt.date(2025, 6, 1),
            "outcome_note": "Chronology updated.",
        },
        actor=team_manager,
        expected_version=1,
    )
    assert done.completed_at is not None and done.version == 2
    with pytest.raises(ValidationError):
        services.recommendation_update(
            recommendation=recommendation, values={"action": ""}, actor=team_manager, expected_version=2
        )
    recommendation.refresh_from_db()
    assert recommendation.action == "Visit"
