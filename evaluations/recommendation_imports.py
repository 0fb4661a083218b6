"""Import the Practice Hub's recommendations tracker (shared contract recommendations.md):
`python manage.py import_recommendations PATH [--create-missing] [--dry-run]`.

Built as the evaluations import is (evaluations/imports.py): the core's spreadsheet reader,
the words people write read into codes, every row checked by the model's own rules, all of
the file or none of it, each problem as `row N, column C: reason`, and the history naming
the file. The list of problems is bounded: a file wrong on every row says so without
listing a million lines."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import PurePath

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from evaluations.models import Evaluation, Recommendation, closure_problems
from pqa import audit
from pqa.imports import CHANGED_MEANWHILE, ImportResult, Problems, check_header
from pqa.models import Role, User
from pqa.spreadsheets import SpreadsheetError, Table, ValueProblem, choice_from_words, date_from_text, read_table

REQUIRED_COLUMNS = ("reference", "evaluation", "action", "owner_email", "due_date", "status")
CLOSING_COLUMNS = ("completed", "note")
COLUMNS = (*REQUIRED_COLUMNS, *CLOSING_COLUMNS)
MAX_PROBLEMS = 100
CHANGE_REASON_LENGTH = 100  # simple-history's history_change_reason column
STATUS_WORDS = {"Complete": "done", "Completed": "done", "Achieved": "done", "Started": "in_progress"}
# The model's field -> the file's column, for the model's own messages.
FIELD_COLUMNS = {
    "tracker_reference": "reference",
    "action": "action",
    "due_date": "due_date",
    "status": "status",
    "completed_on": "completed",
    "outcome_note": "note",
}
UPDATED_FIELDS = ("evaluation", "action", "owner", "due_date", "status", "completed_on", "outcome_note")


def _problems() -> Problems:
    """Every problem is counted, one a cell (one is enough to correct it); the first
    MAX_PROBLEMS found are listed."""
    return Problems(stop_at=None, keep=MAX_PROBLEMS, one_a_cell=True)


@dataclass
class RecommendationImportResult(ImportResult):
    noun = "recommendations"

    new_owners: list[str] = field(default_factory=list)


@dataclass
class _Row:
    number: int
    values: dict[str, str]
    due_date: dt.date | None = None
    completed: dt.date | None = None
    status: str = ""

    def __getitem__(self, name: str) -> str:
        return self.values.get(name, "").strip()


def _check_row(row: _Row, today: dt.date, problems: Problems) -> None:
    for name in REQUIRED_COLUMNS:
        if not row[name]:
            problems.add(row.number, name, "this value is required")
    if row["status"]:
        try:
            row.status = choice_from_words(row["status"], Recommendation.Status, STATUS_WORDS)
        except ValueProblem:
            problems.add(
                row.number,
                "status",
                f"'{row['status']}' is not a status: use one of {', '.join(Recommendation.Status.values)}",
            )
    for name, attribute in (("due_date", "due_date"), ("completed", "completed")):
        if row[name]:
            try:
                setattr(row, attribute, date_from_text(row[name]))
            except ValueProblem as problem:
                problems.add(row.number, name, str(problem))
    if row.completed and row.completed > today:
        problems.add(row.number, "completed", f"{row['completed']} is in the future: it must already have happened")
    if row.status:
        columns = {"outcome_note": "note", "completed_on": "completed"}
        for name, message in closure_problems(status=row.status, note=row["note"], completed_on=row.completed).items():
            if (row.number, columns[name]) not in problems.cells:
                problems.add(row.number, columns[name], f"{message[0].lower()}{message[1:]}: needed when {row.status}")
    if row.status in Recommendation.ACTIVE_STATUSES and (row["completed"] or row["note"]):
        problems.add(
            row.number,
            "completed" if row["completed"] else "note",
            f"an open or in-progress recommendation has no {'date completed' if row['completed'] else 'note'}: "
            "leave it empty, or set the status to done or not_achieved",
        )
    if "@" not in row["owner_email"] and row["owner_email"]:
        problems.add(row.number, "owner_email", f"'{row['owner_email']}' is not an e-mail address")


def _instance(row: _Row, current: Recommendation | None) -> Recommendation:
    item = current or Recommendation(tracker_reference=row["reference"])
    item.action = row["action"]
    item.due_date = row.due_date
    item.status = row.status or Recommendation.Status.OPEN
    closed = item.status in Recommendation.CLOSED_STATUSES
    item.completed_on = row.completed if closed else None
    item.outcome_note = row["note"] if closed else ""
    return item


def _validate(item: Recommendation, row: _Row, problems: Problems) -> None:
    try:
        item.full_clean(exclude=["evaluation", "owner"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            column = FIELD_COLUMNS.get(name) if name != NON_FIELD_ERRORS else None
            if (row.number, column) not in problems.cells:
                problems.add(row.number, column, messages[0].rstrip("."))


def _change_reason(file, command_user: str | None) -> str:
    name = PurePath(str(getattr(file, "name", "") or "")).name or "(no file name)"
    reason = f"import_recommendations {name} by {command_user}" if command_user else f"web import {name}"
    return reason[:CHANGE_REASON_LENGTH]


def _new_username(email: str, taken: set[str]) -> str:
    base = email.lower()[:140]
    username, suffix = base, 1
    while username in taken:
        suffix += 1
        username = f"{base}-{suffix}"
    taken.add(username)
    return username


def recommendations_import(
    *,
    file,
    actor: User | None = None,
    create_missing: bool = False,
    dry_run: bool = False,
    command_user: str | None = None,
    today: dt.date | None = None,
) -> RecommendationImportResult:
    """Import the Practice Hub's tracker (a CSV file or an .xlsx workbook: a path, an open
    binary file, bytes or an upload), all or nothing. A `reference` already imported is
    updated; an unknown `evaluation` is a problem; an unknown `owner_email` is a problem unless
    `create_missing`, which creates an inactive account with no usable password. Done and not
    achieved need `completed` and `note` (models.closure_problems). With `dry_run` nothing
    is written and the result says what would be."""
    result = RecommendationImportResult(dry_run=dry_run)
    problems = _problems()
    today = today or timezone.localdate()
    reason = _change_reason(file, command_user)
    try:
        table = read_table(file)
    except SpreadsheetError as error:
        return result.unreadable(error)
    try:
        with transaction.atomic():
            plan = _parse(table, today, create_missing, problems)
            if plan is None or problems:
                return result.refused(problems, listed=MAX_PROBLEMS)
            rows, evaluations, owners, existing = plan
            result.created = sum(1 for row in rows if row["reference"] not in existing)
            result.updated = len(rows) - result.created
            result.new_owners = sorted(email for email, owner in owners.items() if owner is None)
            if not dry_run:
                _write(rows, evaluations, owners, existing, actor=actor, reason=reason)
    except IntegrityError:
        result.refused_because(CHANGED_MEANWHILE)
    if result.ok and not dry_run:
        audit.event(
            audit.IMPORT,
            user=getattr(actor, "pk", None) or ("command" if command_user else None),
            what="recommendations",
            rows=result.imported,
            os_account=audit.account_hash(command_user) if command_user else None,
        )
    return result


def _parse(table: Table, today: dt.date, create_missing: bool, problems: Problems):
    header_row = table.header
    if header_row is None or header_row.number != 1:
        empty = "the file is empty: " if header_row is None else ""
        problems.add(1, None, f"{empty}the first row must be the header ({', '.join(COLUMNS[:3])}, ...)")
        return None
    header = [cell.strip().lower() for cell in header_row.cells]
    check_header(header, columns=COLUMNS, required=REQUIRED_COLUMNS, problems=problems)
    if problems:
        return None
    rows: list[_Row] = []
    first_seen: dict[str, int] = {}
    for record in table.body:
        for position in range(len(header), len(record)):
            if record[position]:
                problems.add(
                    record.number, str(position + 1), f"a value beyond the last column of the header ({len(header)})"
                )
        row = _Row(record.number, {name: record[position] for position, name in enumerate(header)})
        _check_row(row, today, problems)
        reference = row["reference"]
        if reference in first_seen:
            problems.add(
                row.number,
                "reference",
                f"{reference} is also on row {first_seen[reference]}: a reference may appear only once in a file",
            )
        elif reference:
            first_seen[reference] = row.number
        rows.append(row)
    if not rows:
        problems.add(2, None, "there are no recommendations in the file, only the header")
        return None

    references = {row["evaluation"] for row in rows if row["evaluation"]}
    evaluations = {
        evaluation.reference: evaluation for evaluation in Evaluation.objects.filter(reference__in=references)
    }
    emails = {row["owner_email"].lower() for row in rows if row["owner_email"]}
    owners: dict[str, User | None] = {
        user.email.lower(): user for user in User.objects.annotate(key=Lower("email")).filter(key__in=emails)
    }
    existing = {
        item.tracker_reference: item
        for item in Recommendation.objects.select_for_update().filter(tracker_reference__in=list(first_seen))
    }
    for row in rows:
        if row["evaluation"] and row["evaluation"] not in evaluations:
            problems.add(row.number, "evaluation", f"{row['evaluation']} is not an evaluation in PQA")
        email = row["owner_email"].lower()
        if email and "@" in email and email not in owners:
            if create_missing:
                owners[email] = None  # created, inactive, when the file is written
            else:
                problems.add(
                    row.number,
                    "owner_email",
                    f"no account has the e-mail address {row['owner_email']} "
                    "(import with --create-missing to create an inactive one)",
                )
        _validate(_instance(row, None), row, problems)
    if problems:
        return None
    return rows, evaluations, owners, existing


def _write(rows, evaluations, owners, existing, *, actor: User | None, reason: str) -> None:
    taken = set(User.objects.annotate(key=Lower("username")).values_list("key", flat=True))
    for email, owner in list(owners.items()):
        if owner is None:
            # An account made from the tracker cannot sign in until an administrator activates it.
            user = User(username=_new_username(email, taken), email=email, role=Role.EVALUATOR, is_active=False)
            user.set_unusable_password()
            if actor is not None:
                user._history_user = actor
            user._change_reason = reason
            user.save()
            owners[email] = user
    for row in rows:
        current = existing.get(row["reference"])
        before = {name: getattr(current, name) for name in UPDATED_FIELDS} if current else None
        item = _instance(row, current)
        item.evaluation = evaluations[row["evaluation"]]
        item.owner = owners[row["owner_email"].lower()]
        if current is not None:
            if before == {name: getattr(item, name) for name in UPDATED_FIELDS}:
                continue  # no change, no new version or history row
            if before["status"] != item.status:
                item.completed_at = timezone.now() if item.status in Recommendation.CLOSED_STATUSES else None
            item.version += 1
        elif item.status in Recommendation.CLOSED_STATUSES:
            item.completed_at = timezone.now()
        item.full_clean(validate_constraints=False)
        if actor is not None:
            item._history_user = actor
        item._change_reason = reason
        item.save()


__all__ = ["COLUMNS", "MAX_PROBLEMS", "RecommendationImportResult", "recommendations_import"]
