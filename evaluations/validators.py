"""The ids PQA keeps in place of names: the child's case id (the only way a child is identified
in PQA) and the evaluation's reference, both shown in e-mail subjects, page titles and lists."""

import re

from django.core.exceptions import ValidationError

# Letters, digits and dashes, with at least one digit, so that a name ("Smith",
# "Jo Bloggs") is never recorded in its place.
CHILD_REF_PATTERN = re.compile(r"^(?=[A-Za-z0-9-]*\d)[A-Za-z0-9-]{1,40}$")
CHILD_REF_RULE = "letters, digits and dashes with at least one digit, no spaces, at most 40 characters"


def child_ref_problem(value: str) -> str | None:
    """Why this is not a child's case id, or None if it is one."""
    return _id_problem(
        value, CHILD_REF_PATTERN, CHILD_REF_RULE, "case id", "the child's case id", "the id from the case system"
    )


def _id_problem(value: str, pattern: re.Pattern, rule: str, noun: str, what: str, use: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return f"enter {what}"
    if pattern.match(value):
        return None
    if len(value) > 40:
        return f"the {noun} is longer than 40 characters"
    return f"'{value}' is not a {noun}: use {use} ({rule}), never a name"


def validate_child_ref(value: str) -> None:
    problem = child_ref_problem(value)
    if problem:
        raise ValidationError(problem[0].upper() + problem[1:], code="child_ref")


# A trust's own id of an evaluation: PQA's PE-2025-0001, or a spreadsheet's 2019/20-017,
# SPE_0042, CIC.2021.3. Letters, digits and dashes, slashes, dots or underscores, starting
# with a letter or digit, with at least one digit and no spaces, so that a name ("Jo Bloggs",
# "Smith") is never recorded in its place.
REFERENCE_PATTERN = re.compile(r"^(?=[^\d]*\d)[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")
REFERENCE_RULE = (
    "letters, digits, dashes, slashes, dots and underscores, starting with a letter or digit, "
    "with at least one digit, no spaces, at most 40 characters"
)


def reference_problem(value: str) -> str | None:
    """Why this is not an evaluation's reference, or None if it is one."""
    return _id_problem(
        value, REFERENCE_PATTERN, REFERENCE_RULE, "reference", "the evaluation's reference", "the evaluation's id"
    )


def validate_reference(value: str) -> None:
    problem = reference_problem(value)
    if problem:
        raise ValidationError(problem[0].upper() + problem[1:], code="reference")
