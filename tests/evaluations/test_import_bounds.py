"""An import's problems are bounded (issue 7, item 1), and an evaluation date must be in its
row's quarter (item 8)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from evaluations.imports import COLUMNS, MAX_PROBLEMS, PROBLEMS_LISTED
from evaluations.models import Evaluation
from tests.evaluations.test_imports import completed_row, csv_text

# The file of the report: the header, then `x` on every line.
NONSENSE_ROWS = 50_000  # a quarter of the report's file: 200,000 lines are refused as too long (60,000 rows)


def nonsense_file(lines: int) -> bytes:
    return (",".join(COLUMNS) + "\n" + "x\n" * lines).encode()


@pytest.fixture
def known(team, evaluator):
    return {"team": team, "evaluator": evaluator}


def _command(path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_evaluations", str(path), "--dry-run", stdout=out, stderr=err)
    return err.getvalue(), str(raised.value)


def test_a_file_of_nonsense_lists_the_first_problems_with_the_count_on_the_command_line(tmp_path, known):
    path = tmp_path / "nonsense.csv"
    path.write_bytes(nonsense_file(NONSENSE_ROWS - 1))
    err, error = _command(path)

    lines = err.splitlines()
    assert len(err) < 30_000, f"{len(err)} characters of problems"
    problem_lines = [line for line in lines if line.startswith("row ")]
    assert len(problem_lines) == PROBLEMS_LISTED
    assert problem_lines[0].startswith("row 2, column ")
    assert any(
        line.startswith("Checking stopped at row ") and f"after {MAX_PROBLEMS} problems" in line for line in lines
    )
    assert f"Only the first {PROBLEMS_LISTED} of at least {MAX_PROBLEMS} problems are listed, in row order." in lines
    assert error.endswith(f"at least {MAX_PROBLEMS} problems found, nothing was imported")
    assert not Evaluation.objects.exists()


def test_a_file_with_a_few_problems_lists_them_all_with_no_note(tmp_path, known):
    path = tmp_path / "two.csv"
    path.write_text(csv_text(completed_row(overall_grade="great"), completed_row(reference="PE-2024-0002", team="No")))
    err, error = _command(path)
    assert len(err.splitlines()) == 2
    assert error.endswith("2 problems found, nothing was imported")


def test_checking_a_file_of_nonsense_on_the_web_gives_a_small_page_saying_what_was_left_out(
    client_for, practice_hub, known
):
    upload = SimpleUploadedFile("nonsense.csv", nonsense_file(NONSENSE_ROWS - 1), content_type="text/csv")
    response = client_for(practice_hub).post(
        reverse("evaluations:import"), {"file": upload, "check_only": "on"}, follow=True
    )

    assert response.status_code == 200
    assert len(response.content) < 200_000, f"a page of {len(response.content)} bytes"
    content = response.content.decode()
    assert f"The file has at least {MAX_PROBLEMS} problems: nothing was imported" in content
    assert content.count("<li><a href=") >= PROBLEMS_LISTED
    assert "Checking stopped at row " in content
    assert f"Only the first {PROBLEMS_LISTED} of at least {MAX_PROBLEMS} problems are listed" in content
    assert not Evaluation.objects.exists()


# --- Item 8: the evaluation date and its quarter -------------------------------------------


@pytest.mark.parametrize(
    ("date", "reason"),
    [
        (
            "2024-08-02",
            "2024-08-02 is in 2024-25-Q2 (July–September 2024), not in 2024-25-Q1 (April–June 2024): "
            "check the date and the quarter",
        ),
        (
            "31/03/2024",
            "2024-03-31 is in 2023-24-Q4 (January–March 2024), not in 2024-25-Q1 (April–June 2024): "
            "check the date and the quarter",
        ),
        (
            "0001-01-01",
            "0001-01-01 is not in 2024-25-Q1 (April–June 2024), nor in any quarter PQA accepts (2000-01-Q1 to ",
        ),
    ],
)
def test_an_evaluation_date_outside_its_quarter_is_refused_at_its_row_and_column(tmp_path, known, date, reason):
    path = tmp_path / "dates.csv"
    path.write_text(csv_text(completed_row(), completed_row(reference="PE-2024-0002", evaluation_date=date)))
    err, _ = _command(path)
    assert err.splitlines() == [line for line in err.splitlines() if line.startswith("row 3, column evaluation_date: ")]
    assert len(err.splitlines()) == 1
    assert reason in err
    assert not Evaluation.objects.exists()


def test_the_first_and_last_days_of_the_quarter_are_accepted(tmp_path, known):
    path = tmp_path / "dates.csv"
    path.write_text(
        csv_text(
            completed_row(evaluation_date="01/04/2024"),
            completed_row(reference="PE-2024-0002", evaluation_date="2024-06-30"),
        )
    )
    out = io.StringIO()
    call_command("import_evaluations", str(path), stdout=out, stderr=io.StringIO())
    assert "imported 2 evaluations" in out.getvalue()
