"""Every write to complaints: record, update, extend, respond, escalate, the Ombudsman and
learning. Each runs in one transaction, validates with `full_clean()` and attributes its
history to the person acting. The rules of the clock (deadlines, the escalation window) are
feedback.complaints.clock's; these functions apply them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from feedback.complaints import clock
from feedback.models import Complaint, ComplaintStage, ComplaintTheme, Outcome
from pqa.models import ServiceArea, Team, User
from pqa.versioning import version_bump, version_lock

# What complaint_update may change (the stages and the Ombudsman have their own services).
EDITABLE_FIELDS = (
    "received",
    "how_received",
    "complainant",
    "procedure",
    "service_area",
    "team",
    "child_ref",
    "summary",
    "age_band",
    "ethnicity",
    "disability",
    "gender",
)


def facts_of(complaint: Complaint) -> clock.Facts:
    """The clock's view of a complaint (its stages read once: prefetch `stages` for lists)."""
    stages = {stage.number: stage for stage in complaint.stages.all()}
    one, two, three = stages.get(1), stages.get(2), stages.get(3)
    return clock.Facts(
        received=complaint.received,
        stage1_extended=bool(one and one.extension_reason),
        stage1_responded=one.responded if one else None,
        stage2_requested=two.requested if two else None,
        stage2_extended=bool(two and two.extension_reason),
        stage2_responded=two.responded if two else None,
        stage3_requested=three.requested if three else None,
        stage3_panel=three.panel if three else None,
        stage3_report=three.report if three else None,
        stage3_responded=three.responded if three else None,
        ombudsman_referred=complaint.ombudsman_referred,
        ombudsman_decided=complaint.ombudsman_decided,
    )


def _attribute(instance, actor: User | None, reason: str = "") -> None:
    instance._history_user = actor
    if reason:
        instance._change_reason = reason[:100]


def _save(instance, actor: User | None, reason: str = "") -> None:
    instance.full_clean()
    _attribute(instance, actor, reason)
    instance.save()


def _check_team(service_area: ServiceArea, team: Team | None) -> None:
    if team is not None and team.service_area_id != service_area.pk:
        raise ValidationError({"team": f"{team} is not a team of {service_area}."})


def _set_themes(complaint: Complaint, themes: Iterable[str]) -> None:
    wanted = set(themes)
    current = set(complaint.themes.values_list("theme", flat=True))
    complaint.themes.filter(theme__in=current - wanted).delete()
    for theme in sorted(wanted - current):
        item = ComplaintTheme(complaint=complaint, theme=theme)
        item.full_clean()
        item.save()


def _locked(complaint: Complaint, version: int | None) -> Complaint:
    return version_lock(Complaint, complaint.pk, version)


def _stage(complaint: Complaint, number: int) -> ComplaintStage:
    stage = complaint.stages.select_for_update().filter(number=number).first()
    if stage is None:
        raise ValidationError(f"Stage {number} has not started.")
    return stage


@transaction.atomic
def complaint_record(
    *,
    actor: User | None,
    reference: str,
    received: dt.date,
    how_received: str,
    complainant: str,
    procedure: str,
    service_area: ServiceArea,
    team: Team | None = None,
    child_ref: str = "",
    themes: Iterable[str] = (),
    summary: str = "",
    age_band: str = "",
    ethnicity: str = "",
    disability: str = "",
    gender: str = "",
) -> Complaint:
    """Record a new complaint: its Stage 1 starts on the day it was received."""
    _check_team(service_area, team)
    complaint = Complaint(
        reference=reference.strip(),
        received=received,
        how_received=how_received,
        complainant=complainant,
        procedure=procedure,
        service_area=service_area,
        team=team,
        child_ref=(child_ref or "").strip(),
        summary=summary,
        age_band=age_band,
        ethnicity=ethnicity,
        disability=disability,
        gender=gender,
    )
    _save(complaint, actor, "Recorded")
    stage = ComplaintStage(complaint=complaint, number=1, requested=received)
    _save(stage, actor, "Recorded")
    _set_themes(complaint, themes)
    return complaint


@transaction.atomic
def complaint_update(
    *, actor: User | None, complaint: Complaint, version: int | None, themes: Iterable[str] | None = None, **changes
) -> Complaint:
    """Change what was recorded about a complaint, refused (ConcurrentEditError) if someone
    saved it after `version`. The received date cannot move past Stage 1's response."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"complaint_update cannot change {sorted(unknown)}")
    locked = _locked(complaint, version)
    for name, value in changes.items():
        setattr(locked, name, value.strip() if name == "child_ref" else value)
    _check_team(locked.service_area, locked.team)
    stage1 = _stage(locked, 1)
    if stage1.responded and locked.received > stage1.responded:
        raise ValidationError({"received": "The complaint cannot be received after its Stage 1 response."})
    if stage1.requested != locked.received:
        stage1.requested = locked.received
        _save(stage1, actor, "Received date changed")
    version_bump(locked)
    _save(locked, actor, "Updated")
    if themes is not None:
        _set_themes(locked, themes)
    return locked


@transaction.atomic
def complaint_stage_extend(*, actor: User | None, complaint: Complaint, stage: int, reason: str) -> ComplaintStage:
    """Extend Stage 1 (to 20 working days) or Stage 2 (to 65) with a recorded reason, while
    the stage has no response."""
    if stage not in (1, 2):
        raise ValidationError("Only Stage 1 and Stage 2 can be extended.")
    locked = _locked(complaint, None)
    row = _stage(locked, stage)
    if not (reason or "").strip():
        raise ValidationError({"extension_reason": "Enter why the stage needs longer."})
    if row.responded:
        raise ValidationError(f"Stage {stage} already has its response: it cannot be extended.")
    row.extension_reason = reason.strip()
    _save(row, actor, f"Stage {stage} extended")
    version_bump(locked)
    _save(locked, actor, f"Stage {stage} extended")
    return row


def complaint_stage1_extend(*, actor: User | None, complaint: Complaint, reason: str) -> ComplaintStage:
    """Extend Stage 1 to 20 working days, with the reason why."""
    return complaint_stage_extend(actor=actor, complaint=complaint, stage=1, reason=reason)


@transaction.atomic
def complaint_respond(
    *, actor: User | None, complaint: Complaint, stage: int, responded: dt.date, outcome: str
) -> ComplaintStage:
    """Record a stage's response and outcome. Stage 3's response follows the panel's report."""
    locked = _locked(complaint, None)
    row = _stage(locked, stage)
    if row.responded:
        raise ValidationError(f"Stage {stage} already has its response.")
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "Choose the outcome."})
    if responded < row.requested:
        raise ValidationError({"responded": f"The response cannot come before Stage {stage} started."})
    if stage == 3 and (row.report is None or responded < row.report):
        raise ValidationError({"responded": "Stage 3's response follows the panel's report: record the report first."})
    row.responded, row.outcome = responded, outcome
    _save(row, actor, f"Stage {stage} response")
    version_bump(locked)
    _save(locked, actor, f"Stage {stage} response")
    return row


@transaction.atomic
def complaint_escalate(*, actor: User | None, complaint: Complaint, requested: dt.date) -> ComplaintStage:
    """Open the next stage on the complainant's request: only after the latest stage's
    response and within 20 working days of it (clock.may_ask_next_stage)."""
    locked = _locked(complaint, None)
    facts = facts_of(locked)
    if locked.ombudsman_referred:
        raise ValidationError("The complaint is with the Ombudsman.")
    problem = clock.may_ask_next_stage(facts, requested)
    if problem:
        raise ValidationError({"requested": problem})
    row = ComplaintStage(complaint=locked, number=clock.latest_stage(facts) + 1, requested=requested)
    _save(row, actor, f"Escalated to Stage {row.number}")
    version_bump(locked)
    _save(locked, actor, f"Escalated to Stage {row.number}")
    return row


@transaction.atomic
def complaint_stage3_panel(
    *, actor: User | None, complaint: Complaint, panel: dt.date, report: dt.date | None = None
) -> ComplaintStage:
    """Record the Stage 3 review panel's date and, when it comes, its report's."""
    locked = _locked(complaint, None)
    row = _stage(locked, 3)
    if panel < row.requested:
        raise ValidationError({"panel": "The panel cannot meet before Stage 3 was requested."})
    if report is not None and report < panel:
        raise ValidationError({"report": "The report cannot come before the panel."})
    if row.responded and (report is None or row.responded < report):
        raise ValidationError({"report": "The trust's response must follow the report."})
    row.panel, row.report = panel, report
    _save(row, actor, "Stage 3 panel")
    version_bump(locked)
    _save(locked, actor, "Stage 3 panel")
    return row


@transaction.atomic
def complaint_ombudsman_refer(*, actor: User | None, complaint: Complaint, referred: dt.date) -> Complaint:
    """Record that the complainant went to the Local Government and Social Care Ombudsman."""
    locked = _locked(complaint, None)
    if locked.ombudsman_referred:
        raise ValidationError("The complaint is already referred to the Ombudsman.")
    if referred < locked.received:
        raise ValidationError({"ombudsman_referred": "The referral cannot come before the complaint."})
    locked.ombudsman_referred = referred
    version_bump(locked)
    _save(locked, actor, "Referred to the Ombudsman")
    return locked


@transaction.atomic
def complaint_ombudsman_decide(
    *, actor: User | None, complaint: Complaint, decided: dt.date, decision: str, remedy: str = ""
) -> Complaint:
    """Record the Ombudsman's decision and any remedy it asked of the trust."""
    locked = _locked(complaint, None)
    if not locked.ombudsman_referred:
        raise ValidationError("Record the referral to the Ombudsman first.")
    if decided < locked.ombudsman_referred:
        raise ValidationError({"ombudsman_decided": "The decision cannot come before the referral."})
    locked.ombudsman_decided, locked.ombudsman_decision, locked.ombudsman_remedy = decided, decision, remedy
    version_bump(locked)
    _save(locked, actor, "Ombudsman's decision")
    return locked


@transaction.atomic
def complaint_ombudsman_comply(*, actor: User | None, complaint: Complaint, complied: dt.date) -> Complaint:
    """Record the day the trust complied with the Ombudsman's remedy."""
    locked = _locked(complaint, None)
    if not locked.ombudsman_decided:
        raise ValidationError("Record the Ombudsman's decision first.")
    if complied < locked.ombudsman_decided:
        raise ValidationError({"ombudsman_complied": "The trust cannot comply before the decision."})
    locked.ombudsman_complied = complied
    version_bump(locked)
    _save(locked, actor, "Complied with the Ombudsman")
    return locked


@transaction.atomic
def complaint_add_learning(
    *, actor: User | None, complaint: Complaint, learning: str, actions_taken: str, version: int | None = None
) -> Complaint:
    """Record what was learned and the actions taken (replacing what was written before)."""
    locked = _locked(complaint, version)
    locked.learning, locked.actions_taken = learning, actions_taken
    version_bump(locked)
    _save(locked, actor, "Learning")
    return locked
