"""The Practice Hub's tracker in: `import_recommendations` (shared contract recommendations.md)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from evaluations.models import Recommendation
from evaluations.recommendation_imports import MAX_PROBLEMS
from pqa.models import User
from tests.factories import UserFactory, completed_evaluation

pytestmark = pytest.mark.django_db

HEADER = ["reference", "evaluation", "action", "owner_email", "due_date", "status", "completed", "note"]


@pytest.fixture
def evaluation():
    return completed_evaluation(reference="PE-2025-0001")


@pytest.fixture
def owner():
    return UserFactory(email="Alex.Owner@trust.example")


def write_csv(tmp_path, rows, header=HEADER, name="tracker.csv"):
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_recommendations", str(path), *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def test_a_tracker_is_imported_and_importing_it_again_updates_it(tmp_path, evaluation, owner):
    rows = [
        ["TR-1", "PE-2025-0001", "Update the chronology", "alex.owner@trust.example", "01/07/2025", "Open", "", ""],
        ["TR-2", "pe-2025-0001", "Visit within 10 days", "ALEX.OWNER@trust.example", "2025-06-01", "done",
         "20/06/2025", "Visited with the family."],
    ]  # fmt: skip
    rows[1][1] = "PE-2025-0001"
    out, _ = run(write_csv(tmp_path, rows))
    assert out == "imported 2 recommendations (2 created, 0 updated)"
    first = Recommendation.objects.get(tracker_reference="TR-1")
    assert (first.owner, first.due_date, first.status) == (owner, dt.date(2025, 7, 1), "open")
    done = Recommendation.objects.get(tracker_reference="TR-2")
    assert (done.status, done.completed_on, done.outcome_note) == (
        "done",
        dt.date(2025, 6, 20),
        "Visited with the family.",
    )
    assert done.history.first().history_change_reason.startswith("import_recommendations tracker.csv by ")

    rows[0][5] = "in progress"
    out, _ = run(write_csv(tmp_path, rows))
    assert out == "imported 2 recommendations (0 created, 2 updated)"
    first.refresh_from_db()
    assert (first.status, first.version) == ("in_progress", 2)
    assert Recommendation.objects.count() == 2


def test_an_xlsx_tracker_is_read_as_a_csv_is(tmp_path, evaluation, owner):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(["TR-9", "PE-2025-0001", "Review the plan", owner.email, dt.datetime(2025, 8, 1), "open", None, None])
    path = tmp_path / "tracker.xlsx"
    workbook.save(path)
    out, _ = run(path)
    assert out == "imported 1 recommendations (1 created, 0 updated)"
    assert Recommendation.objects.get(tracker_reference="TR-9").due_date == dt.date(2025, 8, 1)


def test_a_dry_run_changes_nothing(tmp_path, evaluation, owner):
    path = write_csv(tmp_path, [["TR-1", "PE-2025-0001", "Act", owner.email, "01/07/2025", "open", "", ""]])
    out, _ = run(path, "--dry-run")
    assert out.startswith("would import 1 recommendations (1 created, 0 updated)")
    assert not Recommendation.objects.exists()


def test_bad_rows_are_listed_by_row_and_column_and_nothing_is_imported(tmp_path, evaluation, owner):
    rows = [
        ["TR-1", "PE-2025-0001", "Fine", owner.email, "01/07/2025", "open", "", ""],
        ["TR-2", "PE-9999-0001", "Unknown evaluation", owner.email, "01/07/2025", "open", "", ""],
        ["TR-3", "PE-2025-0001", "Unknown owner", "nobody@trust.example", "01/07/2025", "open", "", ""],
        ["TR-4", "PE-2025-0001", "Bad date", owner.email, "07/31/2025", "open", "", ""],
        ["TR-5", "PE-2025-0001", "Done without a note", owner.email, "01/07/2025", "done", "01/07/2025", ""],
        ["TR-6", "PE-2025-0001", "Bad status", owner.email, "01/07/2025", "finished", "", ""],
        ["TR-1", "PE-2025-0001", "Twice", owner.email, "01/07/2025", "open", "", ""],
        ["TR-8", "PE-2025-0001", "", owner.email, "01/07/2025", "not_achieved", "", "Moved away."],
    ]
    with pytest.raises(CommandError, match="problem\\(s\\) found, nothing was imported"):
        run(write_csv(tmp_path, rows))
    assert not Recommendation.objects.exists()
    _, err = _problems(tmp_path, rows)
    lines = err.splitlines()
    assert "row 3, column evaluation: PE-9999-0001 is not an evaluation in PQA" in lines
    assert any(line.startswith("row 4, column owner_email: no account has the e-mail address") for line in lines)
    assert any(line.startswith("row 5, column due_date: '07/31/2025' is not a date") for line in lines)
    assert "row 6, column note: enter what was done: needed when done" in lines
    assert any(line.startswith("row 7, column status: 'finished' is not a status") for line in lines)
    assert any(line.startswith("row 8, column reference: TR-1 is also on row 2") for line in lines)
    assert "row 9, column action: this value is required" in lines
    assert "row 9, column completed: enter the date it was given up: needed when not_achieved" in lines


def _problems(tmp_path, rows, header=HEADER):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_recommendations", str(write_csv(tmp_path, rows, header)), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_bad_columns_are_listed_by_column(tmp_path, evaluation):
    header = ["reference", "evaluation", "action", "owner", "due_date", "status", "status"]
    _, err = _problems(tmp_path, [["TR-1", "PE-2025-0001", "Act", "x", "01/07/2025", "open", "open"]], header)
    lines = err.splitlines()
    assert "row 1, column status: this column appears twice in the header" in lines
    assert any(line.startswith("row 1, column owner: unknown column") for line in lines)
    assert "row 1, column owner_email: this required column is missing from the header" in lines


def test_the_list_of_problems_is_bounded(tmp_path, evaluation):
    rows = [[f"TR-{n}", "PE-2025-0001", "", "", "", "", "", ""] for n in range(200)]
    _, err = _problems(tmp_path, rows)
    lines = err.strip().splitlines()
    assert len(lines) == MAX_PROBLEMS + 1
    assert lines[-1].startswith("... and ") and lines[-1].endswith("more problem(s)")


def test_create_missing_makes_an_inactive_owner_account(tmp_path, evaluation):
    path = write_csv(tmp_path, [["TR-1", "PE-2025-0001", "Act", "New.Person@trust.example", "01/07/2025", "open",
                                 "", ""]])  # fmt: skip
    out, _ = run(path, "--create-missing")
    assert out.splitlines()[0] == "imported 1 recommendations (1 created, 0 updated)"
    created = User.objects.get(email="new.person@trust.example")
    assert not created.is_active and not created.has_usable_password()
    assert Recommendation.objects.get().owner == created
