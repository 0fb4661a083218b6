"""A child's case id: the only way a child is identified in PQA (never a name), and the one
rule for telling whether two case ids are the same child.

Every app that records a child keeps the case-system id: evaluations today, complaints and
feedback next. "A child is evaluated once in a cycle, in any letter case" and "this
complaint is about that child" both need the same answer to "is `ab123` the child
`AB123`?": that answer is `child_key`, and the database's own expression for it is
`child_key_expression`, used by the unique constraint on evaluations.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db.models.functions import Upper

# Letters, digits and dashes, with at least one digit, so that a name ("Smith",
# "Jo Bloggs") is never recorded in its place.
CHILD_REF_PATTERN = re.compile(r"^(?=[A-Za-z0-9-]*\d)[A-Za-z0-9-]{1,40}$")
CHILD_REF_RULE = "letters, digits and dashes with at least one digit, no spaces, at most 40 characters"
ID_MAX_LENGTH = 40


def child_key(case_id: str) -> str:
    """The key under which case ids are compared: `ab123`, `AB123` and ` Ab123 ` are one child.

    It agrees with `child_key_expression` (the database's UPPER) for every valid case id: a
    case id is ASCII letters, digits and dashes (so Python's and the database's upper case
    are the same), and it is stored without surrounding spaces (the services strip it, and
    `validate_child_ref` refuses a value that still has them)."""
    return (case_id or "").strip().upper()


def child_key_expression(field: str = "child_ref") -> Upper:
    """`child_key` as the database computes it, for constraints, look-ups and annotations."""
    return Upper(field)


def id_problem(value: str, pattern: re.Pattern, rule: str, noun: str, what: str, use: str) -> str | None:
    """Why `value` is not an id of the given shape, or None if it is one. Shared by the ids PQA
    keeps in place of names (a child's case id, an evaluation's reference)."""
    value = (value or "").strip()
    if not value:
        return f"enter {what}"
    if pattern.match(value):
        return None
    if len(value) > ID_MAX_LENGTH:
        return f"the {noun} is longer than {ID_MAX_LENGTH} characters"
    return f"'{value}' is not a {noun}: use {use} ({rule}), never a name"


def child_ref_problem(value: str) -> str | None:
    """Why this is not a child's case id, or None if it is one."""
    return id_problem(
        value, CHILD_REF_PATTERN, CHILD_REF_RULE, "case id", "the child's case id", "the id from the case system"
    )


def validate_child_ref(value: str) -> None:
    """The model's validator: a case id, stored as written but without surrounding spaces, so
    that the database's key for it is `child_key` of it."""
    problem = child_ref_problem(value)
    if problem is None and value != value.strip():
        problem = "the case id has spaces around it: remove them"
    if problem:
        raise ValidationError(problem[0].upper() + problem[1:], code="child_ref")
