"""History in: a trust's complaints log from a CSV file or an Excel workbook
(docs/contracts/feedback-csv.md, "complaints": one row a complaint, its stages flattened).

The file is read by the core's reader (pqa.spreadsheets). Every row is checked first: the
words people write into the contract's codes, dates, the order of the stages (a later stage
needs the earlier one's response, a response cannot come before its start, an outcome needs
its response date), and every record is validated by its model's own rules. Problems are
listed as `row N, column C: reason` (the header is row 1), bounded as every import's (pqa.imports).
Only a file with no problem is written, in one transaction: all or nothing. A reference
already in PQA is updated. The history of every row written names who imported it and the file.

A log is history: the services' rule that a next stage is asked for within 20 working days
is not applied here (the clock reports such a stage as it was), only the order of events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from feedback.models import (
    Complainant,
    Complaint,
    ComplaintStage,
    ComplaintTheme,
    OmbudsmanDecision,
    Outcome,
    Procedure,
    Theme,
)
from pqa import audit
from pqa.imports import ImportResult as BaseImportResult
from pqa.imports import Problems, TooManyProblems, check_header
from pqa.models import ServiceArea, Team, User
from pqa.spreadsheets import SpreadsheetError, ValueProblem, choice_from_words, date_from_text, read_table

REQUIRED_COLUMNS = ("reference", "received", "complainant", "procedure", "service_area", "team")
STAGE_COLUMNS = (
    "stage1_extension_reason",
    "stage1_responded",
    "stage1_outcome",
    "stage2_requested",
    "stage2_extension_reason",
    "stage2_responded",
    "stage2_outcome",
    "stage3_requested",
    "stage3_panel",
    "stage3_report",
    "stage3_responded",
    "stage3_outcome",
)
OMBUDSMAN_COLUMNS = ("ombudsman_referred", "ombudsman_decided", "ombudsman_decision")
COLUMNS = (*REQUIRED_COLUMNS, "child_ref", "themes", "summary", *STAGE_COLUMNS, *OMBUDSMAN_COLUMNS)
DATE_COLUMNS = frozenset(
    {
        "received",
        *(name for name in COLUMNS if name.endswith(("_requested", "_responded", "_panel", "_report"))),
        "ombudsman_referred",
        "ombudsman_decided",
    }
)
CHOICE_COLUMNS = {
    "complainant": Complainant,
    "procedure": Procedure,
    "stage1_outcome": Outcome,
    "stage2_outcome": Outcome,
    "stage3_outcome": Outcome,
    "ombudsman_decision": OmbudsmanDecision,
}
MAX_ROWS = 50_000
CHANGE_REASON_LENGTH = 100
PROGRESS_EVERY = 200

Progress = Callable[..., None]


@dataclass
class ImportResult(BaseImportResult):
    noun = "complaints"
    CREATES = (("service areas", "new_service_areas"), ("teams", "new_teams"))

    new_service_areas: list[str] = field(default_factory=list)
    new_teams: list[str] = field(default_factory=list)


@dataclass
class _Parsed:
    number: int
    values: dict[str, object]
    themes: list[str]


def _read_row(number: int, cells: dict[str, str], problems: Problems) -> _Parsed:
    values: dict[str, object] = {}
    for name in COLUMNS:
        text = cells.get(name, "")
        if name in DATE_COLUMNS:
            try:
                values[name] = date_from_text(text) if text else None
            except ValueProblem as problem:
                problems.add(number, name, str(problem))
                values[name] = None
        elif name in CHOICE_COLUMNS:
            try:
                values[name] = choice_from_words(text, CHOICE_COLUMNS[name]) if text else ""
            except ValueProblem as problem:
                problems.add(number, name, str(problem))
                values[name] = ""
        else:
            values[name] = text
    for name in ("reference", "received", "complainant", "procedure", "service_area"):
        if not cells.get(name, ""):
            problems.add(number, name, "this is required")
    themes = []
    for word in filter(None, (part.strip() for part in cells.get("themes", "").split(";"))):
        try:
            themes.append(choice_from_words(word, Theme))
        except ValueProblem as problem:
            problems.add(number, "themes", str(problem))
    _check_order(number, values, problems)
    return _Parsed(number, values, sorted(set(themes)))


def _check_order(number: int, values: dict, problems: Problems) -> None:
    """The contract's ordering errors: a later stage without the earlier response, a response
    before its start, an outcome without a response date."""
    starts = {1: values.get("received"), 2: values.get("stage2_requested"), 3: values.get("stage3_requested")}
    for stage in (1, 2, 3):
        responded, outcome = values.get(f"stage{stage}_responded"), values.get(f"stage{stage}_outcome")
        if outcome and not responded:
            problems.add(number, f"stage{stage}_outcome", "an outcome needs its response date")
        if responded and starts[stage] and responded < starts[stage]:
            start = "received" if stage == 1 else f"stage{stage}_requested"
            problems.add(number, f"stage{stage}_responded", f"the response is before the stage started ({start})")
        if responded and stage > 1 and not starts[stage]:
            problems.add(number, f"stage{stage}_responded", f"a response needs stage{stage}_requested")
    for stage in (2, 3):
        if starts[stage] and not values.get(f"stage{stage - 1}_responded"):
            problems.add(number, f"stage{stage}_requested", f"Stage {stage} needs the Stage {stage - 1} response first")
        elif starts[stage] and starts[stage] < values[f"stage{stage - 1}_responded"]:
            problems.add(
                number, f"stage{stage}_requested", f"Stage {stage} is requested before the Stage {stage - 1} response"
            )
    for name in ("stage3_panel", "stage3_report"):
        if values.get(name) and not starts[3]:
            problems.add(number, name, "a panel needs stage3_requested")
    if values.get("stage3_panel") and starts[3] and values["stage3_panel"] < starts[3]:
        problems.add(number, "stage3_panel", "the panel is before Stage 3 was requested")
    if values.get("stage3_report") and values.get("stage3_panel") and values["stage3_report"] < values["stage3_panel"]:
        problems.add(number, "stage3_report", "the report is before the panel")
    if (
        values.get("stage3_responded")
        and values.get("stage3_report")
        and values["stage3_responded"] < values["stage3_report"]
    ):
        problems.add(number, "stage3_responded", "the trust's response is before the panel's report")
    if values.get("stage2_extension_reason") and not starts[2]:
        problems.add(number, "stage2_extension_reason", "an extension needs stage2_requested")
    decided, decision, referred = (
        values.get("ombudsman_decided"),
        values.get("ombudsman_decision"),
        values.get("ombudsman_referred"),
    )
    if decision and not decided:
        problems.add(number, "ombudsman_decision", "a decision needs ombudsman_decided")
    if decided and not decision:
        problems.add(number, "ombudsman_decided", "a decision date needs ombudsman_decision")
    if decided and not referred:
        problems.add(number, "ombudsman_decided", "a decision needs ombudsman_referred")
    elif decided and referred and decided < referred:
        problems.add(number, "ombudsman_decided", "the decision is before the referral")
    if referred and values.get("received") and referred < values["received"]:
        problems.add(number, "ombudsman_referred", "the referral is before the complaint was received")


def _change_reason(file, command_user: str | None) -> str:
    name = PurePath(str(getattr(file, "name", "") or (file if isinstance(file, str) else ""))).name
    how = (
        f"import_feedback complaints {name or '(no file name)'} by {command_user}"
        if command_user
        else f"web import {name}"
    )
    return how[:CHANGE_REASON_LENGTH]


def _attribute(instance, actor, reason: str) -> None:
    instance._history_user = actor
    instance._change_reason = reason


def _message(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict if hasattr(error, "error_dict") else {None: error.messages}


def _build(
    parsed: _Parsed, complaint: Complaint, area: ServiceArea, team: Team | None
) -> tuple[Complaint, list[ComplaintStage]]:
    values = parsed.values
    complaint.received = values["received"]
    complaint.complainant = values["complainant"]
    complaint.procedure = values["procedure"]
    complaint.service_area = area
    complaint.team = team
    complaint.child_ref = values["child_ref"]
    complaint.summary = values["summary"]
    complaint.ombudsman_referred = values["ombudsman_referred"]
    complaint.ombudsman_decided = values["ombudsman_decided"]
    complaint.ombudsman_decision = values["ombudsman_decision"]
    stages = [
        ComplaintStage(
            number=1,
            requested=values["received"],
            extension_reason=values["stage1_extension_reason"],
            responded=values["stage1_responded"],
            outcome=values["stage1_outcome"],
        )
    ]
    if values["stage2_requested"]:
        stages.append(
            ComplaintStage(
                number=2,
                requested=values["stage2_requested"],
                extension_reason=values["stage2_extension_reason"],
                responded=values["stage2_responded"],
                outcome=values["stage2_outcome"],
            )
        )
    if values["stage3_requested"]:
        stages.append(
            ComplaintStage(
                number=3,
                requested=values["stage3_requested"],
                panel=values["stage3_panel"],
                report=values["stage3_report"],
                responded=values["stage3_responded"],
                outcome=values["stage3_outcome"],
            )
        )
    return complaint, stages


def _validate(number: int, instance, exclude: list[str], problems: Problems) -> None:
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for name, messages in _message(error).items():
            column = {"child_ref": "child_ref", "summary": "summary", "extension_reason": None}.get(name, name)
            if isinstance(instance, ComplaintStage) and name in (
                "extension_reason",
                "responded",
                "outcome",
                "requested",
            ):
                column = (
                    f"stage{instance.number}_{'requested' if name == 'requested' and instance.number > 1 else name}"
                )
            for message in messages:
                problems.add(number, column if column in COLUMNS else None, message.rstrip("."))


def complaints_import(
    file,
    *,
    create_missing: bool = False,
    dry_run: bool = False,
    actor: User | None = None,
    progress: Progress | None = None,
    command_user: str | None = None,
) -> ImportResult:
    """Import a complaints log (a CSV or .xlsx: bytes, a path, a file or an upload), all or
    nothing. Unknown service areas and teams are problems unless `create_missing`. With
    `dry_run` nothing changes and the result says what would happen. A reference already in
    PQA is updated (its stages and themes replaced by the row's). `progress(checked=,
    written=, total=)` is told how far it has got."""
    result = ImportResult(dry_run=dry_run)
    progress = progress or (lambda **counts: None)
    reason = _change_reason(file, command_user)
    try:
        table = read_table(file, max_rows=MAX_ROWS + 1, max_cells=(MAX_ROWS + 1) * len(COLUMNS))
    except SpreadsheetError as error:
        return result.unreadable(error)
    problems = Problems()
    try:
        parsed = _parse(table, problems, progress)
        plan = _plan(parsed, create_missing, problems, result) if not problems else None
    except TooManyProblems as stop:
        return result.refused(problems, stopped_at_row=stop.row)
    if problems or plan is None:
        return result.refused(problems)
    existing, areas, teams = plan
    result.created = sum(1 for row in parsed if row.values["reference"] not in existing)
    result.updated = len(parsed) - result.created
    if dry_run:
        return result
    try:
        with transaction.atomic():
            _write(parsed, existing, areas, teams, actor, reason, progress)
    except (IntegrityError, ValidationError):
        return result.refused_because(
            "the complaints changed while the file was being imported: nothing was imported, try again"
        )
    audit.event(audit.IMPORT, user=getattr(actor, "pk", None) or "command", what="complaints", rows=result.imported)
    return result


def _parse(table, problems: Problems, progress: Progress) -> list[_Parsed]:
    header = list(table.header.cells) if table.header else []
    if not header:
        problems.add(1, None, "the file is empty: the first row must be the header")
        return []
    check_header(header, columns=COLUMNS, required=REQUIRED_COLUMNS, problems=problems)
    if problems:
        return []
    body = table.body
    if not body:
        problems.add(1, None, "the file has a header but no complaints")
    rows, references = [], {}
    for index, row in enumerate(body, start=1):
        cells = {name: row[position] for position, name in enumerate(header)}
        parsed = _read_row(row.number, cells, problems)
        reference = parsed.values["reference"]
        if reference in references:
            problems.add(row.number, "reference", f"this reference is also on row {references[reference]}")
        references.setdefault(reference, row.number)
        rows.append(parsed)
        if index % PROGRESS_EVERY == 0:
            progress(checked=index, written=0, total=len(body))
    progress(checked=len(body), written=0, total=len(body))
    return rows


def _plan(rows: list[_Parsed], create_missing: bool, problems: Problems, result: ImportResult):
    areas = {area.name.casefold(): area for area in ServiceArea.objects.all()}
    teams = {
        (team.service_area.name.casefold(), team.name.casefold()): team
        for team in Team.objects.select_related("service_area")
    }
    existing = {
        complaint.reference: complaint
        for complaint in Complaint.objects.filter(reference__in=[row.values["reference"] for row in rows])
    }
    new_areas: dict[str, ServiceArea] = {}
    new_teams: dict[tuple[str, str], Team] = {}
    for row in rows:
        area_name, team_name = row.values["service_area"], row.values["team"]
        area = areas.get(area_name.casefold()) or new_areas.get(area_name.casefold())
        if area is None:
            if not create_missing:
                problems.add(
                    row.number,
                    "service_area",
                    f"'{area_name}' is not a service area in PQA (use --create-missing to create it)",
                )
                continue
            area = new_areas[area_name.casefold()] = ServiceArea(name=area_name)
            result.new_service_areas.append(area_name)
        if team_name:
            key = (area_name.casefold(), team_name.casefold())
            if key not in teams and key not in new_teams:
                if not create_missing:
                    problems.add(
                        row.number,
                        "team",
                        f"'{team_name}' is not a team of {area_name} in PQA (use --create-missing to create it)",
                    )
                    continue
                new_teams[key] = Team(service_area=area, name=team_name)
                result.new_teams.append(f"{team_name} ({area_name})")
        complaint = Complaint(reference=row.values["reference"])
        complaint, stages = _build(row, complaint, ServiceArea(name=area_name), None)
        _validate(row.number, complaint, ["service_area", "team"], problems)
        for stage in stages:
            _validate(row.number, stage, ["complaint"], problems)
    if problems:
        return None
    return existing, (areas, new_areas), (teams, new_teams)


def _write(rows, existing, areas, teams, actor, reason, progress) -> None:
    areas, new_areas = areas
    teams, new_teams = teams
    for key, area in new_areas.items():
        _attribute(area, actor, reason)
        area.save()
        areas[key] = area
    for key, team in new_teams.items():
        team.service_area = areas[key[0]]
        _attribute(team, actor, reason)
        team.save()
        teams[key] = team
    for index, row in enumerate(rows, start=1):
        area = areas[row.values["service_area"].casefold()]
        team = (
            teams.get((row.values["service_area"].casefold(), row.values["team"].casefold()))
            if row.values["team"]
            else None
        )
        current = existing.get(row.values["reference"])
        complaint = current or Complaint(reference=row.values["reference"])
        complaint, stages = _build(row, complaint, area, team)
        if current is not None:
            complaint.version += 1
        complaint.full_clean()
        _attribute(complaint, actor, reason)
        complaint.save()
        kept = {stage.number: stage for stage in complaint.stages.all()} if current else {}
        for number in set(kept) - {stage.number for stage in stages}:
            _attribute(kept[number], actor, reason)
            kept[number].delete()
        for stage in sorted(stages, key=lambda item: item.number):
            old = kept.get(stage.number)
            if old is not None:
                # The row's stage replaces the one kept, in place: its history goes on.
                stage.pk = old.pk
                stage._state.adding = False
            stage.complaint = complaint
            stage.full_clean()
            _attribute(stage, actor, reason)
            stage.save()
        complaint.themes.exclude(theme__in=row.themes).delete()
        for theme in row.themes:
            ComplaintTheme.objects.get_or_create(complaint=complaint, theme=theme)
        if index % PROGRESS_EVERY == 0:
            progress(checked=len(rows), written=index, total=len(rows))
    progress(checked=len(rows), written=len(rows), total=len(rows))
