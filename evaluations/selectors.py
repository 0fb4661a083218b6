"""Every read of evaluations that a view, report or export needs, already scoped to the user.

The PQA reporting layer reads this app only through this module."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from evaluations.models import (
    Answer,
    Cycle,
    CycleType,
    Evaluation,
    Grade,
    HeadlineQuestion,
    Moderation,
    Pillar,
    PillarGrade,
    Recommendation,
)
from evaluations.permissions import (
    REGISTER_ROLES,
    can_read_all_evaluations,
    can_see_all_safeguarding_concerns,
    can_see_team_safeguarding_concerns,
    is_team_manager,
)
from pqa.models import Role, ServiceArea, User
from pqa.permissions import has_role
from pqa.quarters import Quarter

Status = Evaluation.Status


class DistributionError(ValueError):
    """A request for a distribution that cannot be answered (bad quarter, unknown service area)."""


def evaluations_visible_to(user) -> QuerySet[Evaluation]:
    """Evaluations the user may read: all for moderators, the Practice Hub and leaders; their
    own for an evaluator; their team's returned evaluations for a team manager."""
    queryset = Evaluation.objects.select_related("cycle", "team__service_area", "evaluator", "moderation")
    if can_read_all_evaluations(user):
        return queryset
    scope = Q(evaluator=user)
    if is_team_manager(user) and user.team_id:
        scope |= Q(team_id=user.team_id, status=Status.RETURNED)
    return queryset.filter(scope)


def evaluation_get_for_user(*, user, pk: int) -> Evaluation:
    """One evaluation with everything its page shows; another user's is a 404, not a 403."""
    try:
        return (
            evaluations_visible_to(user)
            .prefetch_related(
                Prefetch("pillar_grades", queryset=PillarGrade.objects.order_by("pk")),
                "feedback_gathered",
                Prefetch("recommendations", queryset=Recommendation.objects.select_related("owner")),
            )
            .get(pk=pk)
        )
    except Evaluation.DoesNotExist as error:
        raise Http404("No evaluation found") from error


def safeguarding_concern_get_for_user(*, user, pk: int) -> Evaluation:
    """An evaluation's reported safeguarding concern, for those who must act on it: whoever may
    read the evaluation, and the team's manager even while it is still a draft (the alert goes
    to them at once). Anyone else, or no concern reported, is a 404."""
    scope = Q(pk__in=evaluations_visible_to(user).values("pk"))
    if is_team_manager(user) and user.team_id:
        scope |= Q(team_id=user.team_id)
    try:
        return (
            Evaluation.objects.select_related(
                "cycle", "team__service_area", "evaluator", "safeguarding_acknowledged_by"
            )
            .filter(scope, safeguarding_reported_at__isnull=False)
            .get(pk=pk)
        )
    except Evaluation.DoesNotExist as error:
        raise Http404("No safeguarding concern found") from error


def evaluations_allocated_to(user) -> QuerySet[Evaluation]:
    """'My evaluations': what is allocated to me, the ones still to do first, soonest due first."""
    return (
        Evaluation.objects.filter(evaluator=user)
        .select_related("cycle", "team__service_area")
        .order_by("due_date", "reference")
    )


def cycles_with_progress() -> QuerySet[Cycle]:
    """Cycles with their counts in one query: allocated, in progress, returned, overdue, not returned."""
    today = timezone.localdate()
    return Cycle.objects.annotate(
        allocated=Count("evaluations"),
        not_started=Count("evaluations", filter=Q(evaluations__status=Status.ALLOCATED)),
        in_progress=Count("evaluations", filter=Q(evaluations__status=Status.IN_PROGRESS)),
        returned=Count("evaluations", filter=Q(evaluations__status=Status.RETURNED)),
        not_returned=Count("evaluations", filter=Q(evaluations__status=Status.NOT_RETURNED)),
        overdue=Count(
            "evaluations",
            filter=Q(evaluations__status__in=Evaluation.EDITABLE_STATUSES, evaluations__due_date__lt=today),
        ),
    ).order_by("-quarter", "type", "title")


def return_rate(*, returned: int, allocated: int) -> float | None:
    return round(returned / allocated, 4) if allocated else None


def _zeroes(choices) -> dict[str, int]:
    return dict.fromkeys(choices.values, 0)


def grade_distribution(*, quarter: str, service_area: str | None = None, type: str | None = None) -> dict:
    """The quarter's distribution as in the shared contract evaluations-csv.md: counted by the
    database in two queries (evaluations, pillar grades), whatever the number of rows."""
    try:
        period = Quarter.parse(quarter)
    except ValueError as error:
        raise DistributionError(str(error)) from error
    service_area = service_area or None  # an empty filter is no filter
    type = type or None
    if type is not None and type not in CycleType.values:
        raise DistributionError(f"'{type}' is not an evaluation type: use one of {', '.join(CycleType.values)}")

    scope = Q(cycle__quarter=str(period))
    if type:
        scope &= Q(cycle__type=type)
    if service_area is not None:
        area = ServiceArea.objects.filter(name__iexact=service_area).first()
        if area is None:
            raise DistributionError(f"'{service_area}' is not a service area")
        scope &= Q(team__service_area=area)
        service_area = area.name

    completed = Q(status=Status.RETURNED)
    moderated = completed & Q(moderation__isnull=False)
    aggregates = {
        "completed": Count("pk", filter=completed),
        "not_returned": Count("pk", filter=Q(status=Status.NOT_RETURNED)),
        "moderated": Count("pk", filter=moderated),
    }
    for grade in Grade.values:
        aggregates[f"evaluator__{grade}"] = Count("pk", filter=completed & Q(overall_grade=grade))
        aggregates[f"final__{grade}"] = Count(
            "pk",
            filter=completed & (Q(moderation__moderated_grade=grade) | Q(moderation__isnull=True, overall_grade=grade)),
        )
    for outcome in Moderation.Outcome.values:
        aggregates[f"moderation__{outcome}"] = Count("pk", filter=moderated & Q(moderation__outcome=outcome))
    for question in HeadlineQuestion.values:
        for answer in Answer.values:
            aggregates[f"{question}__{answer}"] = Count("pk", filter=completed & Q(**{question: answer}))
    counts = Evaluation.objects.filter(scope).aggregate(**aggregates)

    pillars = {pillar: _zeroes(Grade) for pillar in Pillar.values}
    pillar_rows = (
        PillarGrade.objects.filter(
            evaluation__in=Evaluation.objects.filter(scope & completed).values("pk"), grade__in=Grade.values
        )
        .values("pillar", "grade")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for row in pillar_rows:
        pillars[row["pillar"]][row["grade"]] = row["count"]

    allocated = counts["completed"] + counts["not_returned"]
    return {
        "quarter": str(period),
        "service_area": service_area,
        "type": type,
        "allocated": allocated,
        "completed": counts["completed"],
        "return_rate": return_rate(returned=counts["completed"], allocated=allocated),
        "overall": {
            "evaluator": {grade: counts[f"evaluator__{grade}"] for grade in Grade.values},
            "final": {grade: counts[f"final__{grade}"] for grade in Grade.values},
        },
        "pillars": pillars,
        "moderation": {
            "moderated": counts["moderated"],
            **{outcome: counts[f"moderation__{outcome}"] for outcome in Moderation.Outcome.values},
        },
        **{
            question: {answer: counts[f"{question}__{answer}"] for answer in Answer.values}
            for question in HeadlineQuestion.values
        },
    }


def quarters_with_evaluations() -> list[str]:
    return list(Cycle.objects.order_by("-quarter").values_list("quarter", flat=True).distinct())


def quarters_with_open_cycles() -> set[str]:
    """Quarters whose figures are still moving: a cycle is open, so work in progress is not
    yet counted as allocated (allocated = returned + not returned)."""
    return set(Cycle.objects.filter(status=Cycle.Status.OPEN).values_list("quarter", flat=True))


def overdue(evaluation: Evaluation, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return evaluation.is_editable and evaluation.due_date is not None and evaluation.due_date < today


# --- The team manager's home and safeguarding concerns --------------------------------------


def safeguarding_concerns_for(user) -> QuerySet[Evaluation]:
    """Reported safeguarding concerns, for those who act on them: every one for the Practice
    Hub, their team's for a team manager, none for anyone else. Those still to acknowledge
    first, then the most recently reported."""
    queryset = Evaluation.objects.filter(safeguarding_reported_at__isnull=False).select_related(
        "cycle", "team__service_area", "evaluator", "safeguarding_acknowledged_by"
    )
    if can_see_team_safeguarding_concerns(user):
        queryset = queryset.filter(team_id=user.team_id)
    elif not can_see_all_safeguarding_concerns(user):
        return queryset.none()
    still_to_acknowledge = Case(
        When(safeguarding_acknowledged_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return queryset.order_by(still_to_acknowledge, "-safeguarding_reported_at", "pk")


def safeguarding_concern_to_act_on(*, user, pk: int) -> Evaluation:
    """One concern from safeguarding_concerns_for(user); anyone else's is a 404."""
    try:
        return safeguarding_concerns_for(user).get(pk=pk)
    except Evaluation.DoesNotExist as error:
        raise Http404("No safeguarding concern found") from error


def team_returned_evaluations(user) -> QuerySet[Evaluation]:
    """A team manager's team's returned evaluations, the latest returned first."""
    if not (is_team_manager(user) and user.team_id):
        return Evaluation.objects.none()
    return (
        evaluations_visible_to(user)
        .filter(team_id=user.team_id, status=Status.RETURNED)
        .order_by(F("submitted_at").desc(nulls_last=True), "-pk")
    )


def team_open_recommendations(user, today: dt.date | None = None) -> QuerySet[Recommendation]:
    """The open recommendations of a team manager's team's returned evaluations: overdue first,
    then soonest due, those with no date last."""
    if not (is_team_manager(user) and user.team_id):
        return Recommendation.objects.none()
    today = today or timezone.localdate()
    overdue_first = Case(When(due_date__lt=today, then=Value(0)), default=Value(1), output_field=IntegerField())
    return (
        Recommendation.objects.filter(
            evaluation__team_id=user.team_id,
            evaluation__status=Status.RETURNED,
            status__in=Recommendation.ACTIVE_STATUSES,
        )
        .select_related("evaluation", "owner")
        .annotate(overdue_rank=overdue_first)
        .order_by("overdue_rank", F("due_date").asc(nulls_last=True), "pk")
    )


# --- The recommendations register ------------------------------------------------------------


def recommendations_visible_to(user) -> QuerySet[Recommendation]:
    """The register as this person may see it, with what its rows show: all of it for the
    Practice Hub, leaders, moderators and administrators; a team manager their team's
    returned evaluations' recommendations and those they own; anyone else those they own.
    Drafts' recommendations are the evaluator's until the evaluation is returned."""
    queryset = Recommendation.objects.select_related(
        "evaluation__cycle", "evaluation__team__service_area", "owner"
    ).filter(evaluation__status=Status.RETURNED)
    if has_role(user, REGISTER_ROLES):
        return queryset
    scope = Q(owner_id=user.pk)
    if is_team_manager(user) and user.team_id:
        scope |= Q(evaluation__team_id=user.team_id)
    return queryset.filter(scope)


def recommendation_get_for_user(*, user, pk: int) -> Recommendation:
    """One recommendation the user may see; another's is a 404."""
    try:
        return actions_for(user).get(pk=pk)
    except Recommendation.DoesNotExist:
        raise Http404("No such recommendation") from None


def actions_for(user) -> QuerySet[Recommendation]:
    """What a person may move along on their "my actions" page: those they own, and for a team
    manager also those of their team's evaluations and those owned by their team's people;
    for the Practice Hub and administrators, all (permissions.can_update_recommendation)."""
    queryset = Recommendation.objects.select_related(
        "evaluation__cycle", "evaluation__team__service_area", "owner"
    ).filter(evaluation__status=Status.RETURNED)
    if has_role(user, {Role.PRACTICE_HUB, Role.ADMINISTRATOR}):
        return queryset
    scope = Q(owner_id=user.pk)
    if is_team_manager(user) and user.team_id:
        scope |= Q(evaluation__team_id=user.team_id) | Q(owner__team_id=user.team_id)
    return queryset.filter(scope)


def my_actions(user, today: dt.date | None = None) -> QuerySet[Recommendation]:
    """The "my actions" page: the person's own still-active recommendations (and, for a team
    manager, their team's), overdue first, then soonest due."""
    today = today or timezone.localdate()
    overdue_first = Case(When(due_date__lt=today, then=Value(0)), default=Value(1), output_field=IntegerField())
    mine_first = Case(When(owner_id=user.pk, then=Value(0)), default=Value(1), output_field=IntegerField())
    scope = Q(owner_id=user.pk)
    if is_team_manager(user) and user.team_id:
        scope |= Q(evaluation__team_id=user.team_id) | Q(owner__team_id=user.team_id)
    return (
        actions_for(user)
        .filter(scope, status__in=Recommendation.ACTIVE_STATUSES)
        .annotate(overdue_rank=overdue_first, mine_rank=mine_first)
        .order_by("mine_rank", "overdue_rank", F("due_date").asc(nulls_last=True), "pk")
    )


def overdue_by_team(today: dt.date | None = None) -> list[dict]:
    """The Practice Hub's home: per team with overdue recommendations, how many are overdue and
    how many by more than 14 days; counted by the database, most overdue first."""
    today = today or timezone.localdate()
    long_ago = today - dt.timedelta(days=14)
    return list(
        Recommendation.objects.filter(
            evaluation__status=Status.RETURNED,
            status__in=Recommendation.ACTIVE_STATUSES,
            due_date__lt=today,
        )
        .values("evaluation__team_id", "evaluation__team__name", "evaluation__team__service_area__name")
        .annotate(overdue=Count("pk"), long_overdue=Count("pk", filter=Q(due_date__lt=long_ago)))
        .order_by("-overdue", "evaluation__team__name")
    )


def unowned_recommendations() -> QuerySet[Recommendation]:
    """Recommendations whose owner was typed as text that matched no account: the Practice Hub
    sets their owner."""
    return Recommendation.objects.filter(owner__isnull=True).exclude(owner_text="").select_related("evaluation")


def owner_choices_for(team_id: int | None) -> list[tuple[str, list[tuple[int, str]]]]:
    """The accounts a recommendation can be given to, grouped for a drop-down: the team's
    managers and people first, then everyone else; active accounts only. One query."""
    people = list(
        User.objects.filter(is_active=True).only("pk", "first_name", "last_name", "username", "role", "team_id")
    )
    team = [person for person in people if team_id is not None and person.team_id == team_id]
    team.sort(key=lambda person: (person.role != Role.TEAM_MANAGER, str(person).lower()))
    others = sorted(
        (person for person in people if team_id is None or person.team_id != team_id),
        key=lambda person: str(person).lower(),
    )
    groups = []
    if team:
        groups.append(("This team", [(person.pk, _person_label(person)) for person in team]))
    groups.append(("Everyone else" if team else "People", [(person.pk, _person_label(person)) for person in others]))
    return groups


def _person_label(person) -> str:
    role = "team manager" if person.role == Role.TEAM_MANAGER else ""
    return f"{person} ({role})" if role else str(person)
