"""The team manager's home: their team's returned evaluations, open recommendations and the
safeguarding concerns still to acknowledge."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from evaluations import selectors
from evaluations.models import Evaluation, Grade
from evaluations.permissions import can_acknowledge_safeguarding_concern, is_team_manager
from pqa.models import Team

RETURNED_SHOWN = 10


def _grade_label(grade: str) -> str:
    return Grade(grade).label if grade in Grade.values else ""


def team_home(request):
    user = request.user
    if not is_team_manager(user):
        raise Http404("No such page")
    today = timezone.localdate()
    returned_all = selectors.team_returned_evaluations(user)
    returned = list(returned_all[:RETURNED_SHOWN])
    for evaluation in returned:
        evaluation.final_grade_label = _grade_label(evaluation.final_grade)
        evaluation.changed_by_moderation = evaluation.final_grade != evaluation.overall_grade
    concerns = list(selectors.safeguarding_concerns_for(user).filter(safeguarding_acknowledged_at__isnull=True))
    for concern in concerns:
        concern.can_acknowledge = can_acknowledge_safeguarding_concern(user, concern)
    return render(
        request,
        "evaluations/team_home.html",
        {
            "team": Team.objects.select_related("service_area").get(pk=user.team_id) if user.team_id else None,
            "returned": returned,
            "returned_total": returned_all.count(),
            "returned_status": Evaluation.Status.RETURNED.value,
            "recommendations": list(selectors.team_open_recommendations(user, today=today)),
            "concerns": concerns,
            "today": today,
        },
    )
