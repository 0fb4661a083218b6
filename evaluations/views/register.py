"""The recommendations register (the Practice Hub, leaders, moderators; a team manager their
team's part), its export, "my actions" for owners and their managers, and the Practice Hub's
home with overdue actions by team."""

import functools

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from evaluations import selectors, services
from evaluations.filters import RecommendationFilter
from evaluations.forms.register import ActionUpdateForm
from evaluations.models import Cycle
from evaluations.permissions import can_manage_cycles, can_see_register, can_update_recommendation
from pqa import audit
from pqa.exports import FORMATS, Column, export_response

PAGE_SIZE = 50


def _filtered(request):
    if not can_see_register(request.user):
        raise Http404("No such page")
    today = timezone.localdate()
    rows = selectors.recommendations_visible_to(request.user)
    filterset = RecommendationFilter(request.GET or None, queryset=rows, today=today)
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else rows
    if not (filterset.is_bound and filterset.is_valid() and request.GET.get("sort")):
        queryset = queryset.order_by("due_date", "evaluation__reference", "pk")
    return filterset, queryset.order_by(*queryset.query.order_by, "pk"), today


def register(request):
    filterset, queryset, today = _filtered(request)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    for item in page.object_list:
        item.can_update = can_update_recommendation(request.user, item)
    query = request.GET.copy()
    query.pop("page", None)
    sortless = query.copy()
    sortless.pop("sort", None)
    return render(
        request,
        "evaluations/register/register.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "sortless_query": sortless.urlencode(),
            "sort": request.GET.get("sort", ""),
            "today": today,
            "unowned": selectors.unowned_recommendations().count() if can_manage_cycles(request.user) else 0,
        },
    )


def _yes_no(value) -> str:
    return {True: "Yes", False: "No"}.get(value, "")


EXPORT_COLUMNS = (
    Column("Evaluation", lambda item: item.evaluation.reference, 16),
    Column("Child's case id", lambda item: item.evaluation.child_ref, 16),
    Column("Cycle", lambda item: str(item.evaluation.cycle), 28),
    Column("Service area", lambda item: item.evaluation.team.service_area.name, 24),
    Column("Team", lambda item: item.evaluation.team.name, 24),
    Column("Overall grade", lambda item: item.evaluation.get_overall_grade_display(), 20),
    Column("Action", lambda item: item.action, 60),
    Column("Owner", lambda item: str(item.owner) if item.owner_id else "", 24),
    Column("Owner e-mail", lambda item: item.owner.email if item.owner_id else "", 28),
    Column("Owner as first written", lambda item: item.owner_text, 24),
    Column("Due", lambda item: item.due_date, 12),
    Column("Status", lambda item: item.get_status_display(), 14),
    Column("Done or given up", lambda item: item.completed_on, 14),
    Column("What was done, or why not", lambda item: item.outcome_note, 60),
    Column("Tabled in supervision", lambda item: item.tabled_on, 14),
    Column("Revisit found it done", lambda item: _yes_no(item.revisit_found_done), 12),
)


def register_export(request, format: str):
    """Exactly the rows the register shows with these filters, every page of them."""
    if format not in FORMATS:
        raise Http404("No such format")
    filterset, queryset, today = _filtered(request)
    filters = {name: value for name, value in request.GET.items() if name in filterset.filters and value}
    audit.event(audit.EXPORT, user=request.user.pk, what="recommendations", format=format, **filters)
    return export_response(
        rows=queryset.iterator(chunk_size=500),
        columns=EXPORT_COLUMNS,
        filename="recommendations",
        format=format,
        sheet_title="Recommendations",
    )


def my_actions(request):
    today = timezone.localdate()
    actions = list(selectors.my_actions(request.user, today=today))
    return render(
        request,
        "evaluations/register/my_actions.html",
        {
            "mine": [item for item in actions if item.owner_id == request.user.pk],
            "team": [item for item in actions if item.owner_id != request.user.pk],
            "today": today,
        },
    )


def action_update(request, pk: int):
    recommendation = selectors.recommendation_get_for_user(user=request.user, pk=pk)
    if not can_update_recommendation(request.user, recommendation):
        raise Http404("No such recommendation")
    initial = {
        "version": recommendation.version,
        "status": recommendation.status,
        "completed_on": recommendation.completed_on,
        "outcome_note": recommendation.outcome_note,
        "tabled_on": recommendation.tabled_on,
    }
    owners = None
    if can_manage_cycles(request.user):
        initial["owner"] = recommendation.owner_id
        owners = functools.cache(
            lambda: [
                ("", "Choose who owns it"),
                *(
                    choice
                    for _, group in selectors.owner_choices_for(recommendation.evaluation.team_id)
                    for choice in group
                ),
            ]
        )
    form = ActionUpdateForm(request.POST or None, initial=initial, owners=owners)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                version = data["version"]
                if owners is not None:
                    version = services.recommendation_assign_owner(
                        recommendation=recommendation, owner=data["owner"], actor=request.user, expected_version=version
                    ).version
                services.recommendation_set_status(
                    recommendation=recommendation,
                    status=data["status"],
                    note=data["outcome_note"],
                    completed_on=data["completed_on"],
                    tabled_on=data["tabled_on"],
                    actor=request.user,
                    expected_version=version,
                )
        except services.ConcurrentEditError as error:
            recommendation.refresh_from_db()
            form = ActionUpdateForm(request.POST.copy(), initial=initial, owners=owners)
            form.data["version"] = recommendation.version
            form.is_valid()
            form.add_error(
                None,
                f"{error.saved_by or 'Someone'} changed this action while you were editing it. "
                "Check what it says now below, then save again.",
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, f"Saved: {recommendation.evaluation.reference} is now recorded as you said.")
            if request.GET.get("from") == "register" and can_see_register(request.user):
                return redirect("evaluations:register")
            return redirect("evaluations:my_actions")
    return render(
        request,
        "evaluations/register/action_update.html",
        {"form": form, "recommendation": recommendation, "today": timezone.localdate()},
    )


def hub_home(request):
    """The Practice Hub's landing page: overdue actions by team, and the cycles."""
    if not can_manage_cycles(request.user):
        raise Http404("No such page")
    today = timezone.localdate()
    teams = selectors.overdue_by_team(today)
    return render(
        request,
        "evaluations/register/hub_home.html",
        {
            "teams": teams,
            "overdue_total": sum(team["overdue"] for team in teams),
            "cycles": list(Cycle.objects.all()[:8]),
            "unowned": selectors.unowned_recommendations().count(),
            "today": today,
        },
    )
