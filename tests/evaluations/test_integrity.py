"""What holds whatever route an evaluation takes into PQA: a reference is an id, never a name,
and a child is evaluated once in a cycle, in the database itself."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from evaluations.models import Evaluation
from evaluations.services import next_reference
from evaluations.validators import reference_problem
from tests.factories import CycleFactory, EvaluationFactory


@pytest.mark.parametrize(
    "reference",
    ["PE-2025-0001", "PE-2025-10000", "PE-T-00001", "2019/20-017", "SPE_0042", "CIC.2021.3", "12345", "a1"],
)
def test_ids_of_every_shape_a_trust_uses_are_references(reference):
    assert reference_problem(reference) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "enter the evaluation's reference"),
        ("Jo Bloggs", None),
        ("Smith", None),
        ("PE 2025 0001", None),
        ("-1234", None),
        ("Ann-Marie.O'Neil2", None),
        ("P" * 40 + "1", "the reference is longer than 40 characters"),
    ],
)
def test_a_name_or_anything_else_that_is_not_an_id_is_no_reference(value, problem):
    assert reference_problem(value) == (
        problem
        or f"'{value}' is not a reference: use the evaluation's id (letters, digits, dashes, slashes, dots and "
        "underscores, starting with a letter or digit, with at least one digit, no spaces, at most 40 characters), "
        "never a name"
    )


def test_the_references_pqa_gives_its_own_allocations_pass_the_rule(db):
    assert reference_problem(next_reference(2025)) is None
    EvaluationFactory(reference="PE-2025-9999")
    assert next_reference(2025) == "PE-2025-10000"
    assert reference_problem(next_reference(2025)) is None


def test_the_model_refuses_a_name_as_reference(db):
    evaluation = EvaluationFactory.build(reference="Jo Bloggs", cycle=CycleFactory())
    with pytest.raises(ValidationError) as error:
        evaluation.full_clean(exclude=["team", "evaluator"])
    assert error.value.message_dict["reference"][0].startswith("'Jo Bloggs' is not a reference")


def test_the_database_refuses_a_child_twice_in_a_cycle_whatever_the_letter_case(db):
    cycle = CycleFactory()
    EvaluationFactory(cycle=cycle, child_ref="child-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        EvaluationFactory(cycle=cycle, child_ref="CHILD-1")
    assert Evaluation.objects.count() == 1


def test_the_same_child_may_be_evaluated_in_another_cycle_whatever_the_letter_case(db):
    first = EvaluationFactory(child_ref="CHILD-1")
    second = EvaluationFactory.build(
        child_ref="child-1", cycle=CycleFactory(title="June round"), team=first.team, evaluator=first.evaluator
    )
    second.full_clean()  # the model's check lets it through...
    second.save()  # ...and so does the database's
    assert set(Evaluation.objects.filter(child_ref__iexact="child-1").values_list("cycle", flat=True)) == {
        first.cycle_id,
        second.cycle_id,
    }


def test_validating_an_evaluation_names_the_child_already_in_the_cycle(db):
    existing = EvaluationFactory(child_ref="CHILD-1")
    duplicate = EvaluationFactory.build(
        child_ref="child-1", cycle=existing.cycle, team=existing.team, evaluator=existing.evaluator
    )
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert error.value.messages == ["This child is already in this cycle."]
