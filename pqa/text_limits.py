"""The kit every app uses to bound its free text (the numbers live in each app's limits.py).

A limit is checked four times, from one number: by the form (the field's max_length, with a
GOV.UK character count on the page), by the services' and the import's `full_clean()` (the
model field's max_length), and by the database. On PostgreSQL a TextField's max_length is no
constraint at all, and SQLite ignores a varchar's length, so each model carries one
CheckConstraint on the Length() of all its free text (`within_limits`): a write around the
model (`QuerySet.update`, raw SQL in a shell) is refused too. One constraint a model, not
one a field: the field's own max_length has already named the field that is too long
(`full_clean()` judges the constraint in Python, without a query: pqa.constraints).

Lengths are in characters (code points), as Python, PostgreSQL and SQLite all count them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.forms import Textarea


@dataclass(frozen=True)
class TextLimit:
    """The most characters one field holds, and why that many (shown in the docs' table)."""

    model: str
    field: str
    max_length: int
    purpose: str


class TextLimits:
    """An app's limits, in one place: models, forms, services, imports and docs read them."""

    def __init__(self, *limits: TextLimit):
        self.all = limits
        self._by_key = {(limit.model, limit.field): limit for limit in limits}

    def __call__(self, model: str, field: str) -> int:
        """The limit of `model.field`, e.g. `TEXT_LIMITS("Evaluation", "strengths")`."""
        return self._by_key[(model, field)].max_length

    def of(self, model: str) -> dict[str, int]:
        return {limit.field: limit.max_length for limit in self.all if limit.model == model}

    def text_field(self, model: str, field: str, *args, **kwargs) -> models.TextField:
        """A TextField whose limit full_clean() enforces, as it does a CharField's: Django's
        TextField passes max_length to its form field only."""
        limit = self(model, field)
        return models.TextField(*args, max_length=limit, validators=[MaxLengthValidator(limit)], **kwargs)

    def markdown(self) -> str:
        """The table of limits the docs show (tests check the docs' copy against this)."""
        lines = ["| record | field | characters at most | for |", "|---|---|--:|---|"]
        lines += [f"| {it.model} | `{it.field}` | {it.max_length:,} | {it.purpose} |" for it in self.all]
        return "\n".join(lines)

    def constraint(self, model: str) -> models.CheckConstraint:
        """The database's check of every limit of `model`."""
        return within_limits(model.lower(), self.of(model))


def within_limits(prefix: str, limits: Mapping[str, int]) -> models.CheckConstraint:
    """One CheckConstraint that every field in `limits` holds at most its number of characters."""
    condition = models.Q()
    for field, limit in sorted(limits.items()):
        condition &= models.Q(LessThanOrEqual(Length(field), limit))
    shown = ", ".join(f"{field} {limit:,}" for field, limit in sorted(limits.items()))
    return models.CheckConstraint(
        condition=condition,
        name=f"{prefix}_text_within_limits",
        violation_error_message=f"Text is longer than PQA keeps (characters at most: {shown}).",
    )


def too_long_message(label: str, limit: int) -> str:
    """The GOV.UK character count's error message: "[Label] must be N characters or less"."""
    return f"{label} must be {limit:,} characters or less"


def counted(form, name: str, *, threshold: int | None = None, rows: int | None = None, field_width: int = 0):
    """A crispy-forms-gds layout field for `form`'s text field `name` with a GOV.UK character
    count of its max_length (shown only from `threshold` percent of it, when given). The
    browser's maxlength attribute is dropped: it cuts pasted text silently, where the count
    says how much is too much and the form refuses it with a message."""
    from crispy_forms_gds.layout import Field

    field = form.fields[name]
    field.widget.attrs.pop("maxlength", None)
    options = {"max_characters": field.max_length, "threshold": threshold}
    if isinstance(field.widget, Textarea):
        return Field.textarea(name, rows=rows or field.widget.attrs.get("rows", 10), **options)
    context = {"max_characters": field.max_length, **({"threshold": threshold} if threshold else {})}
    width = f"govuk-input--width-{field_width} " if field_width else ""
    return Field(name, css_class=f"{width}govuk-js-character-count", context=context)
