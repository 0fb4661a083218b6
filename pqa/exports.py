"""What a list shows, as a file: CSV or an Excel workbook, from the same columns and rows.

Any app's list calls `export_response` with the rows its filters give, so that an export is
exactly what the page shows (all pages of it)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


def _cell(value) -> object:
    # A cell starting with =, +, - or @ is a formula to a spreadsheet: typed text must stay text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value


def export_response(*, filename: str, columns: Sequence[str], rows: Iterable[Sequence], format: str) -> HttpResponse:
    """A download of `rows` under `columns`: `format` "csv" (UTF-8 with a BOM, for Excel) or
    "xlsx". `filename` is without its extension."""
    if format == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append(list(columns))
        for row in rows:
            sheet.append([_cell(value) for value in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    else:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(value) for value in row])
        response = HttpResponse("\ufeff" + text.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{"xlsx" if format == "xlsx" else "csv"}"'
    return response
