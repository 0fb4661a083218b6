"""One reader for the tables people bring to PQA: CSV files, pasted lists and Excel workbooks.

Every import reads through here, so that a file one import accepts the others accept too:
- a CSV in UTF-8 (with or without a byte-order mark), UTF-16 with its mark (Excel's
  "Unicode text"), or Windows-1252 with no mark (plain "CSV" saved by Excel on Windows),
  with any line endings, separated by commas or, when the first line has a tab, by tabs (a
  copy from Excel gives tabs);
- an `.xlsx` workbook: its first sheet, read with openpyxl; a date cell becomes the date
  `YYYY-MM-DD`, a whole number `123.0` becomes `123`.

Every cell comes back as text without surrounding spaces, and every row with its number as
the spreadsheet numbers it (the first row is 1, blank rows are skipped but still counted),
so that a problem can be reported as `row N, column C: reason` and found where it is.

What a value means is for the import to say; it has two helpers that read values the way
people write them: `choice_from_words` and `date_from_text`. Neither guesses: a value that
could mean two things is refused with a reason.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import io
import os
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePath

from pqa.validators import control_character

# Bounds on what one read may hold, so that no file can tie up a worker. Imports may pass
# tighter ones; the defaults are well above a trust's history (about 500 evaluations a year).
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_CELLS = 1_000_000
# A workbook is a zip of XML: its unpacked size is bounded too, before anything is parsed.
MAX_UNPACKED_BYTES = 10 * MAX_BYTES

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls workbooks, and password-protected .xlsx
SAVE_AS = "save it from your spreadsheet as 'CSV UTF-8' or as an Excel workbook (.xlsx)"


class SpreadsheetError(ValueError):
    """The file cannot be read as a table. `row` is where, when it is known."""

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None, reason: str = ""):
        super().__init__(message)
        self.message = message
        self.row = row
        # For a problem in one cell: its column (the header's name for it, or its number) and
        # the reason alone, for an import's `row N, column C: reason`.
        self.column = column
        self.reason = reason or message


@dataclass(frozen=True)
class Row:
    """One non-blank row: its number in the sheet and its cells, as text."""

    number: int
    cells: tuple[str, ...]

    def __getitem__(self, index: int) -> str:
        return self.cells[index] if index < len(self.cells) else ""

    def __len__(self) -> int:
        return len(self.cells)


@dataclass(frozen=True)
class Table:
    """The non-blank rows of a sheet, in order. The first is the header, when there is one."""

    rows: tuple[Row, ...]
    kind: str  # "csv", "xlsx" or "text" (pasted)

    @property
    def header(self) -> Row | None:
        return self.rows[0] if self.rows else None

    @property
    def body(self) -> tuple[Row, ...]:
        return self.rows[1:]


# --- Reading -------------------------------------------------------------------------------


def read_table(
    source,
    *,
    name: str = "",
    max_rows: int = MAX_ROWS,
    max_cells: int = MAX_CELLS,
    max_bytes: int = MAX_BYTES,
) -> Table:
    """Read a CSV file or an `.xlsx` workbook: an uploaded file, a path, an open binary file,
    or its bytes. The kind is told from the content (a workbook is a zip), not trusted from
    the name. Raises SpreadsheetError with a reason a person can act on."""
    data, name = _bytes_of(source, name, max_bytes)
    if data.startswith(ZIP_MAGIC):
        return _read_workbook(data, max_rows=max_rows, max_cells=max_cells)
    if data.startswith(OLE_MAGIC) or name.lower().endswith(".xls"):
        raise SpreadsheetError(
            f"the file is an old Excel workbook (.xls) or a password-protected one: {SAVE_AS}", row=1
        )
    if name.lower().endswith(".xlsx"):
        raise SpreadsheetError(f"the file is named .xlsx but is not an Excel workbook: {SAVE_AS}", row=1)
    return _read_csv(_decode(data), kind="csv", max_rows=max_rows, max_cells=max_cells)


def read_text(text: str, *, max_rows: int = MAX_ROWS, max_cells: int = MAX_CELLS) -> Table:
    """Read text that was pasted (or already decoded) as a CSV: commas, or tabs from Excel."""
    return _read_csv(text.removeprefix("\ufeff"), kind="text", max_rows=max_rows, max_cells=max_cells)


def _bytes_of(source, name: str, max_bytes: int) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source[: max_bytes + 1])
    elif isinstance(source, str | os.PathLike):
        name = name or str(source)
        with open(source, "rb") as handle:
            data = handle.read(max_bytes + 1)
    elif hasattr(source, "read"):
        name = name or str(getattr(source, "name", "") or "")
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(max_bytes + 1)
        if isinstance(data, str):
            data = data.encode("utf-8")
    else:
        raise TypeError(f"cannot read a table from {type(source).__name__}")
    if len(data) > max_bytes:
        raise SpreadsheetError(f"the file is larger than {_size(max_bytes)}: split it into smaller files", row=1)
    return data, PurePath(name).name


def _size(count: int) -> str:
    return f"{count // (1024 * 1024)} MB" if count >= 1024 * 1024 else f"{count} bytes"


def _decode(data: bytes) -> str:
    """The text of a CSV file. Excel's "CSV UTF-8" has a byte-order mark, its "Unicode text"
    is UTF-16 with one, and its plain "CSV" on Windows is Windows-1252 with none: UTF-8 is
    tried first, as a Windows-1252 file is very rarely valid UTF-8 (and never when it holds
    an accented letter, a pound sign or a curly quote)."""
    if data.startswith(codecs.BOM_UTF8):
        encodings = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8", "cp1252")
    error: UnicodeDecodeError | None = None
    for encoding in encodings:
        try:
            return data.decode(encoding).removeprefix("\ufeff")
        except UnicodeDecodeError as problem:
            error = error or problem
    row = data[: error.start].count(b"\n") + 1 if error else 1
    raise SpreadsheetError(f"the file is not text that PQA can read: {SAVE_AS}", row=row)


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return "\t" if "\t" in first else ","


class _Bounds:
    """Counts what has been read and stops a read that goes past its bounds."""

    def __init__(self, max_rows: int, max_cells: int):
        self.max_rows, self.max_cells = max_rows, max_cells
        self.rows = self.cells = 0

    def take(self, number: int, width: int) -> None:
        self.rows += 1
        self.cells += width
        if self.rows > self.max_rows:
            raise SpreadsheetError(
                f"the file has more than {self.max_rows} rows, the most PQA reads at once: split it", row=number
            )
        if self.cells > self.max_cells:
            raise SpreadsheetError(
                f"the file has more than {self.max_cells} cells, the most PQA reads at once: split it", row=number
            )


def _rows(numbered: Iterable[tuple[int, Iterable[str]]], bounds: _Bounds) -> Iterator[Row]:
    header: list[str] | None = None
    for number, raw in numbered:
        raw = list(raw)
        cells = [cell.strip() for cell in raw]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            bounds.take(number, len(cells))
        if cells or any(raw):
            # The cells as read, before spaces are taken off: str.strip() would also take a
            # vertical tab or form feed off the ends, hiding a damaged cell.
            for position, cell in enumerate(raw, start=1):
                character = control_character(cell)
                if character is not None:
                    # No text a person typed holds one (PostgreSQL cannot even store a NUL):
                    # a sign of a damaged file. The core's rule (pqa.validators) decides which;
                    # tab and line breaks in a cell are kept, as free text needs them.
                    what = (
                        "a null character" if character == "\x00" else f"a control character (U+{ord(character):04X})"
                    )
                    named = header[position - 1] if header and position <= len(header) else ""
                    raise SpreadsheetError(
                        f"column {position} holds {what}: {SAVE_AS}",
                        row=number,
                        column=named or str(position),
                        reason=f"this cell holds {what}, which PQA does not accept: {SAVE_AS}",
                    )
        if cells:
            if header is None:
                header = cells
            yield Row(number, tuple(cells))


def _read_csv(text: str, *, kind: str, max_rows: int, max_cells: int) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    read = 0

    def numbered() -> Iterator[tuple[int, list[str]]]:
        # Rows, not lines: a quoted cell may hold a line break, as in a spreadsheet.
        nonlocal read
        for cells in reader:
            read += 1
            yield read, cells

    try:
        rows = tuple(_rows(numbered(), _Bounds(max_rows, max_cells)))
    except csv.Error as error:
        raise SpreadsheetError(f"the file is not valid CSV ({error})", row=read + 1) from error
    return Table(rows, kind)


def _read_workbook(data: bytes, *, max_rows: int, max_cells: int) -> Table:
    import openpyxl  # only a workbook needs it
    from openpyxl.utils.exceptions import InvalidFileException

    not_a_workbook = f"the file is not an Excel workbook PQA can read: {SAVE_AS}"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile as error:
        raise SpreadsheetError(not_a_workbook, row=1) from error
    if unpacked > MAX_UNPACKED_BYTES:
        raise SpreadsheetError(
            f"the workbook unpacks to more than {_size(MAX_UNPACKED_BYTES)}: split it into smaller files", row=1
        )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as error:
        raise SpreadsheetError(not_a_workbook, row=1) from error
    try:
        if not workbook.worksheets:
            raise SpreadsheetError("the workbook has no sheet to read", row=1)
        sheet = workbook.worksheets[0]
        # The size a sheet declares may be wrong (or vast, for a sheet formatted to the last
        # row): read only the rows and cells it holds.
        sheet.reset_dimensions()
        numbered = (
            (number, [_cell_text(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        )
        rows = tuple(_rows(numbered, _Bounds(max_rows, max_cells)))
    except SpreadsheetError:
        raise
    except (KeyError, ValueError, TypeError, OSError, zipfile.BadZipFile) as error:
        raise SpreadsheetError(not_a_workbook, row=1) from error
    finally:
        workbook.close()
    return Table(rows, "xlsx")


def _cell_text(value) -> str:
    """A workbook cell as the text a CSV would hold, without Excel's display formats: a date is
    YYYY-MM-DD whatever format the sheet shows it in, a whole number has no decimal point."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


# --- Values --------------------------------------------------------------------------------


class ValueProblem(ValueError):
    """A value that does not say one thing; the message is the reason, for `row N, column C:`."""


def _words(value: str) -> str:
    """A value as words to compare: letter case, punctuation and spacing do not count, so
    'Trust-wide', 'trust_wide' and ' TRUST WIDE ' are the same words."""
    return " ".join(re.findall(r"[^\W_]+", (value or "").casefold()))


def choice_from_words(
    value: str, choices: Iterable[tuple[str, str]] | type, synonyms: Mapping[str, str] | None = None
) -> str:
    """The code of the choice a person meant: its code or its label, or one of the `synonyms`
    (words people write, mapped to codes), whatever the letter case, spacing and punctuation.
    `choices` is (code, label) pairs or a Django choices class. Raises ValueProblem otherwise."""
    pairs = _class_pairs(choices) if isinstance(choices, type) else tuple((str(a), str(b)) for a, b in choices)
    known = _known_words(pairs, tuple((synonyms or {}).items()))
    found = known.get(_words(value)) if _words(value) else None
    if found is None:
        raise ValueProblem(f"'{value}' is not one of {', '.join(code for code, _ in pairs)}")
    return found


@functools.lru_cache(maxsize=64)
def _class_pairs(choices: type) -> tuple[tuple[str, str], ...]:
    """A choices class's (code, label) pairs: the class computes them anew on every call."""
    return tuple((str(code), str(label)) for code, label in choices.choices)


@functools.lru_cache(maxsize=64)
def _known_words(pairs: tuple[tuple[str, str], ...], synonyms: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """The words of every choice, read once (an import asks for them on every cell)."""
    codes = [code for code, _ in pairs]
    known: dict[str, str] = {}
    for code, words in (
        *((code, code) for code in codes),
        *((code, label) for code, label in pairs),
        *((code, words) for words, code in synonyms),
    ):
        if code not in codes:
            raise ValueError(f"synonym for unknown choice {code!r}")
        if known.setdefault(_words(words), code) != code:
            raise ValueError(f"{words!r} would mean both {known[_words(words)]!r} and {code!r}")
    return known


ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
SHORT_YEAR = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2}$")
WITH_TIME = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{4})[ T]\d{1,2}:\d{2}")
DATE_FORMATS = "DD/MM/YYYY or YYYY-MM-DD, e.g. 01/05/2025"


def date_from_text(value: str) -> dt.date:
    """A date written as YYYY-MM-DD, or in UK order as DD/MM/YYYY (or D/M/YYYY). Anything
    that could be read two ways (a two-digit year, day and month the wrong way round) or
    is no date at all is refused with a reason (ValueProblem)."""
    text = (value or "").strip()
    iso, uk = ISO_DATE.match(text), UK_DATE.match(text)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
    elif uk:
        day, month, year = (int(part) for part in uk.groups())
    elif SHORT_YEAR.match(text):
        raise ValueProblem(f"'{text}' has a two-digit year: write the year in full, as {DATE_FORMATS}")
    elif WITH_TIME.match(text):
        raise ValueProblem(f"'{text}' has a time of day: write the date alone, as {DATE_FORMATS}")
    else:
        raise ValueProblem(f"'{text}' is not a date: write it as {DATE_FORMATS}")
    if year < 1:
        raise ValueProblem(f"'{text}' is not a date: there is no year {year}")
    if not 1 <= month <= 12:
        hint = " (dates are day first: DD/MM/YYYY)" if uk and day <= 12 else ""
        raise ValueProblem(f"'{text}' is not a date: there is no month {month}{hint}")
    try:
        return dt.date(year, month, day)
    except ValueError:
        month_name = dt.date(2000, month, 1).strftime("%B")
        raise ValueProblem(f"'{text}' is not a date: {month_name} {year} has no day {day}") from None


__all__ = [
    "MAX_BYTES",
    "MAX_CELLS",
    "MAX_ROWS",
    "Row",
    "SpreadsheetError",
    "Table",
    "ValueProblem",
    "choice_from_words",
    "date_from_text",
    "read_table",
    "read_text",
]
