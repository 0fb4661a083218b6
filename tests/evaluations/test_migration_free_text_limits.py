"""Migration 0007 (free-text limits) never cuts what someone wrote: text already longer than its
new limit stops the migration with a list of where it is, and nothing changes until it is
shortened."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("evaluations", "0007_revisits")]
AFTER = [("evaluations", "0008_free_text_limits")]


@pytest.fixture
def executor(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    executor.loader.build_graph()
    yield executor
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def _rows(apps):
    area = apps.get_model("pqa", "ServiceArea").objects.create(name="Children in Care")
    team = apps.get_model("pqa", "Team").objects.create(service_area=area, name="CiC Team 1")
    evaluator = apps.get_model("pqa", "User").objects.create(username="eve", email="eve@trust.example")
    cycle = apps.get_model("evaluations", "Cycle").objects.create(quarter="2025-26-Q1", type="trust_wide")
    Evaluation = apps.get_model("evaluations", "Evaluation")
    make = {"cycle": cycle, "team": team, "evaluator": evaluator, "practitioner": "SW-1"}
    long = Evaluation.objects.create(reference="PE-2025-0001", child_ref="1000001", strengths="s" * 10_000, **make)
    fine = Evaluation.objects.create(reference="PE-2025-0002", child_ref="1000002", strengths="Fine", **make)
    apps.get_model("evaluations", "PillarGrade").objects.create(evaluation=fine, pillar="planning", tell_me="t" * 4001)
    return Evaluation, long


def test_text_over_its_new_limit_is_listed_and_nothing_is_changed(executor):
    Evaluation, long = _rows(executor.loader.project_state(BEFORE).apps)
    with pytest.raises(RuntimeError) as refused:
        executor.migrate(AFTER)
    assert str(refused.value).splitlines()[1:] == [
        "evaluation PE-2025-0001: strengths has 10,000 characters (at most 4,000)",
        "evaluation PE-2025-0002, pillar planning: tell_me has 4,001 characters (at most 4,000)",
    ]
    assert "Shorten each (the Django admin shows the limit), then migrate again" in str(refused.value)
    assert len(Evaluation.objects.get(pk=long.pk).strengths) == 10_000  # never cut

    executor.loader.build_graph()
    assert ("evaluations", "0008_free_text_limits") not in executor.loader.applied_migrations
    Evaluation.objects.all().delete()  # so the test database can be migrated back


def test_once_shortened_the_migration_runs_and_the_database_holds_the_limits(executor):
    state = executor.loader.project_state(BEFORE).apps
    Evaluation, long = _rows(state)
    Evaluation.objects.filter(pk=long.pk).update(strengths="s" * 4000)
    state.get_model("evaluations", "PillarGrade").objects.update(tell_me="t" * 4000)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    constraints = connection.introspection.get_constraints(connection.cursor(), "evaluations_evaluation")
    assert "evaluation_text_within_limits" in constraints
