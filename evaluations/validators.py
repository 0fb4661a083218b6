"""The child's case id: the only way a child is identified in PQA, never by name."""

import re

from django.core.exceptions import ValidationError

# Letters, digits and dashes, with at least one digit, so that a name ("Smith",
# "Jo Bloggs") is never recorded in its place.
CHILD_REF_PATTERN = re.compile(r"^(?=[A-Za-z0-9-]*\d)[A-Za-z0-9-]{1,40}$")
CHILD_REF_RULE = "letters, digits and dashes with at least one digit, no spaces, at most 40 characters"


def child_ref_problem(value: str) -> str | None:
    """Why this is not a child's case id, or None if it is one."""
    value = (value or "").strip()
    if not value:
        return "enter the child's case id"
    if CHILD_REF_PATTERN.match(value):
        return None
    if len(value) > 40:
        return "the case id is longer than 40 characters"
    return f"'{value}' is not a case id: use the id from the case system ({CHILD_REF_RULE}), never a name"


def validate_child_ref(value: str) -> None:
    problem = child_ref_problem(value)
    if problem:
        raise ValidationError(problem[0].upper() + problem[1:], code="child_ref")
