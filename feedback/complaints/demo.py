"""Demo complaints: about fifteen months up to today, across a Christmas and an Easter, with
extensions, escalations to Stage 2 and 3 and one Ombudsman case. Recorded through the
services, so their history and clocks are real. Loaded by `load_demo` (pqa.registry.demo_loader)."""

from __future__ import annotations

import datetime as dt
import random

import holidays
from django.db import transaction
from django.utils import timezone

from feedback.complaints import clock, services
from feedback.models import Complainant, Complaint, HowReceived, Outcome, Theme
from pqa.models import Team

PREFIX = "DEMO-C-"
SEED = 1738  # SI 2006/1738
COMPLAINTS = 140
MONTHS = 15
SUMMARIES = [
    "Parent says the social worker did not return calls for three weeks.",
    "Young person unhappy that contact arrangements changed without being asked.",
    "Carer disagrees with the assessment's findings about the home.",
    "Family member says a meeting went ahead without them being told.",
    "Advocate raises that the plan was not shared with the young person.",
    "Parent says a report held inaccurate information.",
    "Complaint about a change of social worker with no introduction.",
]
# The complainants, weighted as trusts' logs show them: mostly parents and carers.
COMPLAINANTS = [Complainant.PARENT_CARER] * 12 + [
    Complainant.CHILD,
    Complainant.ADVOCATE,
    Complainant.ADVOCATE,
    Complainant.FAMILY,
    Complainant.FAMILY,
    Complainant.PROFESSIONAL,
    Complainant.OTHER,
]
OUTCOMES = [Outcome.NOT_UPHELD] * 5 + [Outcome.PARTLY_UPHELD] * 3 + [Outcome.UPHELD] * 2 + [Outcome.WITHDRAWN]


def _working_day_on_or_after(day: dt.date) -> dt.date:
    while not clock.is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def _received_days(rng: random.Random, today: dt.date) -> list[dt.date]:
    start = today - dt.timedelta(days=MONTHS * 30)
    span = (today - start).days
    days = [_working_day_on_or_after(start + dt.timedelta(days=rng.randrange(span))) for _ in range(COMPLAINTS)]
    # Make sure Christmas and Easter are crossed, whatever today is.
    for year in range(start.year, today.year + 1):
        for special in (dt.date(year, 12, 19), dt.date(year, 12, 22)):
            if start <= special < today:
                days.append(_working_day_on_or_after(special))
        easter = [
            d for d, name in holidays.country_holidays("GB", subdiv="ENG", years=year).items() if name == "Good Friday"
        ]
        for good_friday in easter:
            before = good_friday - dt.timedelta(days=3)
            if start <= before < today:
                days.append(before)
    return sorted(day for day in days if day < today)


def complaints_demo_load(*, actor=None, today: dt.date | None = None) -> str:
    """Load the demo complaints unless they are there already. Returns what was added."""
    if Complaint.objects.filter(reference__startswith=PREFIX).exists():
        return ""
    teams = list(Team.objects.select_related("service_area").order_by("service_area__name", "name"))
    if not teams:
        return ""
    today = today or timezone.localdate()
    rng = random.Random(SEED)  # nosec B311 - repeatable demo data, never a secret
    counts = {"complaints": 0, "extended": 0, "stage2": 0, "stage3": 0, "ombudsman": 0}
    with transaction.atomic():
        for number, received in enumerate(_received_days(rng, today), start=1):
            _one(rng, actor, f"{PREFIX}{number:04d}", received, rng.choice(teams), today, counts)
        _ombudsman(actor, today, counts)
    return (
        f"{counts['complaints']} complaints ({counts['extended']} extended, {counts['stage2']} at Stage 2, "
        f"{counts['stage3']} at Stage 3, {counts['ombudsman']} with the Ombudsman)"
    )


def _one(rng, actor, reference, received, team, today, counts) -> None:
    complaint = services.complaint_record(
        actor=actor,
        reference=reference,
        received=received,
        how_received=rng.choice(HowReceived.values),
        complainant=rng.choice(COMPLAINANTS),
        procedure="statutory" if rng.random() < 0.8 else "corporate",
        service_area=team.service_area,
        team=team if rng.random() < 0.9 else None,
        child_ref=f"{rng.randrange(1000000, 9999999)}" if rng.random() < 0.7 else "",
        themes=rng.sample(Theme.values, rng.choice((1, 1, 2, 3))),
        summary=rng.choice(SUMMARIES),
        age_band=rng.choice(["", "", "0-4", "5-10", "11-15", "16-17"]),
    )
    counts["complaints"] += 1
    extended = rng.random() < 0.18
    if extended:
        services.complaint_stage1_extend(
            actor=actor, complaint=complaint, reason="Waiting for the records and the worker's account."
        )
        counts["extended"] += 1
    reply = clock.working_days_after(received, rng.randint(12, 22) if extended else rng.randint(5, 12))
    if reply >= today:
        return
    services.complaint_respond(actor=actor, complaint=complaint, stage=1, responded=reply, outcome=rng.choice(OUTCOMES))
    if rng.random() > 0.22:
        return
    asked = clock.working_days_after(reply, rng.randint(2, 18))
    if asked >= today:
        return
    services.complaint_escalate(actor=actor, complaint=complaint, requested=asked)
    counts["stage2"] += 1
    extended = rng.random() < 0.35
    if extended:
        services.complaint_stage_extend(
            actor=actor, complaint=complaint, stage=2, reason="Independent investigator appointed late."
        )
    reply = clock.working_days_after(asked, rng.randint(40, 68) if extended else rng.randint(18, 28))
    if reply >= today:
        return
    services.complaint_respond(actor=actor, complaint=complaint, stage=2, responded=reply, outcome=rng.choice(OUTCOMES))
    if rng.random() > 0.4:
        return
    asked = clock.working_days_after(reply, rng.randint(3, 15))
    if asked >= today:
        return
    services.complaint_escalate(actor=actor, complaint=complaint, requested=asked)
    counts["stage3"] += 1
    panel = clock.working_days_after(asked, rng.randint(22, 34))
    if panel >= today:
        return
    report = clock.working_days_after(panel, 5)
    services.complaint_stage3_panel(
        actor=actor, complaint=complaint, panel=panel, report=report if report < today else None
    )
    reply = clock.working_days_after(report, rng.randint(10, 17))
    if report < today and reply < today:
        services.complaint_respond(
            actor=actor, complaint=complaint, stage=3, responded=reply, outcome=Outcome.PARTLY_UPHELD
        )


def _ombudsman(actor, today, counts) -> None:
    """The one Ombudsman case: the earliest complaint whose Stage 3 has its response."""
    complaint = (
        Complaint.objects.filter(reference__startswith=PREFIX, stages__number=3, stages__responded__isnull=False)
        .order_by("received")
        .first()
    )
    if complaint is None:
        complaint = (
            Complaint.objects.filter(reference__startswith=PREFIX, stages__number=2, stages__responded__isnull=False)
            .order_by("received")
            .first()
        )
    if complaint is None:
        return
    latest = complaint.stages.order_by("-number").first()
    referred = clock.working_days_after(latest.responded, 10)
    if referred >= today:
        return
    complaint = services.complaint_ombudsman_refer(actor=actor, complaint=complaint, referred=referred)
    counts["ombudsman"] += 1
    decided = clock.working_days_after(referred, 60)
    if decided >= today:
        return
    complaint = services.complaint_ombudsman_decide(
        actor=actor,
        complaint=complaint,
        decided=decided,
        decision="fault_injustice",
        remedy="Apologise to the family and review how Stage 2 investigations are commissioned.",
    )
    complied = clock.working_days_after(decided, 15)
    if complied < today:
        services.complaint_ombudsman_comply(actor=actor, complaint=complaint, complied=complied)
    services.complaint_add_learning(
        actor=actor,
        complaint=complaint,
        learning="Stage 2 investigators need to be appointed within five working days of the request.",
        actions_taken="A pool of independent investigators has been commissioned.",
    )
