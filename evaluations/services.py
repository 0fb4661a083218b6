"""Every write to evaluations: the only door, used by views, admin, commands and tasks alike.

Each service runs in one transaction, records who did it (django-simple-history picks the
user from the request, or from `_history_user` set here), and sends notifications through
the outbox only once the transaction commits."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone

from evaluations.models import (
    Answer,
    Cycle,
    Evaluation,
    EvaluationFeedback,
    FathersIncluded,
    Grade,
    HeadlineQuestion,
    Moderation,
    Pillar,
    PillarGrade,
    Recommendation,
    Respondent,
)
from evaluations.selectors import evaluates
from pqa.models import Notification, Role, Team, User
from pqa.services import absolute_url, notification_queue

Status = Evaluation.Status


class EvaluationError(Exception):
    """A workflow step that is not allowed from the current state."""


class ConcurrentEditError(EvaluationError):
    """Someone else saved the record after this person opened it."""

    def __init__(self, current_version: int, saved_by: str | None, saved_at: dt.datetime | None):
        self.current_version = current_version
        self.saved_by = saved_by
        self.saved_at = saved_at
        who = saved_by or "someone else"
        super().__init__(f"{who} saved this record after you opened it, so your changes were not saved.")


@dataclass(frozen=True)
class Problem:
    """What is missing, and where: section is 'evaluation', 'pillar', 'feedback' or
    'recommendations'; key the pillar or respondent; field the form field."""

    section: str
    field: str
    message: str
    key: str = ""


class IncompleteEvaluation(EvaluationError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(problem.message for problem in problems))


def _attribute(instance, actor: User | None) -> None:
    # simple-history reads this when no request is in flight (commands, tasks, tests).
    if actor is not None:
        instance._history_user = actor


# --- Cycles -------------------------------------------------------------------------------


@transaction.atomic
def cycle_open(*, quarter: str, type: str, title: str = "", actor: User) -> Cycle:
    """Open a round of evaluations for a quarter. Quarter, type and title name it uniquely."""
    cycle = Cycle(quarter=quarter.strip(), type=type, title=title.strip(), opened_by=actor)
    cycle.full_clean()
    _attribute(cycle, actor)
    cycle.save()
    return cycle


@transaction.atomic
def cycle_close(*, cycle: Cycle, actor: User) -> int:
    """Close a cycle: whatever was never returned is marked not returned (drafts are kept, but
    no longer editable). Returns how many evaluations were marked."""
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if not cycle.is_open:
        raise EvaluationError("This cycle is already closed.")
    unreturned = list(
        Evaluation.objects.select_for_update().filter(cycle=cycle, status__in=Evaluation.EDITABLE_STATUSES)
    )
    for evaluation in unreturned:
        evaluation.status = Status.NOT_RETURNED
        evaluation.version += 1
        _attribute(evaluation, actor)
        evaluation.save(update_fields=["status", "version", "updated_at"])
    cycle.status = Cycle.Status.CLOSED
    cycle.closed_at = timezone.now()
    _attribute(cycle, actor)
    cycle.save(update_fields=["status", "closed_at"])
    return len(unreturned)


# --- Allocation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AllocationRequest:
    child_ref: str
    practitioner: str
    team: Team
    evaluator: User
    due_date: dt.date | None = None


def next_reference(year: int) -> str:
    prefix = f"PE-{year}-"
    last = (
        Evaluation.objects.filter(reference__startswith=prefix)
        # By length first, so that PE-2025-10000 comes after PE-2025-9999.
        .order_by(Length("reference").desc(), "-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.removeprefix(prefix)) + 1 if last and last.removeprefix(prefix).isdigit() else 1
    return f"{prefix}{number:04d}"


def _check_evaluates(people: Iterable[User], *, field: str = "evaluator") -> None:
    """Only people who evaluate are given an evaluation (the forms offer no one else; this
    refuses a crafted request, a list naming a leader, or an account since deactivated)."""
    refused = sorted({str(person) for person in people if not evaluates(person)})
    if refused:
        raise ValidationError(
            {field: f"{', '.join(refused)} cannot be given an evaluation: choose someone who evaluates"}
        )


def _check_cycle_open(cycle: Cycle) -> None:
    if not cycle.is_open:
        raise EvaluationError(f"{cycle} is closed: open a new cycle to allocate more evaluations.")


@transaction.atomic
def evaluations_allocate(*, cycle: Cycle, requests: Sequence[AllocationRequest], actor: User) -> list[Evaluation]:
    """Allocate evaluations in a cycle, all or none. A child is evaluated once in a cycle.
    Each evaluator is told by e-mail."""
    # The cycle's row lock keeps a close, or another allocation, from interleaving.
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    _check_cycle_open(cycle)
    _check_evaluates(request.evaluator for request in requests)
    wanted = [request.child_ref.strip().upper() for request in requests]
    repeated = sorted({ref for ref in wanted if wanted.count(ref) > 1})
    if repeated:
        raise EvaluationError(f"A child can be allocated once in a cycle: {', '.join(repeated)} is listed twice.")
    already = sorted(
        ref
        for ref in Evaluation.objects.filter(cycle=cycle).values_list("child_ref", flat=True)
        if ref.upper() in set(wanted)
    )
    if already:
        raise EvaluationError(f"Already allocated in {cycle}: child {', '.join(already)}.")
    year = cycle.quarter_period.start_year
    created = []
    reference = next_reference(year)
    prefix, number = reference.rsplit("-", 1)
    for offset, request in enumerate(requests):
        evaluation = Evaluation(
            reference=f"{prefix}-{int(number) + offset:04d}",
            cycle=cycle,
            team=request.team,
            child_ref=request.child_ref.strip(),
            practitioner=request.practitioner.strip(),
            evaluator=request.evaluator,
            due_date=request.due_date,
            allocated_by=actor,
        )
        evaluation.full_clean()
        _attribute(evaluation, actor)
        evaluation.save()
        created.append(evaluation)
    by_evaluator: dict[int, list[Evaluation]] = {}
    for evaluation in created:
        by_evaluator.setdefault(evaluation.evaluator_id, []).append(evaluation)
    for items in by_evaluator.values():
        evaluator = items[0].evaluator
        lines = "\n".join(
            f"- {item.reference}: child {item.child_ref}, {item.team.name}, due {item.due_date or 'no date set'}"
            for item in items
        )
        notification_queue(
            kind=Notification.Kind.ALLOCATION,
            recipients=[evaluator.email],
            subject=f"PQA: {len(items)} practice evaluation(s) allocated to you",
            body=f"You have been allocated these practice evaluations in {cycle}:\n{lines}\n\n"
            f"Open 'My evaluations' in PQA: {absolute_url(reverse('evaluations:mine'))}",
        )
    return created


def evaluation_allocate(*, cycle: Cycle, request: AllocationRequest, actor: User) -> Evaluation:
    """Allocate one evaluation."""
    return evaluations_allocate(cycle=cycle, requests=[request], actor=actor)[0]


@dataclass(frozen=True)
class OpenCase:
    child_ref: str
    practitioner: str
    team: Team


def evaluations_allocate_sample(
    *,
    cycle: Cycle,
    open_cases: Sequence[OpenCase],
    per_team: int,
    evaluators: Sequence[User],
    due_date: dt.date | None,
    actor: User,
    rng: random.Random | None = None,
) -> list[Evaluation]:
    """Draw a random sample of up to `per_team` open cases from each team and share them among
    the evaluators in turn. A child already in this cycle is never drawn twice."""
    if per_team < 1:
        raise EvaluationError("Choose at least one case per team.")
    if not evaluators:
        raise EvaluationError("Choose at least one evaluator to share the sample among.")
    _check_evaluates(evaluators, field="evaluators")
    rng = rng or random.SystemRandom()
    already = set(Evaluation.objects.filter(cycle=cycle).values_list("child_ref", flat=True))
    by_team: dict[int, list[OpenCase]] = {}
    seen = set()
    for case in open_cases:
        if case.child_ref in already or case.child_ref in seen:
            continue
        seen.add(case.child_ref)
        by_team.setdefault(case.team.pk, []).append(case)
    chosen: list[OpenCase] = []
    for team_id in sorted(by_team):
        cases = by_team[team_id]
        chosen.extend(rng.sample(cases, min(per_team, len(cases))))
    requests = [
        AllocationRequest(
            child_ref=case.child_ref,
            practitioner=case.practitioner,
            team=case.team,
            evaluator=evaluators[index % len(evaluators)],
            due_date=due_date,
        )
        for index, case in enumerate(chosen)
    ]
    return evaluations_allocate(cycle=cycle, requests=requests, actor=actor)


@transaction.atomic
def evaluation_reassign(
    *, evaluation: Evaluation, evaluator: User, due_date: dt.date | None = None, actor: User
) -> Evaluation:
    """Give an unreturned evaluation to another evaluator (any draft goes with it)."""
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if not evaluation.is_editable:
        raise EvaluationError("Only an evaluation that has not been returned can be reassigned.")
    if not evaluator.is_active:
        raise EvaluationError(f"{evaluator} cannot sign in, so cannot be given an evaluation.")
    _check_evaluates([evaluator])
    if evaluator.pk == evaluation.evaluator_id:
        raise EvaluationError(f"{evaluation.reference} is already allocated to {evaluator}.")
    evaluation.evaluator = evaluator
    if due_date is not None:
        evaluation.due_date = due_date
    evaluation.version += 1
    _attribute(evaluation, actor)
    evaluation.save()
    notification_queue(
        kind=Notification.Kind.ALLOCATION,
        recipients=[evaluator.email],
        subject=f"PQA: practice evaluation {evaluation.reference} allocated to you",
        body=f"{evaluation.reference} (child {evaluation.child_ref}, {evaluation.team.name}) has been "
        f"allocated to you, due {evaluation.due_date or 'no date set'}.\n\n"
        f"Open it in PQA: {absolute_url(reverse('evaluations:form', args=[evaluation.pk]))}",
    )
    return evaluation


# --- The sit-alongside form ---------------------------------------------------------------

DRAFT_FIELDS = (
    "evaluation_date",
    "overall_grade",
    *HeadlineQuestion.values,
    "edi_considered",
    "fathers_included",
    "strengths",
    "areas_for_development",
    "safeguarding_concern",
    "safeguarding_description",
    "child_age_band",
    "child_gender",
    "child_ethnicity",
)
PILLAR_FIELDS = ("tell_me", "show_me", "grade")
FEEDBACK_FIELDS = (
    "spoken_to",
    "not_spoken_reason",
    "understood_why",
    "involved_in_decisions",
    "needs_understood",
    "quote",
)
RECOMMENDATION_FIELDS = ("action", "owner", "due_date")


def _lock_for_edit(
    *, evaluation: Evaluation, actor: User, expected_version: int | None, editor_token: str = ""
) -> Evaluation:
    locked = Evaluation.objects.select_for_update().select_related("team", "cycle").get(pk=evaluation.pk)
    if locked.evaluator_id != actor.pk:
        raise EvaluationError("Only the evaluator it is allocated to can change this evaluation.")
    if not locked.is_editable:
        raise EvaluationError("This evaluation has been returned or closed and can no longer be changed.")
    same_tab = bool(editor_token) and locked.draft_editor_token == editor_token
    if expected_version is not None and locked.version != expected_version and not same_tab:
        raise _conflict(locked)
    return locked


@transaction.atomic
def evaluation_save_draft(
    *,
    evaluation: Evaluation,
    actor: User,
    expected_version: int | None,
    fields: Mapping[str, object],
    pillars: Mapping[str, Mapping[str, object]] | None = None,
    feedback: Mapping[str, Mapping[str, object]] | None = None,
    recommendations: Iterable[Mapping[str, object]] | None = None,
    editor_token: str = "",
) -> Evaluation:
    """Save the evaluator's work as it stands, complete or not. Refuses (ConcurrentEditError)
    if the evaluation changed since `expected_version`. A safeguarding concern with a
    description is sent to the team manager and the Practice Hub the first time it is saved."""
    locked = _lock_for_edit(
        evaluation=evaluation, actor=actor, expected_version=expected_version, editor_token=editor_token
    )
    for name in DRAFT_FIELDS:
        if name in fields:
            value = fields[name]
            setattr(locked, name, value if value is not None or name == "evaluation_date" else "")
    if locked.status == Status.ALLOCATED:
        locked.status = Status.IN_PROGRESS
    locked.draft_saved_at = timezone.now()
    locked.draft_editor_token = editor_token[:64]
    locked.version += 1
    _attribute(locked, actor)
    locked.save()

    existing_pillars = {item.pillar: item for item in locked.pillar_grades.all()}
    for pillar, values in (pillars or {}).items():
        grade = existing_pillars.get(pillar) or PillarGrade(evaluation=locked, pillar=Pillar(pillar))
        _update_if_changed(grade, {name: values[name] or "" for name in PILLAR_FIELDS if name in values}, actor)

    existing_feedback = {item.respondent: item for item in locked.feedback_gathered.all()}
    for respondent, values in (feedback or {}).items():
        item = existing_feedback.get(respondent) or EvaluationFeedback(
            evaluation=locked, respondent=Respondent(respondent)
        )
        wanted = {
            name: values[name] if values[name] is not None or name == "spoken_to" else ""
            for name in FEEDBACK_FIELDS
            if name in values
        }
        _update_if_changed(item, wanted, actor)

    if recommendations is not None:
        _replace_recommendations(locked, recommendations, actor)

    _report_safeguarding_concern(locked, actor)
    return locked


def _update_if_changed(instance, values: Mapping[str, object], actor: User) -> None:
    # One history row per real change: nothing is written when nothing changed.
    if instance.pk and all(getattr(instance, name) == value for name, value in values.items()):
        return
    for name, value in values.items():
        setattr(instance, name, value)
    _attribute(instance, actor)
    instance.save()


def _replace_recommendations(evaluation: Evaluation, rows: Iterable[Mapping[str, object]], actor: User) -> None:
    # While the evaluation is a draft its recommendations are the rows on the form, in order.
    wanted = [row for row in rows if any(row.get(name) for name in RECOMMENDATION_FIELDS)]
    existing = list(evaluation.recommendations.order_by("pk"))
    for index, row in enumerate(wanted):
        item = existing[index] if index < len(existing) else Recommendation(evaluation=evaluation)
        values = {name: row.get(name) or ("" if name != "due_date" else None) for name in RECOMMENDATION_FIELDS}
        if item.pk and all(getattr(item, name) == value for name, value in values.items()):
            continue
        for name, value in values.items():
            setattr(item, name, value)
        _attribute(item, actor)
        item.save()
    for item in existing[len(wanted) :]:
        _attribute(item, actor)
        item.delete()


def _report_safeguarding_concern(evaluation: Evaluation, actor: User) -> None:
    if not evaluation.safeguarding_concern or not evaluation.safeguarding_description.strip():
        return
    if evaluation.safeguarding_reported_at is not None:
        return
    evaluation.safeguarding_reported_at = timezone.now()
    _attribute(evaluation, actor)
    evaluation.save(update_fields=["safeguarding_reported_at"])
    managers = User.objects.filter(is_active=True, role=Role.TEAM_MANAGER, team_id=evaluation.team_id)
    hub = User.objects.filter(is_active=True, role=Role.PRACTICE_HUB)
    recipients = [user.email for user in [*managers, *hub]]
    notification_queue(
        kind=Notification.Kind.SAFEGUARDING_CONCERN,
        recipients=recipients,
        subject=f"PQA: immediate safeguarding concern raised in {evaluation.reference}",
        # The description stays in PQA: the alert goes at the first save that has one, which
        # may be an autosave of a sentence half typed, and e-mail is no place for what was
        # found. The link always shows the description as last saved.
        body=(
            f"An immediate safeguarding concern was raised during practice evaluation {evaluation.reference}.\n\n"
            f"Child's case id: {evaluation.child_ref}\nTeam: {evaluation.team}\n"
            f"Evaluator: {actor} ({actor.email})\n\n"
            "Read what was found, and anything the evaluator adds to it, in PQA:\n"
            f"{absolute_url(reverse('evaluations:safeguarding', args=[evaluation.pk]))}\n\n"
            "Please act on this today and record what was done on the child's file."
        ),
    )


def evaluation_problems(evaluation: Evaluation) -> list[Problem]:
    """What stops this evaluation being submitted, in the order of the form."""
    problems: list[Problem] = []
    if not evaluation.evaluation_date:
        problems.append(Problem("evaluation", "evaluation_date", "Enter the date of the conversation"))
    elif evaluation.evaluation_date > timezone.localdate():
        problems.append(
            Problem("evaluation", "evaluation_date", "The date of the conversation must be today or in the past")
        )
    grades = {item.pillar: item.grade for item in evaluation.pillar_grades.all()}
    for pillar in Pillar:
        if not grades.get(pillar.value):
            problems.append(Problem("pillar", "grade", f"Select a grade for {pillar.label.lower()}", key=pillar.value))
    if not evaluation.overall_grade:
        problems.append(Problem("evaluation", "overall_grade", "Select an overall grade"))
    for question in HeadlineQuestion:
        if not getattr(evaluation, question.value):
            problems.append(Problem("evaluation", question.value, f"Answer '{question.label}'"))
    if evaluation.safeguarding_concern and not evaluation.safeguarding_description.strip():
        problems.append(Problem("evaluation", "safeguarding_description", "Describe the safeguarding concern"))
    needs_recommendation = evaluation.overall_grade in (Grade.REQUIRES_IMPROVEMENT, Grade.INADEQUATE)
    recommendations = list(evaluation.recommendations.all())
    if needs_recommendation and not recommendations:
        problems.append(
            Problem(
                "recommendations",
                "action",
                "Add at least one recommendation: the overall grade is "
                f"{Grade(evaluation.overall_grade).label.lower()}",
                key="0",
            )
        )
    for index, item in enumerate(recommendations):
        if not item.action.strip():
            problems.append(
                Problem("recommendations", "action", f"Recommendation {index + 1}: enter the action", key=str(index))
            )
        if not item.owner.strip():
            problems.append(
                Problem("recommendations", "owner", f"Recommendation {index + 1}: enter who owns it", key=str(index))
            )
        if not item.due_date:
            problems.append(
                Problem("recommendations", "due_date", f"Recommendation {index + 1}: enter a due date", key=str(index))
            )
    return problems


@transaction.atomic
def evaluation_submit(*, evaluation: Evaluation, actor: User, expected_version: int | None = None) -> Evaluation:
    """Return a completed evaluation. Every pillar, the overall grade and the three headline
    questions must be answered, and a grade of requires improvement or inadequate needs at
    least one recommendation. After this the evaluator can read it but not change it."""
    locked = _lock_for_edit(evaluation=evaluation, actor=actor, expected_version=expected_version)
    problems = evaluation_problems(locked)
    if problems:
        raise IncompleteEvaluation(problems)
    locked.status = Status.RETURNED
    locked.submitted_at = timezone.now()
    locked.version += 1
    _attribute(locked, actor)
    locked.save()
    return locked


# --- Moderation ---------------------------------------------------------------------------


@transaction.atomic
def moderation_record(
    *,
    evaluation: Evaluation,
    moderated_grade: str,
    moderator: User | None,
    rationale: str = "",
    actor: User | None = None,
    expected_version: int | None = None,
) -> Moderation:
    """Record a moderator's grade for a returned evaluation. Whether it agreed with, raised or
    lowered the evaluator's grade is derived here, never typed. Changing an existing
    moderation needs the version it was based on (ConcurrentEditError otherwise)."""
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if evaluation.status != Status.RETURNED:
        raise EvaluationError("Only a returned evaluation can be moderated.")
    if moderated_grade not in Grade.values:
        raise ValidationError({"moderated_grade": f"'{moderated_grade}' is not a grade"})
    outcome = Moderation.outcome_for(overall_grade=evaluation.overall_grade, moderated_grade=moderated_grade)
    moderation = Moderation.objects.filter(evaluation=evaluation).first() or Moderation(evaluation=evaluation)
    if moderation.pk and expected_version is not None and moderation.version != expected_version:
        raise _conflict(moderation)
    moderation.moderated_grade = moderated_grade
    moderation.outcome = outcome
    moderation.moderator = moderator
    moderation.rationale = rationale
    if moderation.pk:
        moderation.version += 1
        moderation.moderated_at = timezone.now()
    _attribute(moderation, actor or moderator)
    moderation.save()
    return moderation


def _conflict(instance) -> ConcurrentEditError:
    last = instance.history.order_by("-history_date").select_related("history_user").first()
    return ConcurrentEditError(
        instance.version,
        str(last.history_user) if last and last.history_user else None,
        last.history_date if last else None,
    )


# --- Recommendations ----------------------------------------------------------------------


@transaction.atomic
def recommendation_set_status(
    *, recommendation: Recommendation, status: str, actor: User, expected_version: int | None = None
) -> Recommendation:
    """Mark a recommendation done, or open again. Refused if it changed since `expected_version`."""
    locked = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    if expected_version is not None and locked.version != expected_version:
        raise _conflict(locked)
    if status not in Recommendation.Status.values:
        raise ValidationError({"status": f"'{status}' is not a recommendation status"})
    if locked.status == status:
        return locked
    locked.status = status
    locked.completed_at = timezone.now() if status == Recommendation.Status.DONE else None
    locked.version += 1
    _attribute(locked, actor)
    locked.save()
    return locked


__all__ = [
    "AllocationRequest",
    "Answer",
    "ConcurrentEditError",
    "EvaluationError",
    "FathersIncluded",
    "IncompleteEvaluation",
    "OpenCase",
    "Problem",
    "cycle_close",
    "cycle_open",
    "evaluation_allocate",
    "evaluation_problems",
    "evaluation_reassign",
    "evaluation_save_draft",
    "evaluation_submit",
    "evaluations_allocate",
    "evaluations_allocate_sample",
    "moderation_record",
    "recommendation_set_status",
]
