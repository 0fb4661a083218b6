"""Every read of evaluations that a view, report or export needs, already scoped to the user.

The PQA reporting layer reads this app only through this module."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.http import Http404
from django.utils import timezone

from evaluations.models import (
    GRADE_RANK,
    PILLAR_PROMPTS,
    Answer,
    Cycle,
    CycleType,
    Evaluation,
    FathersIncluded,
    Grade,
    HeadlineQuestion,
    ModeratedPillarGrade,
    Moderation,
    ModerationPanel,
    Pillar,
    PillarGrade,
    Recommendation,
    RevisitFinding,
)
from evaluations.permissions import (
    REGISTER_ROLES,
    can_change_confirmed_moderation,
    can_moderate,
    can_read_all_evaluations,
    can_see_all_safeguarding_concerns,
    can_see_team_safeguarding_concerns,
    is_team_manager,
)
from pqa.case_ids import child_key
from pqa.feed.columns import Column, code, code_field, day, field, yes_no
from pqa.models import Role, ServiceArea, User
from pqa.permissions import has_role
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
    """Evaluations whose grade that stands is `grade`: the confirmed moderated grade where there
    is one, else the evaluator's (as Evaluation.final_grade says for one evaluation)."""
    # Only a confirmed moderation stands: a sampled or blind-graded one is not yet a judgement.
    confirmed = Q(moderation__state=Moderation.State.CONFIRMED)
    not_confirmed = Q(moderation__isnull=True) | ~confirmed
    return (confirmed & Q(moderation__moderated_grade=grade)) | (not_confirmed & Q(overall_grade=grade))


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
            Prefetch("recommendations", queryset=Recommendation.objects.select_related("owner")),
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


def agreement_rate(*, agreed: int, moderated: int) -> float | None:
    """The share of moderated grades the moderator agreed with, to 4 places; None when none."""
    return round(agreed / moderated, 4) if moderated else None


def _by_pillar(rows) -> dict[str, dict]:
    """(pillar, outcome, count) rows as the moderation's figures per pillar."""
    result = {
        pillar: {"moderated": 0, **dict.fromkeys(Moderation.Outcome.values, 0), "agreement_rate": None}
        for pillar in Pillar.values
    }
    for pillar, outcome, count in rows:
        if pillar in result and outcome in Moderation.Outcome.values:
            result[pillar][outcome] += count
            result[pillar]["moderated"] += count
    for figures in result.values():
        figures["agreement_rate"] = agreement_rate(agreed=figures["agreed"], moderated=figures["moderated"])
    return result


# What decides an evaluation's place in every count: the counts are grouped by these columns
# (a few dozen combinations) and summed here, rather than the database testing some thirty
# conditions on every row. The grade that stands is worked out per group, by the rule of
# Evaluation.final_grade and final_grade_is.
_GROUPED = ("status", "overall_grade", "moderation__state", "moderation__moderated_grade", "moderation__outcome")


def _empty_counts(questions: dict[str, tuple[str, ...]]) -> dict:
    return {
        "completed": 0,
        "not_returned": 0,
        "still_out": 0,
        "moderated": 0,
        "safeguarding": 0,
        "evaluator": _zeroes(Grade),
        "final": _zeroes(Grade),
        "moderation": _zeroes(Moderation.Outcome),
        **{question: dict.fromkeys(answers, 0) for question, answers in questions.items()},
    }


def _evaluation_counts(
    evaluations: QuerySet[Evaluation],
    *,
    by: str | None,
    questions: dict[str, tuple[str, ...]],
    safeguarding: bool = False,
) -> dict:
    """One query: per value of `by` (or for all, under None), how many evaluations were
    returned, not returned and still out; of the returned ones, the evaluator's and the final
    grades, the confirmed moderations and their outcomes, and the answers to `questions`
    ({field: answers}); with `safeguarding`, how many raised an immediate concern."""
    counts = {"n": Count("pk")}
    for question, answers in questions.items():
        for answer in answers:
            counts[f"{question}__{answer}"] = Count("pk", filter=Q(**{question: answer}))
    if safeguarding:
        counts["safeguarding"] = Count("pk", filter=Q(safeguarding_concern=True))
    columns = (by, *_GROUPED) if by else _GROUPED
    result: dict = {}
    confirmed = Moderation.State.CONFIRMED
    for row in evaluations.values(*columns).annotate(**counts).order_by():
        figures = result.get(row[by] if by else None)
        if figures is None:
            figures = result[row[by] if by else None] = _empty_counts(questions)
        n = row["n"]
        figures["safeguarding"] += row.get("safeguarding", 0)
        status = row["status"]
        if status == Status.NOT_RETURNED:
            figures["not_returned"] += n
        elif status in Evaluation.EDITABLE_STATUSES:
            figures["still_out"] += n
        if status != Status.RETURNED:
            continue
        figures["completed"] += n
        grade = row["overall_grade"]
        if grade in figures["evaluator"]:
            figures["evaluator"][grade] += n
        is_confirmed = row["moderation__state"] == confirmed
        final = row["moderation__moderated_grade"] if is_confirmed else grade
        if final in figures["final"]:
            figures["final"][final] += n
        if is_confirmed:
            figures["moderated"] += n
            if row["moderation__outcome"] in figures["moderation"]:
                figures["moderation"][row["moderation__outcome"]] += n
        for question, answers in questions.items():
            for answer in answers:
                figures[question][answer] += row[f"{question}__{answer}"]
    return result


def _prefixed(lookups: dict, prefix: str) -> dict:
    return {f"{prefix}{lookup}": value for lookup, value in lookups.items()}


def _pillar_rows(lookups: dict, *, by: str | None = None, moderated: bool = True):
    """One query: the returned evaluations' pillar grades ("pillar", [by,] pillar, grade, n)
    and their confirmed moderations' pillar outcomes ("moderated", [by,] pillar, outcome, n).
    `lookups` select the evaluations (e.g. {"cycle__quarter": ...}); `by` is an evaluation
    field to group by. Each joins straight from the grades to the evaluation and its cycle.
    Without `moderated`, the pillar grades alone."""
    key = (f"evaluation__{by}",) if by else ()
    pillars = (
        PillarGrade.objects.filter(**_prefixed(lookups, "evaluation__"), evaluation__status=Status.RETURNED)
        .annotate(kind=Value("pillar"))
        .values_list("kind", *key, "pillar", "grade")
        .annotate(n=Count("pk"))
        .order_by()
    )
    if not moderated:
        return pillars
    key = (f"moderation__evaluation__{by}",) if by else ()
    moderated_pillars = (
        ModeratedPillarGrade.objects.filter(
            **_prefixed(lookups, "moderation__evaluation__"),
            moderation__evaluation__status=Status.RETURNED,
            moderation__state=Moderation.State.CONFIRMED,
        )
        .annotate(kind=Value("moderated"))
        .values_list("kind", *key, "pillar", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return pillars.union(moderated_pillars, all=True)


def grade_distribution(*, quarter: str, service_area: str | None = None, type: str | None = None) -> dict:
    """The quarter's distribution as in docs/contracts/evaluations-csv.md: counted by the
    database in two queries (evaluations; pillar grades with moderated pillars), whatever the
    number of rows."""
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

    lookups: dict = {"cycle__quarter": str(period)}
    if type:
        lookups["cycle__type"] = type
    if service_area is not None:
        area = ServiceArea.objects.filter(name__iexact=service_area).first()
        if area is None:
            raise DistributionError(f"'{service_area}' is not a service area")
        lookups["team__service_area"] = area
        service_area = area.name

    # Two queries: the evaluations' counts, then their pillar grades and moderated pillars.
    questions = {question: tuple(Answer.values) for question in HeadlineQuestion.values}
    found = _evaluation_counts(Evaluation.objects.filter(**lookups), by=None, questions=questions)
    counts = found.get(None) or _empty_counts(questions)
    pillars = {pillar: _zeroes(Grade) for pillar in Pillar.values}
    moderated_pillars = []
    for kind, pillar, value, n in _pillar_rows(lookups):
        if kind == "moderated":
            moderated_pillars.append((pillar, value, n))
        elif pillar in pillars and value in pillars[pillar]:
            pillars[pillar][value] += n
    by_pillar = _by_pillar(moderated_pillars)

    # The contract counts only what is settled: allocated = returned + not returned.
    settled = Returns(returned=counts["completed"], not_returned=counts["not_returned"])
    data = {
        "quarter": str(period),
        "service_area": service_area,
        "type": type,
        "allocated": settled.allocated,
        "completed": counts["completed"],
        "return_rate": settled.rate,
        "overall": {"evaluator": counts["evaluator"], "final": counts["final"]},
        "pillars": pillars,
        "moderation": {
            "moderated": counts["moderated"],
            **counts["moderation"],
            # Optional keys of the contract (docs/contracts/evaluations-csv.md).
            "agreement_rate": agreement_rate(agreed=counts["moderation"]["agreed"], moderated=counts["moderated"]),
            "by_pillar": by_pillar,
        },
        **{question: counts[question] for question in HeadlineQuestion.values},
    }
    return data, counts["still_out"]


def quarters_with_evaluations() -> list[str]:
    return list(Cycle.objects.order_by("-quarter").values_list("quarter", flat=True).distinct())


def quarters_with_open_cycles() -> set[str]:
    """Quarters whose figures are still moving: a cycle is open, so work in progress is not
    yet counted as allocated (allocated = returned + not returned)."""
    return set(Cycle.objects.filter(status=Cycle.Status.OPEN).values_list("quarter", flat=True))


def overdue(evaluation: Evaluation, today: dt.date | None = None) -> bool:
    if not evaluation.is_editable or evaluation.due_date is None:
        return False
    return evaluation.due_date < (today or timezone.localdate())


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


# --- Revisits (docs/revisits.md) -----------------------------------------------------------

# The rounds whose children a revisit cycle goes back to.
REVISITED_TYPES = (CycleType.TRUST_WIDE, CycleType.SERVICE)


def revisit_original(evaluation: Evaluation) -> Evaluation | None:
    """The evaluation a revisit goes back to, with its grades and recommendations, for the
    panel beside the revisit's form. Whoever may read the revisit may read this part of it."""
    if not evaluation.revisit_of_id:
        return None
    return (
        Evaluation.objects.select_related("cycle", "team__service_area", "moderation")
        .prefetch_related(
            Prefetch("pillar_grades", queryset=PillarGrade.objects.order_by("pk")),
            Prefetch("recommendations", queryset=Recommendation.objects.order_by("pk")),
        )
        .get(pk=evaluation.revisit_of_id)
    )


def revisit_findings(evaluation: Evaluation) -> list[RevisitFinding]:
    """A revisit's findings, in the order of the recommendations they are about."""
    return list(evaluation.findings.select_related("recommendation").order_by("recommendation_id"))


@dataclass(frozen=True)
class RevisitCandidate:
    evaluation: Evaluation
    reasons: tuple[str, ...]

    @property
    def always(self) -> bool:
        return bool(self.reasons)


@dataclass(frozen=True)
class RevisitProposal:
    """The children a revisit cycle proposes to revisit: `always` (graded Inadequate, or with
    a recommendation overdue), and `drawn`, the cycle's share of the `others`."""

    cycle: Cycle
    previous_quarter: str | None
    always: list[RevisitCandidate]
    drawn: list[RevisitCandidate]
    others: int

    @property
    def candidates(self) -> list[RevisitCandidate]:
        return [*self.always, *self.drawn]


def revisit_previous_quarter(cycle: Cycle) -> str | None:
    """The quarter a revisit cycle goes back to: the latest before its own that held a
    trust-wide or service round."""
    return (
        Cycle.objects.filter(type__in=REVISITED_TYPES, quarter__lt=cycle.quarter)
        .order_by("-quarter")
        .values_list("quarter", flat=True)
        .first()
    )


def revisit_proposal(cycle: Cycle, today: dt.date | None = None) -> RevisitProposal:
    """Who this revisit cycle should revisit, from the children whose evaluation was returned
    in the previous quarter's trust-wide and service rounds: always those graded Inadequate
    (the final grade, after moderation) or with a recommendation still open or in progress past its due
    date; and of the others, the cycle's `revisit_share` (rounded up), drawn at random. The
    draw is seeded by the cycle, so the proposal is the same each time the page is opened.
    A child already in this cycle is not proposed again."""
    today = today or timezone.localdate()
    quarter = revisit_previous_quarter(cycle)
    if quarter is None:
        return RevisitProposal(cycle=cycle, previous_quarter=None, always=[], drawn=[], others=0)
    taken = {child_key(ref) for ref in cycle.evaluations.values_list("child_ref", flat=True)}
    overdue = Q(recommendations__due_date__lt=today, recommendations__status__in=Recommendation.ACTIVE_STATUSES)
    evaluations = (
        Evaluation.objects.filter(cycle__quarter=quarter, cycle__type__in=REVISITED_TYPES, status=Status.RETURNED)
        .select_related("cycle", "team__service_area", "evaluator", "moderation")
        .annotate(
            recommendation_count=Count("recommendations"),
            overdue_recommendations=Count("recommendations", filter=overdue),
        )
        .order_by("pk")
    )
    by_child: dict[str, list[RevisitCandidate]] = {}
    for evaluation in evaluations:
        key = child_key(evaluation.child_ref)
        if key in taken:
            continue
        reasons = []
        if evaluation.final_grade == Grade.INADEQUATE:
            reasons.append("Graded inadequate")
        if evaluation.overdue_recommendations:
            noun = "recommendation" if evaluation.overdue_recommendations == 1 else "recommendations"
            reasons.append(f"{evaluation.overdue_recommendations} {noun} overdue")
        by_child.setdefault(key, []).append(RevisitCandidate(evaluation, tuple(reasons)))
    # A child evaluated twice in the quarter (trust-wide and service rounds) is revisited once:
    # from the evaluation that makes the revisit a must, else the latest.
    chosen = [max(items, key=lambda item: (item.always, item.evaluation.pk)) for items in by_child.values()]
    always = [item for item in chosen if item.always]
    others = [item for item in chosen if not item.always]
    wanted = math.ceil(len(others) * cycle.revisit_share / 100)
    # A fixed seed per cycle: not a secret, only a stable draw.
    drawn = random.Random(f"revisits-{cycle.pk}").sample(others, min(wanted, len(others)))  # nosec B311 - a stable draw, not a secret
    return RevisitProposal(
        cycle=cycle,
        previous_quarter=quarter,
        always=sorted(always, key=lambda item: item.evaluation.reference),
        drawn=sorted(drawn, key=lambda item: item.evaluation.reference),
        others=len(others),
    )


MOVEMENTS = ("improved", "same", "declined")


def _movement(now: str, before: str | None) -> str | None:
    """How a grade moved from `before` to `now` (improved = a better grade now); None when
    either is not a grade."""
    if now not in GRADE_RANK or before not in GRADE_RANK:
        return None
    return MOVEMENTS[(GRADE_RANK[now] > GRADE_RANK[before]) - (GRADE_RANK[now] < GRADE_RANK[before]) + 1]


def revisit_figures(*, cycle: Cycle | None = None, quarter: str | None = None) -> dict:
    """A cycle's or a quarter's revisits, counted by the database in three queries whatever
    the number of rows: revisits allocated and done (returned) with the movement of the
    overall grade; the movement of each pillar's grade; and what was found of the
    recommendations checked. Movement compares the evaluator's grades of the revisit and of
    the evaluation it revisits (improved = a better grade now)."""
    if (cycle is None) == (quarter is None):
        raise ValueError("Give a cycle or a quarter.")
    if cycle is not None:
        scope = Q(cycle=cycle)
    else:
        try:
            quarter = str(Quarter.parse(quarter))
        except ValueError as error:
            raise DistributionError(str(error)) from error
        scope = Q(cycle__quarter=quarter)
    revisits = Evaluation.objects.filter(scope, revisit_of__isnull=False)
    returned = Q(status=Status.RETURNED)

    # Grouped by the grades compared (a few dozen pairs); the movement of each pair worked out here.
    counts = {"allocated": 0, "done": 0, **dict.fromkeys(MOVEMENTS, 0)}
    for status, now, before, n in (
        revisits.values_list("status", "overall_grade", "revisit_of__overall_grade").annotate(n=Count("pk")).order_by()
    ):
        counts["allocated"] += n
        if status == Status.RETURNED:
            counts["done"] += n
            movement = _movement(now, before)
            if movement:
                counts[movement] += n

    before = (
        PillarGrade.objects.filter(evaluation_id=OuterRef("evaluation__revisit_of_id"), pillar=OuterRef("pillar"))
        .order_by()
        .values("grade")[:1]
    )
    pillars = {pillar: dict.fromkeys(MOVEMENTS, 0) for pillar in Pillar.values}
    for pillar, now, grade_before, n in (
        PillarGrade.objects.filter(evaluation__in=revisits.filter(returned).values("pk"))
        .annotate(grade_before=Subquery(before))
        .values_list("pillar", "grade", "grade_before")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        movement = _movement(now, grade_before)
        if pillar in pillars and movement:
            pillars[pillar][movement] += n

    finding_counts = {"checked": Count("pk")}
    for answer in Answer.values:
        finding_counts[f"done__{answer}"] = Count("pk", filter=Q(done=answer))
        finding_counts[f"difference__{answer}"] = Count("pk", filter=Q(made_difference=answer))
    found = RevisitFinding.objects.filter(revisit__in=revisits.filter(returned).values("pk")).aggregate(
        **finding_counts
    )

    return {
        "cycle": cycle.pk if cycle is not None else None,
        "quarter": quarter if cycle is None else cycle.quarter,
        "allocated": counts["allocated"],
        "done": counts["done"],
        "recommendations": {
            "checked": found["checked"],
            "found_done": found["done__yes"],
            "found_partly_done": found["done__partly"],
            "found_not_done": found["done__no"],
            "made_difference": {answer: found[f"difference__{answer}"] for answer in Answer.values},
        },
        "overall": {movement: counts[movement] for movement in MOVEMENTS},
        "pillars": pillars,
    }


def quarters_with_revisits() -> list[str]:
    return list(
        Cycle.objects.filter(type=CycleType.REVISIT).order_by("-quarter").values_list("quarter", flat=True).distinct()
    )


# --- Moderation: the sample, the moderator's queue, blind grading, consistency ----------------


class StillBlind(Exception):
    """The moderator has not recorded their own grades yet, so the evaluator's stay hidden."""


def moderation_queue(user) -> QuerySet[Moderation]:
    """A moderator's queue (the Practice Hub's too): sampled evaluations to grade blind, never
    their own, and those they graded blind and have still to confirm (these first)."""
    if not can_moderate(user):
        return Moderation.objects.none()
    to_confirm_first = Case(
        When(state=Moderation.State.GRADED_BLIND, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        Moderation.objects.filter(
            (Q(state=Moderation.State.SAMPLED) & ~Q(evaluation__evaluator=user))
            | Q(state=Moderation.State.GRADED_BLIND, moderator=user)
        )
        .select_related("evaluation__cycle", "evaluation__team__service_area", "panel")
        .order_by(to_confirm_first, F("panel__held_on").asc(nulls_last=True), "-evaluation__cycle__quarter", "pk")
    )


def moderations_confirmed_by(user, limit: int = 10) -> QuerySet[Moderation]:
    return (
        Moderation.objects.filter(moderator=user, state=Moderation.State.CONFIRMED)
        .select_related("evaluation__cycle", "evaluation__team")
        .order_by(F("confirmed_at").desc(nulls_last=True), "-pk")[:limit]
    )


def moderation_get_for_user(*, user, pk: int) -> Moderation:
    """One moderation for its pages: for the Practice Hub any; for a moderator one in their
    queue or one they graded. Anyone else, or their own evaluation, is a 404."""
    queryset = Moderation.objects.select_related(
        "evaluation__cycle", "evaluation__team__service_area", "evaluation__evaluator", "moderator", "panel"
    )
    if not (can_change_confirmed_moderation(user) or can_moderate(user)):
        raise Http404("No moderation found")
    if not can_change_confirmed_moderation(user):
        queryset = queryset.filter(Q(pk__in=moderation_queue(user).values("pk")) | Q(moderator=user))
    try:
        moderation = queryset.get(pk=pk)
    except Moderation.DoesNotExist as error:
        raise Http404("No moderation found") from error
    if moderation.evaluation.evaluator_id == user.pk:
        raise Http404("No moderation found")
    return moderation


@dataclass(frozen=True)
class BlindPillar:
    pillar: str
    label: str
    prompt: str
    tell_me: str
    show_me: str


@dataclass(frozen=True)
class BlindCase:
    """What a moderator reads to grade blind: the evidence, never the evaluator's grades."""

    moderation_id: int
    version: int
    reference: str
    child_ref: str
    cycle: str
    team: str
    service_area: str
    practitioner: str
    evaluation_date: dt.date | None
    strengths: str
    areas_for_development: str
    panel: str
    pillars: tuple[BlindPillar, ...]


def moderation_to_grade(*, user, pk: int) -> Moderation:
    """A sampled moderation in the user's queue, still to grade blind; a 404 otherwise. Nothing
    of the evaluation is joined: its grades are not even read."""
    try:
        return (
            moderation_queue(user)
            .select_related(None)
            .select_related("panel")
            .get(pk=pk, state=Moderation.State.SAMPLED)
        )
    except Moderation.DoesNotExist as error:
        raise Http404("No moderation to grade") from error


def moderation_blind_case(*, user, pk: int) -> BlindCase:
    """The evaluation as a moderator grades it blind: a sampled moderation in their queue, read
    field by field so that neither the overall grade nor a pillar grade leaves the database."""
    moderation = moderation_to_grade(user=user, pk=pk)
    evaluation = moderation.evaluation_id
    row = Evaluation.objects.filter(pk=evaluation).values(
        "cycle__quarter",
        "cycle__type",
        "cycle__title",
        "reference",
        "child_ref",
        "practitioner",
        "evaluation_date",
        "strengths",
        "areas_for_development",
        "team__name",
        "team__service_area__name",
    )[0]
    narratives = {
        item["pillar"]: item
        for item in PillarGrade.objects.filter(evaluation_id=evaluation).values("pillar", "tell_me", "show_me")
    }
    return BlindCase(
        moderation_id=moderation.pk,
        version=moderation.version,
        reference=row["reference"],
        child_ref=row["child_ref"],
        cycle=_cycle_label(row),
        team=row["team__name"],
        service_area=row["team__service_area__name"],
        practitioner=row["practitioner"],
        evaluation_date=row["evaluation_date"],
        strengths=row["strengths"],
        areas_for_development=row["areas_for_development"],
        panel=str(moderation.panel) if moderation.panel else "",
        pillars=tuple(
            BlindPillar(
                pillar=pillar.value,
                label=pillar.label,
                prompt=PILLAR_PROMPTS[pillar],
                tell_me=narratives.get(pillar.value, {}).get("tell_me", ""),
                show_me=narratives.get(pillar.value, {}).get("show_me", ""),
            )
            for pillar in Pillar
        ),
    )


@dataclass(frozen=True)
class RevealRow:
    label: str
    evaluator_grade: str
    moderated_grade: str
    outcome: str


def moderation_reveal(*, user, pk: int) -> tuple[Moderation, list[RevealRow]]:
    """The evaluator's grades beside the moderator's, per pillar and overall: only once the
    moderation has been graded blind (StillBlind before)."""
    moderation = moderation_get_for_user(user=user, pk=pk)
    if moderation.state == Moderation.State.SAMPLED:
        raise StillBlind(f"Record your own grades for {moderation.evaluation.reference} first.")
    theirs = dict(PillarGrade.objects.filter(evaluation_id=moderation.evaluation_id).values_list("pillar", "grade"))
    ours = {item.pillar: item for item in moderation.pillar_grades.all()}
    rows = [
        RevealRow(
            label=pillar.label,
            evaluator_grade=theirs.get(pillar.value, ""),
            moderated_grade=ours[pillar.value].grade if pillar.value in ours else "",
            outcome=ours[pillar.value].outcome if pillar.value in ours else "",
        )
        for pillar in Pillar
    ]
    rows.append(
        RevealRow(
            label="Overall grade",
            evaluator_grade=moderation.evaluation.overall_grade,
            moderated_grade=moderation.moderated_grade,
            outcome=moderation.outcome,
        )
    )
    return moderation, rows


def moderation_rounds(moderation: Moderation):
    return moderation.rounds.select_related("moderator", "replaced_by").order_by("number")


def moderation_sample(cycle: Cycle) -> QuerySet[Moderation]:
    """A cycle's moderation sample, for the Practice Hub."""
    return (
        Moderation.objects.filter(evaluation__cycle=cycle)
        .select_related("evaluation__team__service_area", "evaluation__evaluator", "moderator", "panel")
        .order_by("evaluation__reference")
    )


def moderation_sample_counts(cycle: Cycle) -> dict[str, int]:
    """Returned evaluations in the cycle, and how many of them are in the sample, by state. One query."""
    returned = Q(status=Status.RETURNED)
    return Evaluation.objects.filter(cycle=cycle).aggregate(
        returned=Count("pk", filter=returned),
        in_sample=Count("pk", filter=returned & Q(moderation__isnull=False)),
        **{
            f"state_{state}": Count("pk", filter=returned & Q(moderation__state=state))
            for state in Moderation.State.values
        },
    )


def moderation_panels(cycle: Cycle) -> QuerySet[ModerationPanel]:
    return (
        ModerationPanel.objects.filter(cycle=cycle)
        .prefetch_related("members")
        .annotate(moderation_count=Count("moderations"))
        .order_by("-held_on", "pk")
    )


# Who needs a refresher: agreement below this share, with at least this many grades moderated
# (fewer would be noise). One place; the page says both numbers.
REFRESHER_AGREEMENT_BELOW = 0.7
REFRESHER_MIN_MODERATED = 3


def needs_refresher(*, moderated: int, agreed: int) -> bool:
    return moderated >= REFRESHER_MIN_MODERATED and agreed / moderated < REFRESHER_AGREEMENT_BELOW


@dataclass
class ConsistencyRow:
    key: object
    label: str
    returned: int
    moderated: int
    agreed: int
    upgraded: int
    downgraded: int
    pillars: dict[str, float | None]

    @property
    def share_moderated(self) -> float | None:
        return round(self.moderated / self.returned, 4) if self.returned else None

    @property
    def agreement_rate(self) -> float | None:
        return agreement_rate(agreed=self.agreed, moderated=self.moderated)

    @property
    def pillar_rates(self) -> list[float | None]:
        """Agreement per pillar, in the order of Pillar."""
        return [self.pillars.get(pillar) for pillar in Pillar.values]

    @property
    def needs_refresher(self) -> bool:
        return needs_refresher(moderated=self.moderated, agreed=self.agreed)


def _cycle_label(row) -> str:
    label = f"{row['cycle__quarter']} {CycleType(row['cycle__type']).label}"
    return f"{label}: {row['cycle__title']}" if row["cycle__title"] else label


def _evaluator_label(row) -> str:
    name = f"{row['evaluator__first_name']} {row['evaluator__last_name']}".strip()
    return name or row["evaluator__username"]


CONSISTENCY_GROUPS = {
    "cycles": ("cycle_id", ("cycle__quarter", "cycle__type", "cycle__title"), _cycle_label),
    "evaluators": (
        "evaluator_id",
        ("evaluator__first_name", "evaluator__last_name", "evaluator__username"),
        _evaluator_label,
    ),
    "service_areas": (
        "team__service_area_id",
        ("team__service_area__name",),
        lambda row: row["team__service_area__name"],
    ),
}


def moderation_consistency(*, cycle: Cycle | None = None) -> dict[str, list[ConsistencyRow]]:
    """How far moderators agree with evaluators, per cycle, per evaluator and per service area
    (of one cycle, or all): share moderated, agreement overall and per pillar, and the
    direction of the changes. Confirmed moderations only. Two queries a grouping, six in all,
    whatever the number of evaluations."""
    returned = Evaluation.objects.filter(status=Status.RETURNED)
    if cycle is not None:
        returned = returned.filter(cycle=cycle)
    confirmed = Q(moderation__state=Moderation.State.CONFIRMED)
    result: dict[str, list[ConsistencyRow]] = {}
    for name, (key, fields, label) in CONSISTENCY_GROUPS.items():
        rows = (
            returned.values(key, *fields)
            .annotate(
                returned=Count("pk"),
                moderated=Count("pk", filter=confirmed),
                **{
                    outcome: Count("pk", filter=confirmed & Q(moderation__outcome=outcome))
                    for outcome in Moderation.Outcome.values
                },
            )
            .order_by()
        )
        pillar_rows = (
            ModeratedPillarGrade.objects.filter(
                moderation__state=Moderation.State.CONFIRMED,
                moderation__evaluation__in=returned.values("pk"),
                outcome__in=Moderation.Outcome.values,
            )
            .values(f"moderation__evaluation__{key}", "pillar")
            .annotate(total=Count("pk"), agreed=Count("pk", filter=Q(outcome=Moderation.Outcome.AGREED)))
            .order_by()
        )
        pillars: dict[object, dict[str, float | None]] = {}
        for row in pillar_rows:
            pillars.setdefault(row[f"moderation__evaluation__{key}"], {})[row["pillar"]] = agreement_rate(
                agreed=row["agreed"], moderated=row["total"]
            )
        result[name] = sorted(
            (
                ConsistencyRow(
                    key=row[key],
                    label=label(row),
                    returned=row["returned"],
                    moderated=row["moderated"],
                    agreed=row[Moderation.Outcome.AGREED],
                    upgraded=row[Moderation.Outcome.UPGRADED],
                    downgraded=row[Moderation.Outcome.DOWNGRADED],
                    pillars={pillar: pillars.get(row[key], {}).get(pillar) for pillar in Pillar.values},
                )
                for row in rows
            ),
            key=lambda item: item.label,
            reverse=name == "cycles",
        )
    return result


def evaluators_needing_a_refresher(consistency: dict[str, list[ConsistencyRow]]) -> list[ConsistencyRow]:
    return [row for row in consistency["evaluators"] if row.needs_refresher]


def cycles_for_consistency() -> QuerySet[Cycle]:
    return Cycle.objects.order_by("-quarter", "type", "title")


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


def evaluation_given_away_from(*, user, pk: int) -> Evaluation | None:
    """The evaluation `pk` if it was once allocated to `user` (its history says so) and has since
    been given to another evaluator; else None. Only its id and version are read: the former
    evaluator may no longer read the evaluation, only keep what they were typing into it."""
    if not Evaluation.history.filter(id=pk, evaluator_id=user.pk).exists():
        return None
    return Evaluation.objects.exclude(evaluator_id=user.pk).only("pk", "version").filter(pk=pk).first()


# The questions the practice evaluation asks each respondent, for the feedback figures.
EVALUATION_FEEDBACK_QUESTIONS = (
    ("understood_why", "Understood why we are involved"),
    ("involved_in_decisions", "Involved in decisions"),
    ("needs_understood", "Practitioner understands their needs"),
)


def evaluation_feedback_figures(*, quarter: Quarter, service_area: ServiceArea | None = None) -> dict:
    """What children, parents and carers, and partner professionals said in the returned
    evaluations of a quarter (by the cycle's quarter), per respondent: how many were spoken
    to, and each question's answers. One aggregate query."""
    from evaluations.models import EvaluationFeedback, Respondent

    scope = Q(evaluation__cycle__quarter=str(quarter), evaluation__status=Evaluation.Status.RETURNED)
    if service_area is not None:
        scope &= Q(evaluation__team__service_area=service_area)
    aggregates = {}
    for respondent in Respondent.values:
        mine = Q(respondent=respondent)
        aggregates[f"{respondent}__spoken"] = Count("pk", filter=mine & Q(spoken_to=True))
        for question, _ in EVALUATION_FEEDBACK_QUESTIONS:
            for answer in Answer.values:
                aggregates[f"{respondent}__{question}__{answer}"] = Count("pk", filter=mine & Q(**{question: answer}))
    counts = EvaluationFeedback.objects.filter(scope).aggregate(**aggregates)
    return {
        respondent: {
            "label": label,
            "spoken_to": counts[f"{respondent}__spoken"],
            "questions": [
                {
                    "label": question_label,
                    **{answer: counts[f"{respondent}__{question}__{answer}"] for answer in Answer.values},
                }
                for question, question_label in EVALUATION_FEEDBACK_QUESTIONS
            ],
        }
        for respondent, label in Respondent.choices
    }


# --- The leaders' dashboard: every figure for several quarters at once ----------------------


DASHBOARD_ANSWERS = {
    # The yes/partly/no questions the dashboard follows, beside the three headline ones.
    **dict.fromkeys(HeadlineQuestion.values, Answer),
    "edi_considered": Answer,
}


def _dashboard_scope(*, quarters: list[str], service_area: str | None, type: str | None) -> tuple[dict, str | None]:
    """The evaluation lookups every dashboard query shares, and the service area's name as stored."""
    if type is not None and type not in CycleType.values:
        raise DistributionError(f"'{type}' is not an evaluation type: use one of {', '.join(CycleType.values)}")
    lookups: dict = {"cycle__quarter__in": quarters}
    if type:
        lookups["cycle__type"] = type
    if service_area:
        area = ServiceArea.objects.filter(name__iexact=service_area).first()
        if area is None:
            raise DistributionError(f"'{service_area}' is not a service area")
        lookups["team__service_area"] = area
        service_area = area.name
    return lookups, service_area or None


def _final_grades_by(evaluations: QuerySet[Evaluation], fields: tuple[str, ...]) -> dict[str, dict]:
    """One query: the final grades of these evaluations per value of each of `fields`
    ({field: {value: {grade: n}}}), grouped by the columns that decide it. The first field's
    values come in the database's order (a name as the database sorts it), the others' sorted."""
    result: dict[str, dict] = {name: {} for name in fields}
    confirmed = Moderation.State.CONFIRMED
    columns = (*fields, "overall_grade", "moderation__state", "moderation__moderated_grade")
    for row in evaluations.values(*columns).annotate(n=Count("pk")).order_by(fields[0]):
        final = row["moderation__moderated_grade"] if row["moderation__state"] == confirmed else row["overall_grade"]
        for name in fields:
            counts = result[name].setdefault(row[name], _zeroes(Grade))
            if final in counts:
                counts[final] += row["n"]
    for name in fields[1:]:
        result[name] = dict(sorted(result[name].items(), key=lambda item: str(item[0])))
    return result


DASHBOARD_QUESTIONS = {
    **{question: tuple(choices.values) for question, choices in DASHBOARD_ANSWERS.items()},
    "fathers_included": tuple(FathersIncluded.values),
}


def dashboard_figures(
    *, quarters: list[str], quarter: str, service_area: str | None = None, type: str | None = None
) -> dict:
    """Every evaluation figure of the leaders' dashboard for `quarters` (the chosen `quarter`
    among them), counted by the database in a fixed number of queries whatever the number of
    rows or quarters: each figure set is one query grouped by quarter.

    Returns {"service_area", "quarters": {quarter: {...}}, "pillars": {quarter: {pillar: {grade: n}}},
    "by_service_area": {name: {grade: n}}, "by_type": {type: {grade: n}}, "recommendations":
    {quarter: {...}}, "open_quarters": set, "revisits": revisit_figures(quarter=quarter)}.
    Grades are final grades (the moderated grade where confirmed) unless named evaluator's."""
    quarters = [str(Quarter.parse(text)) for text in quarters]
    quarter = str(Quarter.parse(quarter))
    lookups, service_area = _dashboard_scope(quarters=quarters, service_area=service_area, type=type or None)
    evaluations = Evaluation.objects.filter(**lookups)

    per_quarter = _evaluation_counts(evaluations, by="cycle__quarter", questions=DASHBOARD_QUESTIONS, safeguarding=True)
    for figures in per_quarter.values():
        figures["moderation"]["agreement_rate"] = agreement_rate(
            agreed=figures["moderation"]["agreed"], moderated=figures["moderated"]
        )

    pillars = {text: {pillar: _zeroes(Grade) for pillar in Pillar.values} for text in quarters}
    for _, text, pillar, grade, count in _pillar_rows(lookups, by="cycle__quarter", moderated=False):
        if text in pillars and pillar in pillars[text] and grade in pillars[text][pillar]:
            pillars[text][pillar][grade] += count

    chosen = evaluations.filter(status=Status.RETURNED, cycle__quarter=quarter)
    finals = _final_grades_by(chosen, ("team__service_area__name", "cycle__type"))

    today = timezone.localdate()
    active = Q(status__in=Recommendation.ACTIVE_STATUSES)
    recommendations = {
        row["evaluation__cycle__quarter"]: row
        for row in Recommendation.objects.filter(**_prefixed(lookups, "evaluation__"))
        .values("evaluation__cycle__quarter")
        .annotate(
            raised=Count("pk"),
            open=Count("pk", filter=active),
            overdue=Count("pk", filter=active & Q(due_date__lt=today)),
            done=Count("pk", filter=Q(status=Recommendation.Status.DONE)),
            not_achieved=Count("pk", filter=Q(status=Recommendation.Status.NOT_ACHIEVED)),
            verified=Count("pk", filter=Q(revisit_found_done=True)),
        )
        .order_by()
    }
    open_cycles = Cycle.objects.filter(quarter__in=quarters, status=Cycle.Status.OPEN)
    if type:
        open_cycles = open_cycles.filter(type=type)
    return {
        "service_area": service_area,
        "type": type or None,
        "quarters": per_quarter,
        "pillars": pillars,
        "by_service_area": finals["team__service_area__name"],
        "by_type": finals["cycle__type"],
        "recommendations": recommendations,
        "open_quarters": set(open_cycles.values_list("quarter", flat=True)),
        "revisits": revisit_figures(quarter=quarter),
    }


# --- The BI feed (pqa.registry.feed_table, docs/feed.md) ------------------------------------
# Codes, dates, grades, teams and references only: no tell me / show me, strengths, areas for
# development, rationale, actions or notes, and no child's case id or person's name.


def _final_grade(evaluation: Evaluation) -> str | None:
    return evaluation.final_grade or None


def _confirmed(moderation: Moderation):
    return moderation if moderation.is_confirmed else None


def feed_evaluations() -> QuerySet[Evaluation]:
    """Every evaluation, with what its feed columns read joined."""
    return Evaluation.objects.select_related("cycle", "team__service_area", "moderation", "revisit_of")


EVALUATION_FEED_COLUMNS = [
    Column("reference", lambda row: row.reference),
    Column("quarter", lambda row: row.cycle.quarter),
    Column("type", lambda row: row.cycle.type),
    code_field("status"),
    Column("service_area", lambda row: row.team.service_area.name),
    Column("team", lambda row: row.team.name),
    field("due_date"),
    field("evaluation_date"),
    Column("submitted", lambda row: day(row.submitted_at)),
    code_field("overall_grade"),
    Column("final_grade", _final_grade),
    *[code_field(question.value) for question in HeadlineQuestion],
    code_field("edi_considered"),
    code_field("fathers_included"),
    Column("safeguarding_concern", lambda row: yes_no(row.safeguarding_concern)),
    Column("revisit_of", lambda row: row.revisit_of.reference if row.revisit_of else None),
]


def feed_pillar_grades() -> QuerySet[PillarGrade]:
    """Every pillar grade, one row each, with its evaluation's reference."""
    return PillarGrade.objects.select_related("evaluation")


PILLAR_GRADE_FEED_COLUMNS = [
    Column("evaluation", lambda row: row.evaluation.reference),
    code_field("pillar"),
    code_field("grade"),
]


def feed_moderations() -> QuerySet[Moderation]:
    """Every moderation: its state and why it was sampled; its grades and outcomes once it is
    confirmed (a sampled or blind-graded moderation's grade is not yet anyone's to read)."""
    return Moderation.objects.select_related("evaluation", "panel").prefetch_related(
        Prefetch("pillar_grades", queryset=ModeratedPillarGrade.objects.order_by("pillar"))
    )


def _moderated_pillar(pillar: str):
    def value(row: Moderation):
        if not row.is_confirmed:
            return None
        return next((grade.grade for grade in row.pillar_grades.all() if grade.pillar == pillar), None)

    return value


MODERATION_FEED_COLUMNS = [
    Column("evaluation", lambda row: row.evaluation.reference),
    code_field("state"),
    code_field("sample_reason"),
    Column("round", lambda row: row.round),
    Column("sampled", lambda row: day(row.sampled_at)),
    Column("confirmed", lambda row: day(row.confirmed_at) if row.is_confirmed else None),
    Column("panel_date", lambda row: row.panel.held_on if row.panel else None),
    Column("moderated_grade", lambda row: code(row.moderated_grade) if row.is_confirmed else None),
    Column("outcome", lambda row: code(row.outcome) if row.is_confirmed else None),
    *[Column(f"moderated_{pillar.value}", _moderated_pillar(pillar.value)) for pillar in Pillar],
]


def feed_recommendations() -> QuerySet[Recommendation]:
    """Every recommendation, with its evaluation's reference, team and service area."""
    return Recommendation.objects.select_related("evaluation__team__service_area")


RECOMMENDATION_FEED_COLUMNS = [
    Column("id", lambda row: row.pk),
    Column("evaluation", lambda row: row.evaluation.reference),
    Column("service_area", lambda row: row.evaluation.team.service_area.name),
    Column("team", lambda row: row.evaluation.team.name),
    code_field("status"),
    Column("created", lambda row: day(row.created_at)),
    field("due_date"),
    field("completed_on"),
    field("tabled_on"),
    Column("revisit_found_done", lambda row: yes_no(row.revisit_found_done)),
    Column("tracker_reference", lambda row: row.tracker_reference or None),
]
