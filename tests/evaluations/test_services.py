"""The evaluation workflow services: states, concurrency and history."""

import pytest

from evaluations import services
from evaluations.models import Evaluation, Pillar
from tests.factories import EvaluationFactory, UserFactory

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
