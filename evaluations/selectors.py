"""Every read of evaluations that a view, report or export needs, already scoped to the user.

The PQA reporting layer reads this app only through this module."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from evaluations.models import (
    PILLAR_PROMPTS,
    Answer,
    Cycle,
    CycleType,
    Evaluation,
    Grade,
    HeadlineQuestion,
    ModeratedPillarGrade,
    Moderation,
    ModerationPanel,
    Pillar,
    PillarGrade,
    Recommendation,
)
from evaluations.permissions import (
    can_change_confirmed_moderation,
    can_moderate,
    can_read_all_evaluations,
    can_see_all_safeguarding_concerns,
    can_see_team_safeguarding_concerns,
    is_team_manager,
)
from pqa.models import ServiceArea
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
                "recommendations",
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


def agreement_rate(*, agreed: int, moderated: int) -> float | None:
    """The share of moderated grades the moderator agreed with, to 4 places; None when none."""
    return round(agreed / moderated, 4) if moderated else None


def moderation_by_pillar(evaluations: QuerySet[Evaluation]) -> dict[str, dict]:
    """Confirmed moderations of these evaluations, per pillar: moderated, agreed, raised,
    lowered and the agreement rate. One query."""
    result = {
        pillar: {"moderated": 0, **dict.fromkeys(Moderation.Outcome.values, 0), "agreement_rate": None}
        for pillar in Pillar.values
    }
    rows = (
        ModeratedPillarGrade.objects.filter(
            moderation__state=Moderation.State.CONFIRMED,
            moderation__evaluation__in=evaluations.values("pk"),
            outcome__in=Moderation.Outcome.values,
        )
        .values("pillar", "outcome")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for row in rows:
        result[row["pillar"]][row["outcome"]] = row["count"]
        result[row["pillar"]]["moderated"] += row["count"]
    for figures in result.values():
        figures["agreement_rate"] = agreement_rate(agreed=figures["agreed"], moderated=figures["moderated"])
    return result


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
    # Only a confirmed moderation counts: a sampled or blind-graded one is not yet a judgement.
    moderated = completed & Q(moderation__state=Moderation.State.CONFIRMED)
    not_moderated = Q(moderation__isnull=True) | ~Q(moderation__state=Moderation.State.CONFIRMED)
    aggregates = {
        "completed": Count("pk", filter=completed),
        "not_returned": Count("pk", filter=Q(status=Status.NOT_RETURNED)),
        "moderated": Count("pk", filter=moderated),
    }
    for grade in Grade.values:
        aggregates[f"evaluator__{grade}"] = Count("pk", filter=completed & Q(overall_grade=grade))
        aggregates[f"final__{grade}"] = Count(
            "pk",
            filter=completed
            & ((moderated & Q(moderation__moderated_grade=grade)) | (not_moderated & Q(overall_grade=grade))),
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

    by_pillar = moderation_by_pillar(Evaluation.objects.filter(scope & completed))

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
            # Optional keys of the contract (docs/contracts/evaluations-csv.md).
            "agreement_rate": agreement_rate(agreed=counts["moderation__agreed"], moderated=counts["moderated"]),
            "by_pillar": by_pillar,
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
            status=Recommendation.Status.OPEN,
        )
        .select_related("evaluation")
        .annotate(overdue_rank=overdue_first)
        .order_by("overdue_rank", F("due_date").asc(nulls_last=True), "pk")
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
