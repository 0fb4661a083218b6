"""Every write to evaluations: the only door, used by views, admin, commands and tasks alike.

Each service runs in one transaction, records who did it (django-simple-history picks the
user from the request, or from `_history_user` set here), and sends notifications through
the outbox only once the transaction commits."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone

from evaluations.models import (
    Answer,
    Cycle,
    CycleType,
    Evaluation,
    EvaluationFeedback,
    FathersIncluded,
    Grade,
    HeadlineQuestion,
    ModeratedPillarGrade,
    Moderation,
    ModerationPanel,
    ModerationRound,
    Pillar,
    PillarGrade,
    Recommendation,
    Respondent,
    RevisitFinding,
    SentReminder,
    validate_revisit_of,
)
from evaluations.notifications import NotificationKind
from evaluations.permissions import (
    can_acknowledge_safeguarding_concern,
    can_be_moderated,
    can_change_confirmed_moderation,
    can_manage_cycles,
    can_update_recommendation,
)
from evaluations.selectors import evaluates
from pqa.case_ids import child_key
from pqa.models import Role, Team, User
from pqa.services import absolute_url, notification_queue
from pqa.versioning import ConcurrentEditError, version_bump, version_check, version_lock

Status = Evaluation.Status


class EvaluationError(Exception):
    """A workflow step that is not allowed from the current state. (A save refused because
    someone saved first is pqa.versioning.ConcurrentEditError, re-exported here: it is not an
    EvaluationError, so catch it first wherever both are caught.)"""


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


def _clean(instance, fields: Iterable[str] | None = None, *, prefix: str = "", blank_allowed=()) -> None:
    """The model's own validation (`full_clean`) of what a service writes: `fields` when given
    (the rest was validated when it was written, and checking it again costs queries on every
    autosave), else everything. `blank_allowed` may be left empty in a draft: completeness is
    evaluation_problems' rule, at submit. Errors of a part of the evaluation are keyed
    `prefix-field`, the names its form posts."""
    exclude = set()
    if fields is not None:
        wanted = set(fields)
        exclude = {field.name for field in instance._meta.fields if field.name not in wanted}
    exclude |= {name for name in blank_allowed if getattr(instance, name) in ("", None)}
    try:
        instance.full_clean(exclude=exclude or None)
    except ValidationError as error:
        if not prefix:
            raise
        raise ValidationError(
            {
                (name if name == NON_FIELD_ERRORS else f"{prefix}-{name}"): texts
                for name, texts in error.message_dict.items()
            }
        ) from error


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
        version_bump(evaluation)
        _clean(evaluation, ["status"])
        _attribute(evaluation, actor)
        evaluation.save(update_fields=["status", "version", "updated_at"])
    cycle.status = Cycle.Status.CLOSED
    cycle.closed_at = timezone.now()
    _clean(cycle, ["status", "closed_at"])
    _attribute(cycle, actor)
    cycle.save(update_fields=["status", "closed_at"])
    return len(unreturned)


CYCLE_FIELDS = ("quarter", "type", "title")


@transaction.atomic
def cycle_update(*, cycle: Cycle, values: Mapping[str, object], actor: User) -> Cycle:
    """Correct a cycle's quarter, type or title (the administrators' page). Whether it is open
    is cycle_close's business, not a value to type."""
    unknown = set(values) - set(CYCLE_FIELDS)
    if unknown:
        raise ValueError(f"Not a cycle field that can be changed: {', '.join(sorted(unknown))}")
    locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
    wanted = {name: value.strip() if isinstance(value, str) else value for name, value in values.items()}
    if all(getattr(locked, name) == value for name, value in wanted.items()):
        return locked
    for name, value in wanted.items():
        setattr(locked, name, value)
    locked.full_clean()
    _attribute(locked, actor)
    locked.save()
    return locked


@transaction.atomic
def cycle_delete(*, cycle: Cycle, actor: User) -> None:
    """Delete a cycle opened by mistake (the administrators' page). Refused (ValidationError,
    nothing deleted) when it has evaluations or a moderation panel: they are the record of its
    work, so it is closed instead. The history records who deleted it."""
    locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
    evaluations = locked.evaluations.count()
    if evaluations:
        raise ValidationError(
            f"{locked} has {evaluations} evaluation{'s' if evaluations != 1 else ''}, so it cannot be deleted: "
            "close it instead."
        )
    if locked.moderation_panels.exists():
        raise ValidationError(f"{locked} has a moderation panel, so it cannot be deleted: close it instead.")
    _attribute(locked, actor)
    locked.delete()


# --- Allocation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AllocationRequest:
    child_ref: str
    practitioner: str
    team: Team
    evaluator: User
    due_date: dt.date | None = None
    revisit_of: Evaluation | None = None  # a revisit: the returned evaluation of this child it goes back to


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
    wanted = [child_key(request.child_ref) for request in requests]
    repeated = sorted({ref for ref in wanted if wanted.count(ref) > 1})
    if repeated:
        raise EvaluationError(f"A child can be allocated once in a cycle: {', '.join(repeated)} is listed twice.")
    already = sorted(
        ref
        for ref in Evaluation.objects.filter(cycle=cycle).values_list("child_ref", flat=True)
        if child_key(ref) in set(wanted)
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
            revisit_of=request.revisit_of,
        )
        evaluation.full_clean()
        validate_revisit_of(evaluation)
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
            kind=NotificationKind.ALLOCATION,
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
    already = {child_key(ref) for ref in Evaluation.objects.filter(cycle=cycle).values_list("child_ref", flat=True)}
    by_team: dict[int, list[OpenCase]] = {}
    seen = set()
    for case in open_cases:
        key = child_key(case.child_ref)
        if key in already or key in seen:
            continue
        seen.add(key)
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
    # Read now, not as the page saw it: the account may have been deactivated since.
    if not User.objects.filter(pk=evaluator.pk, is_active=True).exists():
        raise EvaluationError(f"{evaluator} cannot sign in, so cannot be given an evaluation.")
    _check_evaluates([evaluator])
    if evaluator.pk == evaluation.evaluator_id:
        raise EvaluationError(f"{evaluation.reference} is already allocated to {evaluator}.")
    evaluation.evaluator = evaluator
    if due_date is not None:
        evaluation.due_date = due_date
    version_bump(evaluation)
    _clean(evaluation, ["evaluator", "due_date"])
    _attribute(evaluation, actor)
    evaluation.save()
    notification_queue(
        kind=NotificationKind.ALLOCATION,
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
    version_check(locked, None if same_tab else expected_version)
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
    findings: Mapping[int, Mapping[str, object]] | None = None,
    editor_token: str = "",
) -> Evaluation:
    """Save the evaluator's work as it stands, complete or not. Refuses (ConcurrentEditError)
    if the evaluation changed since `expected_version`, and (ValidationError, nothing written)
    a value the model does not allow, a text longer than its limit included. A safeguarding
    concern with a description is sent to the team manager and the Practice Hub the first
    time it is saved. Writes only what changed: an autosave of the same page again writes no
    row and no history, and keeps the version."""
    locked = _lock_for_edit(
        evaluation=evaluation, actor=actor, expected_version=expected_version, editor_token=editor_token
    )
    changed = False
    for name in DRAFT_FIELDS:
        if name in fields:
            value = fields[name]
            value = value if value is not None or name == "evaluation_date" else ""
            changed |= getattr(locked, name) != value
            setattr(locked, name, value)
    if locked.status == Status.ALLOCATED or locked.draft_saved_at is None:
        locked.status = Status.IN_PROGRESS
        changed = True  # the first draft
    _clean(locked, [*DRAFT_FIELDS, "status"])

    existing_pillars = {item.pillar: item for item in locked.pillar_grades.all()}
    for pillar, values in (pillars or {}).items():
        grade = existing_pillars.get(pillar) or PillarGrade(evaluation=locked, pillar=Pillar(pillar))
        wanted = {name: values[name] or "" for name in PILLAR_FIELDS if name in values}
        changed |= _update_if_changed(grade, wanted, actor, fields=PILLAR_FIELDS, prefix=f"pillar-{pillar}")

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
        changed |= _update_if_changed(item, wanted, actor, fields=FEEDBACK_FIELDS, prefix=f"feedback-{respondent}")

    if recommendations is not None:
        changed |= _replace_recommendations(locked, recommendations, actor)

    if findings:
        changed |= _save_findings(locked, findings, actor)

    if changed:
        locked.draft_saved_at = timezone.now()
        locked.draft_editor_token = editor_token[:64]
        version_bump(locked)
        _attribute(locked, actor)
        locked.save()
    _report_safeguarding_concern(locked, actor)
    return locked


def _update_if_changed(
    instance, values: Mapping[str, object], actor: User, *, fields=None, prefix: str = "", blank_allowed=()
) -> bool:
    # One history row per real change: nothing is written when nothing changed.
    if instance.pk and all(getattr(instance, name) == value for name, value in values.items()):
        return False
    for name, value in values.items():
        setattr(instance, name, value)
    _clean(instance, fields, prefix=prefix, blank_allowed=blank_allowed)
    _attribute(instance, actor)
    instance.save()
    return True


def _replace_recommendations(evaluation: Evaluation, rows: Iterable[Mapping[str, object]], actor: User) -> bool:
    # While the evaluation is a draft its recommendations are the rows on the form, in order.
    wanted = [row for row in rows if any(row.get(name) for name in RECOMMENDATION_FIELDS)]
    existing = list(evaluation.recommendations.order_by("pk"))
    changed = len(existing) > len(wanted)
    for index, row in enumerate(wanted):
        item = existing[index] if index < len(existing) else Recommendation(evaluation=evaluation)
        values = {name: row.get(name) or ("" if name == "action" else None) for name in RECOMMENDATION_FIELDS}
        if values["owner"] is not None and values["owner"].pk != item.owner_id:
            _check_owner(values["owner"], field=f"recommendations-{index}-owner")
        # A draft's recommendation may still lack its action or owner: submit asks for them.
        changed |= _update_if_changed(
            item,
            values,
            actor,
            fields=RECOMMENDATION_FIELDS,
            prefix=f"recommendations-{index}",
            blank_allowed=("action", "owner"),
        )
    for item in existing[len(wanted) :]:
        _attribute(item, actor)
        item.delete()
    return changed


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
        kind=NotificationKind.SAFEGUARDING_CONCERN,
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
        if item.owner_id is None:
            problems.append(
                Problem("recommendations", "owner", f"Recommendation {index + 1}: choose who owns it", key=str(index))
            )
        if not item.due_date:
            problems.append(
                Problem("recommendations", "due_date", f"Recommendation {index + 1}: enter a due date", key=str(index))
            )
    problems += _finding_problems(evaluation)
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
    version_bump(locked)
    _clean(locked, ["status", "submitted_at", "overall_grade"])
    _attribute(locked, actor)
    locked.save()
    # A returned revisit closes the loop: what it found updates the recommendations it checked.
    # (Whether it was done is recorded on each recommendation; its status stays its owner's.)
    for finding in locked.findings.select_related("recommendation"):
        recommendation_record_revisit_finding(
            recommendation=finding.recommendation, found_done=finding.done == Answer.YES, actor=actor
        )
    return locked


# --- Administrators' corrections ---------------------------------------------------------

# What an administrator may correct on an evaluation: never its reference, status or version,
# which only the workflow services move.
UPDATABLE_FIELDS = ("cycle", "team", "child_ref", "practitioner", "evaluator", "due_date", "revisit_of", *DRAFT_FIELDS)
PART_FIELDS = {
    PillarGrade: ("pillar", *PILLAR_FIELDS),
    EvaluationFeedback: ("respondent", *FEEDBACK_FIELDS),
}


@transaction.atomic
def evaluation_update(
    *,
    evaluation: Evaluation,
    actor: User,
    expected_version: int | None,
    values: Mapping[str, object] | None = None,
    parts: Iterable[tuple[PillarGrade | EvaluationFeedback, Mapping[str, object] | None]] = (),
) -> Evaluation:
    """Correct an evaluation, in any state, and its pillar grades and feedback, which are part
    of it: `parts` pairs a row (a new one has no pk) with its new values, or None to remove it.
    One version for the whole: refused (ConcurrentEditError) if the evaluation changed since
    `expected_version`, e.g. by the evaluator's autosave; refused (ValidationError, nothing
    written) if the model does not allow a value, e.g. a name as case id, a grade not in the
    scale, or a returned evaluation without an overall grade. No change, no new version."""
    values = dict(values or {})
    unknown = set(values) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not an evaluation field that can be changed: {', '.join(sorted(unknown))}")
    locked = version_lock(Evaluation, evaluation.pk, expected_version)
    changed = [name for name, value in values.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, values[name])
    if locked.status == Status.RETURNED and not locked.overall_grade:
        # The database refuses it too (completed_evaluation_has_overall_grade); this says it in words.
        raise ValidationError({"overall_grade": "A returned evaluation needs its overall grade: choose one."})
    if changed:
        locked.full_clean()
        if {"revisit_of", "child_ref", "cycle"} & set(changed):
            validate_revisit_of(locked)

    parts_changed = False
    for row, row_values in parts:
        model = type(row)
        current = model._default_manager.get(pk=row.pk, evaluation=locked) if row.pk else model(evaluation=locked)
        key = getattr(current, "pillar", None) or getattr(current, "respondent", "")
        prefix = f"{model._meta.model_name}-{key or 'new'}"
        if row_values is None:
            if current.pk and model is PillarGrade and locked.status == Status.RETURNED:
                # evaluation_problems' rule at submit, kept after it: change the grade instead.
                raise ValidationError(
                    f"A returned evaluation keeps a grade for every pillar: {current.get_pillar_display().lower()} "
                    "cannot be removed, change its grade instead."
                )
            if current.pk:
                _attribute(current, actor)
                current.delete()
                parts_changed = True
            continue
        unknown = set(row_values) - set(PART_FIELDS[model])
        if unknown:
            names = ", ".join(sorted(unknown))
            raise ValueError(f"Not a {model._meta.verbose_name} field that can be changed: {names}")
        parts_changed |= _update_if_changed(current, row_values, actor, prefix=prefix)

    if changed or parts_changed:
        version_bump(locked)
        _attribute(locked, actor)
        locked.save()
    return locked


@transaction.atomic
def evaluation_delete(*, evaluation: Evaluation, actor: User, expected_version: int | None = None) -> None:
    """Delete an evaluation allocated or imported by mistake, with its pillar grades, feedback
    and, for a revisit, what it found. Refused (ValidationError, nothing deleted) when other
    records rest on it: its moderation (the sample and the agreement rates), its
    recommendations (the Practice Hub's central record) or a revisit of it; and
    (ConcurrentEditError) if it changed since `expected_version`. The history of every row
    deleted records who deleted it."""
    locked = version_lock(Evaluation, evaluation.pk, expected_version)
    reasons = []
    if Moderation.objects.filter(evaluation=locked).exists():
        reasons.append("it has a moderation (delete the moderation first)")
    recommendations = locked.recommendations.count()
    if recommendations:
        reasons.append(
            f"it has {recommendations} recommendation{'s' if recommendations != 1 else ''} in the central record "
            "(delete them first)"
        )
    revisits = list(Evaluation.objects.filter(revisit_of=locked).values_list("reference", flat=True))
    if revisits:
        reasons.append(f"it is revisited by {', '.join(sorted(revisits))}")
    if reasons:
        raise ValidationError(f"{locked.reference} cannot be deleted: {'; '.join(reasons)}.")
    for part in (*locked.pillar_grades.all(), *locked.feedback_gathered.all(), *locked.findings.all()):
        _attribute(part, actor)
        part.delete()
    _attribute(locked, actor)
    locked.delete()


def evaluation_part_delete(
    *, part: PillarGrade | EvaluationFeedback, actor: User, expected_version: int | None = None
) -> Evaluation:
    """Remove a pillar grade or a feedback row: a correction of its evaluation, with its rules
    and one new version (evaluation_update). A returned evaluation keeps a grade for every pillar."""
    return evaluation_update(
        evaluation=part.evaluation, actor=actor, expected_version=expected_version, parts=[(part, None)]
    )


# --- Revisits (docs/revisits.md) -----------------------------------------------------------

FINDING_FIELDS = ("done", "made_difference", "note")


@transaction.atomic
def cycle_set_revisit_share(*, cycle: Cycle, revisit_share: int, actor: User) -> Cycle:
    """Set the share (in percent) of the previous cycle's other children that this cycle's
    revisit proposal draws; those graded Inadequate or with overdue actions are always in it."""
    locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if locked.revisit_share == revisit_share:
        return locked
    locked.revisit_share = revisit_share
    _clean(locked, ["revisit_share"])
    _attribute(locked, actor)
    locked.save(update_fields=["revisit_share"])
    return locked


def revisits_allocate(
    *,
    cycle: Cycle,
    originals: Sequence[Evaluation],
    evaluators: Sequence[User],
    due_date: dt.date | None,
    actor: User,
) -> list[Evaluation]:
    """Allocate revisits of these returned evaluations in a revisit cycle, shared among the
    evaluators in turn, all or none: each child once in the cycle, each original revisited
    once in it, and only a returned evaluation of the same child can be revisited."""
    if cycle.type != CycleType.REVISIT:
        raise EvaluationError(f"{cycle} is not a revisit cycle: open a revisit cycle to allocate revisits.")
    if not originals:
        raise EvaluationError("Choose at least one child to revisit.")
    if not evaluators:
        raise EvaluationError("Choose at least one evaluator to share the revisits among.")
    requests = [
        AllocationRequest(
            child_ref=original.child_ref,
            practitioner=original.practitioner,
            team=original.team,
            evaluator=evaluators[index % len(evaluators)],
            due_date=due_date,
            revisit_of=original,
        )
        for index, original in enumerate(originals)
    ]
    return evaluations_allocate(cycle=cycle, requests=requests, actor=actor)


def _save_findings(evaluation: Evaluation, rows: Mapping[int, Mapping[str, object]], actor: User) -> bool:
    # A finding is about a recommendation of the evaluation revisited, and no other.
    checked = set(
        Recommendation.objects.filter(evaluation_id=evaluation.revisit_of_id).values_list("pk", flat=True)
        if evaluation.revisit_of_id
        else ()
    )
    unknown = sorted(set(map(int, rows)) - checked)
    if unknown:
        raise ValidationError("A finding can only be about a recommendation of the evaluation revisited.")
    existing = {item.recommendation_id: item for item in evaluation.findings.all()}
    changed = False
    for recommendation_id, values in rows.items():
        item = existing.get(int(recommendation_id)) or RevisitFinding(
            revisit=evaluation, recommendation_id=int(recommendation_id)
        )
        wanted = {name: values[name] or "" for name in FINDING_FIELDS if name in values}
        if item.pk is None and not any(wanted.values()):
            continue  # nothing found yet: no row, no history
        changed |= _update_if_changed(item, wanted, actor, fields=FINDING_FIELDS, prefix=f"finding-{recommendation_id}")
    return changed


def _finding_problems(evaluation: Evaluation) -> list[Problem]:
    """A revisit says, of every recommendation of the evaluation it revisits, whether it was
    done and whether it made a difference."""
    if not evaluation.revisit_of_id:
        return []
    found = {item.recommendation_id: item for item in evaluation.findings.all()}
    problems = []
    for index, recommendation in enumerate(
        Recommendation.objects.filter(evaluation_id=evaluation.revisit_of_id).order_by("pk"), start=1
    ):
        finding = found.get(recommendation.pk)
        key = str(recommendation.pk)
        if finding is None or not finding.done:
            problems.append(Problem("findings", "done", f"Select whether recommendation {index} was done", key=key))
        if finding is None or not finding.made_difference:
            problems.append(
                Problem(
                    "findings",
                    "made_difference",
                    f"Select whether recommendation {index} made a difference for the child",
                    key=key,
                )
            )
    return problems


# --- Moderation ---------------------------------------------------------------------------
#
# The sample (Practice Hub) -> blind grading (moderator) -> confirmation (the same moderator),
# and the Practice Hub's changes to a confirmed moderation, each a new round. States and the
# diagram: models.Moderation.


class ModerationRefused(EvaluationError):
    """A moderation step this person may not take, or not from this state."""


def _moderation_lock(moderation: Moderation, expected_version: int | None) -> Moderation:
    # The evaluation's row lock first (as moderation_record takes it), then the moderation's.
    Evaluation.objects.select_for_update().filter(pk=moderation.evaluation_id).first()
    # No select_related: a row lock on an outer join is refused by PostgreSQL.
    return version_lock(Moderation, moderation.pk, expected_version)


def _sampled(evaluation: Evaluation, reason: str, actor: User, now) -> Moderation:
    moderation = Moderation(
        evaluation=evaluation,
        state=Moderation.State.SAMPLED,
        sample_reason=reason,
        sampled_by=actor,
        sampled_at=now,
    )
    moderation.full_clean(exclude=["evaluation"])
    _attribute(moderation, actor)
    moderation.save()
    return moderation


def _require_hub(actor: User) -> None:
    if not can_change_confirmed_moderation(actor):
        raise ModerationRefused("Only the Practice Hub draws the moderation sample and holds the panels.")


@transaction.atomic
def moderation_sample_draw(
    *, cycle: Cycle, actor: User, share: int | None = None, rng: random.Random | None = None
) -> list[Moderation]:
    """Draw the cycle's moderation sample (the Practice Hub): every returned evaluation graded
    Inadequate or Outstanding overall, and a random `share` per cent of the rest (the cycle's
    share, changed here when given). Drawing again adds only what is missing: evaluations
    already in the sample stay, and the random part is topped up to the share."""
    _require_hub(actor)
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if share is not None and share != cycle.moderation_share:
        cycle.moderation_share = share
        _clean(cycle, ["moderation_share"])
        _attribute(cycle, actor)
        cycle.save(update_fields=["moderation_share"])
    rng = rng or random.SystemRandom()
    returned = list(
        # Only the evaluations' rows: PostgreSQL refuses a lock on the outer join's side.
        Evaluation.objects.select_for_update(of=("self",))
        .filter(cycle=cycle, status=Status.RETURNED)
        .values_list("pk", "overall_grade", "moderation__pk")
        .order_by("pk")
    )
    always = {
        Grade.INADEQUATE: Moderation.SampleReason.INADEQUATE,
        Grade.OUTSTANDING: Moderation.SampleReason.OUTSTANDING,
    }
    wanted: list[tuple[int, str]] = [(pk, always[grade]) for pk, grade, mod in returned if grade in always and not mod]
    rest = [(pk, mod) for pk, grade, mod in returned if grade not in always]
    target = -(-len(rest) * cycle.moderation_share // 100)  # rounded up: 20% of 3 is 1
    already = sum(1 for _, mod in rest if mod)
    candidates = [pk for pk, mod in rest if not mod]
    extra = rng.sample(candidates, max(0, min(target - already, len(candidates))))
    wanted += [(pk, Moderation.SampleReason.RANDOM) for pk in sorted(extra)]
    evaluations = Evaluation.objects.in_bulk([pk for pk, _ in wanted])
    now = timezone.now()
    return [_sampled(evaluations[pk], reason, actor, now) for pk, reason in wanted]


@transaction.atomic
def moderation_sample_add(*, evaluation: Evaluation, actor: User) -> Moderation:
    """Add a returned evaluation to its cycle's moderation sample (the Practice Hub)."""
    _require_hub(actor)
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if not can_be_moderated(evaluation):
        raise ModerationRefused(f"{evaluation.reference} has not been returned, so there is no grade to moderate.")
    if Moderation.objects.filter(evaluation=evaluation).exists():
        raise ModerationRefused(f"{evaluation.reference} is already in the moderation sample.")
    return _sampled(evaluation, Moderation.SampleReason.ADDED, actor, timezone.now())


@transaction.atomic
def moderation_sample_remove(*, moderation: Moderation, actor: User, expected_version: int | None = None) -> None:
    """Take an evaluation out of the sample (the Practice Hub), unless its moderation is
    confirmed: a grade of record is changed with a reason, never removed from here."""
    _require_hub(actor)
    locked = _moderation_lock(moderation, expected_version)
    if locked.is_confirmed:
        raise ModerationRefused(
            f"The moderation of {locked.evaluation.reference} is confirmed: change it with a reason instead."
        )
    _attribute(locked, actor)
    locked.delete()


def _moderated_values(
    evaluation: Evaluation, *, overall_grade: str, pillar_grades: Mapping[str, str], rationale: str
) -> tuple[str, dict[str, tuple[str, str]]]:
    """The overall outcome and each pillar's (grade, outcome), refusing anything missing."""
    problems: dict[str, list[str]] = {}
    for pillar in Pillar:
        if pillar_grades.get(pillar.value) not in Grade.values:
            problems[f"pillar_{pillar.value}"] = [f"Select your grade for {pillar.label.lower()}"]
    if overall_grade not in Grade.values:
        problems["overall_grade"] = ["Select your overall grade"]
    if not rationale.strip():
        problems["rationale"] = ["Enter your rationale"]
    if problems:
        raise ValidationError(problems)
    evaluator_grades = dict(evaluation.pillar_grades.values_list("pillar", "grade"))
    pillars = {}
    for pillar in Pillar.values:
        theirs = evaluator_grades.get(pillar, "")
        grade = pillar_grades[pillar]
        outcome = Moderation.outcome_for(overall_grade=theirs, moderated_grade=grade) if theirs else ""
        pillars[pillar] = (grade, outcome)
    outcome = Moderation.outcome_for(overall_grade=evaluation.overall_grade, moderated_grade=overall_grade)
    return outcome, pillars


def _write_pillar_grades(moderation: Moderation, pillars: Mapping[str, tuple[str, str]], actor: User) -> None:
    current = {row.pillar: row for row in moderation.pillar_grades.all()}
    for pillar, (grade, outcome) in pillars.items():
        row = current.get(pillar) or ModeratedPillarGrade(moderation=moderation, pillar=pillar)
        if row.pk and (row.grade, row.outcome) == (grade, outcome):
            continue
        row.grade, row.outcome = grade, outcome
        row.full_clean(exclude=["moderation"])
        _attribute(row, actor)
        row.save()


@transaction.atomic
def moderation_grade_blind(
    *,
    moderation: Moderation,
    actor: User,
    overall_grade: str,
    pillar_grades: Mapping[str, str],
    rationale: str,
    expected_version: int | None = None,
) -> Moderation:
    """A moderator records their own grade for each pillar and overall, with a rationale, before
    seeing the evaluator's (blind). Only a moderator or the Practice Hub, never the evaluator
    who graded it, and only while the moderation is sampled. Outcomes are derived here."""
    locked = _moderation_lock(moderation, expected_version)
    evaluation = locked.evaluation
    if not can_be_moderated(evaluation, actor):
        raise ModerationRefused("Only a moderator or the Practice Hub can moderate an evaluation, and never their own.")
    if locked.state != Moderation.State.SAMPLED:
        raise ModerationRefused(f"{evaluation.reference} has already been graded by a moderator.")
    outcome, pillars = _moderated_values(
        evaluation, overall_grade=overall_grade, pillar_grades=pillar_grades, rationale=rationale
    )
    locked.moderator = actor
    locked.moderated_grade = overall_grade
    locked.outcome = outcome
    locked.rationale = rationale.strip()
    locked.state = Moderation.State.GRADED_BLIND
    locked.graded_at = timezone.now()
    version_bump(locked)
    locked.full_clean(exclude=["evaluation"])
    _attribute(locked, actor)
    locked.save()
    _write_pillar_grades(locked, pillars, actor)
    return locked


def _notify_evaluator(moderation: Moderation, *, changed: bool = False) -> None:
    evaluation = moderation.evaluation
    grades = dict(Grade.choices)
    lines = "\n".join(
        f"- {Pillar(row.pillar).label}: {grades[row.grade]}"
        + (f" ({Moderation.Outcome(row.outcome).label.lower()})" if row.outcome else "")
        for row in moderation.pillar_grades.order_by("pk")
    )
    what = "changed the moderation of" if changed else "moderated"
    notification_queue(
        kind=NotificationKind.MODERATION_CONFIRMED,
        recipients=[evaluation.evaluator.email],
        subject=f"PQA: {evaluation.reference} has been moderated: {moderation.get_outcome_display().lower()}",
        body=(
            f"A moderator has {what} practice evaluation {evaluation.reference} (child {evaluation.child_ref}).\n\n"
            f"Your overall grade: {grades[evaluation.overall_grade]}\n"
            f"Moderated overall grade: {grades[moderation.moderated_grade]} "
            f"({moderation.get_outcome_display().lower()})\n"
            + (f"\nBy pillar:\n{lines}\n" if lines else "")
            + f"\nRationale:\n{moderation.rationale}\n"
            + (f"\nWhy it was changed:\n{moderation.round_reason}\n" if changed and moderation.round_reason else "")
            + f"\nThe moderated grade is now the grade of record. Read it in PQA: "
            f"{absolute_url(reverse('evaluations:detail', args=[evaluation.pk]))}"
        ),
    )


@transaction.atomic
def moderation_confirm(*, moderation: Moderation, actor: User, expected_version: int | None = None) -> Moderation:
    """Having seen their grades beside the evaluator's, the moderator who graded blind confirms
    them: the moderated overall grade becomes the grade of record, and the evaluator is told,
    with the rationale, once the transaction commits."""
    locked = _moderation_lock(moderation, expected_version)
    if locked.state != Moderation.State.GRADED_BLIND:
        raise ModerationRefused(f"Only a moderation graded blind can be confirmed ({locked.get_state_display()}).")
    if locked.moderator_id != actor.pk or not can_be_moderated(locked.evaluation, actor):
        raise ModerationRefused("Only the moderator who graded it can confirm this moderation.")
    locked.state = Moderation.State.CONFIRMED
    locked.confirmed_at = timezone.now()
    version_bump(locked)
    locked.full_clean(exclude=["evaluation"])
    _attribute(locked, actor)
    locked.save()
    _notify_evaluator(locked)
    return locked


def _archive_round(moderation: Moderation, *, actor: User | None, reason: str, now) -> None:
    """Keep the confirmed round being replaced, as it stood."""
    record = ModerationRound(
        moderation=moderation,
        number=moderation.round,
        moderator=moderation.moderator,
        moderated_grade=moderation.moderated_grade,
        outcome=moderation.outcome,
        pillar_grades=dict(moderation.pillar_grades.values_list("pillar", "grade")),
        rationale=moderation.rationale[:2000],
        confirmed_at=moderation.confirmed_at,
        replaced_by=actor,
        replaced_at=now,
        replaced_because=reason[:500],
    )
    record.full_clean(exclude=["moderation"])
    _attribute(record, actor)
    record.save()
    moderation.round += 1
    moderation.round_reason = reason[:500]


@transaction.atomic
def moderation_change(
    *,
    moderation: Moderation,
    actor: User,
    overall_grade: str,
    pillar_grades: Mapping[str, str],
    rationale: str,
    reason: str,
    expected_version: int | None = None,
) -> Moderation:
    """Change a confirmed moderation: only the Practice Hub, only with a reason, and never of
    an evaluation they graded themselves. The round it replaces is kept (ModerationRound); the
    new round is confirmed at once and the evaluator is told."""
    locked = _moderation_lock(moderation, expected_version)
    evaluation = locked.evaluation
    if not can_change_confirmed_moderation(actor):
        raise ModerationRefused("Only the Practice Hub can change a confirmed moderation.")
    if evaluation.evaluator_id == actor.pk:
        raise ModerationRefused("You cannot moderate an evaluation you graded yourself.")
    if not locked.is_confirmed:
        raise ModerationRefused("Only a confirmed moderation is changed this way.")
    if not reason.strip():
        raise ValidationError({"reason": ["Enter why the confirmed moderation is being changed"]})
    outcome, pillars = _moderated_values(
        evaluation, overall_grade=overall_grade, pillar_grades=pillar_grades, rationale=rationale
    )
    now = timezone.now()
    _archive_round(locked, actor=actor, reason=reason.strip(), now=now)
    locked.moderator = actor
    locked.moderated_grade = overall_grade
    locked.outcome = outcome
    locked.rationale = rationale.strip()
    locked.graded_at = locked.confirmed_at = now
    version_bump(locked)
    locked.full_clean(exclude=["evaluation"])
    _attribute(locked, actor)
    locked.save()
    _write_pillar_grades(locked, pillars, actor)
    _notify_evaluator(locked, changed=True)
    return locked


@transaction.atomic
def moderation_record(
    *,
    evaluation: Evaluation,
    moderated_grade: str,
    moderator: User | None,
    rationale: str = "",
    actor: User | None = None,
    expected_version: int | None = None,
    reason: str = "",
) -> Moderation:
    """Record a confirmed moderated overall grade directly (imports, the administrators' page):
    for a returned evaluation, by a moderator or the Practice Hub who did not grade it (when
    one is named). Whether it agreed with, raised or lowered the evaluator's grade is derived
    here, never typed. Changing an existing moderation needs the version it was based on
    (ConcurrentEditError otherwise); a confirmed grade that changes keeps its earlier round."""
    # The evaluation's row lock also guards its one moderation (no second lock to order).
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if not can_be_moderated(evaluation):
        raise EvaluationError("Only a returned evaluation can be moderated.")
    if moderator is not None and not can_be_moderated(evaluation, moderator):
        raise ModerationRefused(
            f"{moderator} cannot moderate {evaluation.reference}: only a moderator or the Practice Hub, "
            "and never the evaluator who graded it."
        )
    if moderated_grade not in Grade.values:
        raise ValidationError({"moderated_grade": f"'{moderated_grade}' is not a grade"})
    outcome = Moderation.outcome_for(overall_grade=evaluation.overall_grade, moderated_grade=moderated_grade)
    moderation = Moderation.objects.filter(evaluation=evaluation).first() or Moderation(evaluation=evaluation)
    now = timezone.now()
    if moderation.pk:
        version_check(moderation, expected_version)
        if moderation.is_confirmed and moderation.moderated_grade != moderated_grade:
            _archive_round(moderation, actor=actor or moderator, reason=reason or "Corrected", now=now)
    moderation.moderated_grade = moderated_grade
    moderation.outcome = outcome
    moderation.moderator = moderator
    moderation.rationale = rationale
    moderation.state = Moderation.State.CONFIRMED
    moderation.confirmed_at = moderation.confirmed_at if moderation.confirmed_at and moderation.pk else now
    if moderation.pk:
        version_bump(moderation)
        moderation.moderated_at = now
    moderation.full_clean(exclude=["evaluation"])
    _attribute(moderation, actor or moderator)
    moderation.save()
    return moderation


@transaction.atomic
def moderation_delete(*, moderation: Moderation, actor: User, expected_version: int | None) -> None:
    """Remove a moderation (an administrator's correction), unless it changed since
    `expected_version` (ConcurrentEditError, nothing deleted)."""
    Evaluation.objects.select_for_update().filter(pk=moderation.evaluation_id).first()
    locked = version_lock(Moderation, moderation.pk, expected_version)
    _attribute(locked, actor)
    locked.delete()


@transaction.atomic
def moderation_panel_create(
    *,
    cycle: Cycle,
    held_on: dt.date,
    members: Iterable[User],
    notes: str = "",
    moderations: Iterable[Moderation] = (),
    actor: User,
) -> ModerationPanel:
    """Hold a moderation panel (the Practice Hub): its date, members and notes, and the
    moderations of this cycle's sample it looks at (each in one panel at a time)."""
    _require_hub(actor)
    panel = ModerationPanel(cycle=cycle, held_on=held_on, notes=notes.strip(), created_by=actor)
    panel.full_clean()
    _attribute(panel, actor)
    panel.save()
    panel.members.set(list(members))
    wanted = [item.pk for item in moderations]
    grouped = list(Moderation.objects.select_for_update(of=("self",)).filter(pk__in=wanted, evaluation__cycle=cycle))
    if len(grouped) != len(set(wanted)):
        raise ModerationRefused("A panel groups moderations of its own cycle's sample only.")
    for item in grouped:
        # Grouping is not a change of the grades: the version stays, so nobody grading is refused.
        item.panel = panel
        _attribute(item, actor)
        item.save(update_fields=["panel"])
    return panel


# --- Recommendations ----------------------------------------------------------------------


# --- Safeguarding concerns ----------------------------------------------------------------


@transaction.atomic
def safeguarding_concern_acknowledge(*, evaluation: Evaluation, actor: User) -> Evaluation:
    """A reported safeguarding concern is acknowledged by a team manager of the evaluation's
    team or by the Practice Hub (never by the evaluator who raised it), once: who and when
    are recorded, with a history row. It is not an edit of the evaluation: the version is
    left alone, so an evaluator typing in the draft at that moment is not refused."""
    locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if not can_acknowledge_safeguarding_concern(actor, locked):
        raise EvaluationError(
            "Only a team manager of the evaluation's team or the Practice Hub can acknowledge this concern, "
            "and never the evaluator who raised it."
        )
    if locked.safeguarding_reported_at is None:
        raise EvaluationError("No safeguarding concern has been reported in this evaluation.")
    if locked.safeguarding_acknowledged_at is not None:
        raise EvaluationError("This concern has already been acknowledged.")
    locked.safeguarding_acknowledged_by = actor
    locked.safeguarding_acknowledged_at = timezone.now()
    locked.full_clean()
    _attribute(locked, actor)
    locked.save(update_fields=["safeguarding_acknowledged_by", "safeguarding_acknowledged_at"])
    return locked


RECOMMENDATION_ADMIN_FIELDS = (*RECOMMENDATION_FIELDS, "status", "completed_on", "outcome_note", "tabled_on")


def _recommendation_values(values: Mapping[str, object]) -> dict[str, object]:
    unknown = set(values) - set(RECOMMENDATION_ADMIN_FIELDS)
    if unknown:
        raise ValueError(f"Not a recommendation field that can be changed: {', '.join(sorted(unknown))}")
    return dict(values)


@transaction.atomic
def recommendation_add(*, evaluation: Evaluation, values: Mapping[str, object], actor: User) -> Recommendation:
    """Add a recommendation to an evaluation's central record (the administrators' page; the
    evaluator's own come with the draft)."""
    values = _recommendation_values(values)
    recommendation = Recommendation(evaluation=evaluation)
    _check_owner(values.get("owner"))
    for name, value in values.items():
        if name != "status":
            setattr(recommendation, name, value)
    _set_status(recommendation, values.get("status") or Recommendation.Status.OPEN)
    recommendation.full_clean()
    _attribute(recommendation, actor)
    recommendation.save()
    return recommendation


@transaction.atomic
def recommendation_update(
    *, recommendation: Recommendation, values: Mapping[str, object], actor: User, expected_version: int | None
) -> Recommendation:
    """Change a recommendation's action, owner, due date or status. Refused if it changed
    since `expected_version` (ConcurrentEditError) or the values are not allowed
    (ValidationError); nothing is written then. No change, no new version."""
    values = _recommendation_values(values)
    locked = version_lock(Recommendation, recommendation.pk, expected_version)
    if all(getattr(locked, name) == value for name, value in values.items()):
        return locked
    if "owner" in values and getattr(values["owner"], "pk", None) != locked.owner_id:
        _check_owner(values["owner"])
    for name, value in values.items():
        if name != "status":
            setattr(locked, name, value)
    if "status" in values:
        _set_status(locked, values["status"], keep_outcome=True)
    version_bump(locked)
    locked.full_clean()
    _attribute(locked, actor)
    locked.save()
    return locked


@transaction.atomic
def recommendation_delete(*, recommendation: Recommendation, actor: User, expected_version: int | None) -> None:
    """Remove a recommendation, unless it changed since `expected_version` (ConcurrentEditError)."""
    locked = version_lock(Recommendation, recommendation.pk, expected_version)
    _attribute(locked, actor)
    locked.delete()


# --- The recommendations register -----------------------------------------------------------


def _check_owner(owner: User | None, *, field: str = "owner") -> None:
    """An owner someone chooses must be an account that can sign in: a reminder to an account
    nobody uses reaches nobody. (An import may name an account it creates inactive.)"""
    if owner is not None and not owner.is_active:
        raise ValidationError({field: "Choose an active account: this person cannot sign in to PQA"})


def _set_status(recommendation: Recommendation, status: str, *, keep_outcome: bool = False) -> None:
    # When the status last changed to done or not achieved is recorded, never typed; opened
    # again, the note and date of the closing go (the history keeps them).
    if status not in Recommendation.Status.values:
        raise ValidationError({"status": f"'{status}' is not a recommendation status"})
    closed = status in Recommendation.CLOSED_STATUSES
    if recommendation.status != status:
        recommendation.completed_at = timezone.now() if closed else None
    if not closed and not keep_outcome:
        recommendation.completed_on = None
        recommendation.outcome_note = ""
    recommendation.status = status


UNCHANGED = object()


@transaction.atomic
def recommendation_set_status(
    *,
    recommendation: Recommendation,
    status: str,
    actor: User,
    expected_version: int | None = None,
    note: str = "",
    completed_on: dt.date | None = None,
    tabled_on=UNCHANGED,
) -> Recommendation:
    """Move a recommendation along: open, in progress, done (with a note of what was done and
    the date) or not achieved (with the reason and the date); or open it again. Only its
    owner, a team manager of its evaluation's team or of the owner's team, the Practice Hub
    or an administrator may (permissions.can_update_recommendation). `tabled_on`, when given,
    is the date it was tabled in supervision. Refused if it changed since `expected_version`
    (ConcurrentEditError); a missing note or date is a ValidationError. No change, no new
    version."""
    # Locked alone: a row lock cannot reach the nullable side of a join (the owner).
    locked = version_lock(Recommendation, recommendation.pk, None)
    if not can_update_recommendation(actor, locked):
        raise EvaluationError(
            "Only the owner of this recommendation, their team manager or the Practice Hub can change it."
        )
    version_check(locked, expected_version)
    wanted_note = (note or "").strip() if status in Recommendation.CLOSED_STATUSES else ""
    wanted_on = completed_on if status in Recommendation.CLOSED_STATUSES else None
    unchanged = (
        locked.status == status
        and locked.outcome_note == wanted_note
        and locked.completed_on == wanted_on
        and (tabled_on is UNCHANGED or locked.tabled_on == tabled_on)
    )
    if unchanged:
        return locked
    _set_status(locked, status)
    if status in Recommendation.CLOSED_STATUSES:
        locked.outcome_note = wanted_note
        locked.completed_on = wanted_on
    if tabled_on is not UNCHANGED:
        locked.tabled_on = tabled_on
    version_bump(locked)
    _clean(locked, ["status", "outcome_note", "completed_on", "tabled_on"])
    _attribute(locked, actor)
    locked.save()
    return locked


@transaction.atomic
def recommendation_assign_owner(
    *, recommendation: Recommendation, owner: User, actor: User, expected_version: int | None
) -> Recommendation:
    """Give a recommendation to another owner: the Practice Hub's (and an administrator's)
    work, e.g. for an owner typed as text that matched no account. The owner must be an
    active account. Refused if it changed since `expected_version`."""
    if not can_manage_cycles(actor):
        raise EvaluationError("Only the Practice Hub can give a recommendation to another owner.")
    locked = version_lock(Recommendation, recommendation.pk, expected_version)
    if locked.owner_id == owner.pk:
        return locked
    _check_owner(owner)
    locked.owner = owner
    version_bump(locked)
    _attribute(locked, actor)
    locked.save()
    return locked


@transaction.atomic
def recommendation_record_revisit_finding(
    *, recommendation: Recommendation, found_done: bool | None, actor: User, expected_version: int | None = None
) -> Recommendation:
    """Record what a revisit found: True when the recommendation was found done, False when
    not, None to clear it. The only door to `revisit_found_done` (the revisit workflow calls
    it). It does not change the status: the owner's account of it stays theirs, and the
    register shows both. Refused if it changed since `expected_version`."""
    if found_done is not None and not isinstance(found_done, bool):
        raise ValidationError({"revisit_found_done": "Say whether the revisit found it done: yes, no or not known"})
    locked = version_lock(Recommendation, recommendation.pk, expected_version)
    if locked.revisit_found_done is found_done:
        return locked
    locked.revisit_found_done = found_done
    version_bump(locked)
    _attribute(locked, actor)
    locked.save()
    return locked


@dataclass(frozen=True)
class RemindersSent:
    owners: int
    team_managers: int

    @property
    def total(self) -> int:
        return self.owners + self.team_managers

    def __str__(self) -> str:
        return f"sent {self.total} reminders ({self.owners} to owners, {self.team_managers} to team managers)"


REMINDER_DAYS_AHEAD = 7
ESCALATION_DAYS_OVERDUE = 14


def _claim_reminder(*, person: User, kind: str, day: dt.date, count: int) -> bool:
    # The unique (person, kind, day) row is the claim: a second run, even at the same moment,
    # fails to insert it and sends nothing. The savepoint keeps the run's transaction usable.
    try:
        with transaction.atomic():
            SentReminder.objects.create(person=person, kind=kind, day=day, recommendations=count)
    except IntegrityError:
        return False
    return True


REMINDER_LINES_SHOWN = 30


def _reminder_lines(items: Sequence[Recommendation], today: dt.date) -> str:
    # An e-mail people read, not an export: the most overdue first, a bounded list.
    lines = []
    for item in items[:REMINDER_LINES_SHOWN]:
        days = (today - item.due_date).days
        when = f"overdue by {days} day{'s' if days != 1 else ''}" if days > 0 else f"due {item.due_date:%d/%m/%Y}"
        action = " ".join(item.action.split())
        action = action if len(action) <= 100 else f"{action[:97]}..."
        lines.append(f"- {item.evaluation.reference}, {when}: {action}")
    if len(items) > REMINDER_LINES_SHOWN:
        lines.append(f"- and {len(items) - REMINDER_LINES_SHOWN} more")
    return "\n".join(lines)


def reminders_send(*, today: dt.date | None = None) -> RemindersSent:
    """The daily reminders (shared contract recommendations.md): each owner one e-mail listing
    their open and in-progress recommendations due within 7 days or overdue; each team manager
    one listing their team's recommendations overdue by more than 14 days. Through the outbox,
    at most once per person, kind and day (SentReminder), so running it again for the same day
    sends nothing. Only recommendations of returned evaluations: a draft's are not yet agreed."""
    today = today or timezone.localdate()
    active = Recommendation.objects.filter(
        status__in=Recommendation.ACTIVE_STATUSES,
        evaluation__status=Status.RETURNED,
        due_date__isnull=False,
    ).select_related("evaluation")
    mine_url = absolute_url(reverse("evaluations:my_actions"))
    owners = 0
    by_owner: dict[int, list[Recommendation]] = {}
    due_soon = active.filter(
        due_date__lte=today + dt.timedelta(days=REMINDER_DAYS_AHEAD), owner__is_active=True
    ).exclude(owner__email="")
    for item in due_soon.select_related("owner").order_by("due_date", "pk"):
        by_owner.setdefault(item.owner_id, []).append(item)
    for items in by_owner.values():
        owner = items[0].owner
        with transaction.atomic():
            if not _claim_reminder(person=owner, kind=SentReminder.Kind.OWNER, day=today, count=len(items)):
                continue
            notification_queue(
                kind=NotificationKind.RECOMMENDATION_REMINDER,
                recipients=[owner.email],
                subject=f"PQA: {len(items)} recommendation{'s' if len(items) != 1 else ''} due or overdue",
                body=(
                    "These recommendations you own are due within a week or overdue:\n\n"
                    f"{_reminder_lines(items, today)}\n\nUpdate them on your actions page: {mine_url}\n"
                ),
            )
        owners += 1

    managers = 0
    by_team: dict[int, list[Recommendation]] = {}
    long_overdue = active.filter(due_date__lt=today - dt.timedelta(days=ESCALATION_DAYS_OVERDUE))
    for item in long_overdue.order_by("due_date", "pk"):
        by_team.setdefault(item.evaluation.team_id, []).append(item)
    team_managers = User.objects.filter(is_active=True, role=Role.TEAM_MANAGER, team_id__in=list(by_team)).exclude(
        email=""
    )
    for manager in team_managers.order_by("pk"):
        items = by_team[manager.team_id]
        register_url = absolute_url(f"{reverse('evaluations:register')}?team={manager.team_id}&overdue=yes")
        with transaction.atomic():
            if not _claim_reminder(person=manager, kind=SentReminder.Kind.TEAM_MANAGER, day=today, count=len(items)):
                continue
            notification_queue(
                kind=NotificationKind.RECOMMENDATION_ESCALATION,
                recipients=[manager.email],
                subject=f"PQA: {len(items)} of your team's recommendations overdue by more than two weeks",
                body=(
                    f"These recommendations of your team are overdue by more than {ESCALATION_DAYS_OVERDUE} days:\n\n"
                    f"{_reminder_lines(items, today)}\n\nSee them and update them: {register_url}\n"
                ),
            )
        managers += 1
    return RemindersSent(owners=owners, team_managers=managers)


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
    "cycle_set_revisit_share",
    "cycle_delete",
    "cycle_update",
    "evaluation_allocate",
    "evaluation_problems",
    "evaluation_reassign",
    "evaluation_save_draft",
    "evaluation_submit",
    "evaluation_delete",
    "evaluation_part_delete",
    "evaluation_update",
    "evaluations_allocate",
    "evaluations_allocate_sample",
    "ModerationRefused",
    "moderation_change",
    "moderation_confirm",
    "moderation_delete",
    "moderation_grade_blind",
    "moderation_panel_create",
    "moderation_record",
    "moderation_sample_add",
    "moderation_sample_draw",
    "moderation_sample_remove",
    "recommendation_add",
    "recommendation_assign_owner",
    "recommendation_delete",
    "recommendation_record_revisit_finding",
    "recommendation_set_status",
    "recommendation_update",
    "reminders_send",
    "revisits_allocate",
    "safeguarding_concern_acknowledge",
]
