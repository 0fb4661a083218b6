"""Every CheckConstraint is judged in Python by full_clean(), with the database's verdict.

The suite runs on SQLite and again on PostgreSQL, so the agreement below is checked against
both databases' own judgement of each condition.
"""

from __future__ import annotations

import datetime
import itertools
import math
import random

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import CheckConstraint, F, Q, Value
from django.db.models.constants import LOOKUP_SEP
from django.db.models.lookups import Lookup
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evaluations.models import Cycle, Evaluation, Moderation
from pqa.constraints import ConstraintsCheckedInPython, NotJudgedInPython, condition_holds

pytestmark = pytest.mark.django_db

CHECKS = [
    (model, constraint)
    for model in apps.get_models()
    for constraint in model._meta.constraints
    if isinstance(constraint, CheckConstraint)
]


def _named_fields(condition) -> tuple[set[str], list]:
    """The fields a condition names, and the literal values it compares them with."""
    names, literals = set(), []

    def walk(node):
        if isinstance(node, Q):
            for child in node.children:
                walk(child)
        elif isinstance(node, tuple):
            path, right = node
            names.add(path.split(LOOKUP_SEP)[0])
            walk(right)
        elif isinstance(node, Lookup):
            walk(node.lhs)
            walk(node.rhs)
        elif isinstance(node, F):
            names.add(node.name)
        elif hasattr(node, "get_source_expressions"):
            for source in node.get_source_expressions():
                walk(source)
        elif not isinstance(node, Value):
            literals.append(node)

    walk(Q(condition))
    return names, literals


def _candidates(field, literals) -> list:
    """Values worth trying in a field: empty, each side of every number the condition names,
    each choice, and the same kind of value the condition compares with."""
    kind = field.get_internal_type()
    numbers = [value for value in literals if isinstance(value, int) and not isinstance(value, bool)]
    if kind in ("CharField", "TextField"):
        texts = ["", "x", *[choice for choice, _ in field.flatchoices if choice]]
        texts += [value for value in literals if isinstance(value, str)]
        texts += ["é" * size for number in numbers for size in (number, number + 1)]
        return [None, *texts]
    if kind == "DateField":
        day = datetime.date(2026, 7, 1)
        return [None, day - datetime.timedelta(days=1), day, day + datetime.timedelta(days=1)]
    if kind == "DateTimeField":
        moment = timezone.make_aware(datetime.datetime(2026, 7, 1, 9, 0))
        return [None, moment - datetime.timedelta(seconds=1), moment, moment + datetime.timedelta(seconds=1)]
    if kind == "BooleanField":
        return [None, True, False]
    if kind in ("ForeignKey", "OneToOneField"):
        return [None, 1]
    if kind == "DecimalField":
        return [None, *(field.to_python(str(number)) for number in (-1, 0, "0.5", 1, 2, 3, 4, 100))]
    return [None, -1, 0, 1, 2, 3, 4, *numbers, *(number + 1 for number in numbers)]


def _database_allows(model, condition, values: dict) -> bool:
    fields = {field.name: field for field in model._meta.local_concrete_fields}
    against = {
        name: Value(value, fields[name].target_field if fields[name].is_relation else fields[name])
        for name, value in values.items()
    }
    return Q(condition).check(against, using=connection.alias)


def test_every_model_with_a_check_constraint_judges_it_in_python():
    assert CHECKS, "the project has check constraints"
    not_checked_in_python = sorted(
        {model.__name__ for model, _ in CHECKS if not issubclass(model, ConstraintsCheckedInPython)}
    )
    assert not_checked_in_python == []


@pytest.mark.parametrize(("model", "constraint"), CHECKS, ids=[f"{m.__name__}.{c.name}" for m, c in CHECKS])
def test_python_and_the_database_agree_on_every_check_constraint(model, constraint):
    names, literals = _named_fields(constraint.condition)
    fields = {field.name: field for field in model._meta.local_concrete_fields}
    options = [_candidates(fields[name], literals) for name in sorted(names)]
    # Every combination when there are few, else a fixed sample (the same one every run).
    if math.prod(len(values) for values in options) <= 150:
        rows = list(itertools.product(*options))
    else:
        pick = random.Random(constraint.name)  # nosec B311 - a repeatable sample
        # Half the rows from each field's first few values (empty and short), so that a condition
        # on many fields is met by some rows and broken by others.
        rows = [tuple(pick.choice(values[: 3 if turn % 2 else None]) for values in options) for turn in range(150)]
    verdicts = {True: 0, False: 0}
    for row in rows:
        values = dict(zip(sorted(names), row, strict=True))
        in_python = condition_holds(constraint.condition, values)
        assert in_python == _database_allows(model, constraint.condition, values), (constraint.name, values)
        verdicts[in_python] += 1
    assert verdicts[True] and verdicts[False], f"{constraint.name}: both verdicts tried"


def test_full_clean_refuses_a_broken_check_constraint_with_its_message_and_no_check_query():
    moderation = Moderation(state=Moderation.State.SAMPLED, moderated_grade="good", outcome="")
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValidationError) as refused:
        moderation.validate_constraints(exclude={"evaluation"})
    (constraint,) = [c for c in Moderation._meta.constraints if c.name == "moderation_graded_unless_sampled"]
    assert refused.value.messages == [constraint.get_violation_error_message()]
    assert not [query for query in queries if '"_check"' in query["sql"]]


def test_a_row_within_the_rules_passes_without_a_check_query():
    cycle = Cycle(quarter="2026-27-Q2", type="trust_wide", title="Within the limit")
    with CaptureQueriesContext(connection) as queries:
        cycle.validate_constraints(exclude={"quarter", "type"})
    assert not [query for query in queries if '"_check"' in query["sql"]]


def test_a_constraint_on_a_field_left_out_of_full_clean_is_not_judged_as_django_does():
    evaluation = Evaluation(status=Evaluation.Status.RETURNED, overall_grade="")
    with pytest.raises(ValidationError):
        evaluation.validate_constraints(exclude={"cycle", "child_ref", "reference"})
    evaluation.validate_constraints(exclude={"cycle", "child_ref", "reference", "overall_grade"})


def test_a_condition_of_another_shape_is_sent_to_the_database(monkeypatch):
    starts_with = CheckConstraint(condition=Q(title__startswith="Cycle"), name="title_starts_with_cycle")
    with pytest.raises(NotJudgedInPython):
        condition_holds(starts_with.condition, {"title": "Spring"})
    monkeypatch.setattr(Cycle._meta, "constraints", [starts_with])
    cycle = Cycle(quarter="2026-27-Q2", type="trust_wide", title="Spring")
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValidationError) as refused:
        cycle.validate_constraints()
    assert refused.value.messages == [starts_with.get_violation_error_message()]
    assert [query for query in queries if '"_check"' in query["sql"]]


def test_sql_three_valued_logic_lets_an_unknown_condition_pass():
    assert condition_holds(Q(number__lte=3), {"number": None})
    assert condition_holds(~Q(number__lte=3), {"number": None})
    assert not condition_holds(Q(number__lte=3), {"number": 4})
    assert condition_holds(Q(number__lte=3) | Q(number__isnull=True), {"number": None})
    assert not condition_holds(Q(number__isnull=False), {"number": None})
