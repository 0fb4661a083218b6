"""The lists the Practice Hub pastes or uploads: every kind of bad input is reported by row
and column, and a good list becomes allocation requests for the service."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from evaluations.allocation_lists import (
    UnreadableFile,
    child_ref_problem,
    parse_allocations,
    parse_open_cases,
    read_upload,
)
from pqa.models import Role
from tests.factories import UserFactory

TODAY = dt.date(2025, 5, 1)
HEADER = "child_ref,practitioner,service_area,team,evaluator_email,due_date"


@pytest.fixture
def eve(db):
    return UserFactory(username="eve", email="Eve@Trust.example", role=Role.EVALUATOR)


@pytest.fixture
def setup(team, other_team, eve):
    return team, other_team, eve


def parse(text, **kwargs):
    kwargs.setdefault("today", TODAY)
    return parse_allocations(text, **kwargs)


def messages(result):
    return [str(error) for error in result.errors]


def test_a_comma_separated_list_with_a_header_becomes_allocation_requests(setup):
    team, other_team, eve = setup
    result = parse(
        f"{HEADER}\n"
        "1234567,SW-1001,Children in Care,CiC Team 1,eve@trust.example,2025-06-30\n"
        "1234568,SW-1002,child protection,cp team 1,EVE@TRUST.EXAMPLE,\n"
    )
    assert result.ok, messages(result)
    first, second = result.items
    assert (first.child_ref, first.practitioner, first.team, first.evaluator, first.due_date) == (
        "1234567",
        "SW-1001",
        team,
        eve,
        dt.date(2025, 6, 30),
    )
    assert second.team == other_team and second.evaluator == eve and second.due_date is None
    assert result.rows == [2, 3]


def test_tab_separated_rows_pasted_from_excel_without_a_header_are_read_in_column_order(setup):
    team, _, eve = setup
    result = parse("1234567\tSW 1001\tChildren in Care\tCiC Team 1\teve@trust.example\t2025-06-30\n")
    assert result.ok, messages(result)
    assert result.items[0].practitioner == "SW 1001"
    assert result.items[0].team == team


def test_commas_inside_tab_separated_cells_are_kept(setup):
    result = parse("1234567\tSmith, J (SW)\tChildren in Care\tCiC Team 1\teve@trust.example\n")
    assert result.ok, messages(result)
    assert result.items[0].practitioner == "Smith, J (SW)"


def test_a_header_may_name_the_columns_in_any_order_and_leave_out_the_due_date(setup):
    result = parse(
        "Team,Service area,Child ref,Evaluator email,Practitioner\n"
        "CiC Team 1,Children in Care,C-99,eve@trust.example,SW-1\n"
    )
    assert result.ok, messages(result)
    assert result.items[0].child_ref == "C-99"
    assert result.items[0].due_date is None


def test_blank_lines_are_skipped_but_still_counted_in_the_row_numbers(setup):
    result = parse(
        f"{HEADER}\n\n"
        "1234567,SW-1,Children in Care,CiC Team 1,eve@trust.example,\n"
        ",,,,,\n"
        "   \n"
        "1234568,SW-1,Children in Care,Nowhere,eve@trust.example,\n"
    )
    assert [item.child_ref for item in result.items] == ["1234567"]
    assert messages(result) == ["row 6, column team: 'Nowhere' is not a team in Children in Care"]


def test_a_row_without_a_due_date_gets_the_default_one(setup):
    result = parse("1234567,SW-1,Children in Care,CiC Team 1,eve@trust.example\n", default_due_date=dt.date(2025, 7, 1))
    assert result.items[0].due_date == dt.date(2025, 7, 1)


def test_a_missing_column_in_the_header_is_reported_and_no_row_is_read(setup):
    result = parse(
        "child_ref,practitioner,service_area,evaluator_email\n1234567,SW-1,Children in Care,eve@trust.example\n"
    )
    assert result.items == []
    assert messages(result) == ["row 1, column team: the header has no team column"]


def test_an_unknown_column_in_the_header_is_reported(setup):
    result = parse(f"{HEADER},child_name\n")
    assert messages(result) == [
        "row 1, column child_name: unknown column: use "
        "child_ref, practitioner, service_area, team, evaluator_email, due_date"
    ]


def test_a_file_must_start_with_a_header(setup):
    result = parse("1234567,SW-1,Children in Care,CiC Team 1,eve@trust.example,\n", header_required=True)
    assert result.items == []
    assert messages(result)[0].startswith("row 1, column child_ref: the first row must be a header")


def test_a_short_row_reports_each_missing_value(setup):
    result = parse("1234567,SW-1,Children in Care\n")
    assert messages(result) == [
        "row 1, column team: enter the team",
        "row 1, column evaluator_email: enter the evaluator's e-mail address",
    ]


def test_extra_values_beyond_the_last_column_are_reported(setup):
    result = parse("1234567,SW-1,Children in Care,CiC Team 1,eve@trust.example,2025-06-30,oops\n")
    assert messages(result) == ["row 1, column 7: unexpected value 'oops': the list has 6 columns"]


def test_an_unknown_service_area_is_reported_on_its_column(setup):
    result = parse("1234567,SW-1,Early Help,CiC Team 1,eve@trust.example\n")
    assert messages(result) == ["row 1, column service_area: 'Early Help' is not a service area"]


def test_an_unknown_team_is_reported_on_its_column(setup):
    result = parse("1234567,SW-1,Children in Care,CP Team 1,eve@trust.example\n")
    assert messages(result) == ["row 1, column team: 'CP Team 1' is not a team in Children in Care"]


def test_an_unknown_evaluator_is_reported(setup):
    result = parse("1234567,SW-1,Children in Care,CiC Team 1,nobody@trust.example\n")
    assert messages(result) == [
        "row 1, column evaluator_email: no active user has the e-mail address 'nobody@trust.example'"
    ]


def test_an_evaluator_who_has_left_is_not_allocated_work(setup):
    UserFactory(username="gone", email="gone@trust.example", is_active=False)
    result = parse("1234567,SW-1,Children in Care,CiC Team 1,gone@trust.example\n")
    assert messages(result) == [
        "row 1, column evaluator_email: no active user has the e-mail address 'gone@trust.example'"
    ]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("2025-6-30", "'2025-6-30' is not a date: write it as DD/MM/YYYY or YYYY-MM-DD, e.g. 01/05/2025"),
        ("soon", "'soon' is not a date: write it as DD/MM/YYYY or YYYY-MM-DD, e.g. 01/05/2025"),
        ("2025-02-30", "'2025-02-30' is not a date: February 2025 has no day 30"),
        ("06/30/2025", "'06/30/2025' is not a date: there is no month 30 (dates are day first: DD/MM/YYYY)"),
        (
            "30/06/25",
            "'30/06/25' has a two-digit year: write the year in full, as DD/MM/YYYY or YYYY-MM-DD, e.g. 01/05/2025",
        ),
    ],
)
def test_a_bad_or_ambiguous_due_date_is_reported_never_guessed(setup, raw, reason):
    result = parse(f"1234567,SW-1,Children in Care,CiC Team 1,eve@trust.example,{raw}\n")
    assert messages(result) == [f"row 1, column due_date: {reason}"]


@pytest.mark.parametrize("raw", ["30/06/2025", "30/6/2025", "2025-06-30"])
def test_a_due_date_is_read_in_uk_order_or_as_yyyy_mm_dd(setup, raw):
    result = parse(f"1234567,SW-1,Children in Care,CiC Team 1,eve@trust.example,{raw}\n")
    assert result.ok, messages(result)
    assert result.items[0].due_date == dt.date(2025, 6, 30)


def test_a_pasted_list_with_broken_quoting_is_reported_at_its_row(setup):
    result = parse('1234567,SW-1,Children in Care,CiC Team 1,eve@trust.example\n1234568,"SW"-2,x,y,z\n')
    assert messages(result) == ["row 2: the file is not valid CSV (',' expected after '\"')"]


def test_a_due_date_in_the_past_is_reported(setup):
    result = parse("1234567,SW-1,Children in Care,CiC Team 1,eve@trust.example,2025-04-30\n")
    assert messages(result) == ["row 1, column due_date: 2025-04-30 is in the past"]


@pytest.mark.parametrize("name", ["Jo Bloggs", "Smith", "O'Brien 12", "12 345"])
def test_a_name_in_the_child_ref_column_is_rejected(setup, name):
    result = parse(f"{name},SW-1,Children in Care,CiC Team 1,eve@trust.example\n")
    assert len(result.errors) == 1
    assert str(result.errors[0]).startswith(f"row 1, column child_ref: '{name}' is not a case id")
    assert "never a name" in str(result.errors[0])


@pytest.mark.parametrize("ref", ["1234567", "C-000123", "lcs-98a"])
def test_case_ids_of_letters_digits_and_dashes_are_accepted(ref):
    assert child_ref_problem(ref) is None


def test_a_case_id_longer_than_forty_characters_is_rejected():
    assert child_ref_problem("1" * 41) == "the case id is longer than 40 characters"


def test_a_child_listed_twice_is_reported_on_the_second_row(setup):
    result = parse(
        "1234567,SW-1,Children in Care,CiC Team 1,eve@trust.example\n"
        "1234567,SW-2,Children in Care,CiC Team 1,eve@trust.example\n"
    )
    assert messages(result) == ["row 2, column child_ref: child 1234567 is already on row 1"]


def test_a_child_already_in_the_cycle_is_reported(setup):
    result = parse(
        "abc-1,SW-1,Children in Care,CiC Team 1,eve@trust.example\n", taken={"ABC-1": "this cycle (PE-2025-0001)"}
    )
    assert messages(result) == ["row 1, column child_ref: child abc-1 is already in this cycle (PE-2025-0001)"]


def test_every_bad_row_is_reported_and_the_good_ones_are_not_enough(setup):
    result = parse(
        f"{HEADER}\n"
        "1234567,SW-1,Children in Care,CiC Team 1,eve@trust.example,\n"
        "Jo Bloggs,SW-1,Children in Care,CiC Team 1,eve@trust.example,\n"
        "1234569,,Children in Care,CiC Team 1,who@trust.example,tomorrow\n"
    )
    assert messages(result) == [
        "row 3, column child_ref: 'Jo Bloggs' is not a case id: use the id from the case system "
        "(letters, digits and dashes with at least one digit, no spaces, at most 40 characters), never a name",
        "row 4, column practitioner: enter the practitioner",
        "row 4, column evaluator_email: no active user has the e-mail address 'who@trust.example'",
        "row 4, column due_date: 'tomorrow' is not a date: write it as DD/MM/YYYY or YYYY-MM-DD, e.g. 01/05/2025",
    ]
    assert not result.ok


def test_the_lookups_take_a_constant_number_of_queries(setup, django_assert_num_queries):
    lines = "".join(f"{1000 + n},SW-1,Children in Care,CiC Team 1,eve@trust.example\n" for n in range(50))
    with django_assert_num_queries(2):  # the teams, the evaluators
        result = parse(lines)
    assert len(result.items) == 50


def test_an_empty_list_has_no_items_and_no_errors(setup):
    result = parse("\n\n")
    assert result.items == [] and result.ok


def test_open_cases_are_read_with_or_without_a_header(setup):
    team, other_team, _ = setup
    with_header = parse_open_cases(
        "child_ref\tpractitioner\tservice_area\tteam\n111\tSW-1\tChildren in Care\tCiC Team 1\n"
    )
    without = parse_open_cases("222,SW-2,Child Protection,CP Team 1\n")
    assert with_header.items[0].team == team
    assert without.items[0].team == other_team


def test_open_cases_report_bad_rows_by_row_and_column(setup):
    result = parse_open_cases("child_ref,practitioner,service_area,team\nJo Bloggs,SW-1,Children in Care,Nowhere\n")
    assert [error.column for error in result.errors] == ["child_ref", "team"]
    assert all(error.row == 2 for error in result.errors)


def test_an_uploaded_excel_csv_with_a_byte_order_mark_is_read():
    upload = SimpleUploadedFile("list.csv", ("\ufeff" + HEADER + "\n").encode("utf-8"))
    assert read_upload(upload).header.cells[0] == "child_ref"


def test_an_uploaded_windows_csv_is_read():
    upload = SimpleUploadedFile("list.csv", "child_ref,practitioner\r\n1,Zoë O’Neil\r\n".encode("cp1252"))
    assert read_upload(upload).body[0].cells == ("1", "Zoë O’Neil")


def test_a_broken_workbook_is_refused_with_advice():
    upload = SimpleUploadedFile("list.xlsx", b"PK\x03\x04binary\x00stuff")
    with pytest.raises(UnreadableFile, match="The file is not an Excel workbook PQA can read: .* 'CSV UTF-8'"):
        read_upload(upload)


def test_an_upload_that_is_not_a_list_is_refused_by_its_name():
    with pytest.raises(UnreadableFile, match=r"must be a CSV file or an Excel workbook \(.xlsx\)"):
        read_upload(SimpleUploadedFile("list.pdf", b"%PDF-1.4"))


def test_an_upload_larger_than_a_list_may_be_is_refused():
    with pytest.raises(UnreadableFile, match="The file is larger than 2 MB: split it into smaller files"):
        read_upload(SimpleUploadedFile("list.csv", b"x" * (2 * 1024 * 1024 + 1)))
