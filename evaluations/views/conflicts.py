"""Versions of an evaluation that were refused because someone saved first: kept, compared
with the saved version, and then applied or set aside by the evaluator who typed them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods

from evaluations import selectors, services
from evaluations.forms.evaluation import SitAlongsideForms
from evaluations.models import Evaluation
from pqa.models import EditConflict
from pqa.services import EditConflictError, edit_conflict_keep, edit_conflict_resolve

# Never kept with a refused version: the form's CSRF token is a secret of the session.
NOT_KEPT = {"csrfmiddlewaretoken"}
# What a refused version is re-applied with, not what it says.
NOT_APPLIED = {"version", "editor_token", "submit", "save"}


def keep_refused_version(
    request, evaluation: Evaluation, forms: SitAlongsideForms, error: services.ConcurrentEditError
) -> EditConflict:
    """Keep what the evaluator sent, as posted (a dict of lists), so it outlives the page."""
    data = {key: request.POST.getlist(key) for key in request.POST if key not in NOT_KEPT}
    return edit_conflict_keep(
        user=request.user,
        instance=evaluation,
        based_on_version=forms.evaluation_form.cleaned_data["version"],
        data=data,
        winning_version=error.current_version,
    )


def settle_kept_version(request, evaluation: Evaluation, conflict_id: str) -> None:
    """After a refused save the form shows the person's version again; saving that page is
    choosing their version, so the copy kept of it is resolved as applied."""
    if not conflict_id.isdigit():
        return
    for conflict in unresolved_conflicts(request.user, evaluation):
        if conflict.pk == int(conflict_id):
            edit_conflict_resolve(conflict=conflict, user=request.user, resolution=EditConflict.Resolution.APPLIED)


def unresolved_conflicts(user, evaluation: Evaluation) -> list[EditConflict]:
    return list(EditConflict.objects.unresolved_for(user=user, instance=evaluation))


@dataclass(frozen=True)
class Difference:
    label: str
    mine: str
    saved: str


def _value(bound_field):
    # The same cleaning for both sides, so a date typed as text equals the date saved.
    raw = bound_field.value()
    field = bound_field.field
    try:
        # A date input's day, month and year are made one date only by cleaning.
        return field.clean(raw) if isinstance(field, django_forms.MultiValueField) else field.to_python(raw)
    except ValidationError:
        return raw


def _display(field: django_forms.Field, value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.date):
        return date_format(value, "j F Y")
    choices = {str(key): label for key, label in getattr(field, "choices", None) or []}
    return str(choices.get(str(value), value))


def _form_values(form: django_forms.Form) -> dict[str, tuple[django_forms.Field, object]]:
    return {name: (form.fields[name], _value(form[name])) for name in form.fields if name not in NOT_APPLIED}


def _sections(forms: SitAlongsideForms) -> dict[str, tuple[str, dict]]:
    """Every part of the form, keyed alike on both sides, in the order of the page."""
    sections = {"evaluation": ("", _form_values(forms.evaluation_form))}
    for form in forms.pillar_forms:
        sections[f"pillar-{form.pillar.value}"] = (f"{form.pillar.label}: ", _form_values(form))
    for form in forms.feedback_forms:
        sections[f"feedback-{form.respondent.value}"] = (f"{form.respondent.label}: ", _form_values(form))
    # The service keeps the filled rows, in order, so those are what compare.
    rows = [_form_values(form) for form in forms.recommendations.forms]
    filled = [row for row in rows if any(value not in (None, "") for _, value in row.values())]
    for index, row in enumerate(filled):
        sections[f"recommendation-{index}"] = (f"Recommendation {index + 1}: ", row)
    return sections


def differences(mine: SitAlongsideForms, saved: SitAlongsideForms) -> list[Difference]:
    """The fields whose values differ between the refused version and the saved one."""
    mine_sections, saved_sections = _sections(mine), _sections(saved)
    found = []
    for key in [*saved_sections, *(key for key in mine_sections if key not in saved_sections)]:
        prefix = (saved_sections.get(key) or mine_sections[key])[0]
        saved_values = saved_sections.get(key, ("", {}))[1]
        mine_values = mine_sections.get(key, ("", {}))[1]
        for name in {**saved_values, **mine_values}:
            field, mine_value = mine_values.get(name, (None, None))
            saved_field, saved_value = saved_values.get(name, (None, None))
            field = field or saved_field
            if _display(field, mine_value) != _display(field, saved_value):
                found.append(
                    Difference(f"{prefix}{field.label}", _display(field, mine_value), _display(field, saved_value))
                )
    return found


def _refused_data(conflict: EditConflict, version: int) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, values in (conflict.data or {}).items():
        if key not in NOT_APPLIED:
            data.setlist(key, [str(value) for value in (values if isinstance(values, list) else [values])])
    data["version"] = str(version)
    return data


def _owned_evaluation(request, pk: int) -> Evaluation:
    evaluation = selectors.evaluation_get_for_user(user=request.user, pk=pk)
    if evaluation.evaluator_id != request.user.pk:
        raise Http404("No evaluation found")
    return evaluation


def _chosen_conflict(request, evaluation: Evaluation, conflict_id: str | None) -> EditConflict | None:
    conflicts = EditConflict.objects.unresolved_for(user=request.user, instance=evaluation)
    if not conflict_id:
        return conflicts.first()
    if not conflict_id.isdigit():
        raise Http404("No such version")
    conflict = conflicts.filter(pk=int(conflict_id)).first()
    if conflict is None:
        raise Http404("No such version")
    return conflict


@require_http_methods(["GET", "POST"])
def evaluation_conflicts(request, pk: int):
    """The evaluator's refused version beside the saved one: use theirs, or keep the saved one."""
    evaluation = _owned_evaluation(request, pk)
    source = request.POST if request.method == "POST" else request.GET
    conflict = _chosen_conflict(request, evaluation, source.get("conflict"))
    if conflict is None:
        if request.method == "POST":
            messages.info(request, "There is no version waiting to be compared.")
            return redirect("evaluations:form", pk=evaluation.pk)
        return render(request, "evaluations/conflict.html", {"evaluation": evaluation, "conflict": None})

    if request.method == "POST":
        return _resolve(request, evaluation, conflict)

    # Not validated: validating a model form writes its data onto the instance both sides share.
    mine = SitAlongsideForms.build(evaluation, data=_refused_data(conflict, evaluation.version))
    saved = SitAlongsideForms.build(evaluation)
    last = evaluation.history.select_related("history_user").order_by("-history_date").first()
    return render(
        request,
        "evaluations/conflict.html",
        {
            "evaluation": evaluation,
            "conflict": conflict,
            "differences": differences(mine, saved),
            "others": EditConflict.objects.unresolved_for(user=request.user, instance=evaluation)
            .exclude(pk=conflict.pk)
            .count(),
            "saved_by": last.history_user if last else None,
            "saved_by_you": bool(last) and last.history_user_id == request.user.pk,
            "saved_at": last.history_date if last else None,
        },
    )


def _resolve(request, evaluation: Evaluation, conflict: EditConflict):
    choice = request.POST.get("choice")
    if choice == "saved":
        try:
            edit_conflict_resolve(conflict=conflict, user=request.user, resolution=EditConflict.Resolution.DISCARDED)
        except EditConflictError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "The saved version has been kept. Your other version has been set aside.")
        return redirect("evaluations:form", pk=evaluation.pk)
    if choice != "mine":
        messages.error(request, "Choose whether to use your version or keep the saved version.")
        return redirect("evaluations:conflicts", pk=evaluation.pk)

    version = request.POST.get("version", "")
    forms = SitAlongsideForms.build(evaluation, data=_refused_data(conflict, int(version) if version.isdigit() else 0))
    if not forms.is_valid():
        messages.error(request, "Your version could not be applied: open the form and type the changes again.")
        return redirect("evaluations:conflicts", pk=evaluation.pk)
    try:
        with transaction.atomic():
            services.evaluation_save_draft(evaluation=evaluation, actor=request.user, **forms.draft_arguments())
            edit_conflict_resolve(conflict=conflict, user=request.user, resolution=EditConflict.Resolution.APPLIED)
    except services.ConcurrentEditError:
        # Saved again while this page was open: compare with that version instead.
        messages.error(
            request,
            "The evaluation was saved again while you were comparing, so your version was not applied. "
            "Compare it with the version saved now.",
        )
        return redirect(f"{request.path}?conflict={conflict.pk}")
    except (services.EvaluationError, EditConflictError) as error:
        messages.error(request, str(error))
        return redirect("evaluations:conflicts", pk=evaluation.pk)
    messages.success(request, "Your version has been saved.")
    return redirect("evaluations:form", pk=evaluation.pk)
