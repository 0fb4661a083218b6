"""Safeguarding concerns for those who act on them: the list, and acknowledging one."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from evaluations import selectors, services
from evaluations.permissions import (
    can_acknowledge_safeguarding_concern,
    can_see_all_safeguarding_concerns,
    can_see_team_safeguarding_concerns,
)
from pqa.redirects import local_url

PAGE_SIZE = 25


def safeguarding_list(request):
    """Every concern for the Practice Hub, the team's for a team manager; those still to
    acknowledge first."""
    user = request.user
    if not (can_see_all_safeguarding_concerns(user) or can_see_team_safeguarding_concerns(user)):
        raise Http404("No such page")
    concerns = selectors.safeguarding_concerns_for(user)
    page = Paginator(concerns, PAGE_SIZE).get_page(request.GET.get("page"))
    for concern in page.object_list:
        concern.can_acknowledge = can_acknowledge_safeguarding_concern(user, concern)
    return render(
        request,
        "evaluations/safeguarding_list.html",
        {
            "page": page,
            "waiting": concerns.filter(safeguarding_acknowledged_at__isnull=True).count(),
            "all_teams": can_see_all_safeguarding_concerns(user),
            "query": "",
        },
    )


@require_POST
def safeguarding_acknowledge(request, pk: int):
    """The acknowledge button of the concern page and the lists; back where it was pressed."""
    evaluation = selectors.safeguarding_concern_to_act_on(user=request.user, pk=pk)
    try:
        services.safeguarding_concern_acknowledge(evaluation=evaluation, actor=request.user)
    except services.EvaluationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"You acknowledged the safeguarding concern in {evaluation.reference}.")
    back = local_url(request, request.POST.get("next")) or reverse("evaluations:safeguarding", args=[evaluation.pk])
    return redirect(back)
