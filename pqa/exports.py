"""What a list shows, out as a file: a CSV or an Excel workbook of exactly the rows its filters
chose, with the columns the app names. The core knows no app: each list passes its columns."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.http import HttpResponse

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A cell starting with one of these is read as a formula by spreadsheets: written as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[object], object]


def _cell(value) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_response(rows: Iterable, columns: list[Column], *, filename: str, format: str) -> HttpResponse:
    """A download of `rows` (model instances) with `columns`, as CSV or an .xlsx workbook."""
    table = [[column.header for column in columns]]
    table += [[_cell(column.value(row)) for column in columns] for row in rows]
    if format == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(filename[:31])
        for line in table:
            sheet.append(line)
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    else:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(table)
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{format}"'
    return response
