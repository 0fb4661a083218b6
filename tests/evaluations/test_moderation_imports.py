"""Imported moderated grades keep working with the sample: they are confirmed moderations, and
an import never takes an evaluation out of the sample PQA drew."""

from evaluations import services
from evaluations.models import Evaluation, Grade, Moderation, ModerationRound
from tests.evaluations.test_imports import completed_row, csv_text, known, run, write_csv  # noqa: F401 - fixtures


def test_an_imported_moderated_grade_is_a_confirmed_moderation_and_the_grade_of_record(run, known):  # noqa: F811
    run(csv_text(completed_row(overall_grade="good", moderated_grade="requires_improvement")))
    moderation = Moderation.objects.get()
    assert moderation.state == Moderation.State.CONFIRMED and moderation.confirmed_at is not None
    assert moderation.sample_reason == Moderation.SampleReason.RECORDED
    assert Evaluation.objects.select_related("moderation").get().final_grade == Grade.REQUIRES_IMPROVEMENT


def test_an_import_that_changes_a_confirmed_grade_keeps_the_earlier_round(run, known):  # noqa: F811
    run(csv_text(completed_row(moderated_grade="good")))
    run(csv_text(completed_row(moderated_grade="outstanding")))
    moderation = Moderation.objects.get()
    assert (moderation.round, moderation.moderated_grade) == (2, Grade.OUTSTANDING)
    earlier = ModerationRound.objects.get()
    assert earlier.moderated_grade == Grade.GOOD
    assert earlier.replaced_because.startswith("import_evaluations")


def test_an_import_without_a_moderated_grade_leaves_the_sample_alone(run, known, practice_hub):  # noqa: F811
    run(csv_text(completed_row()))
    services.moderation_sample_add(evaluation=Evaluation.objects.get(), actor=practice_hub)
    run(csv_text(completed_row(strengths="Updated.", moderated_grade="")))
    assert Moderation.objects.get().state == Moderation.State.SAMPLED
