"""KPI values in, from a CSV file or an .xlsx workbook (shared contract kpis.md):
`python manage.py import_kpi_values PATH [--dry-run]`.

Read by the core's spreadsheet reader (pqa.spreadsheets) like every import. The whole file is
checked first, each row's value built and validated exactly as the entry form's would be
(pqa.kpis.services.indicator_value_build); only a file with no problem is written, in one
transaction, through the same service as the form: all of it or nothing. A value for an
indicator and month PQA already has replaces it. Problems are listed as
`row N, column C: reason` (the header is row 1) through the core's kit (pqa.imports): every
one is counted, the first MAX_PROBLEMS found are listed."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

from pqa import audit
from pqa.imports import ImportResult as BaseImportResult
from pqa.imports import Problems, check_header
from pqa.kpis import rules
from pqa.kpis.models import Indicator, IndicatorValue
from pqa.kpis.services import indicator_value_build, indicator_value_record
from pqa.spreadsheets import SpreadsheetError, ValueProblem, choice_from_words, date_from_text, read_table

REQUIRED_COLUMNS = ("indicator", "month")
NUMBER_COLUMNS = ("numerator", "denominator", "value", "national", "statistical_neighbours")
COLUMNS = (*REQUIRED_COLUMNS, *NUMBER_COLUMNS, "commentary")
# A file with many problems is most likely the wrong file: the first ones say so.
MAX_PROBLEMS = 100
LARGEST = Decimal(10) ** 9  # the figures' 9 digits before the point (pqa.kpis.models.FIGURE)
CHANGE_REASON_LENGTH = 100  # simple-history's history_change_reason column

THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
CODE_WITH_NUMBER = re.compile(r"^([A-Za-z]+)0*(\d+)$")


@dataclass
class ImportResult(BaseImportResult):
    noun = "KPI values"

    @property
    def problem_lines(self) -> list[str]:
        lines = [str(problem) for problem in self.problems]
        if self.unlisted:
            lines.append(f"… and {self.unlisted} more problem(s), not listed: correct these first")
        return lines


def _synonyms(codes: list[str]) -> dict[str, str]:
    """How people write the codes: KPI01 as 'KPI 1' or 'KPI1' (the monthly report's way). A
    way of writing that two codes would share is left out, and stays a problem."""
    found: dict[str, str] = {}
    shared: set[str] = set()
    for code in codes:
        match = CODE_WITH_NUMBER.match(code)
        if not match:
            continue
        prefix, number = match[1], int(match[2])
        for words in (f"{prefix} {number}", f"{prefix}{number}"):
            if words.lower() in (other.lower() for other in codes) and words.lower() != code.lower():
                continue
            if found.setdefault(words, code) != code:
                shared.add(words)
    for words in shared:
        found.pop(words, None)
    return {words: code for words, code in found.items() if words.lower() != code.lower()}


def _number(text: str) -> Decimal:
    value = text.replace("\u00a0", "").replace(" ", "")
    if THOUSANDS.match(value):
        value = value.replace(",", "")
    value = value.removesuffix("%")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueProblem(f"'{text}' is not a number") from None
    if not number.is_finite():
        raise ValueProblem(f"'{text}' is not a number")
    if abs(number) >= LARGEST:
        raise ValueProblem(f"'{text}' is too large: PQA keeps figures below {LARGEST:,}")
    return number


def _month(text: str) -> dt.date:
    """YYYY-MM; a workbook's month cell is a date, so a full date stands for its month."""
    try:
        return rules.parse_month(text)
    except rules.MonthError as error:
        try:
            return rules.first_of_month(date_from_text(text))
        except ValueProblem:
            raise ValueProblem(str(error)) from None


@dataclass
class _Planned:
    number: int
    indicator: Indicator
    month: dt.date
    values: dict


def _plan(table, problems: Problems) -> list[_Planned]:
    header = tuple(cell.strip().lower() for cell in table.header.cells)
    check_header(header, columns=COLUMNS, required=REQUIRED_COLUMNS, problems=problems)
    if problems:
        return []
    indicators = {indicator.code: indicator for indicator in Indicator.objects.all()}
    codes = list(indicators)
    synonyms = _synonyms(codes)
    rows: list[tuple[int, Indicator, dt.date, dict]] = []
    for row in table.body:
        cells = {name: row[position] for position, name in enumerate(header)}
        indicator = month = None
        for name in REQUIRED_COLUMNS:
            if not cells.get(name):
                problems.add(row.number, name, "a value is required")
        if cells.get("indicator"):
            try:
                indicator = indicators[choice_from_words(cells["indicator"], [(c, c) for c in codes], synonyms)]
            except ValueProblem:
                problems.add(
                    row.number,
                    "indicator",
                    f"'{cells['indicator']}' is not an indicator: use a code such as {', '.join(codes[:3])}",
                )
        if cells.get("month"):
            try:
                month = _month(cells["month"])
            except ValueProblem as problem:
                problems.add(row.number, "month", str(problem))
        values: dict[str, object] = {"commentary": cells.get("commentary", "")}
        for name in NUMBER_COLUMNS:
            text = cells.get(name, "")
            if not text:
                values[name] = None
                continue
            try:
                values[name] = _number(text)
            except ValueProblem as problem:
                problems.add(row.number, name, str(problem))
                values[name] = None
                values.setdefault("_bad", True)
        if indicator is not None and month is not None and not values.pop("_bad", False):
            rows.append((row.number, indicator, month, values))
    # One value for an indicator and month: twice in one file, which one is meant is unclear.
    first_row: dict[tuple[int, dt.date], int] = {}
    planned = []
    for number, indicator, month, values in rows:
        key = (indicator.pk, month)
        if key in first_row:
            problems.add(
                number,
                "month",
                f"{indicator.code} for {rules.month_text(month)} is already at row {first_row[key]}: give it once",
            )
            continue
        first_row[key] = number
        planned.append(_Planned(number, indicator, month, values))
    return planned


def _check(planned: list[_Planned], existing: dict, problems: Problems) -> None:
    for item in planned:
        current = existing.get((item.indicator.pk, item.month))
        try:
            # Built on a copy: checking must not change what is read to compare later.
            indicator_value_build(
                indicator=item.indicator,
                month=item.month,
                values=item.values,
                current=IndicatorValue(pk=current.pk, indicator=item.indicator, month=item.month) if current else None,
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                column = name if name in COLUMNS else None
                for message in messages:
                    problems.add(item.number, column if name != NON_FIELD_ERRORS else None, _as_reason(message))


def _as_reason(message: str) -> str:
    """A model's sentence ("Give a value.") as a problem's reason, written like the others."""
    first_word = message.split(" ", 1)[0]
    # "January 2027 has not begun", "KPI01 …": a proper name keeps its capital.
    proper = first_word in calendar.month_name or (len(first_word) > 1 and first_word.isupper())
    if len(message) > 1 and message[0].isupper() and not proper:
        message = message[0].lower() + message[1:]
    return message.removesuffix(".")


def kpi_values_import(*, file, actor=None, dry_run: bool = False, command_user: str | None = None) -> ImportResult:
    """Import KPI values from a CSV file or an .xlsx workbook (a path, bytes or a file): all of
    it or nothing. Each row is an indicator's value for a month, as a value or as a numerator
    and denominator (never both), with comparators and commentary. A value PQA already has for
    that indicator and month is replaced. With `dry_run` nothing is written."""
    result = ImportResult(dry_run=dry_run)
    # Every problem is counted (checking never stops); the first MAX_PROBLEMS found are listed.
    problems = Problems(stop_at=None, keep=MAX_PROBLEMS)
    try:
        table = read_table(file)
    except SpreadsheetError as error:
        return result.unreadable(error)
    if table.header is None:
        return result.refused_because("the file is empty: it needs a header row and a row per value")
    name = PurePath(str(getattr(file, "name", file) if not isinstance(file, bytes) else "")).name
    reason = (f"import_kpi_values {name} by {command_user}" if command_user else f"KPI import {name}")[
        :CHANGE_REASON_LENGTH
    ]
    with transaction.atomic():
        planned = _plan(table, problems)
        existing = {}
        if planned:
            months = {item.month for item in planned}
            existing = {
                (record.indicator_id, record.month): record
                for record in IndicatorValue.objects.filter(month__in=months)
            }
        _check(planned, existing, problems)
        if problems:
            return result.refused(problems, listed=MAX_PROBLEMS)
        result.updated = sum(1 for item in planned if (item.indicator.pk, item.month) in existing)
        result.created = len(planned) - result.updated
        if not dry_run:
            for item in planned:
                indicator_value_record(
                    indicator=item.indicator, month=item.month, values=item.values, actor=actor, reason=reason
                )
    if not dry_run:
        audit.event(
            audit.IMPORT,
            user=getattr(actor, "pk", None) or "command",
            what="kpi_values",
            rows=result.imported,
            **({"os_account": audit.account_hash(command_user)} if command_user else {}),
        )
    return result
