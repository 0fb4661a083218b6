"""History in: practice evaluations read from a CSV file or an Excel workbook
(docs/contracts/evaluations-csv.md, with its addition "Spreadsheets as trusts keep them").

The file is read by the core's spreadsheet reader (pqa.spreadsheets), as every import reads
its files. The whole file is checked first, with a handful of bulk look-ups whatever its
length: the words people write are read into the contract's codes, and every instance the
import will write (evaluation, pillar grade, moderation, and any cycle, service area, team or
account it creates) is validated by its model's own rules, so that the bulk writes below
refuse exactly what the services' `full_clean()` refuses (docs/decisions/0005). Every problem
is listed as `row N, column C: reason` (the header is row 1). Only a file with no problem is
written, in one transaction: all of it or nothing. Every row written carries in its history
who imported it: the person signed in, and a change reason naming the file and, for the
command, the server account that ran it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePath

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat, Lower
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

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
)
from evaluations.services import moderation_record
from pqa import audit
from pqa.case_ids import child_key, child_key_expression
from pqa.imports import (
    CHANGED_MEANWHILE,
    MAX_PROBLEMS,
    PROBLEMS_LISTED,
    Problem,
    Problems,
    TooManyProblems,
    check_header,
)
from pqa.imports import ImportResult as BaseImportResult
from pqa.models import Role, ServiceArea, Team, User
from pqa.quarters import Quarter, QuarterError, date_outside_quarter
from pqa.spreadsheets import (
    Row,
    SpreadsheetError,
    Table,
    ValueProblem,
    choice_from_words,
    date_from_text,
    read_table,
    read_text,
)

Status = Evaluation.Status

CHANGE_REASON = "Imported from a file"
CHANGE_REASON_LENGTH = 100  # simple-history's history_change_reason column
BATCH_SIZE = 500  # rows per INSERT/UPDATE and per IN (...) look-up; well under SQLite's limits
# A trust's whole history in one file: 50,000 evaluations and their header, with room to spare
# (the reader's own default stops at 50,000 rows and 1,000,000 cells: a full row has 22 cells).
MAX_ROWS = 60_000
PROGRESS_EVERY = 500  # rows between two progress reports
WRITE_CHUNK = 2000  # rows written between two progress reports, each chunk in the same transaction

# progress(checked=rows checked, written=rows written, total=rows in the file)
Progress = Callable[..., None]

IMPORT_STATUSES = (Status.RETURNED.value, Status.NOT_RETURNED.value)
PILLAR_COLUMNS = {f"grade_{pillar}": pillar for pillar in Pillar.values}
# Read once: a choices class computes its values on every call, and the check asks for them per cell.
QUESTIONS = tuple(HeadlineQuestion.values)
GRADES = frozenset(Grade.values)
CYCLE_TYPES = frozenset(CycleType.values)
DEMOGRAPHIC_COLUMNS = ("child_age_band", "child_gender", "child_ethnicity")

REQUIRED_COLUMNS = (
    "reference",
    "quarter",
    "type",
    "status",
    "service_area",
    "team",
    "child_ref",
    "practitioner",
    "evaluator_email",
)
RETURNED_COLUMNS = ("evaluation_date", *PILLAR_COLUMNS, "overall_grade", *HeadlineQuestion.values)
OPTIONAL_COLUMNS = ("moderated_grade", *DEMOGRAPHIC_COLUMNS)
COLUMNS = (*REQUIRED_COLUMNS, *RETURNED_COLUMNS, *OPTIONAL_COLUMNS)
GRADE_COLUMNS = (*PILLAR_COLUMNS, "overall_grade", "moderated_grade")

CREATE_MISSING_HINT = "(import with 'create missing' to add it)"

# The words people write in their spreadsheets for the contract's codes. A code and its label
# are always understood (letter case, spaces and punctuation aside): these are the others.
# A word that could mean two things is not here, and is refused where it is written.
GRADE_WORDS = {
    "Requires improvement": Grade.REQUIRES_IMPROVEMENT,
    "Requires improvement (to be good)": Grade.REQUIRES_IMPROVEMENT,
    "RI": Grade.REQUIRES_IMPROVEMENT,
    "R I": Grade.REQUIRES_IMPROVEMENT,
}
ANSWER_WORDS = {"Y": Answer.YES, "N": Answer.NO, "Partially": Answer.PARTLY, "Partial": Answer.PARTLY}
TYPE_WORDS = {
    "Trust-wide PE": CycleType.TRUST_WIDE,
    "Trust-wide cycle": CycleType.TRUST_WIDE,
    "Trust-wide PE cycle": CycleType.TRUST_WIDE,
    "Trust-wide practice evaluation cycle": CycleType.TRUST_WIDE,
    "SPE": CycleType.SERVICE,
    "Service practice evaluation": CycleType.SERVICE,
    "Service PE": CycleType.SERVICE,
    "Thematic audit": CycleType.THEMATIC,
    "Dip sample": CycleType.THEMATIC,
    "Thematic audit / dip sample": CycleType.THEMATIC,
}
IMPORT_STATUS_CHOICES = [(code, label) for code, label in Status.choices if code in IMPORT_STATUSES]
STATUS_WORDS = {"Complete": Status.RETURNED}


def _choices(values: Iterable[str]) -> str:
    return ", ".join(values)


# One description of the columns, read by the import page and kept in step with the contract.
COLUMN_GUIDE = (
    ("reference", "yes", "The trust's own id of the evaluation, e.g. PE-2025-0001. Importing it again updates it."),
    ("quarter", "yes", "The quarter of the financial year, YYYY-YY-QN, e.g. 2025-26-Q1 (April to June 2025)."),
    ("type", "yes", f"{_choices(CycleType.values)}; or as people write them: Trust-wide, SPE, Thematic, Revisit."),
    (
        "status",
        "yes",
        "completed (or Returned), or not_returned (or Not returned: allocated but never returned, "
        "so no grades, answers or date).",
    ),
    ("service_area", "yes", "Name of the service area, e.g. Children in Care."),
    ("team", "yes", "Name of the team within that service area."),
    ("child_ref", "yes", "The child's id in the case management system. Never a name."),
    ("practitioner", "yes", "The practitioner's staff id or name."),
    ("evaluator_email", "yes", "E-mail address of the evaluator's account."),
    (
        "evaluation_date",
        "when completed",
        "The date of the conversation: DD/MM/YYYY (e.g. 02/05/2024), YYYY-MM-DD, or a date cell in a workbook. "
        "A two-digit year is refused.",
    ),
    (
        ", ".join(PILLAR_COLUMNS),
        "when completed",
        f"{_choices(Grade.values)}; or as people write them: Outstanding, Good, Requires improvement "
        "(to be good), RI, Inadequate.",
    ),
    ("overall_grade", "when completed", "A grade, as above."),
    (", ".join(HeadlineQuestion.values), "when completed", "Yes, Partly or No."),
    ("moderated_grade", "no", "A grade, as above: the grade a moderator gave, if moderated."),
    (", ".join(DEMOGRAPHIC_COLUMNS), "no", "Free text, for equality, diversity and inclusion breakdowns."),
)
# What the guide says of every value, above the table.
VALUES_GUIDE = (
    "Values may be in any letter case, and spaces around them do not count. A value that could be read "
    "two ways is a problem at its row and column, never a guess."
)


@dataclass
class ImportResult(BaseImportResult):
    noun = "evaluations"
    CREATES = (
        ("service areas", "new_service_areas"),
        ("teams", "new_teams"),
        ("evaluator accounts (inactive until an administrator activates them)", "new_evaluators"),
        ("cycles", "new_cycles"),
    )

    new_service_areas: list[str] = field(default_factory=list)
    new_teams: list[str] = field(default_factory=list)
    new_evaluators: list[str] = field(default_factory=list)
    new_cycles: list[str] = field(default_factory=list)


@dataclass
class _Row:
    number: int
    values: dict[str, str]
    quarter: str = ""
    date: dt.date | None = None
    area_key: str = ""
    team_key: tuple[str, str] = ("", "")
    email_key: str = ""

    def __getitem__(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def completed(self) -> bool:
        return self["status"] == Status.RETURNED


# --- Reading -------------------------------------------------------------------------------


def _table(file) -> Table:
    """The file as a table: text as given, or a CSV or workbook from bytes, a path or a file."""
    bounds = {"max_rows": MAX_ROWS, "max_cells": MAX_ROWS * len(COLUMNS)}
    if isinstance(file, str):
        return read_text(file, **bounds)
    return read_table(file, **bounds)


def _status(value: str) -> str | None:
    try:
        return choice_from_words(value, IMPORT_STATUS_CHOICES, STATUS_WORDS)
    except ValueProblem:
        return None


def _check_header(header: list[str], body: tuple[Row, ...], problems: Problems) -> None:
    seen = check_header(header, columns=COLUMNS, required=REQUIRED_COLUMNS, problems=problems)
    if "status" in seen:
        position = header.index("status")
        any_completed = any(_status(row[position]) == Status.RETURNED for row in body)
        for name in RETURNED_COLUMNS:
            if name not in seen and any_completed:
                problems.add(1, name, "this column is missing from the header; completed evaluations need it")


# --- Checking ------------------------------------------------------------------------------


def _check_value(row: _Row, name: str, problems: Problems) -> None:
    """Read a grade, answer or date as people write it into the contract's code (or date)."""
    value = row[name]
    if name in GRADE_COLUMNS:
        try:
            row.values[name] = choice_from_words(value, Grade, GRADE_WORDS)
        except ValueProblem:
            problems.add(row.number, name, f"'{value}' is not a grade: use one of {_choices(Grade.values)}")
    elif name in QUESTIONS:
        try:
            row.values[name] = choice_from_words(value, Answer, ANSWER_WORDS)
        except ValueProblem:
            problems.add(row.number, name, f"'{value}' is not an answer: use one of {_choices(Answer.values)}")
    elif name == "evaluation_date":
        try:
            row.date = date_from_text(value)
        except ValueProblem as problem:
            problems.add(row.number, name, str(problem))
            return
        if row.date > timezone.localdate():
            problems.add(row.number, name, f"{value} is in the future: the conversation must already have happened")
        elif row.quarter:
            outside = date_outside_quarter(row.date, Quarter.parse(row.quarter))
            if outside:
                problems.add(row.number, name, outside)


def _check_row(row: _Row, problems: Problems) -> None:
    for name in REQUIRED_COLUMNS:
        if not row[name]:
            problems.add(row.number, name, "a value is required")

    if row["quarter"]:
        try:
            row.quarter = str(Quarter.parse(row["quarter"]))
        except QuarterError as error:
            problems.add(row.number, "quarter", str(error))
    if row["type"]:
        try:
            row.values["type"] = choice_from_words(row["type"], CycleType, TYPE_WORDS)
        except ValueProblem:
            problems.add(row.number, "type", f"'{row['type']}' is not a type: use one of {_choices(CycleType.values)}")
    if row["evaluator_email"]:
        try:
            validate_email(row["evaluator_email"])
            row.email_key = row["evaluator_email"].lower()
        except ValidationError:
            problems.add(row.number, "evaluator_email", f"'{row['evaluator_email']}' is not an e-mail address")
    if row["service_area"]:
        row.area_key = row["service_area"].lower()
        row.team_key = (row.area_key, row["team"].lower())

    status = row["status"]
    if status and _status(status) is None:
        problems.add(row.number, "status", f"'{status}' is not a status: use one of {_choices(IMPORT_STATUSES)}")
    elif status:
        status = row.values["status"] = _status(status)
    if status == Status.RETURNED:
        for name in RETURNED_COLUMNS:
            if not row[name]:
                problems.add(row.number, name, "a value is required when the status is completed")
        for name in (*RETURNED_COLUMNS, "moderated_grade"):
            if row[name]:
                _check_value(row, name, problems)
    elif status == Status.NOT_RETURNED:
        for name in (*RETURNED_COLUMNS, "moderated_grade"):
            if row[name]:
                problems.add(
                    row.number,
                    name,
                    "must be empty when the status is not_returned: it was never returned, so has no "
                    "date, grades or answers",
                )
    _check_models(row, problems)


# --- The models' own rules -----------------------------------------------------------------
# The writes below are bulk (bulk_create/bulk_update skip full_clean), so every instance they
# will write is first validated here as its model validates it, with its look-ups left out:
# those are the import's own (a foreign key checked one by one would cost a query a row).

EVALUATION_COLUMNS = {
    **{name: name for name in ("reference", "child_ref", "practitioner", "status", "evaluation_date")},
    **{name: name for name in ("overall_grade", *HeadlineQuestion.values, *DEMOGRAPHIC_COLUMNS)},
    "cycle": "quarter",
    "team": "team",
    "evaluator": "evaluator_email",
}
EVALUATION_LOOK_UPS = ("cycle", "team", "evaluator", "allocated_by", "revisit_of")


def _reason(message: str) -> str:
    """A model's message ("Null characters are not allowed.") as a reason after `row N, column C:`."""
    message = message.rstrip(".")
    if len(message) > 1 and message[0].isupper() and message[1].islower():
        message = message[0].lower() + message[1:]
    return message


def _validate(
    instance,
    *,
    exclude: Iterable[str],
    columns: dict[str, str],
    row: int,
    problems: Problems,
    default: str | None,
    context: dict[str, str] | None = None,
) -> None:
    """Validate `instance` as its model does; each problem goes to its column, once. A problem the
    import has already reported for that row and column is not repeated in the model's words.
    `context` says, per field, what a field the file does not name was made from."""
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            column = default if name == NON_FIELD_ERRORS else columns.get(name, default)
            if (row, column) in problems.cells:
                continue
            # One problem a cell is enough to correct it (a long reference breaks its rule and its length).
            problems.add(row, column, (context or {}).get(name, "") + _reason(messages[0]))


def _check_models(row: _Row, problems: Problems) -> None:
    """The evaluation, its pillar grades and its moderation as the row would write them."""
    evaluation = Evaluation(
        reference=row["reference"],
        child_ref=row["child_ref"],
        practitioner=row["practitioner"],
        status=row["status"],
        evaluation_date=row.date,
        overall_grade=row["overall_grade"],
        **{name: row[name] for name in (*QUESTIONS, *DEMOGRAPHIC_COLUMNS)},
    )
    checks = [(evaluation, EVALUATION_LOOK_UPS, EVALUATION_COLUMNS)]
    for column, pillar in PILLAR_COLUMNS.items():
        if row[column]:
            checks.append((PillarGrade(pillar=pillar, grade=row[column]), ("evaluation",), {"grade": column}))
    if row["moderated_grade"] in GRADES and row["overall_grade"] in GRADES:
        outcome = Moderation.outcome_for(overall_grade=row["overall_grade"], moderated_grade=row["moderated_grade"])
        moderation = Moderation(moderated_grade=row["moderated_grade"], outcome=outcome)
        checks.append((moderation, ("evaluation", "moderator"), {"moderated_grade": "moderated_grade"}))
    for instance, exclude, columns in checks:
        _validate(instance, exclude=exclude, columns=columns, row=row.number, problems=problems, default=None)


def _chunks(items: list, size: int = BATCH_SIZE):
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class _Plan:
    """What the checked file will write, with everything it refers to already looked up."""

    rows: list[_Row]
    has_column: set[str]
    areas: dict[str, ServiceArea | str]  # lower-case name -> service area, or the name to create
    teams: dict[tuple[str, str], Team | str]
    evaluators: dict[str, User | str]
    cycles: dict[tuple[str, str], Cycle | None]
    existing: dict[str, Evaluation]


def _look_up(rows: list[_Row], header: list[str], create_missing: bool, problems: Problems) -> _Plan:
    area_names = {row.area_key for row in rows if row.area_key}
    areas: dict[str, ServiceArea | str] = {
        area.key: area for area in ServiceArea.objects.annotate(key=Lower("name")).filter(key__in=area_names)
    }
    teams: dict[tuple[str, str], Team | str] = {
        (team.area_key, team.key): team
        for team in Team.objects.filter(service_area__in=list(areas.values()))
        .annotate(key=Lower("name"), area_key=Lower("service_area__name"))
        .select_related("service_area")
    }
    emails = sorted({row.email_key for row in rows if row.email_key})
    evaluators: dict[str, User | str] = {}
    for chunk in _chunks(emails):
        evaluators.update({user.key: user for user in User.objects.annotate(key=Lower("email")).filter(key__in=chunk)})
    references = sorted({row["reference"] for row in rows if row["reference"]})
    existing: dict[str, Evaluation] = {}
    for chunk in _chunks(references):
        existing.update(
            (evaluation.reference, evaluation)
            for evaluation in Evaluation.objects.filter(reference__in=chunk).select_related("cycle", "moderation")
        )
    cycles: dict[tuple[str, str], Cycle | None] = {}
    quarters = {row.quarter for row in rows if row.quarter}
    for cycle in Cycle.objects.filter(quarter__in=quarters).order_by("opened_at", "pk"):
        cycles.setdefault((cycle.quarter, cycle.type), cycle)

    for row in rows:
        if row.area_key and row.area_key not in areas:
            if create_missing:
                areas[row.area_key] = row["service_area"]
                _validate(
                    ServiceArea(name=row["service_area"]),
                    exclude=(),
                    columns={},
                    row=row.number,
                    problems=problems,
                    default="service_area",
                )
            else:
                problems.add(
                    row.number, "service_area", f"'{row['service_area']}' is not a service area {CREATE_MISSING_HINT}"
                )
        if row.area_key in areas and row["team"] and row.team_key not in teams:
            if create_missing:
                teams[row.team_key] = row["team"]
                _validate(
                    Team(name=row["team"]),
                    exclude=("service_area",),
                    columns={},
                    row=row.number,
                    problems=problems,
                    default="team",
                )
            elif not isinstance(areas[row.area_key], str):
                problems.add(
                    row.number, "team", f"'{row['team']}' is not a team in {areas[row.area_key]} {CREATE_MISSING_HINT}"
                )
        if row.email_key and row.email_key not in evaluators:
            if create_missing:
                evaluators[row.email_key] = row["evaluator_email"]
                account = User(username=row.email_key, email=row["evaluator_email"], role=Role.EVALUATOR)
                _validate(
                    account,
                    exclude=("password",),
                    columns={},
                    row=row.number,
                    problems=problems,
                    default="evaluator_email",
                    context={"username": "the account this address would create cannot have it as username: "},
                )
            else:
                problems.add(
                    row.number,
                    "evaluator_email",
                    f"no account has the e-mail address {row['evaluator_email']} {CREATE_MISSING_HINT}",
                )
        if row.quarter and row["type"] in CYCLE_TYPES and (row.quarter, row["type"]) not in cycles:
            cycles[(row.quarter, row["type"])] = None
            _validate(
                Cycle(quarter=row.quarter, type=row["type"], title=""),
                exclude=("opened_by",),
                columns={"quarter": "quarter", "type": "type"},
                row=row.number,
                problems=problems,
                default=None,
            )
        if row["reference"] in existing:
            _check_existing(row, existing[row["reference"]], problems)
    _check_once_a_cycle(rows, cycles, existing, problems)
    return _Plan(rows, set(header), areas, teams, evaluators, cycles, existing)


def _target_cycle(row: _Row, cycles: dict[tuple[str, str], Cycle | None], existing: dict[str, Evaluation]):
    """The cycle the row will be written in, as `_wanted` chooses it: its pk, or (quarter, type)
    for a cycle the import will create; None when the row's quarter or type is wrong."""
    if not row.quarter or row["type"] not in CYCLE_TYPES:
        return None
    current = existing.get(row["reference"])
    if current is not None and (current.cycle.quarter, current.cycle.type) == (row.quarter, row["type"]):
        return current.cycle_id
    cycle = cycles[(row.quarter, row["type"])]
    return (row.quarter, row["type"]) if cycle is None else cycle.pk


def _check_once_a_cycle(
    rows: list[_Row], cycles: dict[tuple[str, str], Cycle | None], existing: dict[str, Evaluation], problems: Problems
) -> None:
    """A child is evaluated once in a cycle: not on two rows of the file that land in the same
    cycle, nor beside another evaluation PQA already holds in it. Case ids are compared
    whatever their letter case, as allocation compares them."""
    targets = {row.number: _target_cycle(row, cycles, existing) for row in rows if row["child_ref"]}
    in_file = {row["reference"] for row in rows}
    children = sorted({child_key(row["child_ref"]) for row in rows if targets.get(row.number) is not None})
    cycle_ids = sorted({target for target in targets.values() if isinstance(target, int)})
    in_pqa: dict[tuple[int, str], list[str]] = {}
    if cycle_ids:
        for chunk in _chunks(children):
            found = (
                Evaluation.objects.annotate(key=child_key_expression("child_ref"))
                .filter(key__in=chunk, cycle_id__in=cycle_ids)
                .order_by("reference")
                .values_list("cycle_id", "key", "reference")
            )
            for cycle_id, key, reference in found:
                if reference not in in_file:  # where those go is the file's to say, checked below
                    in_pqa.setdefault((cycle_id, key), []).append(reference)

    first: dict[tuple[object, str], _Row] = {}
    for row in rows:
        target = targets.get(row.number)
        if target is None:
            continue
        child = child_key(row["child_ref"])
        where = f"(quarter {row.quarter}, type {row['type']})"
        earlier = first.setdefault((target, child), row)
        if earlier is not row and earlier["reference"] != row["reference"]:  # a repeated reference is its own problem
            problems.add(
                row.number,
                "child_ref",
                f"case {row['child_ref']} is also on row {earlier.number} in the same cycle {where}",
            )
        if isinstance(target, int) and (target, child) in in_pqa:
            problems.add(
                row.number,
                "child_ref",
                f"case {row['child_ref']} is already in the same cycle {where} in PQA, as "
                f"{', '.join(in_pqa[(target, child)])}: a child is evaluated once in a cycle",
            )


def _check_existing(row: _Row, current: Evaluation, problems: Problems) -> None:
    """A reference PQA already holds may only be the same child's evaluation, and only one that
    is over: a live one belongs to the evaluator working on it. PQA numbers its own
    allocations PE-YYYY-NNNN, as trusts' spreadsheets often do, so references can collide."""
    if current.status in Evaluation.EDITABLE_STATUSES:
        problems.add(
            row.number,
            "reference",
            f"{current.reference} is an evaluation in progress in PQA ({current.get_status_display().lower()}): "
            "an import may only update evaluations that were completed or not returned",
        )
    if row["child_ref"] and child_key(current.child_ref) != child_key(row["child_ref"]):
        problems.add(
            row.number,
            "child_ref",
            f"{current.reference} is the evaluation of another child (case {current.child_ref}) in PQA: "
            "check the reference and the case id",
        )


def _parse(table: Table, create_missing: bool, problems: Problems, progress: Progress) -> _Plan | None:
    header_row = table.header
    if header_row is None or header_row.number != 1:
        empty = "the file is empty: " if header_row is None else ""
        problems.add(1, None, f"{empty}the first row must be the header ({', '.join(COLUMNS[:3])}, ...)")
        return None
    header = list(header_row.cells)
    _check_header(header, table.body, problems)
    if problems:
        return None

    rows: list[_Row] = []
    first_seen: dict[str, int] = {}
    total = len(table.body)
    for checked, record in enumerate(table.body):  # blank rows, and the empty ones at the end, are not here
        if checked % PROGRESS_EVERY == 0:
            progress(checked=checked, written=0, total=total)
        number = record.number
        for position in range(len(header), len(record)):
            if record[position]:
                problems.add(number, str(position + 1), f"a value beyond the last column of the header ({len(header)})")
        row = _Row(number, {name: record[position] for position, name in enumerate(header)})
        _check_row(row, problems)
        reference = row["reference"]
        if reference in first_seen:
            problems.add(
                number,
                "reference",
                f"{reference} is also on row {first_seen[reference]}: a reference may appear only once in a file",
            )
        elif reference:
            first_seen[reference] = number
        rows.append(row)
    if not rows:
        problems.add(2, None, "there are no evaluations in the file, only the header")
        return None
    plan = _look_up(rows, header, create_missing, problems)
    progress(checked=total, written=0, total=total)
    return plan


# --- Writing -------------------------------------------------------------------------------


def _change_reason(file, command_user: str | None) -> str:
    """What the history says about the import: which file, and by which route. A command has
    no one signed in, so it names the server account that ran it."""
    name = PurePath(str(getattr(file, "name", "") or "")).name
    if command_user is not None:
        reason = f"import_evaluations {name or '(no file name)'} by {command_user}"
    else:
        reason = f"web import {name}" if name else CHANGE_REASON
    return reason[:CHANGE_REASON_LENGTH]


def _attribute(instance, actor: User | None, reason: str) -> None:
    if actor is not None:
        instance._history_user = actor
    instance._change_reason = reason


def _create_missing(plan: _Plan, actor: User | None, reason: str, today: dt.date) -> None:
    for key, value in list(plan.areas.items()):
        if isinstance(value, str):
            area = ServiceArea(name=value)
            _attribute(area, actor, reason)
            area.save()
            plan.areas[key] = area
    for key, value in list(plan.teams.items()):
        if isinstance(value, str):
            team = Team(service_area=plan.areas[key[0]], name=value)
            _attribute(team, actor, reason)
            team.save()
            plan.teams[key] = team
    new_emails = [key for key, value in plan.evaluators.items() if isinstance(value, str)]
    taken = set(User.objects.annotate(key=Lower("username")).filter(key__in=new_emails).values_list("key", flat=True))
    for key in new_emails:
        username, suffix = key, 1
        while username in taken:
            suffix += 1
            username = f"{key}-{suffix}"
        taken.add(username)
        # An account made from history cannot sign in until an administrator activates it.
        user = User(username=username, email=plan.evaluators[key], role=Role.EVALUATOR, is_active=False)
        user.set_unusable_password()
        _attribute(user, actor, reason)
        user.save()
        plan.evaluators[key] = user
    for (quarter, type_), cycle in list(plan.cycles.items()):
        if cycle is None:
            ended = Quarter.parse(quarter).end < today
            cycle = Cycle(
                quarter=quarter,
                type=type_,
                title="",
                opened_by=actor,
                status=Cycle.Status.CLOSED if ended else Cycle.Status.OPEN,
                closed_at=timezone.now() if ended else None,
            )
            _attribute(cycle, actor, reason)
            cycle.save()
            plan.cycles[(quarter, type_)] = cycle


EVALUATION_FIELDS = (
    "cycle",
    "team",
    "child_ref",
    "practitioner",
    "evaluator",
    "status",
    "evaluation_date",
    "overall_grade",
    *HeadlineQuestion.values,
    *DEMOGRAPHIC_COLUMNS,
)


def _wanted(row: _Row, plan: _Plan, current: Evaluation | None) -> dict[str, object]:
    cycle = plan.cycles[(row.quarter, row["type"])]
    if current is not None and (current.cycle.quarter, current.cycle.type) == (row.quarter, row["type"]):
        cycle = current.cycle  # keep it in the round it is already in, where a quarter has several
    values: dict[str, object] = {
        "cycle": cycle,
        "team": plan.teams[row.team_key],
        "child_ref": row["child_ref"],
        "practitioner": row["practitioner"],
        "evaluator": plan.evaluators[row.email_key],
        "status": row["status"],
        "evaluation_date": row.date,
        "overall_grade": row["overall_grade"],
        **{question: row[question] for question in QUESTIONS},
    }
    for name in DEMOGRAPHIC_COLUMNS:
        if name in plan.has_column or current is None:
            values[name] = row[name]
    return values


def _differs(evaluation: Evaluation, name: str, value) -> bool:
    if name in ("cycle", "team", "evaluator"):
        return getattr(evaluation, f"{name}_id") != value.pk
    return getattr(evaluation, name) != value


def _write(plan: _Plan, actor: User | None, reason: str, progress: Progress) -> None:
    now = timezone.now()
    _create_missing(plan, actor, reason, timezone.localdate())

    new: set[int] = set()  # id() of the evaluations to create, and of those to update
    changed: set[int] = set()
    moving: list[int] = []
    evaluations: list[tuple[_Row, Evaluation]] = []
    for row in plan.rows:
        current = plan.existing.get(row["reference"])
        wanted = _wanted(row, plan, current)
        if current is None:
            evaluation = Evaluation(reference=row["reference"], allocated_by=actor, **wanted)
            new.add(id(evaluation))
        else:
            evaluation = current
            differences = [name for name, value in wanted.items() if _differs(evaluation, name, value)]
            if differences:
                for name in differences:
                    setattr(evaluation, name, wanted[name])
                evaluation.version += 1
                evaluation.updated_at = now
                changed.add(id(evaluation))
                if "cycle" in differences:
                    moving.append(evaluation.pk)
        evaluations.append((row, evaluation))
    # The database holds a child to once a cycle row by row, so an evaluation leaving its cycle
    # first steps aside under a case id no child has: the file may then put another evaluation
    # of that child in its place, or swap two. The update below writes the real case id back.
    for chunk in _chunks(moving):
        Evaluation.objects.filter(pk__in=chunk).update(
            child_ref=Concat(Value("moving-"), Cast("pk", output_field=CharField()))
        )
    history = {"default_user": actor, "default_change_reason": reason, "batch_size": BATCH_SIZE}
    # In chunks, each with its pillar grades and moderations, so that progress can be told;
    # all in the caller's one transaction. Rows already written are as the file says and the
    # others as they were (a row leaving its cycle under its stand-in case id), so no chunk
    # meets a constraint the whole file would not.
    written = 0
    for chunk in _chunks(evaluations, WRITE_CHUNK):
        to_create = [evaluation for _, evaluation in chunk if id(evaluation) in new]
        to_update = [evaluation for _, evaluation in chunk if id(evaluation) in changed]
        if to_create:
            bulk_create_with_history(to_create, Evaluation, **history)
        if to_update:
            bulk_update_with_history(to_update, Evaluation, [*EVALUATION_FIELDS, "version", "updated_at"], **history)
        _write_pillar_grades(chunk, plan, history)
        _write_moderations(chunk, plan, actor, reason)
        written += len(chunk)
        progress(checked=len(plan.rows), written=written, total=len(plan.rows))


def _write_pillar_grades(evaluations: list[tuple[_Row, Evaluation]], plan: _Plan, history: dict) -> None:
    existing: dict[tuple[int, str], PillarGrade] = {}
    ids = [evaluation.pk for row, evaluation in evaluations if row["reference"] in plan.existing]
    for chunk in _chunks(ids):
        existing.update(
            ((grade.evaluation_id, grade.pillar), grade)
            for grade in PillarGrade.objects.filter(evaluation_id__in=chunk)
        )
    new: list[PillarGrade] = []
    changed: list[PillarGrade] = []
    for row, evaluation in evaluations:
        for column, pillar in PILLAR_COLUMNS.items():
            grade = row[column]  # empty on a not_returned row: it has no grades
            current = existing.get((evaluation.pk, pillar))
            if current is None:
                if grade:
                    new.append(PillarGrade(evaluation=evaluation, pillar=pillar, grade=grade))
            elif current.grade != grade:
                current.grade = grade
                changed.append(current)
    if new:
        bulk_create_with_history(new, PillarGrade, **history)
    if changed:
        bulk_update_with_history(changed, PillarGrade, ["grade"], **history)


def _write_moderations(
    evaluations: list[tuple[_Row, Evaluation]], plan: _Plan, actor: User | None, reason: str
) -> None:
    # A first moderation is written in bulk: the row was checked as moderation_record checks
    # it (a returned evaluation, a grade, the model's rules in _check_models), and the outcome
    # is derived by the same rule. A change to one PQA holds goes through the service, row by
    # row: its version and its moderator are the service's to keep.
    new: list[Moderation] = []
    now = timezone.now()
    for row, evaluation in evaluations:
        current: Moderation | None = None
        if row["reference"] in plan.existing:
            try:
                current = evaluation.moderation
            except Moderation.DoesNotExist:
                current = None
        if "moderated_grade" in plan.has_column or not row.completed:
            grade = row["moderated_grade"]
        else:
            grade = current.moderated_grade if current else ""  # no column: keep what was moderated
        if not grade:
            # The file says this evaluation was not moderated (or was never returned); an
            # unconfirmed place in the moderation sample is PQA's own work and stays.
            if current is not None and (current.is_confirmed or not row.completed):
                _attribute(current, actor, reason)
                current.delete()
            continue
        outcome = Moderation.outcome_for(overall_grade=evaluation.overall_grade, moderated_grade=grade)
        if current is None:
            # Recorded directly, as moderation_record records it: confirmed at once.
            new.append(
                Moderation(
                    evaluation=evaluation,
                    moderated_grade=grade,
                    outcome=outcome,
                    state=Moderation.State.CONFIRMED,
                    sample_reason=Moderation.SampleReason.RECORDED,
                    confirmed_at=now,
                )
            )
            continue
        if current.is_confirmed and (current.moderated_grade, current.outcome) == (grade, outcome):
            continue
        moderation = moderation_record(
            evaluation=evaluation,
            moderated_grade=grade,
            moderator=current.moderator if current else None,
            rationale=current.rationale if current else "",
            actor=actor,
            reason=reason,
        )
        # The service saves its own copy, so the reason goes on the history row it just wrote.
        moderation.history.filter(
            history_id=moderation.history.order_by("-history_id").values("history_id")[:1]
        ).update(history_change_reason=reason)
    if new:
        bulk_create_with_history(
            new, Moderation, default_user=actor, default_change_reason=reason, batch_size=BATCH_SIZE
        )


# --- The door ------------------------------------------------------------------------------


def _describe_new(plan: _Plan, result: ImportResult) -> None:
    result.new_service_areas = sorted(value for value in plan.areas.values() if isinstance(value, str))
    result.new_teams = sorted(
        f"{value} ({plan.areas[key[0]]})" for key, value in plan.teams.items() if isinstance(value, str)
    )
    result.new_evaluators = sorted(value for value in plan.evaluators.values() if isinstance(value, str))
    result.new_cycles = sorted(
        f"{quarter} {CycleType(type_).label}" for (quarter, type_), cycle in plan.cycles.items() if cycle is None
    )


def _no_progress(**counts) -> None:
    pass


def evaluations_import(
    *,
    file,
    actor: User | None = None,
    create_missing: bool = False,
    dry_run: bool = False,
    command_user: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import practice evaluations from a CSV file or an .xlsx workbook (bytes, a path, a file
    object or an upload; or text), all or nothing. The words people write are read into the
    contract's codes, and every instance written is first validated by its model's rules.
    A reference already in PQA is updated, never duplicated, unless it is a live
    evaluation or another child's. Unknown service areas, teams and evaluators are problems
    unless `create_missing`, which creates them (evaluator accounts inactive, with no usable
    password). With `dry_run` the file is only checked and the result says what would happen.
    `command_user` is the server account running the command; the history names it.
    Checking stops after MAX_PROBLEMS problems; the result lists the first PROBLEMS_LISTED
    with the count. `progress(checked=, written=, total=)`, if given, is told the rows
    checked and written as the import goes (a background job shows them); it changes nothing."""
    result = ImportResult(dry_run=dry_run)
    problems = Problems()
    reason = _change_reason(file, command_user)
    progress = progress or _no_progress
    try:
        table = _table(file)
    except SpreadsheetError as error:
        return result.unreadable(error)
    try:
        with transaction.atomic():
            try:
                plan = _parse(table, create_missing, problems, progress)
            except TooManyProblems as stop:
                return result.refused(problems, stopped_at_row=stop.row)
            if plan is None or problems:
                return result.refused(problems)
            result.created = sum(1 for row in plan.rows if row["reference"] not in plan.existing)
            result.updated = len(plan.rows) - result.created
            _describe_new(plan, result)
            if not dry_run:
                _write(plan, actor, reason, progress)
    except IntegrityError:
        # Someone else changed the same records while this file was being imported.
        result.refused_because(CHANGED_MEANWHILE)
    if result.ok and not dry_run:
        if command_user is None:
            audit.event(audit.IMPORT, user=getattr(actor, "pk", None), what="evaluations", rows=result.imported)
        else:
            # Like an export by command; the server account only as a keyed hash, as the log
            # never holds a username (the history's change reason has it in plain).
            audit.event(
                audit.IMPORT,
                user=getattr(actor, "pk", None) or "command",
                what="evaluations",
                rows=result.imported,
                os_account=audit.account_hash(command_user),
            )
    return result


__all__ = [
    "COLUMNS",
    "COLUMN_GUIDE",
    "MAX_PROBLEMS",
    "PROBLEMS_LISTED",
    "ImportResult",
    "Problem",
    "evaluations_import",
]
