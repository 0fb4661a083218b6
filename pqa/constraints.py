"""A model's CheckConstraints validated in Python, as the database would judge them.

Django's `full_clean()` validates each CheckConstraint by asking the database
(`SELECT 1 WHERE <condition>`, in a savepoint when a transaction is open: three queries a
constraint). The autosave of a sit-alongside writes up to nine rows, so a third of its queries
were these checks. The project's conditions are plain: comparisons, `IS NULL`, equality and
the `Length()` of a text (pqa.text_limits), combined with AND, OR and NOT. `condition_holds`
judges such a condition in Python with SQL's three-valued logic (a comparison with NULL is
unknown, and a constraint is broken only when its condition is false), and a model that
inherits `ConstraintsCheckedInPython` uses it in `full_clean()`. A condition of any other shape
is still sent to the database, so nothing is ever left unchecked; tests/pqa/test_constraints.py
judges every constraint of every model both ways over many rows and requires the same verdict,
on SQLite and on PostgreSQL. The database keeps each constraint as well: a write around the
model (`QuerySet.update`, SQL in a shell) is refused there.
"""

from __future__ import annotations

import operator

from django.core.exceptions import ValidationError
from django.db import models, router
from django.db.models import F, Q, Value
from django.db.models.constants import LOOKUP_SEP
from django.db.models.functions import Length
from django.db.models.lookups import Lookup


class NotJudgedInPython(Exception):
    """The condition has a shape `condition_holds` does not know: the database judges it."""


# The field a condition names is not among the values: Django skips such a constraint too
# (a FieldError, e.g. a field excluded from full_clean because it already has an error).
class _FieldNotGiven(Exception):
    pass


_COMPARISONS = {
    "exact": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def _value(expression, values: dict):
    if isinstance(expression, F):
        if expression.name not in values:
            raise _FieldNotGiven(expression.name)
        return values[expression.name]
    if isinstance(expression, Value):
        return expression.value
    if isinstance(expression, Length):
        (source,) = expression.get_source_expressions()
        text = _value(source, values)
        if text is None:
            return None
        if not isinstance(text, str):
            raise NotJudgedInPython(f"the length of {type(text).__name__}")
        return len(text)
    if hasattr(expression, "resolve_expression"):
        raise NotJudgedInPython(f"the expression {expression!r}")
    return expression


def _compare(lookup: str, left, right) -> bool | None:
    if lookup == "isnull":
        if not isinstance(right, bool):
            raise NotJudgedInPython("isnull with a value that is not True or False")
        return (left is None) is right
    if lookup == "exact" and right is None:
        return left is None  # Django writes `= None` as IS NULL
    if lookup == "in":
        if left is None:
            return None
        choices = list(right)
        if left in choices:
            return True
        return None if None in choices else False
    if lookup not in _COMPARISONS:
        raise NotJudgedInPython(f"the lookup {lookup!r}")
    if left is None or right is None:
        return None  # a comparison with NULL is unknown
    try:
        return _COMPARISONS[lookup](left, right)
    except TypeError as error:  # e.g. a date against a datetime: the database's own rules apply
        raise NotJudgedInPython(str(error)) from error


def _child(child, values: dict) -> bool | None:
    if isinstance(child, Q):
        return _judge(child, values)
    if isinstance(child, Lookup):
        return _compare(child.lookup_name, _value(child.lhs, values), _value(child.rhs, values))
    if isinstance(child, tuple) and len(child) == 2:
        path, right = child
        name, _, lookup = path.partition(LOOKUP_SEP)
        lookup = lookup or "exact"
        if LOOKUP_SEP in lookup:
            raise NotJudgedInPython(f"the path {path!r}")  # a relation or a transform
        return _compare(lookup, _value(F(name), values), _value(right, values))
    raise NotJudgedInPython(f"the condition {child!r}")


def _judge(condition: Q, values: dict) -> bool | None:
    verdicts = [_child(child, values) for child in condition.children]
    if condition.connector == Q.AND:
        verdict = False if False in verdicts else (None if None in verdicts else True)
    elif condition.connector == Q.OR:
        verdict = True if True in verdicts else (None if None in verdicts else False)
    else:
        raise NotJudgedInPython(f"the connector {condition.connector}")
    if condition.negated and verdict is not None:
        verdict = not verdict
    return verdict


def condition_holds(condition, values: dict) -> bool:
    """Whether a CheckConstraint's `condition` allows a row with these field values, as the
    database decides it: true unless the condition is false (an unknown, NULL, passes). A
    field the condition names but `values` lacks makes it hold, as Django's own check does.
    Raises NotJudgedInPython for a condition of a shape it does not know."""
    try:
        return _judge(Q(condition), values) is not False
    except _FieldNotGiven:
        return True


def field_values(model, instance, exclude=()) -> dict:
    """The values a constraint of `model` is judged on, by field name (a foreign key by its
    id), without the excluded fields: what Django gives its own check."""
    values = {}
    for field in model._meta.local_concrete_fields:
        if field.name in exclude:
            continue
        if field.generated:
            raise NotJudgedInPython(f"the generated field {field.name}")
        values[field.name] = getattr(instance, field.attname)
    if "pk" not in exclude:
        values["pk"] = instance.pk
    return values


class ConstraintsCheckedInPython(models.Model):
    """A model whose CheckConstraints `full_clean()` judges in Python (see the module's
    docstring); unique constraints, and any condition of another shape, go to the database as
    Django sends them. The errors are Django's own: the constraint's message and code."""

    class Meta:
        abstract = True

    def validate_constraints(self, exclude=None):
        exclude = set(exclude or ())
        using = router.db_for_write(self.__class__, instance=self)
        errors = {}
        for model_class, model_constraints in self.get_constraints():
            for constraint in model_constraints:
                try:
                    if not _judged_in_python(constraint, model_class, self, exclude):
                        constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as error:
                    if getattr(error, "code", None) == "unique" and len(constraint.fields) == 1:
                        errors.setdefault(constraint.fields[0], []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


def _judged_in_python(constraint, model, instance, exclude) -> bool:
    """Judge a CheckConstraint in Python, raising its ValidationError if it is broken. False
    when the database must judge it."""
    if not isinstance(constraint, models.CheckConstraint):
        return False
    try:
        holds = condition_holds(constraint.condition, field_values(model, instance, exclude))
    except NotJudgedInPython:
        return False
    if not holds:
        raise ValidationError(constraint.get_violation_error_message(), code=constraint.violation_error_code)
    return True
