"""Exports to CSV and Excel from rows and column definitions: the one kit every app's list
uses (the recommendations register, feedback, the dashboard), so every export escapes,
streams and names its file the same way.

    columns = [Column("Reference", lambda row: row.evaluation.reference), ...]
    return export_response(rows=queryset.iterator(), columns=columns, filename="register", format="xlsx")

CSV is streamed row by row; the workbook is written in openpyxl's write-only mode, so neither
holds the rows in memory. A cell that starts like a formula (=, +, -, @, tab or carriage
return) is written with a leading apostrophe, so a spreadsheet shows it rather than runs it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

FORMATS = ("csv", "xlsx")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One column: its heading and how to read its value from a row. `width` is the Excel
    column width in characters."""

    header: str
    value: Callable[[object], object]
    width: int = 16


def safe_cell(value: object) -> object:
    """A value as a cell: dates, numbers and booleans as they are, None empty, text that a
    spreadsheet would run as a formula prefixed with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (int, float, Decimal, dt.date)):
        return value  # a number, even a negative one, is written as a number
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _cells(row: object, columns: Sequence[Column]) -> list[object]:
    return [safe_cell(column.value(row)) for column in columns]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[object], columns: Sequence[Column]) -> Iterator[str]:
    """The CSV text, a line at a time, with a byte-order mark so Excel reads it as UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([column.header for column in columns])
    for row in rows:
        yield writer.writerow(
            [value.isoformat() if isinstance(value, dt.date) else value for value in _cells(row, columns)]
        )


SHEET_TITLE_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def sheet_title_of(text: str, fallback: str = "Sheet") -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of [ ] : * ? / \\, not empty."""
    title = " ".join(str(text).translate(SHEET_TITLE_FORBIDDEN).split()).strip("'")[:31].strip()
    return title or fallback


def xlsx_bytes(rows: Iterable[object], columns: Sequence[Column], *, sheet_title: str = "Export") -> bytes:
    """The rows as an .xlsx workbook of one sheet, with a bold header row and dates as dates."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title_of(sheet_title, "Export"))
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for value in _cells(row, columns):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, dt.date):
                cell.number_format = "DD/MM/YYYY"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_filename(stem: str, format: str, today: dt.date | None = None) -> str:
    return f"{stem}-{(today or timezone.localdate()).isoformat()}.{format}"


def export_response(
    *, rows: Iterable[object], columns: Sequence[Column], filename: str, format: str, sheet_title: str = "Export"
) -> HttpResponse | StreamingHttpResponse:
    """A download of the rows: a streamed CSV or an .xlsx workbook. `filename` without its
    extension; today's date is added. The caller writes the audit line (pqa.audit.EXPORT)."""
    if format not in FORMATS:
        raise ValueError(f"Not an export format: {format!r}; use one of {', '.join(FORMATS)}")
    name = export_filename(filename, format)
    if format == "csv":
        response = StreamingHttpResponse(csv_lines(rows, columns), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(xlsx_bytes(rows, columns, sheet_title=sheet_title), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


__all__ = ["FORMATS", "Column", "csv_lines", "export_response", "safe_cell", "xlsx_bytes"]
