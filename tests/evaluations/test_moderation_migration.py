"""The migration that brought the sample, blind grading, rounds and panels: every moderation
that existed before is a confirmed one, still the grade of record."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("evaluations", "0009_revisit_finding_note_limit")]
AFTER = [("evaluations", "0010_moderation_sample_blind_rounds_panels")]


@pytest.mark.django_db(transaction=True)
def test_existing_moderations_become_confirmed_moderations():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    User = old.get_model("pqa", "User")
    ServiceArea = old.get_model("pqa", "ServiceArea")
    Team = old.get_model("pqa", "Team")
    Cycle = old.get_model("evaluations", "Cycle")
    Evaluation = old.get_model("evaluations", "Evaluation")
    Moderation = old.get_model("evaluations", "Moderation")
    evaluator = User.objects.create(username="before.evaluator", role="evaluator")
    team = Team.objects.create(service_area=ServiceArea.objects.create(name="Before"), name="Before 1")
    cycle = Cycle.objects.create(quarter="2024-25-Q4")
    evaluation = Evaluation.objects.create(
        reference="PE-2024-0001",
        cycle=cycle,
        team=team,
        child_ref="1234567",
        practitioner="SW-1",
        evaluator=evaluator,
        status="completed",
        overall_grade="good",
    )
    moderation = Moderation.objects.create(
        evaluation=evaluation, moderated_grade="requires_improvement", outcome="downgraded", rationale="Before."
    )
    moderated_at = moderation.moderated_at

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    migrated = new.get_model("evaluations", "Moderation").objects.get(pk=moderation.pk)
    assert (migrated.state, migrated.round, migrated.sample_reason) == ("confirmed", 1, "recorded")
    assert migrated.confirmed_at == moderated_at
    assert (migrated.moderated_grade, migrated.outcome, migrated.rationale) == (
        "requires_improvement",
        "downgraded",
        "Before.",
    )
    assert new.get_model("evaluations", "Cycle").objects.get(pk=cycle.pk).moderation_share == 20
    assert isinstance(moderated_at, dt.datetime)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
