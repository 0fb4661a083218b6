"""The sit-alongside form: thin views around the draft and submit services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_POST

from evaluations import selectors, services
from evaluations.forms.evaluation import SitAlongsideForms, grade_descriptors
from evaluations.models import Evaluation
from evaluations.permissions import can_edit_evaluation
from evaluations.views.conflicts import keep_refused_version, settle_kept_version, unresolved_conflicts
from pqa.conflicts import keep_text_of_former_editor

GIVEN_AWAY = (
    "This evaluation has been given to another evaluator, so your changes cannot be saved to it. "
    "Your text has been kept: you can read it in your kept texts."
)


def _given_away(request, pk: int) -> Evaluation | None:
    """The evaluation, if the Practice Hub gave it to someone else while this evaluator had it
    open: what they sent is kept for them (pqa.conflicts), since it can no longer be saved."""
    evaluation = selectors.evaluation_given_away_from(user=request.user, pk=pk)
    if evaluation is not None:
        keep_text_of_former_editor(request, evaluation)
    return evaluation


def _editable_evaluation(request, pk: int) -> Evaluation:
    # A posted form brings every answer itself: the saved pillar grades, feedback and
    # recommendations are needed only to draw the page (three queries fewer on each save).
    evaluation = selectors.evaluation_get_for_user(user=request.user, pk=pk, children=request.method == "GET")
    if evaluation.evaluator_id != request.user.pk:
        raise Http404("No evaluation found")
    return evaluation


def _save_draft(request, evaluation: Evaluation, forms: SitAlongsideForms) -> Evaluation:
    return services.evaluation_save_draft(
        evaluation=evaluation,
        actor=request.user,
        editor_token=request.POST.get("editor_token", "")[:64],
        **forms.draft_arguments(),
    )


def _add_refusal(forms: SitAlongsideForms, refusal: ValidationError) -> None:
    """The draft service's ValidationError beside the fields it is about: it names them as the
    forms post them (`pillar-planning-grade`), a recommendation by its place among the filled rows."""
    by_name = {form.add_prefix(name): (form, name) for form in forms.all_forms() for name in form.fields}
    filled = [form for form in forms.recommendations.forms if form.has_changed()]
    problems = refusal.message_dict if hasattr(refusal, "error_dict") else {"": refusal.messages}
    for key, texts in problems.items():
        form, name = by_name.get(key, (None, None))
        if form is None and key.startswith("recommendations-"):
            _, index, field = key.split("-", 2)
            if int(index) < len(filled) and field in filled[int(index)].fields:
                form, name = filled[int(index)], field
        if form is None:
            form, name = forms.evaluation_form, None
        form.add_error(name, texts)


def _conflict_message(error: services.ConcurrentEditError) -> str:
    when = f" at {date_format(timezone.localtime(error.saved_at), 'H:i, j F')}" if error.saved_at else ""
    return (
        f"{error.saved_by or 'Someone else'} saved this evaluation{when}, after you opened it, so your changes "
        "have not been saved yet. Your version is kept: compare it with the saved one, or save this page "
        "again to keep yours."
    )


@require_http_methods(["GET", "POST"])
def evaluation_form(request, pk: int):
    try:
        evaluation = _editable_evaluation(request, pk)
    except Http404:
        # Asked only when the evaluation is not theirs to edit: a query fewer on every save.
        if request.method == "POST" and _given_away(request, pk):
            messages.error(request, GIVEN_AWAY)
            return redirect("kept_texts")
        raise
    if not can_edit_evaluation(request.user, evaluation):
        messages.info(request, "This evaluation has been returned, so it can be read but not changed.")
        return redirect("evaluations:detail", pk=evaluation.pk)

    if request.method == "GET":
        forms = SitAlongsideForms.build(evaluation)
        return _render_form(request, evaluation, forms)

    forms = SitAlongsideForms.build(evaluation, data=request.POST)
    if not forms.is_valid():
        return _render_form(request, evaluation, forms, errors=forms.errors_for_summary(), status=400)

    try:
        # Work is saved first in every case, so a failed submit never loses what was typed.
        evaluation = _save_draft(request, evaluation, forms)
    except services.ConcurrentEditError as error:
        kept = keep_refused_version(request, evaluation, forms, error)
        data = request.POST.copy()
        data["version"] = str(error.current_version)  # saving again now keeps this version
        data["resolves_conflict"] = str(kept.pk)  # ...and settles the kept copy
        forms = SitAlongsideForms.build(evaluation, data=data)
        forms.is_valid()
        return _render_form(request, evaluation, forms, errors=[("", _conflict_message(error))], status=409)
    except ValidationError as refusal:
        # Nothing was saved: the model refused a value the form let through.
        _add_refusal(forms, refusal)
        return _render_form(request, evaluation, forms, errors=forms.errors_for_summary(), status=400)
    except services.EvaluationError as error:
        messages.error(request, str(error))
        return redirect("evaluations:detail", pk=evaluation.pk)

    settle_kept_version(request, evaluation, request.POST.get("resolves_conflict", ""))
    if "submit" not in request.POST:
        messages.success(request, f"Draft saved at {date_format(timezone.localtime(), 'H:i')}.")
        return redirect("evaluations:form", pk=evaluation.pk)

    try:
        services.evaluation_submit(evaluation=evaluation, actor=request.user, expected_version=evaluation.version)
    except services.IncompleteEvaluation as incomplete:
        data = request.POST.copy()
        data["version"] = str(evaluation.version)
        forms = SitAlongsideForms.build(evaluation, data=data)
        forms.is_valid()
        forms.add_problems(incomplete.problems)
        return _render_form(request, evaluation, forms, errors=forms.errors_for_summary(), status=400, draft_saved=True)
    except services.ConcurrentEditError as error:
        # Saved again between this page's save and its submit (another tab): not an EvaluationError.
        messages.error(
            request,
            f"Your answers were saved, but {error.saved_by or 'someone else'} saved this evaluation just after, "
            "so it has not been submitted: check it, then submit it again.",
        )
        return redirect("evaluations:form", pk=evaluation.pk)
    messages.success(request, f"Evaluation {evaluation.reference} submitted. Thank you.")
    return redirect("evaluations:detail", pk=evaluation.pk)


def _render_form(request, evaluation, forms, *, errors=None, status=200, draft_saved=False):
    return render(
        request,
        "evaluations/form.html",
        {
            "evaluation": evaluation,
            "forms": forms,
            "form": forms.evaluation_form,
            "pillar_forms": forms.pillar_forms,
            "feedback_forms": forms.feedback_forms,
            "recommendations": forms.recommendations,
            "errors": errors or [],
            "draft_saved": draft_saved,
            "descriptors": grade_descriptors(),
            "edit_conflicts": unresolved_conflicts(request.user, evaluation),
        },
        status=status,
    )


@require_POST
def evaluation_autosave(request, pk: int):
    """Saves the draft as the evaluator types; answers in JSON for the page's script."""
    try:
        evaluation = _editable_evaluation(request, pk)
    except Http404:
        if _given_away(request, pk):
            # 409, not 404: the script stops retrying and says what happened.
            return JsonResponse(
                {"error": GIVEN_AWAY, "given_away": True, "kept_url": reverse("kept_texts")}, status=409
            )
        raise
    if not can_edit_evaluation(request.user, evaluation):
        return JsonResponse({"error": "This evaluation has been returned and can no longer be changed."}, status=409)
    forms = SitAlongsideForms.build(evaluation, data=request.POST)
    if not forms.is_valid():
        return JsonResponse(
            {"error": "Some answers could not be saved yet.", "problems": [m for _, m in forms.errors_for_summary()]},
            status=400,
        )
    try:
        evaluation = _save_draft(request, evaluation, forms)
    except services.ConcurrentEditError as error:
        keep_refused_version(request, evaluation, forms, error)
        return JsonResponse(
            {
                "error": _conflict_message(error),
                "version": error.current_version,
                "not_saved_url": reverse("evaluations:conflicts", args=[evaluation.pk]),
            },
            status=409,
        )
    except ValidationError as refusal:
        return JsonResponse({"error": "Some answers could not be saved yet.", "problems": refusal.messages}, status=400)
    except services.EvaluationError as error:
        return JsonResponse({"error": str(error)}, status=409)
    return JsonResponse(
        {
            "version": evaluation.version,
            "saved_at": evaluation.draft_saved_at.isoformat(),
            "message": f"Draft saved at {date_format(timezone.localtime(evaluation.draft_saved_at), 'H:i:s')}",
        }
    )
