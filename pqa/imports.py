"""The kit every import of a file builds on: its problems, bounded, and its result.

An import reads its file with the core's reader (pqa.spreadsheets), checks the whole file
first and lists every problem as `row N, column C: reason` (the header is row 1). Only a file
with no problem is written, in one transaction: all of it or nothing.

A file of nonsense must not build millions of problems (a page of hundreds of MB, a worker
killed): by default checking stops at MAX_PROBLEMS, and the first PROBLEMS_LISTED (by row) are
listed with the count. Nobody corrects a thousand cells from a list; they fix the file and
check again. An import that would rather count every problem keeps only the first ones it
finds (`Problems(stop_at=None, keep=100)`) and says how many more there were.

Use::

    from dataclasses import dataclass

    from django.db import IntegrityError, transaction

    from pqa.imports import CHANGED_MEANWHILE, ImportResult, Problems, TooManyProblems, check_header
    from pqa.spreadsheets import SpreadsheetError, read_table

    @dataclass
    class ThingsImportResult(ImportResult):
        noun = "things"  # "imported 3 things (2 created, 1 updated)"

    def things_import(*, file, dry_run=False) -> ThingsImportResult:
        result = ThingsImportResult(dry_run=dry_run)
        try:
            table = read_table(file)
        except SpreadsheetError as error:
            return result.unreadable(error)
        problems = Problems()
        try:
            with transaction.atomic():
                header = list(table.header.cells)
                check_header(header, columns=COLUMNS, required=REQUIRED_COLUMNS, problems=problems)
                for row in table.body:
                    ...  # problems.add(row.number, "colour", f"'{value}' is not a colour")
                if problems:
                    return result.refused(problems)
                result.created, result.updated = ...
                if not dry_run:
                    ...  # write, every instance validated by its model's rules
        except TooManyProblems as stop:
            return result.refused(problems, stopped_at_row=stop.row)
        except IntegrityError:  # someone else changed the same records meanwhile
            return result.refused_because(CHANGED_MEANWHILE)
        return result

A background job (pqa.jobs) reports the result with `result.outcome()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from pqa.jobs import Outcome
from pqa.spreadsheets import SpreadsheetError

MAX_PROBLEMS = 1000  # checking stops when it has found this many
PROBLEMS_LISTED = 100  # the first ones by row are listed, with the count
CHANGED_MEANWHILE = "the records changed while the file was being imported: nothing was imported, try again"
NOTHING_CHANGED = "Nothing has been changed. To import it, choose the file again without ‘Check the file only’."


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file; `column` is None when the problem is not in one column."""

    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.column is None:
            return f"row {self.row}: {self.message}"
        return f"row {self.row}, column {self.column}: {self.message}"


class TooManyProblems(Exception):
    """Raised by Problems.add when checking should stop; `row` is where it stopped."""

    def __init__(self, row: int):
        super().__init__(row)
        self.row = row


class Problems:
    """The problems found so far. `add` raises TooManyProblems when `stop_at` have been found
    (None: it never stops). Only the first `keep` found are kept (None: all, bounded by
    `stop_at`); `len()` counts them all. `cells` holds every (row, column) with a problem;
    with `one_a_cell`, a second problem in the same cell is not added (one is enough to
    correct it)."""

    def __init__(self, *, stop_at: int | None = MAX_PROBLEMS, keep: int | None = None, one_a_cell: bool = False):
        self.stop_at = stop_at
        self.keep = keep
        self.one_a_cell = one_a_cell
        self.found: list[Problem] = []
        self.count = 0
        self.cells: set[tuple[int, str | None]] = set()

    def add(self, row: int, column: str | None, message: str) -> None:
        if self.one_a_cell and (row, column) in self.cells:
            return
        self.cells.add((row, column))
        self.count += 1
        if self.keep is None or len(self.found) < self.keep:
            self.found.append(Problem(row, column, message))
        if self.stop_at is not None and self.count >= self.stop_at:
            raise TooManyProblems(row)

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def listed(self, count: int = PROBLEMS_LISTED) -> list[Problem]:
        """The first `count` problems kept, in row order."""
        return sorted(self.found, key=lambda problem: problem.row)[:count]


def check_header(
    header: Iterable[str], *, columns: Iterable[str], required: Iterable[str], problems: Problems
) -> set[str]:
    """Every name twice, unknown or missing in the header row (row 1) is a problem; returns
    the names seen."""
    columns = tuple(columns)
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.add(1, name, "this column appears twice in the header")
        seen.add(name)
        if name not in columns:
            problems.add(1, name or "(blank)", f"unknown column; the columns are {', '.join(columns)}")
    for name in required:
        if name not in seen:
            problems.add(1, name, "this required column is missing from the header")
    return seen


@dataclass
class ImportResult:
    """What an import did (or, on a dry run, would do), or why it wrote nothing. A subclass
    names what it imports (`noun`) and the other records it makes (`CREATES`: pairs of a label
    and the name of a list field of names)."""

    noun: ClassVar[str] = "rows"
    CREATES: ClassVar[tuple[tuple[str, str], ...]] = ()

    created: int = 0
    updated: int = 0
    dry_run: bool = False
    # The problems listed (the first ones, in row order); `problem_count` says how many were
    # found, and `stopped_at_row` where checking stopped when it found too many.
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    stopped_at_row: int | None = None

    # --- Refusing ------------------------------------------------------------------------

    def refused(self, problems: Problems, *, stopped_at_row: int | None = None, listed: int = PROBLEMS_LISTED):
        """Nothing is imported because of `problems`; returns the result."""
        self.created = self.updated = 0
        for _, name in self.CREATES:
            setattr(self, name, [])
        self.problems = problems.listed(listed)
        self.problem_count = len(problems)
        self.stopped_at_row = stopped_at_row
        return self

    def refused_because(self, message: str, row: int = 1, column: str | None = None):
        """Nothing is imported because of one problem with the whole file; returns the result."""
        problems = Problems(stop_at=None)
        problems.add(row, column, message)
        return self.refused(problems)

    def unreadable(self, error: SpreadsheetError):
        """The file cannot be read as a table: one problem, where the reader says."""
        message = error.reason if error.column else error.message
        return self.refused_because(message, row=error.row or 1, column=error.column)

    # --- Saying what happened ------------------------------------------------------------

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def imported(self) -> int:
        return self.created + self.updated

    @property
    def unlisted(self) -> int:
        """How many problems were found beyond those listed."""
        return max(self.problem_count - len(self.problems), 0)

    @property
    def problems_count_text(self) -> str:
        """'1 problem', '12 problems', or 'at least 1000 problems' when checking stopped."""
        count = max(self.problem_count, len(self.problems))
        text = f"{count} problem{'s' if count != 1 else ''}"
        return f"at least {text}" if self.stopped_at_row is not None else text

    @property
    def problems_note(self) -> list[str]:
        """What the list of problems leaves out, and why, for the page and the command line."""
        lines = []
        if self.stopped_at_row is not None:
            lines.append(
                f"Checking stopped at row {self.stopped_at_row} after {self.problem_count} problems: the rows after "
                "it were not checked. Correct these, then check the file again."
            )
        if self.unlisted:
            lines.append(f"Only the first {len(self.problems)} of {self.problems_count_text} are listed, in row order.")
        return lines

    @property
    def counts(self) -> str:
        return f"{self.imported} {self.noun} ({self.created} created, {self.updated} updated)"

    @property
    def summary(self) -> str:
        """`imported N NOUN (C created, U updated)`, or what a dry run would import."""
        if self.dry_run:
            return f"would import {self.counts}; nothing was changed (dry run)"
        return f"imported {self.counts}"

    @property
    def also_created(self) -> list[str]:
        """What else the import makes (or would make), one line per kind, for people to read."""
        lines = []
        for label, name in self.CREATES:
            names = getattr(self, name)
            if names:
                lines.append(f"new {label} ({len(names)}): {', '.join(names)}")
        return lines

    def outcome(self, *, counts: str | None = None) -> Outcome:
        """The result as a background job reports it (pqa.jobs); `counts` words what a check
        only would import, when `self.counts` is not how the page says it."""
        if not self.ok:
            return Outcome(
                problems=[str(problem) for problem in self.problems],
                problem_count=max(self.problem_count, len(self.problems)),
                problems_stopped=self.stopped_at_row is not None,
                problems_note=self.problems_note,
            )
        if self.dry_run:
            summary = f"The file has no problems. It would import {counts or self.counts}."
            details = [f"It would also create {line}." for line in self.also_created]
            details.append(NOTHING_CHANGED)
        else:
            summary = f"{self.summary[0].upper()}{self.summary[1:]}."
            details = [f"Also created {line}." for line in self.also_created]
        return Outcome(summary=summary, details=details, rows_written=0 if self.dry_run else self.imported)


__all__ = [
    "CHANGED_MEANWHILE",
    "MAX_PROBLEMS",
    "PROBLEMS_LISTED",
    "ImportResult",
    "Problem",
    "Problems",
    "TooManyProblems",
    "check_header",
]
