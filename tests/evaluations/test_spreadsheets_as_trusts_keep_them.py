"""The contract's addition "Spreadsheets as trusts keep them" (evaluations-csv.md), with real
files made here: .xlsx workbooks with date cells and the words people type, CSVs saved by
Excel on Windows, DD/MM/YYYY dates; on the command line, on the web import and in the
allocation list upload. What is still ambiguous is refused at its row and column."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl.styles import Font

from evaluations import services
from evaluations.imports import COLUMNS
from evaluations.models import CycleType, Evaluation, Moderation, PillarGrade
from pqa.models import Team
from tests.evaluations.test_imports import completed_row, csv_text, not_returned_row
from tests.factories import CycleFactory, EvaluationFactory

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ALLOCATION_HEADER = ["child_ref", "practitioner", "service_area", "team", "evaluator_email", "due_date"]


@pytest.fixture
def known(team, evaluator):
    return {"team": team, "evaluator": evaluator}


def workbook(path, header, *rows, formatted_to: int = 0):
    """Save an .xlsx as a trust keeps it: a first sheet of rows (dates as date cells), a second
    sheet that is not read, and empty rows formatted below the data."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Evaluations"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for number in range(len(rows) + 2, formatted_to + 1):
        sheet.cell(row=number, column=1).font = Font(bold=True)
    book.create_sheet("Notes").append(["reference", "nothing here is read"])
    book.save(path)
    return path


def history_rows(evaluator_email):
    """Two evaluations as a trust's workbook holds them: words, a date cell and a number cell."""
    header = list(COLUMNS)
    returned = {
        **completed_row(reference="PE-2024-0001", evaluator_email=evaluator_email),
        "type": "Trust-wide",
        "status": "Returned",
        "service_area": "children in care",
        "child_ref": 1000001,  # a number cell, as Excel keeps a numeric case id
        "evaluation_date": dt.date(2024, 5, 2),
        "grade_childs_voice": "Good",
        "grade_assessment": "Requires improvement",
        "grade_planning": "RI",
        "grade_oversight": "Requires improvement to be good",
        "overall_grade": " good ",
        "intervention_appropriate": "Yes",
        "positive_difference": "Partly",
        "record_reflects_work": "NO",
        "moderated_grade": "Requires Improvement",
    }
    not_returned = {
        **not_returned_row(reference="PE-2024-0002", evaluator_email=evaluator_email),
        "type": "SPE",
        "status": "Not returned",
    }
    return header, [[row.get(name) for name in header] for row in (returned, not_returned)]


def windows_csv(*rows) -> bytes:
    """A CSV as Excel on Windows saves plain 'CSV': Windows-1252, no byte-order mark, CRLF."""
    return csv_text(*rows).replace("\n", "\r\n").encode("cp1252")


def command(path, *options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_evaluations", str(path), *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(path):
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_evaluations", str(path), stdout=io.StringIO(), stderr=err)
    return err.getvalue().splitlines()


# --- The command ---------------------------------------------------------------------------


def test_a_workbook_with_date_cells_and_the_words_people_type_is_imported(tmp_path, known):
    header, rows = history_rows(known["evaluator"].email)
    path = workbook(tmp_path / "history.xlsx", header, *rows, formatted_to=40)

    out, err = command(path)

    assert (out, err) == ("imported 2 evaluations (2 created, 0 updated)\n", "")
    returned = Evaluation.objects.get(reference="PE-2024-0001")
    assert returned.status == Evaluation.Status.RETURNED
    assert (returned.cycle.quarter, returned.cycle.type) == ("2024-25-Q1", CycleType.TRUST_WIDE)
    assert returned.child_ref == "1000001"
    assert returned.evaluation_date == dt.date(2024, 5, 2)
    assert returned.overall_grade == "good"
    assert (returned.intervention_appropriate, returned.positive_difference, returned.record_reflects_work) == (
        "yes",
        "partly",
        "no",
    )
    assert dict(returned.pillar_grades.values_list("pillar", "grade")) == {
        "childs_voice": "good",
        "assessment": "requires_improvement",
        "planning": "requires_improvement",
        "oversight": "requires_improvement",
    }
    assert (returned.moderation.moderated_grade, returned.moderation.outcome) == (
        "requires_improvement",
        Moderation.Outcome.DOWNGRADED,
    )
    not_returned = Evaluation.objects.get(reference="PE-2024-0002")
    assert (not_returned.status, not_returned.cycle.type) == (Evaluation.Status.NOT_RETURNED, CycleType.SERVICE)
    assert not not_returned.pillar_grades.exists()


def test_a_csv_saved_by_excel_on_windows_with_uk_dates_is_imported(tmp_path, known):
    path = tmp_path / "history.csv"
    path.write_bytes(
        windows_csv(
            completed_row(
                practitioner="José O’Brien",
                type="Trust-wide",
                evaluation_date="02/05/2024",
                overall_grade="Good",
                child_ethnicity="Any other – £ not asked",
            ),
            completed_row(reference="PE-2024-0002", evaluation_date="9/5/2024", grade_planning="RI"),
        )
    )
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf") and b"\r\n" in path.read_bytes()

    assert command(path) == ("imported 2 evaluations (2 created, 0 updated)\n", "")

    first, second = Evaluation.objects.order_by("reference")
    assert (first.practitioner, first.child_ethnicity) == ("José O’Brien", "Any other – £ not asked")
    assert (first.evaluation_date, second.evaluation_date) == (dt.date(2024, 5, 2), dt.date(2024, 5, 9))
    assert PillarGrade.objects.get(evaluation=second, pillar="planning").grade == "requires_improvement"


def test_what_is_still_ambiguous_in_a_workbook_is_refused_at_its_row_and_column(tmp_path, known):
    header, rows = history_rows(known["evaluator"].email)
    ambiguous = list(rows[0])
    ambiguous[header.index("reference")] = "PE-2024-0003"
    ambiguous[header.index("child_ref")] = "1000003"
    ambiguous[header.index("evaluation_date")] = "02/05/24"
    ambiguous[header.index("overall_grade")] = "3"
    ambiguous[header.index("type")] = "Audit"
    path = workbook(tmp_path / "history.xlsx", header, *rows, ambiguous)

    assert refused(path) == [
        "row 4, column type: 'Audit' is not a type: use one of trust_wide, service, thematic, revisit",
        "row 4, column evaluation_date: '02/05/24' has a two-digit year: write the year in full, as DD/MM/YYYY "
        "or YYYY-MM-DD, e.g. 01/05/2025",
        "row 4, column overall_grade: '3' is not a grade: use one of outstanding, good, requires_improvement, "
        "inadequate",
    ]
    assert not Evaluation.objects.exists()


def test_a_uk_date_the_wrong_way_round_is_refused_never_swapped(tmp_path, known):
    path = tmp_path / "history.csv"
    path.write_bytes(windows_csv(completed_row(evaluation_date="05/13/2024")))
    assert refused(path) == [
        "row 2, column evaluation_date: '05/13/2024' is not a date: there is no month 13 (dates are day first: "
        "DD/MM/YYYY)"
    ]


# --- The models' own rules, on the bulk path -----------------------------------------------


def test_a_value_only_the_models_validation_catches_is_refused_at_its_row_and_column(tmp_path, known):
    # The model's max_length is the one rule for the length of every column it stores.
    path = tmp_path / "history.csv"
    path.write_bytes(
        csv_text(
            completed_row(practitioner="P" * 121),
            completed_row(reference="PE-2024-0002", child_age_band="1" * 41),
        ).encode()
    )
    assert refused(path) == [
        "row 2, column practitioner: ensure this value has at most 120 characters (it has 121)",
        "row 3, column child_age_band: ensure this value has at most 40 characters (it has 41)",
    ]
    assert not Evaluation.objects.exists()


def test_a_cell_that_breaks_two_of_the_models_rules_is_one_problem(tmp_path, known):
    path = tmp_path / "history.csv"
    path.write_bytes(csv_text(completed_row(reference="PE-" + "1" * 40)).encode())
    assert refused(path) == ["row 2, column reference: the reference is longer than 40 characters"]


def create_missing(path):
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_evaluations", str(path), "--create-missing", stdout=io.StringIO(), stderr=err)
    return err.getvalue().splitlines()


def test_what_the_import_would_create_is_validated_by_its_model_too(tmp_path, known):
    # An address an e-mail allows but a username does not: the bulk path used to create the
    # account anyway, which the admin would then refuse to save.
    path = tmp_path / "history.csv"
    path.write_bytes(
        csv_text(
            completed_row(team="T" * 121),
            completed_row(reference="PE-2024-0002", evaluator_email="o'brien@trust.example"),
        ).encode()
    )
    assert create_missing(path) == [
        "row 2, column team: ensure this value has at most 120 characters (it has 121)",
        "row 3, column evaluator_email: the account this address would create cannot have it as username: enter a "
        "valid username. This value may contain only letters, numbers, and @/./+/-/_ characters",
    ]
    assert not Team.objects.filter(name="T" * 121).exists()
    assert not Evaluation.objects.exists()


def test_a_null_character_in_a_cell_is_refused_where_it_is(tmp_path, known):
    path = tmp_path / "history.csv"
    path.write_bytes(
        csv_text(completed_row(), completed_row(reference="PE-2024-0002", practitioner="SW\x001")).encode()
    )
    assert refused(path) == [
        "row 3, column practitioner: this cell holds a null character, which PQA does not accept: save it from "
        "your spreadsheet as 'CSV UTF-8' or as an Excel workbook (.xlsx)"
    ]


# Every character the core's rule (pqa.validators.CONTROL_CHARACTERS) refuses, but NUL (above).
REFUSED_CONTROL_CHARACTERS = [chr(code) for code in (*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))]


@pytest.mark.parametrize("character", REFUSED_CONTROL_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_every_control_character_the_core_refuses_is_refused_in_an_import_cell_where_it_is(tmp_path, known, character):
    from pqa.validators import control_character

    assert control_character(character) == character  # the core's rule refuses it too
    path = tmp_path / "history.csv"
    path.write_bytes(
        csv_text(completed_row(), completed_row(reference="PE-2024-0002", child_ethnicity=f"White{character}")).encode()
    )
    assert refused(path) == [
        f"row 3, column child_ethnicity: this cell holds a control character (U+{ord(character):04X}), which PQA "
        "does not accept: save it from your spreadsheet as 'CSV UTF-8' or as an Excel workbook (.xlsx)"
    ]
    assert not Evaluation.objects.exists()


def test_a_problem_the_import_reports_is_not_repeated_in_the_models_words(tmp_path, known):
    path = tmp_path / "history.csv"
    path.write_bytes(csv_text(completed_row(overall_grade="brilliant", child_ref="Jo Bloggs")).encode())
    assert refused(path) == [
        "row 2, column overall_grade: 'brilliant' is not a grade: use one of outstanding, good, "
        "requires_improvement, inadequate",
        "row 2, column child_ref: 'Jo Bloggs' is not a case id: use the id from the case system (letters, digits "
        "and dashes with at least one digit, no spaces, at most 40 characters), never a name",
    ]


def test_a_reference_held_for_a_child_is_updated_by_that_child_in_another_letter_case(tmp_path, known):
    cycle = CycleFactory(quarter="2024-25-Q1", type=CycleType.TRUST_WIDE, status="closed")
    EvaluationFactory(
        reference="PE-2024-0001", cycle=cycle, team=known["team"], child_ref="AB-123", status="not_returned"
    )
    path = tmp_path / "history.csv"
    path.write_bytes(csv_text(completed_row(child_ref="ab-123")).encode())
    assert command(path) == ("imported 1 evaluations (0 created, 1 updated)\n", "")
    assert Evaluation.objects.get().status == Evaluation.Status.RETURNED


# --- The web import ------------------------------------------------------------------------


def test_the_practice_hub_imports_a_workbook_on_the_web(tmp_path, client_for, practice_hub, known):
    header, rows = history_rows(known["evaluator"].email)
    data = workbook(tmp_path / "q1.xlsx", header, *rows).read_bytes()
    response = client_for(practice_hub).post(
        reverse("evaluations:import"), {"file": SimpleUploadedFile("q1.xlsx", data, XLSX)}, follow=True
    )
    assert "Imported 2 evaluations (2 created, 0 updated)." in response.content.decode()
    latest = Evaluation.objects.get(reference="PE-2024-0001").history.get()
    assert (latest.history_user, latest.history_change_reason) == (practice_hub, "web import q1.xlsx")
    assert Evaluation.objects.get(reference="PE-2024-0001").evaluation_date == dt.date(2024, 5, 2)


def test_the_practice_hub_imports_a_windows_csv_on_the_web(client_for, practice_hub, known):
    data = windows_csv(completed_row(practitioner="Zoë O’Neil", evaluation_date="02/05/2024", status="Returned"))
    response = client_for(practice_hub).post(
        reverse("evaluations:import"), {"file": SimpleUploadedFile("q1.csv", data, "text/csv")}, follow=True
    )
    assert "Imported 1 evaluations (1 created, 0 updated)." in response.content.decode()
    assert Evaluation.objects.get().practitioner == "Zoë O’Neil"


def test_an_ambiguous_value_in_a_workbook_on_the_web_is_listed_with_its_row_and_column(
    tmp_path, client_for, practice_hub, known
):
    header, rows = history_rows(known["evaluator"].email)
    rows[0][header.index("evaluation_date")] = "31/02/2024"
    data = workbook(tmp_path / "q1.xlsx", header, *rows).read_bytes()
    response = client_for(practice_hub).post(
        reverse("evaluations:import"), {"file": SimpleUploadedFile("q1.xlsx", data, XLSX)}, follow=True
    )
    content = response.content.decode()
    assert "The file has 1 problem: nothing was imported" in content
    assert "row 2, column evaluation_date: &#x27;31/02/2024&#x27; is not a date: February 2024 has no day 31" in content
    assert not Evaluation.objects.exists()


def test_the_import_page_says_which_files_and_words_it_reads(client_for, practice_hub):
    content = client_for(practice_hub).get(reverse("evaluations:import")).content.decode()
    assert 'accept=".csv,.txt,.xlsx"' in content
    assert "Upload a CSV file or an Excel workbook" in content
    assert "DD/MM/YYYY" in content and "Requires improvement (to be good), RI" in content
    assert "never a guess" in content


# --- The allocation list upload ------------------------------------------------------------


@pytest.fixture
def open_cycle(practice_hub):
    return services.cycle_open(quarter="2025-26-Q2", type=CycleType.TRUST_WIDE, actor=practice_hub)


def test_the_practice_hub_allocates_an_uploaded_workbook_with_date_cells_and_uk_dates(
    tmp_path, client_for, practice_hub, open_cycle, team, evaluator, django_capture_on_commit_callbacks
):
    soon = timezone.localdate() + dt.timedelta(days=30)
    path = workbook(
        tmp_path / "list.xlsx",
        ALLOCATION_HEADER,
        [1111111, "SW-1", "Children in Care", "CiC Team 1", evaluator.email, soon],
        ["2222222", "José O’Brien", "Children in Care", "CiC Team 1", evaluator.email, soon.strftime("%d/%m/%Y")],
        formatted_to=30,
    )
    upload = SimpleUploadedFile("list.xlsx", path.read_bytes(), XLSX)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(practice_hub).post(
            reverse("evaluations:allocate_list", args=[open_cycle.pk]), {"file": upload}
        )
    assert response.status_code == 302
    assert list(Evaluation.objects.order_by("child_ref").values_list("child_ref", "practitioner", "due_date")) == [
        ("1111111", "SW-1", soon),
        ("2222222", "José O’Brien", soon),
    ]


def test_the_practice_hub_allocates_an_uploaded_csv_saved_by_excel_on_windows(
    client_for, practice_hub, open_cycle, team, evaluator
):
    soon = timezone.localdate() + dt.timedelta(days=30)
    data = (
        f"{','.join(ALLOCATION_HEADER)}\r\n"
        f"3333333,Zoë O’Neil,Children in Care,CiC Team 1,{evaluator.email},{soon:%d/%m/%Y}\r\n"
    ).encode("cp1252")
    response = client_for(practice_hub).post(
        reverse("evaluations:allocate_list", args=[open_cycle.pk]),
        {"file": SimpleUploadedFile("list.csv", data, "text/csv")},
    )
    assert response.status_code == 302
    assert Evaluation.objects.get().practitioner == "Zoë O’Neil"
    assert Evaluation.objects.get().due_date == soon


def test_an_ambiguous_due_date_in_an_uploaded_workbook_is_refused_at_its_row_and_column(
    tmp_path, client_for, practice_hub, open_cycle, team, evaluator
):
    path = workbook(
        tmp_path / "list.xlsx",
        ALLOCATION_HEADER,
        ["4444444", "SW-4", "Children in Care", "CiC Team 1", evaluator.email, None],
        ["5555555", "SW-5", "Children in Care", "CiC Team 1", evaluator.email, "01/06/26"],
    )
    response = client_for(practice_hub).post(
        reverse("evaluations:allocate_list", args=[open_cycle.pk]),
        {"file": SimpleUploadedFile("list.xlsx", path.read_bytes(), XLSX)},
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors["file"]) == [
        "list.xlsx: row 3, column due_date: '01/06/26' has a two-digit year: write the year in full, as "
        "DD/MM/YYYY or YYYY-MM-DD, e.g. 01/05/2025"
    ]
    assert not Evaluation.objects.exists()
