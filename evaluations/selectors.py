"""Every read of evaluations that a view, report or export needs, already scoped to the user.

The PQA reporting layer reads this app only through this module."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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
    can_read_all_evaluations,
    can_see_all_safeguarding_concerns,
    can_see_team_safeguarding_concerns,
    is_team_manager,
)
from pqa.models import Role, ServiceArea, User
from pqa.quarters import Quarter

Status = Evaluation.Status


class DistributionError(ValueError):
    """A request for a distribution that cannot be answered (bad quarter, unknown service area)."""


# The people who do evaluations (domain: senior practitioners, managers and QA staff):
# evaluators, team managers, moderators and the Practice Hub. Leaders, customer relations and
# administrators read or run PQA but are never given an evaluation.
EVALUATING_ROLES = frozenset({Role.EVALUATOR, Role.TEAM_MANAGER, Role.MODERATOR, Role.PRACTICE_HUB})


def people_who_evaluate() -> QuerySet[User]:
    """Who may be given an evaluation: active accounts whose role evaluates. Every form that
    offers an evaluator offers these, and the allocation services refuse anyone else."""
    return User.objects.filter(is_active=True, role__in=EVALUATING_ROLES).order_by(
        "last_name", "first_name", "username"
    )


def final_grade_is(grade: str) -> Q:
    """Evaluations whose grade that stands is `grade`: the moderated grade where there is one,
    else the evaluator's (as Evaluation.final_grade says for one evaluation)."""
    return Q(moderation__moderated_grade=grade) | Q(moderation__isnull=True, overall_grade=grade)


def evaluates(user) -> bool:
    """The same rule for one person (the services check it before allocating or reassigning)."""
    return bool(user.is_active and user.role in EVALUATING_ROLES)


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


def evaluation_get_for_user(*, user, pk: int, children: bool = True) -> Evaluation:
    """One evaluation with everything its page shows; another user's is a 404, not a 403.
    `children=False` leaves out its pillar grades, feedback and recommendations, for a posted
    form that brings them all and hands them to a service, which reads the saved ones itself
    under the row lock."""
    queryset = evaluations_visible_to(user)
    if children:
        queryset = queryset.prefetch_related(
            Prefetch("pillar_grades", queryset=PillarGrade.objects.order_by("pk")),
            "feedback_gathered",
            "recommendations",
        )
    try:
        return queryset.get(pk=pk)
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
        .select_related("cycle", "team__service_area", "moderation")
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


RETURN_RATE_DEFINITION = (
    "The return rate is the share of allocated evaluations that have been returned: returned ÷ allocated."
)


@dataclass(frozen=True)
class Returns:
    """How many allocated evaluations came back: the one definition of the return rate,
    returned ÷ allocated, used by the cycles pages, the distribution page and its JSON.

    While a cycle is open its figures are provisional (`in_progress`): evaluations still out
    (allocated or being written) are allocated but not yet returned. Once it closes they are
    marked not returned, so allocated = returned + not returned, as the JSON contract
    (evaluations-csv.md) counts them; the JSON leaves out what is still out."""

    returned: int
    not_returned: int
    still_out: int = 0
    in_progress: bool = False

    @property
    def allocated(self) -> int:
        return self.returned + self.not_returned + self.still_out

    @property
    def rate(self) -> float | None:
        return round(self.returned / self.allocated, 4) if self.allocated else None

    @property
    def rate_display(self) -> str:
        return "–" if self.rate is None else f"{self.rate:.0%}"


def cycle_returns(cycle: Cycle) -> Returns:
    """A cycle's returns from the counts of cycles_with_progress()."""
    return Returns(
        returned=cycle.returned,
        not_returned=cycle.not_returned,
        still_out=cycle.not_started + cycle.in_progress,
        in_progress=cycle.is_open,
    )


def _zeroes(choices) -> dict[str, int]:
    return dict.fromkeys(choices.values, 0)


def grade_distribution(*, quarter: str, service_area: str | None = None, type: str | None = None) -> dict:
    """The quarter's distribution as in docs/contracts/evaluations-csv.md: counted by the
    database in two queries (evaluations, pillar grades), whatever the number of rows."""
    return _distribution(quarter=quarter, service_area=service_area, type=type)[0]


def grade_distribution_with_returns(
    *, quarter: str, service_area: str | None = None, type: str | None = None
) -> tuple[dict, Returns]:
    """The distribution (the contract's JSON object) and, for people, the quarter's returns
    counting what is still out, marked in progress while a cycle in scope is open."""
    data, still_out = _distribution(quarter=quarter, service_area=service_area, type=type)
    open_cycles = Cycle.objects.filter(quarter=data["quarter"], status=Cycle.Status.OPEN)
    if data["type"]:
        open_cycles = open_cycles.filter(type=data["type"])
    returns = Returns(
        returned=data["completed"],
        not_returned=data["allocated"] - data["completed"],
        still_out=still_out,
        in_progress=open_cycles.exists(),
    )
    return data, returns


def _distribution(*, quarter: str, service_area: str | None, type: str | None) -> tuple[dict, int]:
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
        "still_out": Count("pk", filter=Q(status__in=Evaluation.EDITABLE_STATUSES)),
        "moderated": Count("pk", filter=moderated),
    }
    for grade in Grade.values:
        aggregates[f"evaluator__{grade}"] = Count("pk", filter=completed & Q(overall_grade=grade))
        aggregates[f"final__{grade}"] = Count(
            "pk",
            filter=completed & final_grade_is(grade),
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

    # The contract counts only what is settled: allocated = returned + not returned.
    settled = Returns(returned=counts["completed"], not_returned=counts["not_returned"])
    data = {
        "quarter": str(period),
        "service_area": service_area,
        "type": type,
        "allocated": settled.allocated,
        "completed": counts["completed"],
        "return_rate": settled.rate,
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
    return data, counts["still_out"]


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
            status=Recommendation.Status.OPEN,
        )
        .select_related("evaluation")
        .annotate(overdue_rank=overdue_first)
        .order_by("overdue_rank", F("due_date").asc(nulls_last=True), "pk")
    )


def evaluation_given_away_from(*, user, pk: int) -> Evaluation | None:
    """The evaluation `pk` if it was once allocated to `user` (its history says so) and has since
    been given to another evaluator; else None. Only its id and version are read: the former
    evaluator may no longer read the evaluation, only keep what they were typing into it."""
    if not Evaluation.history.filter(id=pk, evaluator_id=user.pk).exists():
        return None
    return Evaluation.objects.exclude(evaluator_id=user.pk).only("pk", "version").filter(pk=pk).first()
