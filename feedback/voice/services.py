"""Every write to compliments, feedback responses and advocacy referrals: validated by the
model's rules (`full_clean()`), attributed in the history to the person who made it.
Each record carries a version: a change based on an older one is refused (pqa.versioning)."""

from __future__ import annotations

from django.db import transaction

from feedback.models import AdvocacyReferral, Compliment, FeedbackResponse
from pqa.versioning import version_bump, version_lock


def _save(instance, *, actor, reason: str = "") -> None:
    instance.full_clean()
    instance._history_user = actor
    if reason:
        instance._change_reason = reason
    instance.save()


def _update(model, instance, expected_version: int | None, fields: dict, actor):
    """Lock `instance`'s row, refuse it if saved since `expected_version`, set `fields`, bump
    the version and save it attributed to `actor`: the one way every voice record changes."""
    locked = version_lock(model, instance.pk, expected_version)
    for name, value in fields.items():
        setattr(locked, name, value)
    version_bump(locked)
    _save(locked, actor=actor)
    return locked


@transaction.atomic
def compliment_record(*, actor, **fields) -> Compliment:
    """Record a compliment received (the contract's fields)."""
    compliment = Compliment(**fields)
    _save(compliment, actor=actor)
    return compliment


@transaction.atomic
def compliment_update(*, actor, compliment: Compliment, expected_version: int | None, **fields) -> Compliment:
    """Change a compliment; refused (ConcurrentEditError) when someone saved it since
    `expected_version` was read."""
    return _update(Compliment, compliment, expected_version, fields, actor)


@transaction.atomic
def feedback_response_record(*, actor, **fields) -> FeedbackResponse:
    """Record what a child, parent or carer, or professional answered."""
    response = FeedbackResponse(**fields)
    _save(response, actor=actor)
    return response


@transaction.atomic
def feedback_response_update(
    *, actor, response: FeedbackResponse, expected_version: int | None, **fields
) -> FeedbackResponse:
    """Correct a recorded response; refused (ConcurrentEditError) when someone saved it since
    `expected_version` was read."""
    return _update(FeedbackResponse, response, expected_version, fields, actor)


@transaction.atomic
def advocacy_referral_record(*, actor, **fields) -> AdvocacyReferral:
    """Record a referral to the advocacy service and where it came from."""
    referral = AdvocacyReferral(**fields)
    _save(referral, actor=actor)
    return referral


@transaction.atomic
def advocacy_referral_update(
    *, actor, referral: AdvocacyReferral, expected_version: int | None, **fields
) -> AdvocacyReferral:
    """Correct a recorded referral; refused (ConcurrentEditError) when someone saved it since
    `expected_version` was read."""
    return _update(AdvocacyReferral, referral, expected_version, fields, actor)
