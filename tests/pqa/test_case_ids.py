"""One rule for a child's case id: what it may look like, and when two are the same child."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from evaluations import validators
from evaluations.models import Evaluation
from pqa import case_ids
from pqa.case_ids import child_key, child_key_expression, child_ref_problem, validate_child_ref
from tests.factories import CycleFactory, EvaluationFactory

CASE_IDS = ["AB123", "ab123", "Ab-123", "1234567", "c-77", "x9", "LONG-" + "a1" * 17]


@pytest.mark.parametrize(("one", "other"), [("AB123", "ab123"), ("Ab123", " aB123 "), ("c-77", "C-77")])
def test_case_ids_in_any_letter_case_are_one_child(one, other):
    assert child_key(one) == child_key(other)


@pytest.mark.parametrize(("one", "other"), [("AB123", "AB1234"), ("AB-123", "AB123"), ("C-77", "C-78")])
def test_different_case_ids_are_different_children(one, other):
    assert child_key(one) != child_key(other)


def test_the_key_is_what_the_database_constraint_compares(db):
    cycle = CycleFactory()
    for number, case_id in enumerate(CASE_IDS):
        EvaluationFactory(cycle=cycle, reference=f"PE-2025-{number:04d}", child_ref=case_id if number != 1 else "zz1")
    stored = Evaluation.objects.annotate(key=child_key_expression("child_ref")).values_list("child_ref", "key")
    assert [key for _, key in stored] == [child_key(child_ref) for child_ref, _ in stored]


@pytest.mark.parametrize(("allocated", "again"), [("AB123", "ab123"), ("ab-9", "AB-9"), ("x9", "X9")])
def test_the_database_refuses_the_same_child_twice_in_a_cycle_in_any_letter_case(db, allocated, again):
    cycle = CycleFactory()
    EvaluationFactory(cycle=cycle, child_ref=allocated)
    with pytest.raises(IntegrityError), transaction.atomic():
        EvaluationFactory(cycle=cycle, child_ref=again)
    assert [child_key(ref) for ref in Evaluation.objects.values_list("child_ref", flat=True)] == [child_key(again)]


def test_the_model_refuses_a_case_id_with_spaces_around_it_so_the_database_key_stays_the_child_key(db):
    evaluation = EvaluationFactory.build(child_ref=" AB123", cycle=CycleFactory())
    with pytest.raises(ValidationError) as error:
        evaluation.full_clean(exclude=["team", "evaluator"])
    assert error.value.message_dict["child_ref"] == ["The case id has spaces around it: remove them"]


@pytest.mark.parametrize("name", ["Jo Bloggs", "Smith", "bloggs-jo"])
def test_a_name_is_never_a_case_id(name):
    assert child_ref_problem(name) == (
        f"'{name}' is not a case id: use the id from the case system (letters, digits and dashes with at least one "
        "digit, no spaces, at most 40 characters), never a name"
    )
    with pytest.raises(ValidationError):
        validate_child_ref(name)


def test_the_rule_is_still_importable_where_migrations_and_callers_find_it():
    assert validators.validate_child_ref is case_ids.validate_child_ref
    assert validators.child_ref_problem is case_ids.child_ref_problem
    assert validators.child_key is case_ids.child_key
