"""The one reader every import uses: CSV as Excel saves it, pasted lists and .xlsx workbooks,
each row numbered as the spreadsheet numbers it; and the two helpers that read values the way
people write them, refusing what could mean two things."""

import datetime as dt

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from openpyxl.styles import Font

from pqa.spreadsheets import (
    SpreadsheetError,
    ValueProblem,
    choice_from_words,
    date_from_text,
    read_table,
    read_text,
)


def cells(table):
    return [(row.number, list(row.cells)) for row in table.rows]


def workbook_bytes(tmp_path, *sheets, name="book.xlsx"):
    """An .xlsx file made by openpyxl, as Excel would save it: each sheet a list of rows."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


# --- CSV -----------------------------------------------------------------------------------


def test_a_utf_8_csv_with_or_without_a_byte_order_mark_reads_the_same():
    text = "child_ref,practitioner\n1234567,Zoë O’Neil\n"
    plain = read_table(text.encode("utf-8"))
    marked = read_table(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert cells(plain) == cells(marked) == [(1, ["child_ref", "practitioner"]), (2, ["1234567", "Zoë O’Neil"])]


def test_a_csv_saved_by_excel_on_windows_is_read_with_its_pound_signs_curly_quotes_and_accents():
    data = "team,practitioner,note\r\nCiC Team 1,José O’Brien,£20 paid\r\n".encode("cp1252")
    assert cells(read_table(data)) == [
        (1, ["team", "practitioner", "note"]),
        (2, ["CiC Team 1", "José O’Brien", "£20 paid"]),
    ]


def test_excels_unicode_text_in_utf_16_with_tabs_is_read():
    data = "child_ref\tpractitioner\r\n1234567\tSmith, J\r\n".encode("utf-16")
    assert cells(read_table(data)) == [(1, ["child_ref", "practitioner"]), (2, ["1234567", "Smith, J"])]


def test_a_tab_separated_list_keeps_the_commas_inside_its_cells():
    assert cells(read_text("a\tb\n1\tSmith, J (SW)\n")) == [(1, ["a", "b"]), (2, ["1", "Smith, J (SW)"])]


def test_rows_are_numbered_as_the_spreadsheet_numbers_them_blank_ones_counted():
    table = read_text('\nref,note\n\n , \n1,"two\nlines"\n2, spaced \n,,,\n')
    assert cells(table) == [(2, ["ref", "note"]), (5, ["1", "two\nlines"]), (6, ["2", "spaced"])]
    assert table.header.number == 2
    assert [row.number for row in table.body] == [5, 6]


def test_broken_quoting_is_refused_at_its_row():
    with pytest.raises(SpreadsheetError) as error:
        read_text('a,b\n1,2\n3,"x"y\n')
    assert (error.value.row, error.value.message) == (3, "the file is not valid CSV (',' expected after '\"')")


def test_bytes_that_are_no_text_are_refused_at_their_row():
    with pytest.raises(SpreadsheetError) as error:
        read_table(b"a,b\n1,2\n\x81\xff,3\n")
    assert error.value.row == 3
    assert "save it from your spreadsheet as 'CSV UTF-8' or as an Excel workbook (.xlsx)" in error.value.message


def test_a_csv_is_read_from_a_path_an_upload_or_an_open_file(tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes(b"a,b\r\n1,2\r\n")
    upload = SimpleUploadedFile("list.csv", b"a,b\r\n1,2\r\n")
    with path.open("rb") as handle:
        opened = read_table(handle)
    assert cells(read_table(path)) == cells(read_table(str(path))) == cells(read_table(upload)) == cells(opened)


# --- Workbooks -----------------------------------------------------------------------------


def test_a_workbook_gives_its_first_sheet_with_dates_as_dates_and_whole_numbers_without_a_point(tmp_path):
    path = workbook_bytes(
        tmp_path,
        (
            "Evaluations",
            [
                ["reference", "evaluation_date", "child_ref", "score", "when"],
                ["PE-1", dt.date(2025, 5, 1), 1234567.0, 2.5, dt.datetime(2025, 5, 1, 9, 30)],
                [" PE-2 ", dt.datetime(2025, 6, 30), 42, None, True],
            ],
        ),
        ("Notes", [["not", "read"]]),
    )
    assert cells(read_table(path)) == [
        (1, ["reference", "evaluation_date", "child_ref", "score", "when"]),
        (2, ["PE-1", "2025-05-01", "1234567", "2.5", "2025-05-01 09:30"]),
        (3, ["PE-2", "2025-06-30", "42", "", "TRUE"]),
    ]
    assert read_table(path).kind == "xlsx"


def test_a_date_cell_is_read_as_its_date_whatever_format_the_sheet_shows(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["evaluation_date"])
    sheet.append([dt.date(2025, 2, 3)])
    sheet["A2"].number_format = "dd/mm/yy"
    book.save(tmp_path / "dates.xlsx")
    assert read_table(tmp_path / "dates.xlsx").body[0].cells == ("2025-02-03",)


def test_empty_rows_a_sheet_was_formatted_to_are_ignored_and_gaps_keep_their_numbers(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["a", "b"])
    sheet["A3"] = "x"
    for row in range(4, 200):
        sheet.cell(row=row, column=1).font = Font(bold=True)
    sheet.cell(row=5000, column=30).font = Font(bold=True)
    book.save(tmp_path / "formatted.xlsx")
    assert cells(read_table(tmp_path / "formatted.xlsx")) == [(1, ["a", "b"]), (3, ["x"])]


def test_a_workbook_is_known_by_its_content_and_an_upload_is_read_like_a_path(tmp_path):
    path = workbook_bytes(tmp_path, ("Sheet", [["a"], [1]]))
    upload = SimpleUploadedFile("from-excel.csv", path.read_bytes())
    assert cells(read_table(upload)) == [(1, ["a"]), (2, ["1"])]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "an old Excel workbook (.xls)"),
        ("list.xls", b"a,b\n", "an old Excel workbook (.xls)"),
        ("list.xlsx", b"a,b\n1,2\n", "named .xlsx but is not an Excel workbook"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "not an Excel workbook PQA can read"),
    ],
)
def test_what_is_not_a_readable_table_is_refused_with_what_to_do(name, data, reason):
    with pytest.raises(SpreadsheetError) as error:
        read_table(SimpleUploadedFile(name, data))
    assert reason in error.value.message
    assert "save it from your spreadsheet as 'CSV UTF-8' or as an Excel workbook (.xlsx)" in error.value.message
    assert error.value.row == 1


# --- Bounds --------------------------------------------------------------------------------


def test_a_file_with_more_rows_than_the_bound_is_refused_at_the_first_row_too_many():
    text = "a\n" + "".join(f"{n}\n" for n in range(10))
    assert len(read_text(text, max_rows=11).rows) == 11
    with pytest.raises(SpreadsheetError) as error:
        read_text(text, max_rows=10)
    assert (error.value.row, error.value.message) == (
        11,
        "the file has more than 10 rows, the most PQA reads at once: split it",
    )


def test_a_workbook_with_more_cells_than_the_bound_is_refused(tmp_path):
    path = workbook_bytes(tmp_path, ("Sheet", [[f"c{n}" for n in range(10)] for _ in range(5)]))
    with pytest.raises(SpreadsheetError) as error:
        read_table(path, max_cells=25)
    assert (error.value.row, error.value.message) == (
        3,
        "the file has more than 25 cells, the most PQA reads at once: split it",
    )


def test_a_file_larger_than_the_bound_is_refused_before_it_is_read():
    with pytest.raises(SpreadsheetError, match="the file is larger than 1 MB: split it into smaller files"):
        read_table(b"a\n" * 600_000, max_bytes=1024 * 1024)


# --- Values --------------------------------------------------------------------------------


class Grade(models.TextChoices):
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement to be good"


WORDS = {"RI": Grade.REQUIRES_IMPROVEMENT, "Requires improvement": Grade.REQUIRES_IMPROVEMENT}


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("good", "good"),
        (" GOOD ", "good"),
        ("requires_improvement", "requires_improvement"),
        ("Requires improvement to be good", "requires_improvement"),
        ("requires improvement (to be good)", "requires_improvement"),
        ("Requires Improvement", "requires_improvement"),
        ("ri", "requires_improvement"),
    ],
)
def test_a_choice_is_read_from_its_code_its_label_or_the_words_people_write(value, code):
    assert choice_from_words(value, Grade, WORDS) == code


@pytest.mark.parametrize("value", ["", "Very good", "requires", "3", "good-ish"])
def test_a_word_that_is_not_a_choice_is_refused_never_guessed(value):
    with pytest.raises(ValueProblem, match="is not one of good, requires_improvement"):
        choice_from_words(value, Grade, WORDS)


def test_choices_are_also_read_from_pairs():
    assert choice_from_words("Partly", [("yes", "Yes"), ("partly", "Partly")]) == "partly"


def test_words_that_would_mean_two_choices_are_a_mistake_in_the_code():
    with pytest.raises(ValueError, match="would mean both"):
        choice_from_words("good", Grade, {"Good": Grade.REQUIRES_IMPROVEMENT})


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("2025-05-01", dt.date(2025, 5, 1)),
        ("01/05/2025", dt.date(2025, 5, 1)),
        ("1/5/2025", dt.date(2025, 5, 1)),
        (" 29/02/2024 ", dt.date(2024, 2, 29)),
        ("31/12/2025", dt.date(2025, 12, 31)),
    ],
)
def test_dates_are_read_in_iso_or_uk_order(text, date):
    assert date_from_text(text) == date


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "01/05/25",
            "'01/05/25' has a two-digit year: write the year in full, as DD/MM/YYYY or YYYY-MM-DD, e.g. 01/05/2025",
        ),
        ("05/13/2025", "'05/13/2025' is not a date: there is no month 13 (dates are day first: DD/MM/YYYY)"),
        ("31/02/2025", "'31/02/2025' is not a date: February 2025 has no day 31"),
        ("29/02/2025", "'29/02/2025' is not a date: February 2025 has no day 29"),
        ("2025-02-30", "'2025-02-30' is not a date: February 2025 has no day 30"),
        ("2025-5-1", "'2025-5-1' is not a date: write it as DD/MM/YYYY or YYYY-MM-DD, e.g. 01/05/2025"),
        ("May 2025", "'May 2025' is not a date: write it as DD/MM/YYYY or YYYY-MM-DD, e.g. 01/05/2025"),
        (
            "2025-05-01 10:30",
            "'2025-05-01 10:30' has a time of day: write the date alone, as DD/MM/YYYY or YYYY-MM-DD, e.g. 01/05/2025",
        ),
    ],
)
def test_a_date_that_could_be_read_two_ways_or_is_impossible_is_refused_with_a_reason(text, reason):
    with pytest.raises(ValueProblem) as error:
        date_from_text(text)
    assert str(error.value) == reason
