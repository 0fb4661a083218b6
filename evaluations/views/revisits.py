"""Revisits (docs/revisits.md): the Practice Hub's proposal page for a revisit cycle, and the
revisit figures for those who read all evaluations. Views are thin: forms validate, services
write, selectors read."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from evaluations import selectors, services
from evaluations.forms.revisits import RevisitAllocateForm, RevisitShareForm
from evaluations.models import CycleType
from evaluations.permissions import can_read_all_evaluations
from evaluations.views.cycles import CLASHED, _closed, _cycle, _refused, practice_hub_only

SHARE = "Update the share"


@practice_hub_only
@require_http_methods(["GET", "POST"])
def revisit_propose(request, pk):
    """The revisits PQA proposes for a revisit cycle: the Practice Hub changes the share,
    unticks any child it will not revisit, and allocates the rest to evaluators."""
    cycle = _cycle(pk)
    if cycle.type != CycleType.REVISIT:
        raise Http404("Revisits are proposed in a revisit cycle")
    if not cycle.is_open:
        return _closed(request, cycle)
    share_form = RevisitShareForm(initial={"revisit_share": cycle.revisit_share})
    posted = request.POST if request.method == "POST" else None
    if posted is not None and posted.get("action") == SHARE:
        share_form = RevisitShareForm(posted)
        posted = None
        if share_form.is_valid():
            try:
                services.cycle_set_revisit_share(
                    cycle=cycle, revisit_share=share_form.cleaned_data["revisit_share"], actor=request.user
                )
            except ValidationError as error:
                _refused(share_form, error, "revisit_share")
            else:
                messages.success(request, f"The share is now {share_form.cleaned_data['revisit_share']}%.")
                return redirect("evaluations:revisit_propose", pk=cycle.pk)
    proposal = selectors.revisit_proposal(cycle)
    form = RevisitAllocateForm(posted, proposal=proposal)
    if posted is not None and form.is_valid():
        try:
            created = services.revisits_allocate(
                cycle=cycle,
                originals=form.chosen(),
                evaluators=list(form.cleaned_data["evaluators"]),
                due_date=form.cleaned_data["due_date"],
                actor=request.user,
            )
        except (services.EvaluationError, ValidationError) as error:
            _refused(form, error, "originals")
        except IntegrityError:
            form.add_error("originals", CLASHED)
        else:
            noun = "revisit" if len(created) == 1 else "revisits"
            messages.success(
                request, f"{len(created)} {noun} allocated in {cycle}. Each evaluator has been sent an e-mail."
            )
            return redirect("evaluations:cycle_detail", pk=cycle.pk)
    errors = bool(form.errors or share_form.errors)
    return render(
        request,
        "evaluations/revisits/propose.html",
        {"cycle": cycle, "proposal": proposal, "form": form, "share_form": share_form, "has_errors": errors},
        status=400 if errors else 200,
    )


def revisit_figures_page(request):
    """A quarter's revisit figures, for those who read every evaluation."""
    if not can_read_all_evaluations(request.user):
        raise Http404("No such page")
    quarters = selectors.quarters_with_revisits()
    quarter = request.GET.get("quarter") or (quarters[0] if quarters else "")
    figures, problem = None, ""
    if quarter:
        try:
            figures = selectors.revisit_figures(quarter=quarter)
        except selectors.DistributionError as error:
            problem = str(error)
    return render(
        request,
        "evaluations/revisits/figures.html",
        {
            "quarters": quarters,
            "quarter": quarter,
            "figures": figures,
            "problem": problem,
        },
        status=400 if problem else 200,
    )
