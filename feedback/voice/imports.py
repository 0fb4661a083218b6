"""Compliments, responses and advocacy referrals in, from a CSV file or an .xlsx workbook
(docs/contracts/feedback-csv.md): all or nothing, every problem as `row N, column C: reason`.

One importer for the three kinds: each kind is its columns and how each cell is read. The
rows are checked first (values, service areas and teams, each record's own rules through
`full_clean()`); only a file with no problem is written, in one transaction, each record's
history naming the file. Importing a reference again updates that record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from feedback.models import (
    STANDARD_QUESTIONS,
    AdvocacyReferral,
    AdvocacySource,
    Compliment,
    ComplimentFrom,
    FeedbackAnswer,
    FeedbackRespondent,
    FeedbackResponse,
    FeedbackSource,
    Rating,
)
from pqa import audit
from pqa.imports import CHANGED_MEANWHILE, Problems, TooManyProblems, check_header
from pqa.imports import ImportResult as BaseImportResult
from pqa.models import ServiceArea, Team
from pqa.spreadsheets import SpreadsheetError, Table, ValueProblem, choice_from_words, date_from_text, read_table

MAX_ROWS = 50_000
PROGRESS_EVERY = 200
CHANGE_REASON_LENGTH = 100  # simple-history's history_change_reason column
CREATE_MISSING_HINT = "(import with 'create missing' to add it)"
YES_NO = (("yes", "Yes"), ("no", "No"))
YES_NO_WORDS = {"y": "yes", "n": "no", "true": "yes", "false": "no"}


def _text(value: str) -> str:
    return value


def _date(value: str) -> dt.date:
    return date_from_text(value)


def _choice(choices) -> Callable[[str], str]:
    return lambda value: choice_from_words(value, choices)


def _yes_no(value: str) -> bool:
    return choice_from_words(value, YES_NO, YES_NO_WORDS) == "yes"


@dataclass(frozen=True)
class Column:
    name: str  # the contract's header
    field: str  # the model's field ("" for service_area and team, looked up)
    required: bool
    read: Callable[[str], object] = _text
    empty: object = ""  # the value of an empty optional cell


@dataclass(frozen=True)
class Kind:
    name: str  # the contract's KIND
    model: type
    columns: tuple[Column, ...]
    has_team: bool

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


AREA = Column("service_area", "", True)
TEAM = Column("team", "", False)

KINDS = {
    "compliments": Kind(
        "compliments",
        Compliment,
        (
            Column("reference", "reference", True),
            Column("received", "received", True, _date, None),
            Column("from", "from_whom", True, _choice(ComplimentFrom)),
            AREA,
            TEAM,
            Column("staff_named", "staff_named", False),
            Column("themes", "themes", False, lambda v: "; ".join(t.strip() for t in v.split(";") if t.strip())),
            Column("extract", "extract", False),
            Column("may_share", "may_share", False, _yes_no, False),
        ),
        has_team=True,
    ),
    "responses": Kind(
        "responses",
        FeedbackResponse,
        (
            Column("reference", "reference", True),
            Column("date", "date", True, _date, None),
            Column("source", "source", True, _choice(FeedbackSource)),
            Column("respondent", "respondent", True, _choice(FeedbackRespondent)),
            Column("age_band", "age_band", False),
            AREA,
            TEAM,
            *(Column(name, name, False, _choice(FeedbackAnswer)) for name, _ in STANDARD_QUESTIONS),
            Column("rating", "rating", False, _choice(Rating)),
            Column("comment", "comment", False),
            Column("may_quote", "may_quote", False, _yes_no, False),
        ),
        has_team=True,
    ),
    "advocacy": Kind(
        "advocacy",
        AdvocacyReferral,
        (
            Column("reference", "reference", True),
            Column("date", "date", True, _date, None),
            Column("source", "source", True, _choice(AdvocacySource)),
            AREA,
        ),
        has_team=False,
    ),
}


@dataclass
class ImportResult(BaseImportResult):
    CREATES = (("service areas", "new_service_areas"), ("teams", "new_teams"))

    kind: str = ""
    new_service_areas: list[str] = field(default_factory=list)
    new_teams: list[str] = field(default_factory=list)

    @property
    def noun(self) -> str:
        """The contract's KIND: `imported N KIND (C created, U updated)`."""
        return self.kind


def _change_reason(file, kind: str, command_user: str | None) -> str:
    """The history names the file, and the route: the command's server account, or the web."""
    name = PurePath(str(getattr(file, "name", "") or "")).name or "(no file name)"
    if command_user is not None:
        reason = f"import_feedback {kind} {name} by {command_user}"
    else:
        reason = f"web import of {kind} {name}"
    return reason[:CHANGE_REASON_LENGTH]


def _check_header(kind: Kind, header: list[str], problems: Problems) -> None:
    required = (column.name for column in kind.columns if column.required and column is not TEAM)
    check_header(header, columns=kind.names, required=required, problems=problems)


@dataclass
class _Plan:
    rows: list[tuple[int, dict, str, str]] = field(default_factory=list)  # number, fields, area, team
    areas: dict[str, ServiceArea | str] = field(default_factory=dict)
    teams: dict[tuple[str, str], Team | str] = field(default_factory=dict)
    existing: dict[str, object] = field(default_factory=dict)


def _column_of(kind: Kind, model_field: str) -> str:
    for column in kind.columns:
        if column.field == model_field:
            return column.name
    return {"team": "team", "service_area": "service_area"}.get(model_field, model_field)


def _read_rows(kind: Kind, table: Table, problems: Problems, progress, total: int) -> _Plan:
    header = [cell.strip().lower() for cell in table.header.cells]
    _check_header(kind, header, problems)
    if problems:
        return _Plan()
    plan = _Plan()
    seen_references: dict[str, int] = {}
    for index, row in enumerate(table.body, start=1):
        values = {name: row[position] for position, name in enumerate(header)}
        fields: dict[str, object] = {}
        for column in kind.columns:
            text = values.get(column.name, "").strip()
            if not text:
                if column.required:
                    problems.add(row.number, column.name, "a value is required")
                elif column.field:
                    fields[column.field] = column.empty
                continue
            if not column.field:
                continue
            try:
                fields[column.field] = column.read(text)
            except ValueProblem as problem:
                problems.add(row.number, column.name, str(problem))
        reference = values.get("reference", "").strip()
        if reference in seen_references:
            problems.add(row.number, "reference", f"this reference is also on row {seen_references[reference]}")
        elif reference:
            seen_references[reference] = row.number
        plan.rows.append((row.number, fields, values.get("service_area", "").strip(), values.get("team", "").strip()))
        if index % PROGRESS_EVERY == 0:
            progress(checked=index, written=0, total=total)
    return plan


def _look_up(kind: Kind, plan: _Plan, create_missing: bool, problems: Problems) -> None:
    area_keys = {area.lower() for _, _, area, _ in plan.rows if area}
    plan.areas = {area.key: area for area in ServiceArea.objects.annotate(key=Lower("name")).filter(key__in=area_keys)}
    plan.teams = {
        (team.area_key, team.key): team
        for team in Team.objects.filter(service_area__in=list(plan.areas.values()))
        .annotate(key=Lower("name"), area_key=Lower("service_area__name"))
        .select_related("service_area")
    }
    references = [fields.get("reference") for _, fields, _, _ in plan.rows if fields.get("reference")]
    plan.existing = {record.reference: record for record in kind.model.objects.filter(reference__in=references)}
    for number, _, area, team in plan.rows:
        if not area:
            continue
        if area.lower() not in plan.areas:
            if not create_missing:
                problems.add(number, "service_area", f"'{area}' is not a service area {CREATE_MISSING_HINT}")
                continue
            plan.areas[area.lower()] = area
        if kind.has_team and team and (area.lower(), team.lower()) not in plan.teams:
            if not create_missing:
                problems.add(number, "team", f"'{team}' is not a team of {area} {CREATE_MISSING_HINT}")
                continue
            plan.teams[(area.lower(), team.lower())] = team


def _validation_problems(kind: Kind, number: int, error: ValidationError, problems: Problems) -> None:
    for name, messages in error.message_dict.items():
        column = None if name == "__all__" else _column_of(kind, name)
        for message in messages:
            problems.add(number, column, message.rstrip("."))


def _build(kind: Kind, plan: _Plan, problems: Problems, write: bool, actor, reason: str, progress) -> tuple[int, int]:
    """Each row's record, checked by its model's rules; saved when `write`. Rows naming a
    service area or team still to be created are checked without it."""
    created = updated = 0
    total = len(plan.rows)
    for index, (number, fields, area_name, team_name) in enumerate(plan.rows, start=1):
        area = plan.areas.get(area_name.lower()) if area_name else None
        team = plan.teams.get((area_name.lower(), team_name.lower())) if kind.has_team and team_name else None
        current = plan.existing.get(fields.get("reference"))
        record = current or kind.model()
        for name, value in fields.items():
            setattr(record, name, value)
        exclude = []
        if isinstance(area, ServiceArea):
            record.service_area = area
        else:
            exclude.append("service_area")
        if kind.has_team:
            if isinstance(team, Team):
                record.team = team
            elif team is None:
                record.team = None
            else:
                exclude.append("team")
        if current is not None and hasattr(record, "version"):
            record.version += 1
        try:
            record.full_clean(exclude=exclude)
        except ValidationError as error:
            _validation_problems(kind, number, error, problems)
            continue
        if write:
            if actor is not None:
                record._history_user = actor
            record._change_reason = reason
            record.save()
        if current is None:
            created += 1
        else:
            updated += 1
        if index % PROGRESS_EVERY == 0:
            progress(checked=total if write else index, written=index if write else 0, total=total)
    return created, updated


def _create_missing(plan: _Plan, result: ImportResult, actor, reason: str) -> None:
    for key, value in list(plan.areas.items()):
        if isinstance(value, str):
            area = ServiceArea(name=value)
            area.full_clean()
            if actor is not None:
                area._history_user = actor
            area._change_reason = reason
            area.save()
            plan.areas[key] = area
            result.new_service_areas.append(value)
    for (area_key, team_key), value in list(plan.teams.items()):
        if isinstance(value, str):
            team = Team(service_area=plan.areas[area_key], name=value)
            team.full_clean()
            if actor is not None:
                team._history_user = actor
            team._change_reason = reason
            team.save()
            plan.teams[(area_key, team_key)] = team
            result.new_teams.append(f"{team.service_area.name}: {value}")


def _no_progress(**counts) -> None:
    pass


class _DryRunDone(Exception):
    """Rolls back what a dry run created to check its rows."""


def feedback_import(
    *,
    kind: str,
    file,
    actor=None,
    create_missing: bool = False,
    dry_run: bool = False,
    command_user: str | None = None,
    progress=None,
) -> ImportResult:
    """Import `kind` (compliments, responses or advocacy) from a CSV file or an .xlsx workbook
    (a path, bytes, an open file or an upload), all or nothing. `create_missing` creates
    unknown service areas and teams; `dry_run` checks and changes nothing. The result lists the
    first problems, bounded as every import's (pqa.imports); `progress(checked=,
    written=, total=)` is told how far it has gone (a background job shows it)."""
    spec = KINDS[kind]
    result = ImportResult(kind=kind, dry_run=dry_run)
    progress = progress or _no_progress
    reason = _change_reason(file, kind, command_user)
    problems = Problems()
    try:
        table = read_table(file, max_rows=MAX_ROWS, max_cells=MAX_ROWS * len(spec.columns))
    except SpreadsheetError as error:
        return result.unreadable(error)
    if table.header is None:
        return result.refused_because("the file is empty: it needs a header row")
    total = len(table.body)
    try:
        with transaction.atomic():
            plan = _read_rows(spec, table, problems, progress, total)
            if not problems:
                _look_up(spec, plan, create_missing, problems)
            if not problems:
                # New service areas and teams are made (inside this transaction) so that each
                # row is checked whole; a dry run or a file with problems rolls them back.
                _create_missing(plan, result, actor, reason)
                result.created, result.updated = _build(spec, plan, problems, not dry_run, actor, reason, progress)
            if problems or dry_run:
                raise _DryRunDone
    except TooManyProblems as stop:
        return result.refused(problems, stopped_at_row=stop.row)
    except _DryRunDone:
        pass
    except IntegrityError:
        return result.refused_because(CHANGED_MEANWHILE)
    if problems:
        return result.refused(problems)
    progress(checked=total, written=0 if dry_run else total, total=total)
    if not dry_run:
        audit.event(
            audit.IMPORT,
            user=getattr(actor, "pk", None) or "command",
            what=f"feedback {kind}",
            rows=result.imported,
        )
    return result
