import datetime as dt
import io

import pytest
from openpyxl import Workbook

from feedback.complaints.imports import complaints_import
from feedback.complaints.selectors import register_rows
from feedback.models import Complaint
from pqa import jobs
from pqa.models import ServiceArea, Team

pytestmark = pytest.mark.django_db
HEADER = (
    "reference,received,complainant,procedure,service_area,team,child_ref,themes,summary,"
    "stage1_extension_reason,stage1_responded,stage1_outcome,stage2_requested,stage2_responded,stage2_outcome"
)


def _csv(*rows, header=HEADER) -> bytes:
    return ("\ufeff" + "\n".join([header, *rows]) + "\n").encode()


def test_a_log_is_imported_with_its_stages_themes_and_history(team, customer_relations):
    data = _csv(
        f"CR-1,20/12/2022,Parent_carer,statutory,{team.service_area.name},{team.name},AB123,delay;No reply,"
        "Calls,Waiting for records,2023-01-10,upheld,2023-01-12,2023-02-10,not_upheld",
        f"CR-2,2023-04-03,child,corporate,{team.service_area.name},,,,,,,,,,",
    )
    result = complaints_import(io.BytesIO(data), actor=customer_relations)
    assert result.ok, result.problems
    assert result.summary == "imported 2 complaints (2 created, 0 updated)"
    complaint = Complaint.objects.get(reference="CR-1")
    assert sorted(complaint.themes.values_list("theme", flat=True)) == ["delay", "no_reply"]
    assert complaint.stages.count() == 2
    assert complaint.history.first().history_user == customer_relations
    rows = {row["reference"]: row for row in register_rows(dt.date(2023, 2, 10))}
    assert rows["CR-1"]["stage1_due"] == "2023-01-20"  # extended: 20 working days over Christmas
    assert rows["CR-1"]["stage2_status"] == "on_time"


def test_importing_a_reference_again_updates_it(team):
    row = f"CR-1,2023-04-03,child,corporate,{team.service_area.name},{team.name},,,,,,,,,"
    complaints_import(io.BytesIO(_csv(row)))
    again = row.replace(",,,,,,,,,", ",,,,,2023-04-05,withdrawn,,,")
    result = complaints_import(io.BytesIO(_csv(again)))
    assert result.summary == "imported 1 complaints (0 created, 1 updated)"
    assert Complaint.objects.get().stages.get().outcome == "withdrawn"


def test_a_bad_file_is_refused_whole_with_each_problem_at_its_row_and_column(team):
    area = team.service_area.name
    data = _csv(
        f"OK-1,2023-04-03,child,statutory,{area},{team.name},,,,,,,,,",
        f"BAD-1,2023-04-03,child,statutory,{area},{team.name},,,,,,,2023-05-01,,",  # Stage 2 without response
        f"BAD-2,2023-04-03,child,statutory,{area},{team.name},,,,,2023-04-01,upheld,,,",  # response before start
        f"BAD-3,2023-04-03,child,statutory,{area},{team.name},,,,,,upheld,,,",  # outcome, no date
        f"BAD-4,31/02/2023,someone,statutory,{area},{team.name},Jo Bloggs,rude,,,,,,,",
        f"BAD-5,2023-04-03,child,statutory,Nowhere,{team.name},,,,,,,,,",
    )
    result = complaints_import(io.BytesIO(data))
    problems = [str(problem) for problem in result.problems]
    assert "row 3, column stage2_requested: Stage 2 needs the Stage 1 response first" in problems
    assert "row 4, column stage1_responded: the response is before the stage started (received)" in problems
    assert "row 5, column stage1_outcome: an outcome needs its response date" in problems
    assert "row 6, column received: '31/02/2023' is not a date: February 2023 has no day 31" in problems
    assert any(problem.startswith("row 6, column complainant: 'someone' is not one of") for problem in problems)
    assert any(problem.startswith("row 6, column themes: 'rude'") for problem in problems)
    assert not Complaint.objects.exists()


def test_unknown_places_are_problems_unless_created(team):
    data = _csv("N-1,2023-04-03,child,statutory,New Area,New Team,,,,,,,,,")
    refused = complaints_import(io.BytesIO(data))
    assert [str(problem) for problem in refused.problems] == [
        "row 2, column service_area: 'New Area' is not a service area in PQA (use --create-missing to create it)"
    ]
    dry = complaints_import(io.BytesIO(data), create_missing=True, dry_run=True)
    assert dry.ok and not Complaint.objects.exists() and not ServiceArea.objects.filter(name="New Area").exists()
    done = complaints_import(io.BytesIO(data), create_missing=True)
    assert done.ok and Team.objects.filter(name="New Team", service_area__name="New Area").exists()


def test_an_unknown_or_missing_column_is_refused():
    result = complaints_import(io.BytesIO(_csv(header="reference,received,colour")))
    problems = [str(problem) for problem in result.problems]
    assert any(problem.startswith("row 1, column colour: unknown column") for problem in problems)
    assert "row 1, column complainant: this required column is missing from the header" in problems


def test_a_workbook_is_read_with_real_date_cells(team):
    book = Workbook()
    sheet = book.active
    sheet.append(["reference", "received", "complainant", "procedure", "service_area", "team"])
    sheet.append(["X-1", dt.datetime(2023, 4, 3), "Parent or carer", "Statutory", team.service_area.name, team.name])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "log.xlsx"
    result = complaints_import(buffer)
    assert result.ok, result.problems
    assert Complaint.objects.get().received == dt.date(2023, 4, 3)


def test_the_problem_list_is_bounded(team):
    rows = [f"R-{n},not a date,child,statutory,{team.service_area.name},{team.name},,,,,,,,," for n in range(300)]
    result = complaints_import(io.BytesIO(_csv(*rows)))
    assert len(result.problems) == 100 and result.problem_count == 300


def test_the_background_job_kit_knows_the_complaints_importer():
    assert jobs.get_importer("complaints").label == "complaints"


def test_customer_relations_import_a_complaints_log_on_the_web_in_the_background(client_for, team, customer_relations):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    data = _csv(f"CR-9,2023-04-03,child,corporate,{team.service_area.name},,,,,,,,,,")
    response = client_for(customer_relations).post(
        reverse("feedback:voice_import"),
        {"kind": "complaints", "file": SimpleUploadedFile("log.csv", data, "text/csv")},
        follow=True,
    )
    assert "Imported 1 complaints (1 created, 0 updated)." in response.text
    assert Complaint.objects.filter(reference="CR-9").exists()
