"""The ids PQA keeps in place of names: the child's case id (the only way a child is identified
in PQA) and the evaluation's reference, both shown in e-mail subjects, page titles and lists.

The case-id rule lives in the core (`pqa.case_ids`), as complaints and feedback also record a
child; it is re-exported here, where migrations and callers have always imported it.
"""

import re

from django.core.exceptions import ValidationError

from pqa.case_ids import (  # noqa: F401  (re-exported)
    CHILD_REF_PATTERN,
    CHILD_REF_RULE,
    child_key,
    child_ref_problem,
    id_problem,
    validate_child_ref,
)

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
    return id_problem(
        value, REFERENCE_PATTERN, REFERENCE_RULE, "reference", "the evaluation's reference", "the evaluation's id"
    )


def validate_reference(value: str) -> None:
    problem = reference_problem(value)
    if problem:
        raise ValidationError(problem[0].upper() + problem[1:], code="reference")
