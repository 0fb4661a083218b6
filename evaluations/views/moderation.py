"""Moderation's pages: the moderator's queue, the blind grading form, the reveal and
confirmation; the Practice Hub's sample, panels and new rounds; the consistency figures.
Views are thin: forms validate, services write (and check who may), selectors read."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from evaluations import selectors, services
from evaluations.forms.moderation import (
    BlindGradeForm,
    ChangeModerationForm,
    PanelForm,
    SampleAddForm,
    SampleDrawForm,
)
from evaluations.models import Cycle, Moderation
from evaluations.permissions import (
    can_change_confirmed_moderation,
    can_moderate,
    can_see_moderation_consistency,
)
from evaluations.services import ConcurrentEditError, EvaluationError

MOVED_ON = "Someone else changed this moderation after you opened it, so nothing was saved: read it again."


def _only(rule):
    """A page for those the rule lets in; a 404 for everyone else, as if it did not exist."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not rule(request.user):
                raise Http404("No such page")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _posted(request):
    return request.POST if request.method == "POST" else None


def _refused(form, error: Exception, field: str | None = None) -> None:
    """A service's refusal as a form error: in the summary at the top and beside its field."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for name, texts in error.message_dict.items():
            form.add_error(name if name in form.fields else field, texts)
    elif isinstance(error, ValidationError):
        form.add_error(field, error.messages)
    else:
        form.add_error(field, str(error))


# --- The moderator ---------------------------------------------------------------------------


@_only(can_moderate)
def moderation_queue(request):
    queue = list(selectors.moderation_queue(request.user))
    return render(
        request,
        "evaluations/moderation/queue.html",
        {
            "to_confirm": [item for item in queue if item.state == Moderation.State.GRADED_BLIND],
            "to_grade": [item for item in queue if item.state == Moderation.State.SAMPLED],
            "confirmed": list(selectors.moderations_confirmed_by(request.user)),
        },
    )


@_only(can_moderate)
@require_http_methods(["GET", "POST"])
def moderation_grade(request, pk):
    try:
        case = selectors.moderation_blind_case(user=request.user, pk=pk)
    except Http404:
        # Already graded (by this moderator): the reveal is the next step.
        moderation = selectors.moderation_get_for_user(user=request.user, pk=pk)
        return redirect("evaluations:moderation_detail", pk=moderation.pk)
    form = BlindGradeForm(_posted(request), initial={"version": case.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.moderation_grade_blind(
                moderation=selectors.moderation_to_grade(user=request.user, pk=pk),
                actor=request.user,
                overall_grade=form.cleaned_data["overall_grade"],
                pillar_grades=form.pillar_grades(),
                rationale=form.cleaned_data["rationale"],
                expected_version=form.cleaned_data["version"],
            )
        except ConcurrentEditError:
            messages.error(request, MOVED_ON)
            return redirect("evaluations:moderation_queue")
        except (EvaluationError, ValidationError) as error:
            _refused(form, error, "overall_grade")
        else:
            messages.success(request, f"Your grades for {case.reference} are recorded. Compare them and confirm.")
            return redirect("evaluations:moderation_detail", pk=pk)
    return render(request, "evaluations/moderation/grade.html", {"case": case, "form": form})


@require_http_methods(["GET", "POST"])
def moderation_detail(request, pk):
    """The reveal: the evaluator's grades beside the moderator's, and the confirmation."""
    try:
        moderation, rows = selectors.moderation_reveal(user=request.user, pk=pk)
    except selectors.StillBlind:
        return redirect("evaluations:moderation_grade", pk=pk)
    can_confirm = moderation.state == Moderation.State.GRADED_BLIND and moderation.moderator_id == request.user.pk
    if request.method == "POST":
        if not can_confirm:
            raise Http404("Nothing to confirm")
        try:
            services.moderation_confirm(
                moderation=moderation,
                actor=request.user,
                expected_version=_int(request.POST.get("version")),
            )
        except ConcurrentEditError:
            messages.error(request, MOVED_ON)
            return redirect("evaluations:moderation_detail", pk=pk)
        except EvaluationError as error:
            messages.error(request, str(error))
            return redirect("evaluations:moderation_detail", pk=pk)
        messages.success(
            request,
            f"The moderation of {moderation.evaluation.reference} is confirmed. The evaluator has been sent "
            "your grades and rationale.",
        )
        return redirect("evaluations:moderation_queue")
    return render(
        request,
        "evaluations/moderation/detail.html",
        {
            "moderation": moderation,
            "rows": rows,
            "rounds": list(selectors.moderation_rounds(moderation)),
            "can_confirm": can_confirm,
            "can_change": moderation.is_confirmed
            and can_change_confirmed_moderation(request.user)
            and moderation.evaluation.evaluator_id != request.user.pk,
        },
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- The Practice Hub ------------------------------------------------------------------------


@_only(can_change_confirmed_moderation)
@require_http_methods(["GET", "POST"])
def moderation_change(request, pk):
    moderation = selectors.moderation_get_for_user(user=request.user, pk=pk)
    if not moderation.is_confirmed:
        messages.error(request, "Only a confirmed moderation is changed with a new round.")
        return redirect("evaluations:moderation_detail", pk=pk)
    form = ChangeModerationForm(_posted(request), initial=ChangeModerationForm.initial_for(moderation))
    if request.method == "POST" and form.is_valid():
        try:
            services.moderation_change(
                moderation=moderation,
                actor=request.user,
                overall_grade=form.cleaned_data["overall_grade"],
                pillar_grades=form.pillar_grades(),
                rationale=form.cleaned_data["rationale"],
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except ConcurrentEditError:
            messages.error(request, MOVED_ON)
            return redirect("evaluations:moderation_detail", pk=pk)
        except (EvaluationError, ValidationError) as error:
            _refused(form, error, "reason")
        else:
            messages.success(
                request, f"A new round of the moderation of {moderation.evaluation.reference} is confirmed."
            )
            return redirect("evaluations:moderation_detail", pk=pk)
    _, rows = selectors.moderation_reveal(user=request.user, pk=pk)
    return render(request, "evaluations/moderation/change.html", {"moderation": moderation, "rows": rows, "form": form})


def _sample_page(request, cycle: Cycle, *, draw_form=None, add_form=None):
    sample = list(selectors.moderation_sample(cycle))
    return render(
        request,
        "evaluations/moderation/sample.html",
        {
            "cycle": cycle,
            "sample": sample,
            "counts": selectors.moderation_sample_counts(cycle),
            "panels": list(selectors.moderation_panels(cycle)),
            "draw_form": draw_form or SampleDrawForm(initial={"share": cycle.moderation_share}),
            "add_form": add_form or SampleAddForm(cycle=cycle),
            "errors": (draw_form and draw_form.errors) or (add_form and add_form.errors),
        },
    )


@_only(can_change_confirmed_moderation)
@require_http_methods(["GET", "POST"])
def cycle_moderation(request, pk):
    """A cycle's moderation sample: draw it, add to it, take out of it; its panels."""
    cycle = get_object_or_404(Cycle, pk=pk)
    if request.method == "POST" and "add" in request.POST:
        form = SampleAddForm(request.POST, cycle=cycle)
        if form.is_valid():
            try:
                moderation = services.moderation_sample_add(evaluation=form.evaluation, actor=request.user)
            except (EvaluationError, ValidationError) as error:
                _refused(form, error, "reference")
            else:
                messages.success(request, f"{moderation.evaluation.reference} is added to the moderation sample.")
                return redirect("evaluations:cycle_moderation", pk=cycle.pk)
        return _sample_page(request, cycle, add_form=form)
    if request.method == "POST":
        form = SampleDrawForm(request.POST)
        if form.is_valid():
            try:
                drawn = services.moderation_sample_draw(
                    cycle=cycle, share=form.cleaned_data["share"], actor=request.user
                )
            except (EvaluationError, ValidationError) as error:
                _refused(form, error, "share")
            else:
                noun = "evaluation is" if len(drawn) == 1 else "evaluations are"
                messages.success(request, f"{len(drawn)} {noun} added to the moderation sample.")
                return redirect("evaluations:cycle_moderation", pk=cycle.pk)
        return _sample_page(request, cycle, draw_form=form)
    return _sample_page(request, cycle)


@_only(can_change_confirmed_moderation)
@require_http_methods(["GET", "POST"])
def moderation_remove(request, pk):
    moderation = selectors.moderation_get_for_user(user=request.user, pk=pk)
    cycle_pk = moderation.evaluation.cycle_id
    if moderation.is_confirmed:
        messages.error(request, "A confirmed moderation stays in the sample: change it with a reason instead.")
        return redirect("evaluations:cycle_moderation", pk=cycle_pk)
    if request.method == "POST":
        try:
            services.moderation_sample_remove(
                moderation=moderation, actor=request.user, expected_version=_int(request.POST.get("version"))
            )
        except ConcurrentEditError:
            messages.error(request, MOVED_ON)
        except EvaluationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{moderation.evaluation.reference} is taken out of the moderation sample.")
        return redirect("evaluations:cycle_moderation", pk=cycle_pk)
    return render(request, "evaluations/moderation/remove.html", {"moderation": moderation})


@_only(can_change_confirmed_moderation)
@require_http_methods(["GET", "POST"])
def panel_create(request, pk):
    cycle = get_object_or_404(Cycle, pk=pk)
    form = PanelForm(_posted(request), sample=selectors.moderation_sample(cycle))
    if request.method == "POST" and form.is_valid():
        try:
            services.moderation_panel_create(
                cycle=cycle,
                held_on=form.cleaned_data["held_on"],
                members=form.cleaned_data["members"],
                notes=form.cleaned_data["notes"],
                moderations=form.cleaned_data["moderations"],
                actor=request.user,
            )
        except (EvaluationError, ValidationError) as error:
            _refused(form, error, "moderations")
        else:
            messages.success(request, "The moderation panel is saved.")
            return redirect("evaluations:cycle_moderation", pk=cycle.pk)
    return render(request, "evaluations/moderation/panel_form.html", {"cycle": cycle, "form": form})


# --- Consistency ------------------------------------------------------------------------------


@_only(can_see_moderation_consistency)
def moderation_consistency(request):
    cycles = list(selectors.cycles_for_consistency())
    chosen = None
    wanted = request.GET.get("cycle", "")
    if wanted.isdigit():
        chosen = next((cycle for cycle in cycles if cycle.pk == int(wanted)), None)
    figures = selectors.moderation_consistency(cycle=chosen)
    return render(
        request,
        "evaluations/moderation/consistency.html",
        {
            "cycles": cycles,
            "chosen": chosen,
            "figures": figures,
            "refresher": selectors.evaluators_needing_a_refresher(figures),
            "threshold": selectors.REFRESHER_AGREEMENT_BELOW,
            "minimum": selectors.REFRESHER_MIN_MODERATED,
            "pillars": selectors.Pillar.choices,
        },
    )
