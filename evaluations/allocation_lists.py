"""Reading the lists the Practice Hub pastes or uploads to allocate many evaluations at once.

A pasted list is comma- or tab-separated (a copy from Excel gives tabs). An uploaded file is
a CSV or an .xlsx workbook, read by the core's spreadsheet reader as every import reads its
files (pqa.spreadsheets: CSV in UTF-8 or as Excel on Windows saves it; a workbook's first
sheet, with date cells). A file must start with a header row naming its columns; a pasted
list may, and without one its columns are taken in the documented order. Rows are numbered
as a spreadsheet numbers them (the header, when there is one, is row 1; blank rows are
skipped but still counted), so that every problem can be reported as `row N, column C:
reason` and found in the sheet it came from. Due dates are YYYY-MM-DD or DD/MM/YYYY.

Nothing here writes: the parser turns text into the services' AllocationRequest and OpenCase
values, or into a list of problems, and the view hands a clean list to the service.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from django.db.models.functions import Lower
from django.utils import timezone

from evaluations.services import AllocationRequest, OpenCase
from pqa.case_ids import CHILD_REF_RULE, child_key, child_ref_problem  # noqa: F401
from pqa.models import Team, User
from pqa.spreadsheets import SpreadsheetError, Table, ValueProblem, date_from_text, read_table, read_text

ALLOCATION_COLUMNS = ("child_ref", "practitioner", "service_area", "team", "evaluator_email", "due_date")
OPEN_CASE_COLUMNS = ("child_ref", "practitioner", "service_area", "team")
OPTIONAL_COLUMNS = frozenset({"due_date"})
MAX_ROWS = 2000
MAX_FILE_BYTES = 2 * 1024 * 1024
FILE_TYPES = (".csv", ".txt", ".xlsx")

T = TypeVar("T")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str | None  # None when the problem is the whole row (it is not valid CSV)
    reason: str

    def __str__(self) -> str:
        if self.column is None:
            return f"row {self.row}: {self.reason}"
        return f"row {self.row}, column {self.column}: {self.reason}"


@dataclass
class ParsedList(Generic[T]):
    items: list[T] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # For each item, the row it came from (same order as items).
    rows: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class UnreadableFile(ValueError):
    """An upload that cannot be read as a list (not a CSV file or a workbook, or too large)."""


def read_upload(upload) -> Table:
    """The table in an uploaded CSV file or .xlsx workbook (its first sheet)."""
    if not (upload.name or "").lower().endswith(FILE_TYPES):
        raise UnreadableFile("The selected file must be a CSV file or an Excel workbook (.xlsx)")
    try:
        return read_table(upload, max_bytes=MAX_FILE_BYTES, max_rows=MAX_ROWS + 1)
    except SpreadsheetError as error:
        raise UnreadableFile(error.message[0].upper() + error.message[1:]) from error


def _normalise_header(cell: str) -> str:
    return re.sub(r"[\s-]+", "_", cell.strip().lower())


def _records(source: str | Table) -> list[tuple[int, list[str]]]:
    """(row number, cells) for every non-blank row, numbered as the sheet numbers it. Pasted
    text is read here; an upload was read by `read_upload`. A list that is no table at all
    (broken quoting) raises SpreadsheetError."""
    table = read_text(source, max_rows=MAX_ROWS + 1) if isinstance(source, str) else source
    return [(row.number, list(row.cells)) for row in table.rows]


def _read(source: str | Table) -> tuple[list[tuple[int, list[str]]], list[RowError]]:
    try:
        return _records(source), []
    except SpreadsheetError as error:
        return [], [RowError(error.row or 1, None, error.message)]


def _is_blank(cells: list[str]) -> bool:
    return not any(cells)


def _columns(
    records: list[tuple[int, list[str]]], expected: tuple[str, ...], *, header_required: bool
) -> tuple[dict[str, int] | None, list[tuple[int, list[str]]], list[RowError]]:
    """Where each column is, the data rows, and any problem with the header."""
    non_blank = [(number, cells) for number, cells in records if not _is_blank(cells)]
    if not non_blank:
        return None, [], []
    first_number, first = non_blank[0]
    names = [_normalise_header(cell) for cell in first]
    looks_like_header = expected[0] in names or sum(name in expected for name in names) >= 2
    if not looks_like_header:
        if header_required:
            return (
                None,
                [],
                [
                    RowError(
                        first_number,
                        expected[0],
                        "the first row must be a header naming the columns " + ", ".join(expected),
                    )
                ],
            )
        return {name: index for index, name in enumerate(expected)}, non_blank, []

    errors = []
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        if not name:
            continue
        if name not in expected:
            errors.append(
                RowError(first_number, first[index] or str(index + 1), "unknown column: use " + ", ".join(expected))
            )
        elif name in positions:
            errors.append(RowError(first_number, name, "this column is named twice"))
        else:
            positions[name] = index
    for name in expected:
        if name not in positions and name not in OPTIONAL_COLUMNS:
            errors.append(RowError(first_number, name, f"the header has no {name} column"))
    return (None if errors else positions), non_blank[1:], errors


def _cells(number: int, cells: list[str], positions: dict[str, int], errors: list[RowError]) -> dict[str, str]:
    values = {name: cells[index] if index < len(cells) else "" for name, index in positions.items()}
    used = set(positions.values())
    for index, cell in enumerate(cells):
        if cell and index not in used:
            errors.append(
                RowError(number, str(index + 1), f"unexpected value '{cell}': the list has {len(positions)} columns")
            )
    return values


def _teams() -> dict[tuple[str, str], Team]:
    return {
        (team.service_area.name.lower(), team.name.lower()): team
        for team in Team.objects.select_related("service_area")
    }


def _team(
    number: int, values: Mapping[str, str], teams: dict[tuple[str, str], Team], errors: list[RowError]
) -> Team | None:
    area, name = values.get("service_area", ""), values.get("team", "")
    if not area:
        errors.append(RowError(number, "service_area", "enter the service area"))
    if not name:
        errors.append(RowError(number, "team", "enter the team"))
    if not area or not name:
        return None
    if not any(key[0] == area.lower() for key in teams):
        errors.append(RowError(number, "service_area", f"'{area}' is not a service area"))
        return None
    team = teams.get((area.lower(), name.lower()))
    if team is None:
        errors.append(RowError(number, "team", f"'{name}' is not a team in {area}"))
    return team


def _practitioner(number: int, values: Mapping[str, str], errors: list[RowError]) -> str:
    practitioner = values.get("practitioner", "")
    if not practitioner:
        errors.append(RowError(number, "practitioner", "enter the practitioner"))
    elif len(practitioner) > 120:
        errors.append(RowError(number, "practitioner", "the practitioner is longer than 120 characters"))
    return practitioner


def _child_ref(number: int, values: Mapping[str, str], errors: list[RowError]) -> str:
    child_ref = values.get("child_ref", "")
    problem = child_ref_problem(child_ref)
    if problem:
        errors.append(RowError(number, "child_ref", problem))
    return child_ref


def _due_date(number: int, raw: str, default: dt.date | None, today: dt.date, errors: list[RowError]) -> dt.date | None:
    if not raw:
        return default
    try:
        due_date = date_from_text(raw)
    except ValueProblem as problem:
        errors.append(RowError(number, "due_date", str(problem)))
        return None
    if due_date < today:
        errors.append(RowError(number, "due_date", f"{raw} is in the past"))
    return due_date


def _too_long(rows: list[tuple[int, list[str]]]) -> list[RowError]:
    if len(rows) > MAX_ROWS:
        return [RowError(rows[MAX_ROWS][0], "child_ref", f"a list may hold at most {MAX_ROWS} rows: split it")]
    return []


def parse_allocations(
    text: str | Table,
    *,
    header_required: bool = False,
    taken: Mapping[str, str] | None = None,
    default_due_date: dt.date | None = None,
    today: dt.date | None = None,
) -> ParsedList[AllocationRequest]:
    """Read a list of allocations (child_ref, practitioner, service_area, team, evaluator_email,
    due_date), pasted text or an uploaded table. `taken` maps the child_key of children that may
    not be allocated again to where they already are (e.g. 'this cycle (PE-2025-0003)'). A row
    without a due date gets `default_due_date`."""
    today = today or timezone.localdate()
    taken = taken or {}
    result: ParsedList[AllocationRequest] = ParsedList()
    records, result.errors = _read(text)
    if result.errors:
        return result
    positions, rows, result.errors = _columns(records, ALLOCATION_COLUMNS, header_required=header_required)
    if positions is None:
        return result
    result.errors.extend(_too_long(rows))
    if result.errors:
        return result

    teams = _teams()
    emails = {
        cells[positions["evaluator_email"]].lower()
        for _, cells in rows
        if positions["evaluator_email"] < len(cells) and cells[positions["evaluator_email"]]
    }
    evaluators = {
        user.email_lower: user
        for user in User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails, is_active=True)
    }
    first_row_of: dict[str, int] = {}

    for number, cells in rows:
        errors: list[RowError] = []
        values = _cells(number, cells, positions, errors)
        child_ref = _child_ref(number, values, errors)
        practitioner = _practitioner(number, values, errors)
        team = _team(number, values, teams, errors)

        email = values.get("evaluator_email", "")
        evaluator = evaluators.get(email.lower())
        if not email:
            errors.append(RowError(number, "evaluator_email", "enter the evaluator's e-mail address"))
        elif evaluator is None:
            errors.append(RowError(number, "evaluator_email", f"no active user has the e-mail address '{email}'"))

        due_date = _due_date(number, values.get("due_date", ""), default_due_date, today, errors)

        key = child_key(child_ref)
        if child_ref and not any(error.column == "child_ref" for error in errors):
            if key in taken:
                errors.append(RowError(number, "child_ref", f"child {child_ref} is already in {taken[key]}"))
            elif key in first_row_of:
                errors.append(RowError(number, "child_ref", f"child {child_ref} is already on row {first_row_of[key]}"))
            else:
                first_row_of[key] = number

        if errors:
            result.errors.extend(errors)
            continue
        result.items.append(
            AllocationRequest(
                child_ref=child_ref, practitioner=practitioner, team=team, evaluator=evaluator, due_date=due_date
            )
        )
        result.rows.append(number)
    return result


def parse_open_cases(text: str | Table, *, header_required: bool = False) -> ParsedList[OpenCase]:
    """Read a list of open cases to sample from (child_ref, practitioner, service_area, team).
    A child listed twice is not an error here: the sampling service draws each child once."""
    result: ParsedList[OpenCase] = ParsedList()
    records, result.errors = _read(text)
    if result.errors:
        return result
    positions, rows, result.errors = _columns(records, OPEN_CASE_COLUMNS, header_required=header_required)
    if positions is None:
        return result
    result.errors.extend(_too_long(rows))
    if result.errors:
        return result
    teams = _teams()
    for number, cells in rows:
        errors: list[RowError] = []
        values = _cells(number, cells, positions, errors)
        child_ref = _child_ref(number, values, errors)
        practitioner = _practitioner(number, values, errors)
        team = _team(number, values, teams, errors)
        if errors:
            result.errors.extend(errors)
            continue
        result.items.append(OpenCase(child_ref=child_ref, practitioner=practitioner, team=team))
        result.rows.append(number)
    return result
