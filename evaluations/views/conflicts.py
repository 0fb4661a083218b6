"""Versions of an evaluation that were refused because someone saved first: kept, compared
with the saved version, and then applied or set aside by the evaluator who typed them. The
kit is the core's (pqa.conflicts); this says what the evaluation's page is made of."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from evaluations import selectors, services
from evaluations.forms.evaluation import SitAlongsideForms
from evaluations.models import Evaluation
from pqa.conflicts import (
    NOT_APPLIED,
    RefusedVersionPage,
    Sections,
    form_values,
    settle_kept_version,
    unresolved_conflicts,
)
from pqa.conflicts import keep_refused_version as _keep
from pqa.models import EditConflict

# The tab's token says which browser tab saved, not what the evaluation says.
EVALUATION_NOT_APPLIED = NOT_APPLIED | {"editor_token"}

__all__ = ["evaluation_conflicts", "keep_refused_version", "settle_kept_version", "unresolved_conflicts"]


def keep_refused_version(
    request, evaluation: Evaluation, forms: SitAlongsideForms, error: services.ConcurrentEditError
) -> EditConflict:
    return _keep(request, evaluation, based_on_version=forms.evaluation_form.cleaned_data["version"], error=error)


def _values(form):
    return form_values(form, EVALUATION_NOT_APPLIED)


def _sections(forms: SitAlongsideForms) -> Sections:
    """Every part of the form, keyed alike on both sides, in the order of the page."""
    sections = {"evaluation": ("", _values(forms.evaluation_form))}
    for form in forms.finding_forms:
        sections[f"finding-{form.recommendation.pk}"] = (f"Finding on recommendation {form.number}: ", _values(form))
    for form in forms.pillar_forms:
        sections[f"pillar-{form.pillar.value}"] = (f"{form.pillar.label}: ", _values(form))
    for form in forms.feedback_forms:
        sections[f"feedback-{form.respondent.value}"] = (f"{form.respondent.label}: ", _values(form))
    # The service keeps the filled rows, in order, so those are what compare.
    rows = [_values(form) for form in forms.recommendations.forms]
    filled = [row for row in rows if any(value not in (None, "") for _, value in row.values())]
    for index, row in enumerate(filled):
        sections[f"recommendation-{index}"] = (f"Recommendation {index + 1}: ", row)
    return sections


def _apply(request, evaluation: Evaluation, forms: SitAlongsideForms) -> None:
    services.evaluation_save_draft(evaluation=evaluation, actor=request.user, **forms.draft_arguments())


PAGE = RefusedVersionPage(
    build=lambda evaluation, data: SitAlongsideForms.build(evaluation, data=data),
    sections=_sections,
    errors=lambda forms: [message for _, message in forms.errors_for_summary()],
    apply=_apply,
    form_url=lambda evaluation: reverse("evaluations:form", args=[evaluation.pk]),
    can_apply=lambda evaluation: evaluation.is_editable,
    cannot_apply="This evaluation has been returned, so your version can no longer be applied.",
    refusals=(services.EvaluationError,),
    not_applied=EVALUATION_NOT_APPLIED,
    context=lambda evaluation: {
        "evaluation": evaluation,
        "title": f"evaluation {evaluation.reference}",
        "caption": f"Practice evaluation {evaluation.reference}",
    },
)


@require_http_methods(["GET", "POST"])
def evaluation_conflicts(request, pk: int):
    """The evaluator's refused version beside the saved one: use theirs, or keep the saved one."""
    evaluation = selectors.evaluation_get_for_user(user=request.user, pk=pk)
    if evaluation.evaluator_id != request.user.pk:
        raise Http404("No evaluation found")
    return PAGE.view(request, evaluation)
