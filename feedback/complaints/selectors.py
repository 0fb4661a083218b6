"""Reads of complaints, scoped to the person asking, and the figures out of them.

Who sees what: customer relations, the Practice Hub and administrators see every complaint
and record them; a team manager reads their own team's; leaders read the figures (no names,
no summaries) and no list. A complaint outside a person's scope is a 404, never a 403 that
would tell them it exists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from feedback.complaints import clock
from feedback.complaints.services import facts_of
from feedback.models import (
    Complainant,
    Complaint,
    ComplaintStage,
    ComplaintTheme,
    OmbudsmanDecision,
    Outcome,
    Theme,
)
from pqa.feed.columns import Column, code, code_field, yes_no
from pqa.models import Role, ServiceArea
from pqa.permissions import role_of
from pqa.quarters import Quarter

MANAGE_ROLES = frozenset({Role.CUSTOMER_RELATIONS, Role.PRACTICE_HUB, Role.ADMINISTRATOR})
READ_ROLES = MANAGE_ROLES | {Role.TEAM_MANAGER}
FIGURES_ROLES = MANAGE_ROLES | {Role.LEADER}
DUE_SOON_WORKING_DAYS = 3


def can_manage_complaints(user) -> bool:
    """Record complaints and every step of them: customer relations, the Practice Hub, admins."""
    return role_of(user) in MANAGE_ROLES


def can_read_complaints(user) -> bool:
    """See the list and the detail pages (a team manager: their team's only)."""
    return role_of(user) in READ_ROLES


def today() -> dt.date:
    return timezone.localdate()


def _with_stages(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("service_area", "team").prefetch_related(
        Prefetch("stages", queryset=ComplaintStage.objects.order_by("number")),
        Prefetch("themes", queryset=ComplaintTheme.objects.order_by("theme")),
    )


def complaints_for(user) -> QuerySet:
    """The complaints this person may read (none for a role without list access)."""
    role = role_of(user)
    queryset = Complaint.objects.all()
    if role in MANAGE_ROLES:
        return queryset
    if role == Role.TEAM_MANAGER and user.team_id:
        return queryset.filter(team_id=user.team_id)
    return queryset.none()


def complaint_for(user, pk) -> Complaint:
    """One complaint in this person's scope, with its stages and themes, or 404."""
    complaint = _with_stages(complaints_for(user)).filter(pk=pk).first()
    if complaint is None:
        raise Http404("No such complaint")
    return complaint


def complaint_for_manager(user, pk) -> Complaint:
    if not can_manage_complaints(user):
        raise Http404("No such complaint")
    return complaint_for(user, pk)


@dataclass(frozen=True)
class Listed:
    """A complaint with its clock read on a day: what the list, home and e-mail show."""

    complaint: Complaint
    register: clock.Register

    @property
    def current(self) -> clock.StageClock | None:
        return self.register.current

    @property
    def working_days_left(self) -> int | None:
        current = self.current
        if current is None or current.due is None:
            return None
        return clock.working_days_between(self.register_day, current.due) if current.status == clock.OPEN else 0

    register_day: dt.date = dt.date.min


def with_clock(complaints, day: dt.date) -> list[Listed]:
    return [
        Listed(complaint=complaint, register=clock.register(facts_of(complaint), day), register_day=day)
        for complaint in complaints
    ]


def complaints_listed(queryset: QuerySet, day: dt.date | None = None) -> list[Listed]:
    """The complaints of `queryset` with their clocks: three queries whatever their number."""
    return with_clock(_with_stages(queryset), day or today())


def due_soon_and_overdue(queryset: QuerySet, day: dt.date | None = None) -> tuple[list[Listed], list[Listed]]:
    """(due in the next three working days or overdue, soonest first; the other open ones by
    stage): customer relations' home and the daily e-mail."""
    day = day or today()
    horizon = clock.working_days_after(day, DUE_SOON_WORKING_DAYS)
    running = queryset.filter(received__lte=day, stages__responded__isnull=True).distinct()
    urgent, others = [], []
    for item in complaints_listed(running, day):
        current = item.current
        if current is None:
            continue
        (urgent if current.status == clock.OVERDUE or current.due <= horizon else others).append(item)
    urgent.sort(key=lambda item: (item.current.due, item.complaint.reference))
    others.sort(key=lambda item: (item.current.number, item.current.due, item.complaint.reference))
    return urgent, others


def register_rows(as_of: dt.date) -> list[dict[str, str]]:
    """The contract's register: every complaint received on or before `as_of`, by reference,
    as it stood that day."""
    complaints = _with_stages(Complaint.objects.filter(received__lte=as_of).order_by("reference"))
    return [
        {"reference": complaint.reference, **clock.register(facts_of(complaint), as_of).row()}
        for complaint in complaints
    ]


# --- Figures ------------------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _quarter(quarter) -> Quarter:
    return quarter if isinstance(quarter, Quarter) else Quarter.parse(str(quarter))


def _stage_on_time(stage: ComplaintStage) -> bool:
    """Whether this responded stage met its deadline, by the clock as it stood on the day."""
    complaint = stage.complaint
    facts = clock.Facts(
        received=complaint.received,
        stage1_extended=stage.number == 1 and bool(stage.extension_reason),
        stage2_requested=stage.requested if stage.number == 2 else None,
        stage2_extended=stage.number == 2 and bool(stage.extension_reason),
        stage3_requested=stage.requested if stage.number == 3 else None,
        stage3_panel=stage.panel if stage.number == 3 else None,
        stage3_report=stage.report if stage.number == 3 else None,
        **{f"stage{stage.number}_responded": stage.responded},
    )
    build = {1: clock.stage1_clock, 2: clock.stage2_clock, 3: clock.stage3_clock}[stage.number]
    return build(facts, stage.responded).status == clock.ON_TIME


def complaint_figures(*, quarter, service_area: ServiceArea | str | None = None) -> dict:
    """The contract's `"complaints"` object of `pqa_feedback` for a quarter (a Quarter or its
    text, e.g. "2025-26-Q1"), optionally for one service area (a ServiceArea or its name).
    Counts by the dates the contract names; every key present, 0 where there is none."""
    quarter = _quarter(quarter)
    start, end = quarter.start, quarter.end
    complaints = Complaint.objects.all()
    stages = ComplaintStage.objects.all()
    themes = ComplaintTheme.objects.all()
    if service_area is not None:
        area = Q(service_area__name=service_area) if isinstance(service_area, str) else Q(service_area=service_area)
        complaints = complaints.filter(area)
        stages = stages.filter(Q(complaint__in=complaints.values("pk")))
        themes = themes.filter(complaint__in=complaints.values("pk"))

    received_in = Q(received__range=(start, end))
    # Only the complaints with a date in the quarter are read (each date has its index); the
    # counts below then say which date.
    in_quarter = received_in | Q(ombudsman_referred__range=(start, end)) | Q(ombudsman_decided__range=(start, end))
    counts = complaints.filter(in_quarter).aggregate(
        n_received=Count("pk", filter=received_in),
        **{f"by_{code}": Count("pk", filter=received_in & Q(complainant=code)) for code in Complainant.values},
        n_referred=Count("pk", filter=Q(ombudsman_referred__range=(start, end))),
        n_decided=Count("pk", filter=Q(ombudsman_decided__range=(start, end))),
        **{
            f"decision_{code}": Count("pk", filter=Q(ombudsman_decided__range=(start, end), ombudsman_decision=code))
            for code in OmbudsmanDecision.values
        },
    )
    theme_counts = dict(
        themes.filter(complaint__received__range=(start, end))
        .values_list("theme")
        .annotate(n=Count("pk"))
        .values_list("theme", "n")
    )
    requested = stages.filter(requested__range=(start, end), number__in=(2, 3)).aggregate(
        **{f"s{n}": Count("pk", filter=Q(number=n)) for n in (2, 3)}
    )
    by_stage = {n: {"responded": 0, "on_time": 0, "outcomes": dict.fromkeys(Outcome.values, 0)} for n in (1, 2, 3)}
    for stage in (
        stages.filter(responded__range=(start, end))
        .select_related("complaint")
        .only(
            "number", "requested", "extension_reason", "responded", "outcome", "panel", "report", "complaint__received"
        )
    ):
        figures = by_stage[stage.number]
        figures["responded"] += 1
        figures["on_time"] += _stage_on_time(stage)
        if stage.outcome:
            figures["outcomes"][stage.outcome] += 1

    by_complainant = {code: counts[f"by_{code}"] for code in Complainant.values}

    def stage_figures(n: int) -> dict:
        figures = by_stage[n]
        result = {} if n == 1 else {"requested": requested[f"s{n}"]}
        result.update(
            responded=figures["responded"],
            on_time=figures["on_time"],
            timeliness=_share(figures["on_time"], figures["responded"]),
            outcomes=figures["outcomes"],
        )
        return result

    return {
        "received": counts["n_received"],
        "by_complainant": by_complainant,
        "from_children_share": _share(
            by_complainant[Complainant.CHILD] + by_complainant[Complainant.ADVOCATE], counts["n_received"]
        ),
        "themes": {code: theme_counts.get(code, 0) for code in Theme.values},
        "stage1": stage_figures(1),
        "stage2": stage_figures(2),
        "stage3": stage_figures(3),
        "ombudsman": {
            "referred": counts["n_referred"],
            "decided": counts["n_decided"],
            "decisions": {code: counts[f"decision_{code}"] for code in OmbudsmanDecision.values},
        },
    }


# --- The BI feed (pqa.registry.feed_table, docs/feed.md) ------------------------------------
# One row a complaint, its stages flattened as the import contract has them. No summary,
# learning, actions, remedy or extension reason (free text), no child's case id, no equality
# details typed as free text.


def feed_complaints() -> QuerySet[Complaint]:
    """Every complaint, with its service area, team, stages and themes (a fixed number of queries a chunk)."""
    return _with_stages(Complaint.objects.all())


def _stage_of(row: Complaint, number: int) -> ComplaintStage | None:
    return next((stage for stage in row.stages.all() if stage.number == number), None)


def _stage_column(number: int, name: str, read) -> Column:
    def value(row: Complaint):
        stage = _stage_of(row, number)
        return read(stage) if stage is not None else None

    return Column(f"stage{number}_{name}", value)


def _stage_columns(number: int) -> list[Column]:
    columns = [_stage_column(number, "requested", lambda stage: stage.requested)]
    if number < 3:
        columns.append(_stage_column(number, "extended", lambda stage: yes_no(stage.extended)))
    else:
        columns += [
            _stage_column(number, "panel", lambda stage: stage.panel),
            _stage_column(number, "report", lambda stage: stage.report),
        ]
    return [
        *columns,
        _stage_column(number, "responded", lambda stage: stage.responded),
        _stage_column(number, "outcome", lambda stage: code(stage.outcome)),
    ]


COMPLAINT_FEED_COLUMNS = [
    Column("reference", lambda row: row.reference),
    Column("received", lambda row: row.received),
    code_field("how_received"),
    code_field("complainant"),
    code_field("procedure"),
    Column("service_area", lambda row: row.service_area.name),
    Column("team", lambda row: row.team.name if row.team else None),
    Column("themes", lambda row: ";".join(theme.theme for theme in row.themes.all()) or None),
    *_stage_columns(1),
    *_stage_columns(2),
    *_stage_columns(3),
    Column("ombudsman_referred", lambda row: row.ombudsman_referred),
    Column("ombudsman_decided", lambda row: row.ombudsman_decided),
    code_field("ombudsman_decision"),
    Column("ombudsman_complied", lambda row: row.ombudsman_complied),
]
