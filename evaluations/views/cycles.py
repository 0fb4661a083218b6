"""Cycles and allocation: the Practice Hub's pages. Anyone else gets a 404, as if the pages
did not exist. Views are thin: forms validate, services write, selectors read."""

from __future__ import annotations

from collections import Counter
from functools import wraps

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from evaluations import selectors, services
from evaluations.forms.cycles import (
    AllocateListForm,
    AllocateOneForm,
    AllocateSampleForm,
    CycleForm,
    ReassignForm,
)
from evaluations.models import Cycle, CycleType, Evaluation
from evaluations.permissions import can_manage_cycles
from evaluations.services import AllocationRequest, EvaluationError

PAGE_SIZE = 50
CLASHED = "Someone else allocated evaluations in this cycle at the same moment, so nothing was allocated: try again."


def practice_hub_only(view):
    """The Practice Hub's pages are a 404 for everyone else, as if they did not exist."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can_manage_cycles(request.user):
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return wrapped


def _posted(request):
    # An empty POST must still be validated (and its errors shown), so never `POST or None`.
    return request.POST if request.method == "POST" else None


def _with_rate(cycle: Cycle) -> Cycle:
    cycle.returns = selectors.cycle_returns(cycle)
    return cycle


def _cycle(pk: int) -> Cycle:
    return _with_rate(get_object_or_404(selectors.cycles_with_progress(), pk=pk))


def _refused(form, error: Exception, field: str) -> None:
    """A service's refusal as a form error: in the error summary at the top, beside the field it
    is about (`field` when the service does not say), and "Error:" in the page title."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for name, texts in error.message_dict.items():
            form.add_error(name if name in form.fields else field, texts)
    elif isinstance(error, ValidationError):
        form.add_error(field, error.messages)
    else:
        form.add_error(field, str(error))


def _closed(request, cycle: Cycle):
    messages.error(request, f"{cycle} is closed: open a new cycle to allocate more evaluations.")
    return redirect("evaluations:cycle_detail", pk=cycle.pk)


def _allocated_message(count: int, cycle: Cycle) -> str:
    noun = "evaluation" if count == 1 else "evaluations"
    return f"{count} {noun} allocated in {cycle}. Each evaluator has been sent an e-mail."


@practice_hub_only
def cycle_list(request):
    cycles = [_with_rate(cycle) for cycle in selectors.cycles_with_progress()]
    return render(
        request,
        "evaluations/cycles/cycle_list.html",
        {"cycles": cycles, "return_rate_definition": selectors.RETURN_RATE_DEFINITION},
    )


@practice_hub_only
@require_http_methods(["GET", "POST"])
def cycle_create(request):
    form = CycleForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            cycle = services.cycle_open(
                quarter=form.cleaned_data["quarter"],
                type=form.cleaned_data["type"],
                title=form.cleaned_data["title"],
                actor=request.user,
            )
        except ValidationError as error:
            # The model's own checks, e.g. the unique round when two people open it at once.
            problems = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
            for field, texts in problems.items():
                form.add_error(field if field in form.fields else "quarter", texts)
        except IntegrityError:
            form.add_error("quarter", "This cycle has just been opened by someone else")
        else:
            if cycle.type == CycleType.REVISIT:
                # A revisit cycle opens on what PQA proposes to revisit (docs/revisits.md).
                messages.success(request, f"{cycle} is open. Review the revisits PQA proposes, then allocate them.")
                return redirect("evaluations:revisit_propose", pk=cycle.pk)
            messages.success(request, f"{cycle} is open. You can now allocate evaluations in it.")
            return redirect("evaluations:cycle_detail", pk=cycle.pk)
    return render(request, "evaluations/cycles/cycle_form.html", {"form": form})


@practice_hub_only
def cycle_detail(request, pk):
    cycle = _cycle(pk)
    evaluations = selectors.evaluations_visible_to(request.user).filter(cycle=cycle).order_by("reference")
    page = Paginator(evaluations, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [
        {
            "evaluation": evaluation,
            "can_reassign": evaluation.is_editable,
        }
        for evaluation in page.object_list
    ]
    # A revisit cycle shows what its revisits found (docs/revisits.md).
    revisits = selectors.revisit_figures(cycle=cycle) if cycle.type == CycleType.REVISIT else None
    return render(
        request,
        "evaluations/cycles/cycle_detail.html",
        {
            "cycle": cycle,
            "page": page,
            "rows": rows,
            "today": today,
            "revisits": revisits,
            "return_rate_definition": selectors.RETURN_RATE_DEFINITION,
        },
    )


@practice_hub_only
@require_http_methods(["GET", "POST"])
def allocate_one(request, pk):
    cycle = _cycle(pk)
    if not cycle.is_open:
        return _closed(request, cycle)
    form = AllocateOneForm(_posted(request), cycle=cycle)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        request_ = AllocationRequest(
            child_ref=data["child_ref"],
            practitioner=data["practitioner"],
            team=data["team"],
            evaluator=data["evaluator"],
            due_date=data["due_date"],
        )
        try:
            evaluation = services.evaluation_allocate(cycle=cycle, request=request_, actor=request.user)
        except (EvaluationError, ValidationError) as error:
            _refused(form, error, "child_ref")
        except IntegrityError:
            form.add_error("child_ref", CLASHED)
        else:
            messages.success(
                request,
                f"{evaluation.reference} (child {evaluation.child_ref}) allocated to {evaluation.evaluator}. "
                "They have been sent an e-mail.",
            )
            return redirect("evaluations:cycle_detail", pk=cycle.pk)
    return render(request, "evaluations/cycles/allocate_one.html", {"cycle": cycle, "form": form})


@practice_hub_only
@require_http_methods(["GET", "POST"])
def allocate_list(request, pk):
    cycle = _cycle(pk)
    if not cycle.is_open:
        return _closed(request, cycle)
    form = AllocateListForm(_posted(request), request.FILES if request.method == "POST" else None, cycle=cycle)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.evaluations_allocate(cycle=cycle, requests=form.requests, actor=request.user)
        except (EvaluationError, ValidationError) as error:
            _refused(form, error, "rows")
        except IntegrityError:
            form.add_error("rows", CLASHED)
        else:
            messages.success(request, _allocated_message(len(created), cycle))
            return redirect("evaluations:cycle_detail", pk=cycle.pk)
    return render(request, "evaluations/cycles/allocate_list.html", {"cycle": cycle, "form": form})


def _sample_message(created: list[Evaluation], form: AllocateSampleForm, cycle: Cycle) -> str:
    per_team = form.cleaned_data["per_team"]
    drawn = Counter(evaluation.team for evaluation in created)
    listed = {case.team for case in form.open_cases}
    parts = [f"{team.name}: {drawn.get(team, 0)}" for team in sorted(listed, key=str)]
    short = sorted(team.name for team in listed if drawn.get(team, 0) < per_team)
    message = f"{_allocated_message(len(created), cycle)} Per team: {'; '.join(parts)}."
    if short:
        message += (
            f" Fewer than {per_team} were drawn in {', '.join(short)}: the list held fewer cases there "
            "that are not already in this cycle."
        )
    return message


@practice_hub_only
@require_http_methods(["GET", "POST"])
def allocate_sample(request, pk):
    cycle = _cycle(pk)
    if not cycle.is_open:
        return _closed(request, cycle)
    form = AllocateSampleForm(_posted(request), cycle=cycle)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.evaluations_allocate_sample(
                cycle=cycle,
                open_cases=form.open_cases,
                per_team=form.cleaned_data["per_team"],
                evaluators=list(form.cleaned_data["evaluators"]),
                due_date=form.cleaned_data["due_date"],
                actor=request.user,
            )
        except (EvaluationError, ValidationError) as error:
            _refused(form, error, "cases")
        except IntegrityError:
            form.add_error("cases", CLASHED)
        else:
            if created:
                messages.success(request, _sample_message(created, form, cycle))
            else:
                messages.info(request, "Nothing was allocated: every case on the list is already in this cycle.")
            return redirect("evaluations:cycle_detail", pk=cycle.pk)
    return render(request, "evaluations/cycles/allocate_sample.html", {"cycle": cycle, "form": form})


@practice_hub_only
@require_http_methods(["GET", "POST"])
def cycle_close(request, pk):
    cycle = _cycle(pk)
    if not cycle.is_open:
        messages.error(request, f"{cycle} is already closed.")
        return redirect("evaluations:cycle_detail", pk=cycle.pk)
    if request.method == "POST":
        try:
            marked = services.cycle_close(cycle=cycle, actor=request.user)
        except EvaluationError as error:
            messages.error(request, str(error))
        else:
            noun = "evaluation was" if marked == 1 else "evaluations were"
            messages.success(request, f"{cycle} is closed. {marked} {noun} marked not returned.")
        return redirect("evaluations:cycle_detail", pk=cycle.pk)
    unreturned = cycle.not_started + cycle.in_progress
    return render(request, "evaluations/cycles/cycle_close.html", {"cycle": cycle, "unreturned": unreturned})


@practice_hub_only
@require_http_methods(["GET", "POST"])
def evaluation_reassign(request, pk):
    evaluation = get_object_or_404(selectors.evaluations_visible_to(request.user), pk=pk)
    if not evaluation.is_editable:
        messages.error(request, f"{evaluation.reference} has been returned or closed, so it cannot be reassigned.")
        return redirect("evaluations:cycle_detail", pk=evaluation.cycle_id)
    form = ReassignForm(_posted(request), current_evaluator_id=evaluation.evaluator_id)
    if request.method == "POST" and form.is_valid():
        try:
            evaluation = services.evaluation_reassign(
                evaluation=evaluation,
                evaluator=form.cleaned_data["evaluator"],
                due_date=form.cleaned_data["due_date"],
                actor=request.user,
            )
        except (EvaluationError, ValidationError) as error:
            _refused(form, error, "evaluator")
        else:
            messages.success(
                request,
                f"{evaluation.reference} reassigned to {evaluation.evaluator}. They have been sent an e-mail.",
            )
            return redirect("evaluations:cycle_detail", pk=evaluation.cycle_id)
    return render(request, "evaluations/cycles/reassign.html", {"evaluation": evaluation, "form": form})
