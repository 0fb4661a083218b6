"""Pages that read evaluations: everyone's list (scoped), my evaluations, one evaluation."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from evaluations import selectors
from evaluations.filters import EvaluationFilter
from evaluations.models import Pillar
from evaluations.permissions import can_acknowledge_safeguarding_concern, can_edit_evaluation, can_read_evaluation

PAGE_SIZE = 25
PILLAR_ORDER = {pillar: index for index, pillar in enumerate(Pillar.values)}


def evaluation_list(request):
    evaluations = selectors.evaluations_visible_to(request.user)
    filterset = EvaluationFilter(request.GET or None, queryset=evaluations, user=request.user)
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else evaluations
    page = Paginator(queryset.order_by("-cycle__quarter", "reference"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "evaluations/list.html",
        {"filter": filterset, "page": page, "query": query.urlencode(), "today": timezone.localdate()},
    )


def my_evaluations(request):
    mine = list(selectors.evaluations_allocated_to(request.user))
    to_do = sorted(
        (item for item in mine if item.is_editable),
        key=lambda item: (item.due_date is None, item.due_date, item.reference),
    )
    done = sorted(
        (item for item in mine if not item.is_editable),
        key=lambda item: (item.cycle.quarter, item.reference),
        reverse=True,
    )
    return render(
        request,
        "evaluations/mine.html",
        {"to_do": to_do, "done": done, "today": timezone.localdate()},
    )


def evaluation_detail(request, pk: int):
    evaluation = selectors.evaluation_get_for_user(user=request.user, pk=pk)
    pillar_grades = sorted(evaluation.pillar_grades.all(), key=lambda item: PILLAR_ORDER[item.pillar])
    return render(
        request,
        "evaluations/detail.html",
        {
            "evaluation": evaluation,
            "pillar_grades": pillar_grades,
            "feedback": list(evaluation.feedback_gathered.all()),
            "recommendations": list(evaluation.recommendations.all()),
            "revisit_findings": selectors.revisit_findings(evaluation) if evaluation.revisit_of_id else [],
            "can_edit": can_edit_evaluation(request.user, evaluation),
            "today": timezone.localdate(),
        },
    )


def safeguarding_concern(request, pk: int):
    """The page the safeguarding alert links to: the concern as last saved, and who to ask."""
    evaluation = selectors.safeguarding_concern_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "evaluations/safeguarding.html",
        {
            "evaluation": evaluation,
            "can_read_evaluation": can_read_evaluation(request.user, evaluation),
            "can_acknowledge": can_acknowledge_safeguarding_concern(request.user, evaluation),
        },
    )
