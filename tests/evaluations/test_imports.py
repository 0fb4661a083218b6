"""History in: the CSV import of docs/contracts/evaluations-csv.md, by the command and the web."""

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.imports import COLUMNS, evaluations_import
from evaluations.models import Cycle, CycleType, Evaluation, Moderation, PillarGrade
from pqa import audit
from pqa.models import Role, ServiceArea, Team, User
from pqa.quarters import Quarter
from tests.factories import CycleFactory, EvaluationFactory, UserFactory, completed_evaluation

DATA = Path(__file__).parent / "data"


def child_of(reference: str) -> str:
    """Each sample reference is its own child, as in a real file, where a child is evaluated once
    in a cycle: PE-2024-0001 is case 1000001, PE-2024-0002 case 1000002, WARM-0003 case WARM-0003."""
    match = re.fullmatch(r"PE-2024-(\d{4})", reference)
    return str(1000000 + int(match[1])) if match else re.sub(r"[^A-Za-z0-9-]", "-", reference)[:40]


def completed_row(**values) -> dict[str, str]:
    reference = values.get("reference", "PE-2024-0001")
    row = {
        "reference": reference,
        "quarter": "2024-25-Q1",
        "type": "trust_wide",
        "status": "completed",
        "service_area": "Children in Care",
        "team": "CiC Team 1",
        "child_ref": child_of(reference),
        "practitioner": "SW-1001",
        "evaluator_email": "eve.evaluator@trust.example",
        "evaluation_date": "2024-05-02",
        "grade_childs_voice": "good",
        "grade_assessment": "good",
        "grade_planning": "requires_improvement",
        "grade_oversight": "good",
        "overall_grade": "good",
        "intervention_appropriate": "yes",
        "positive_difference": "yes",
        "record_reflects_work": "partly",
        "moderated_grade": "",
        "child_age_band": "11-15",
        "child_gender": "Female",
        "child_ethnicity": "White British",
    }
    row.update(values)
    return row


def not_returned_row(**values) -> dict[str, str]:
    row = completed_row(status="not_returned", **values)
    for name in (
        "evaluation_date",
        "grade_childs_voice",
        "grade_assessment",
        "grade_planning",
        "grade_oversight",
        "overall_grade",
        "intervention_appropriate",
        "positive_difference",
        "record_reflects_work",
    ):
        row.setdefault(name, "")
        if name not in values:
            row[name] = ""
    return row


def csv_text(*rows: dict[str, str], header: list[str] | None = None) -> str:
    header = header or list(COLUMNS)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture
def write_csv(tmp_path):
    def write(text: str, *, bom: bool = False) -> str:
        path = tmp_path / "evaluations.csv"
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
        return str(path)

    return write


@pytest.fixture
def run(write_csv):
    """The command as an administrator runs it: (stdout, stderr), or CommandError raised."""

    def command(text: str, *options: str, bom: bool = False) -> tuple[str, str]:
        out, err = io.StringIO(), io.StringIO()
        call_command("import_evaluations", write_csv(text, bom=bom), *options, stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()

    return command


@pytest.fixture
def rejected(write_csv):
    """Run the command on a file that must be rejected; return the problems it listed."""

    def command(text: str, *options: str) -> list[str]:
        err = io.StringIO()
        with pytest.raises(CommandError, match="nothing was imported"):
            call_command("import_evaluations", write_csv(text), *options, stdout=io.StringIO(), stderr=err)
        return err.getvalue().splitlines()

    return command


@pytest.fixture
def known(team, evaluator):
    """The organisation and the evaluator the sample rows refer to."""
    return {"team": team, "evaluator": evaluator}


# --- A good file ---------------------------------------------------------------------------


def test_a_good_file_imports_every_row_and_says_how_many(run, known):
    out, err = run(Path(DATA / "evaluations.csv").read_text())
    assert out == "imported 4 evaluations (4 created, 0 updated)\n"
    assert err == ""
    assert Evaluation.objects.count() == 4


def test_a_completed_row_becomes_a_completed_evaluation_with_its_pillar_grades(run, known):
    run(csv_text(completed_row()))
    evaluation = Evaluation.objects.get(reference="PE-2024-0001")
    assert evaluation.status == Evaluation.Status.RETURNED
    assert evaluation.team == known["team"]
    assert evaluation.evaluator == known["evaluator"]
    assert evaluation.evaluation_date == dt.date(2024, 5, 2)
    assert evaluation.overall_grade == "good"
    assert (evaluation.intervention_appropriate, evaluation.positive_difference, evaluation.record_reflects_work) == (
        "yes",
        "yes",
        "partly",
    )
    assert (evaluation.child_age_band, evaluation.child_gender, evaluation.child_ethnicity) == (
        "11-15",
        "Female",
        "White British",
    )
    assert dict(evaluation.pillar_grades.values_list("pillar", "grade")) == {
        "childs_voice": "good",
        "assessment": "good",
        "planning": "requires_improvement",
        "oversight": "good",
    }


def test_a_not_returned_row_has_no_grades(run, known):
    run(csv_text(not_returned_row()))
    evaluation = Evaluation.objects.get()
    assert evaluation.status == Evaluation.Status.NOT_RETURNED
    assert evaluation.overall_grade == ""
    assert evaluation.evaluation_date is None
    assert not evaluation.pillar_grades.exists()


def test_a_file_with_a_byte_order_mark_is_accepted(run, known):
    out, _ = run(csv_text(completed_row()), bom=True)
    assert out == "imported 1 evaluations (1 created, 0 updated)\n"


def test_columns_may_come_in_any_order_and_optional_ones_may_be_left_out(run, known):
    header = [name for name in reversed(COLUMNS) if name not in ("moderated_grade", "child_gender")]
    run(csv_text(completed_row(), header=header))
    assert Evaluation.objects.get().child_gender == ""


def test_blank_lines_at_the_end_of_the_file_are_ignored(run, known):
    text = csv_text(completed_row()) + "\n" + "," * (len(COLUMNS) - 1) + "\n"
    out, _ = run(text)
    assert out.startswith("imported 1 evaluations")


def test_service_area_and_team_names_match_whatever_the_letter_case(run, known):
    run(csv_text(completed_row(service_area="children in care", team="CIC TEAM 1")))
    assert Evaluation.objects.get().team == known["team"]


def test_the_evaluator_is_found_by_e_mail_address_whatever_the_letter_case(run, known):
    run(csv_text(completed_row(evaluator_email="Eve.Evaluator@Trust.Example")))
    assert Evaluation.objects.get().evaluator == known["evaluator"]


# --- Cycles --------------------------------------------------------------------------------


def test_a_cycle_is_made_for_a_new_quarter_and_type_and_closed_when_the_quarter_is_over(run, known):
    run(csv_text(completed_row(), completed_row(reference="PE-2024-0002", type="service")))
    cycles = {(cycle.quarter, cycle.type): cycle for cycle in Cycle.objects.all()}
    assert set(cycles) == {("2024-25-Q1", "trust_wide"), ("2024-25-Q1", "service")}
    for cycle in cycles.values():
        assert cycle.title == ""
        assert cycle.status == Cycle.Status.CLOSED
        assert cycle.closed_at is not None


def test_a_cycle_for_a_quarter_not_yet_over_is_made_open(run, known):
    today = dt.date.today()
    quarter = str(Quarter.containing(today))
    run(csv_text(completed_row(quarter=quarter, evaluation_date=today.isoformat())))
    assert Cycle.objects.get().status == Cycle.Status.OPEN


def test_an_existing_cycle_of_the_quarter_and_type_is_used_the_earliest_first(run, known):
    first = CycleFactory(quarter="2024-25-Q1", type=CycleType.TRUST_WIDE, title="April round")
    CycleFactory(quarter="2024-25-Q1", type=CycleType.TRUST_WIDE, title="June round")
    run(csv_text(completed_row()))
    assert Evaluation.objects.get().cycle == first
    assert Cycle.objects.count() == 2


# --- Re-importing --------------------------------------------------------------------------


def test_importing_the_same_reference_again_updates_it_and_never_duplicates_it(run, known):
    run(csv_text(completed_row()))
    out, _ = run(csv_text(completed_row(overall_grade="requires_improvement", grade_planning="inadequate")))
    assert out == "imported 1 evaluations (0 created, 1 updated)\n"
    evaluation = Evaluation.objects.get()
    assert evaluation.overall_grade == "requires_improvement"
    assert evaluation.version == 2
    assert evaluation.pillar_grades.get(pillar="planning").grade == "inadequate"
    assert PillarGrade.objects.count() == 4


def test_a_mix_of_new_and_known_references_counts_created_and_updated(run, known):
    run(csv_text(completed_row()))
    out, _ = run(csv_text(completed_row(), completed_row(reference="PE-2024-0002")))
    assert out == "imported 2 evaluations (1 created, 1 updated)\n"


def test_re_importing_an_unchanged_row_writes_no_new_history(run, known):
    run(csv_text(completed_row(moderated_grade="good")))
    evaluation = Evaluation.objects.get()
    before = (evaluation.history.count(), PillarGrade.history.count(), Moderation.history.count())
    run(csv_text(completed_row(moderated_grade="good")))
    after = (evaluation.history.count(), PillarGrade.history.count(), Moderation.history.count())
    assert after == before


def test_a_row_that_turns_not_returned_loses_its_grades_and_moderation(run, known):
    run(csv_text(completed_row(moderated_grade="good")))
    run(csv_text(not_returned_row()))
    evaluation = Evaluation.objects.get()
    assert evaluation.status == Evaluation.Status.NOT_RETURNED
    assert set(evaluation.pillar_grades.values_list("grade", flat=True)) == {""}
    assert not Moderation.objects.exists()


def test_re_importing_keeps_an_evaluation_in_its_round_of_the_quarter(run, known):
    CycleFactory(quarter="2024-25-Q1", type=CycleType.TRUST_WIDE, title="April round")
    june = CycleFactory(quarter="2024-25-Q1", type=CycleType.TRUST_WIDE, title="June round")
    existing = completed_evaluation(
        reference="PE-2024-0001", child_ref="1000001", cycle=june, team=known["team"], evaluator=known["evaluator"]
    )
    run(csv_text(completed_row()))
    existing.refresh_from_db()
    assert existing.cycle == june


@pytest.mark.parametrize(
    ("status", "label"), [(Evaluation.Status.ALLOCATED, "allocated"), (Evaluation.Status.IN_PROGRESS, "in progress")]
)
def test_a_reference_that_is_a_live_evaluation_in_pqa_is_refused_and_its_draft_is_untouched(
    rejected, known, status, label
):
    draft = EvaluationFactory(
        reference="PE-2024-0001",
        child_ref="1000001",
        status=status,
        strengths="The evaluator's draft",
        team=known["team"],
        evaluator=known["evaluator"],
    )
    text = csv_text(completed_row(), completed_row(reference="PE-2024-0002"))
    assert rejected(text) == [
        f"row 2, column reference: PE-2024-0001 is an evaluation in progress in PQA ({label}): an import may only "
        "update evaluations that were completed or not returned"
    ]
    draft.refresh_from_db()
    assert (draft.status, draft.child_ref, draft.strengths, draft.version) == (
        status,
        "1000001",
        "The evaluator's draft",
        1,
    )
    assert Evaluation.objects.count() == 1
    assert not PillarGrade.objects.exists()


def test_a_reference_that_is_another_childs_evaluation_in_pqa_is_refused(rejected, known):
    other = completed_evaluation(
        reference="PE-2024-0001", child_ref="2000002", team=known["team"], evaluator=known["evaluator"]
    )
    history = Evaluation.history.count()
    assert rejected(csv_text(completed_row(child_ref="1000001"))) == [
        "row 2, column child_ref: PE-2024-0001 is the evaluation of another child (case 2000002) in PQA: "
        "check the reference and the case id"
    ]
    other.refresh_from_db()
    assert (other.child_ref, other.version) == ("2000002", 1)
    assert Evaluation.history.count() == history


def test_an_evaluation_pqa_recorded_as_not_returned_may_be_completed_by_an_import(run, known):
    EvaluationFactory(
        reference="PE-2024-0001",
        child_ref="1000001",
        status=Evaluation.Status.NOT_RETURNED,
        team=known["team"],
        evaluator=known["evaluator"],
    )
    out, _ = run(csv_text(completed_row()))
    assert out == "imported 1 evaluations (0 created, 1 updated)\n"
    assert Evaluation.objects.get().status == Evaluation.Status.RETURNED


# --- Moderation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overall", "moderated", "outcome"),
    [
        ("good", "good", Moderation.Outcome.AGREED),
        ("good", "outstanding", Moderation.Outcome.UPGRADED),
        ("good", "requires_improvement", Moderation.Outcome.DOWNGRADED),
        ("inadequate", "requires_improvement", Moderation.Outcome.UPGRADED),
    ],
)
def test_the_moderation_outcome_is_derived_from_the_two_grades(run, known, overall, moderated, outcome):
    run(csv_text(completed_row(overall_grade=overall, moderated_grade=moderated)))
    moderation = Moderation.objects.get()
    assert moderation.moderated_grade == moderated
    assert moderation.outcome == outcome


def test_a_row_without_a_moderated_grade_has_no_moderation(run, known):
    run(csv_text(completed_row(moderated_grade="")))
    assert not Moderation.objects.exists()


def test_a_changed_overall_grade_re_derives_the_outcome(run, known):
    run(csv_text(completed_row(overall_grade="good", moderated_grade="good")))
    run(csv_text(completed_row(overall_grade="requires_improvement", moderated_grade="good")))
    assert Moderation.objects.get().outcome == Moderation.Outcome.UPGRADED


# --- History -------------------------------------------------------------------------------


def test_every_row_written_is_attributed_to_the_person_who_imported_it(run, known, practice_hub):
    run(csv_text(completed_row(moderated_grade="outstanding")), "--actor", practice_hub.email)
    evaluation = Evaluation.objects.get()
    assert [(item.history_type, item.history_user) for item in evaluation.history.all()] == [("+", practice_hub)]
    assert evaluation.allocated_by == practice_hub
    assert {item.history_user for item in PillarGrade.history.all()} == {practice_hub}
    assert PillarGrade.history.count() == 4
    assert [item.history_user for item in Moderation.history.all()] == [practice_hub]
    assert Cycle.history.get().history_user == practice_hub
    assert Cycle.objects.get().opened_by == practice_hub


def test_an_update_is_recorded_in_the_history_as_a_change(run, known, practice_hub):
    run(csv_text(completed_row()), "--actor", practice_hub.email)
    run(csv_text(completed_row(overall_grade="outstanding")), "--actor", practice_hub.email)
    latest = Evaluation.objects.get().history.first()
    assert latest.history_type == "~"
    assert latest.history_user == practice_hub
    assert latest.overall_grade == "outstanding"


def test_a_command_import_without_an_actor_names_the_command_the_file_and_the_server_account(
    run, known, monkeypatch, caplog
):
    monkeypatch.setattr("getpass.getuser", lambda: "ops-admin")
    caplog.set_level("INFO", logger="pqa.audit")
    run(csv_text(completed_row(moderated_grade="good")))
    run(csv_text(completed_row(overall_grade="outstanding", grade_planning="good", moderated_grade="good")))
    reason = "import_evaluations evaluations.csv by ops-admin"
    rows = [
        *Evaluation.history.all(),
        *PillarGrade.history.all(),
        *Moderation.history.all(),
        *Cycle.history.all(),
    ]
    assert {item.history_type for item in rows} == {"+", "~"}
    assert {(item.history_change_reason, item.history_user) for item in rows} == {(reason, None)}
    lines = [record.getMessage() for record in caplog.records if record.name == "pqa.audit"]
    # The audit log keeps its rule of no usernames: the server account only as a keyed hash.
    assert (
        lines
        == [
            f"import user=command what=evaluations rows=1 os_account={audit.account_hash('ops-admin')}",
        ]
        * 2
    )


def test_an_unknown_actor_is_a_clear_error(write_csv, known):
    with pytest.raises(CommandError, match="no account has this e-mail address"):
        call_command("import_evaluations", write_csv(csv_text(completed_row())), "--actor", "nobody@trust.example")


# --- Bad files: every problem, and nothing changes ------------------------------------------


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_evaluations", str(tmp_path / "nowhere.csv"))


def test_an_unknown_header_is_a_problem_on_row_1(rejected, known):
    header = [*COLUMNS, "child_name"]
    assert rejected(csv_text(completed_row(), header=header)) == [
        f"row 1, column child_name: unknown column; the columns are {', '.join(COLUMNS)}"
    ]


def test_a_missing_required_column_is_a_problem_on_row_1(rejected, known):
    header = [name for name in COLUMNS if name != "child_ref"]
    assert rejected(csv_text(completed_row(), header=header)) == [
        "row 1, column child_ref: this required column is missing from the header"
    ]


def test_a_missing_grade_column_is_a_problem_when_any_row_is_completed(rejected, known):
    header = [name for name in COLUMNS if name != "grade_planning"]
    assert rejected(csv_text(completed_row(), header=header)) == [
        "row 1, column grade_planning: this column is missing from the header; completed evaluations need it"
    ]


def test_a_missing_required_value_is_a_problem(rejected, known):
    assert rejected(csv_text(completed_row(child_ref=""))) == ["row 2, column child_ref: a value is required"]


def test_a_completed_row_needs_a_date_every_grade_and_every_answer(rejected, known):
    problems = rejected(csv_text(completed_row(evaluation_date="", grade_oversight="", positive_difference="")))
    assert problems == [
        "row 2, column evaluation_date: a value is required when the status is completed",
        "row 2, column grade_oversight: a value is required when the status is completed",
        "row 2, column positive_difference: a value is required when the status is completed",
    ]


def test_a_bad_grade_is_a_problem(rejected, known):
    assert rejected(csv_text(completed_row(overall_grade="Very good"))) == [
        "row 2, column overall_grade: 'Very good' is not a grade: use one of outstanding, good, "
        "requires_improvement, inadequate"
    ]


@pytest.mark.parametrize("name", ["Jo Bloggs", "Smith", "bloggs-jo"])
def test_a_childs_name_in_place_of_a_case_id_is_refused_and_nothing_is_imported(rejected, known, name):
    text = csv_text(completed_row(reference="PE-2024-0002"), completed_row(child_ref=name))
    assert rejected(text) == [
        f"row 3, column child_ref: '{name}' is not a case id: use the id from the case system (letters, digits "
        "and dashes with at least one digit, no spaces, at most 40 characters), never a name"
    ]
    assert not Evaluation.objects.exists()
    assert not Cycle.objects.exists()


def test_a_bad_moderated_grade_is_a_problem(rejected, known):
    assert rejected(csv_text(completed_row(moderated_grade="fine"))) == [
        "row 2, column moderated_grade: 'fine' is not a grade: use one of outstanding, good, "
        "requires_improvement, inadequate"
    ]


def test_a_bad_answer_is_a_problem(rejected, known):
    assert rejected(csv_text(completed_row(record_reflects_work="maybe"))) == [
        "row 2, column record_reflects_work: 'maybe' is not an answer: use one of yes, partly, no"
    ]


@pytest.mark.parametrize(
    ("date", "reason"),
    [
        ("2024-5-2", "'2024-5-2' is not a date: write it as DD/MM/YYYY or YYYY-MM-DD, e.g. 01/05/2025"),
        ("20240502", "'20240502' is not a date: write it as DD/MM/YYYY or YYYY-MM-DD, e.g. 01/05/2025"),
        ("tomorrow", "'tomorrow' is not a date: write it as DD/MM/YYYY or YYYY-MM-DD, e.g. 01/05/2025"),
        ("2024-02-30", "'2024-02-30' is not a date: February 2024 has no day 30"),
        ("30/02/2024", "'30/02/2024' is not a date: February 2024 has no day 30"),
        ("05/13/2024", "'05/13/2024' is not a date: there is no month 13 (dates are day first: DD/MM/YYYY)"),
        (
            "02/05/24",
            "'02/05/24' has a two-digit year: write the year in full, as DD/MM/YYYY or YYYY-MM-DD, e.g. 01/05/2025",
        ),
    ],
)
def test_a_bad_or_ambiguous_date_is_a_problem_never_a_guess(rejected, known, date, reason):
    assert rejected(csv_text(completed_row(evaluation_date=date))) == [f"row 2, column evaluation_date: {reason}"]


def test_a_date_in_the_future_is_a_problem(rejected, known):
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    assert rejected(csv_text(completed_row(evaluation_date=future))) == [
        f"row 2, column evaluation_date: {future} is in the future: the conversation must already have happened"
    ]


@pytest.mark.parametrize(
    ("quarter", "reason"),
    [
        ("2024-Q1", "'2024-Q1' is not a quarter: write it as YYYY-YY-QN, e.g. 2025-26-Q1"),
        ("2024-25-Q5", "'2024-25-Q5' is not a quarter: write it as YYYY-YY-QN, e.g. 2025-26-Q1"),
        ("2024-26-Q1", "'2024-26-Q1' is not a quarter: 2024 is followed by 25, not 26"),
    ],
)
def test_a_bad_quarter_is_a_problem(rejected, known, quarter, reason):
    assert rejected(csv_text(completed_row(quarter=quarter))) == [f"row 2, column quarter: {reason}"]


def test_a_bad_type_is_a_problem(rejected, known):
    assert rejected(csv_text(completed_row(type="audit"))) == [
        "row 2, column type: 'audit' is not a type: use one of trust_wide, service, thematic, revisit"
    ]


@pytest.mark.parametrize("status", ["in_progress", "Allocated", "done"])
def test_a_bad_status_is_a_problem(rejected, known, status):
    assert rejected(csv_text(completed_row(status=status))) == [
        f"row 2, column status: '{status}' is not a status: use one of completed, not_returned"
    ]


def test_a_grade_or_date_on_a_not_returned_row_is_a_problem(rejected, known):
    problems = rejected(
        csv_text(not_returned_row(evaluation_date="2024-05-02", overall_grade="good", moderated_grade="good"))
    )
    reason = "must be empty when the status is not_returned: it was never returned, so has no date, grades or answers"
    assert problems == [
        f"row 2, column evaluation_date: {reason}",
        f"row 2, column overall_grade: {reason}",
        f"row 2, column moderated_grade: {reason}",
    ]


def test_a_reference_twice_in_one_file_is_a_problem(rejected, known):
    text = csv_text(completed_row(), completed_row(reference="PE-2024-0002"), completed_row(child_ref="1000009"))
    assert rejected(text) == [
        "row 4, column reference: PE-2024-0001 is also on row 2: a reference may appear only once in a file"
    ]


# --- A reference is an id; a child is evaluated once in a cycle -----------------------------


REFERENCE_RULE = (
    "letters, digits, dashes, slashes, dots and underscores, starting with a letter or digit, with at least one "
    "digit, no spaces, at most 40 characters"
)


@pytest.mark.parametrize("name", ["Jo Bloggs", "Smith", "PE 2025 0001", "O'Brien-2"])
def test_a_reference_that_is_not_an_id_is_refused_and_nothing_is_imported(rejected, known, name):
    text = csv_text(completed_row(), completed_row(reference=name, child_ref="1000002"))
    assert rejected(text) == [
        f"row 3, column reference: '{name}' is not a reference: use the evaluation's id ({REFERENCE_RULE}), "
        "never a name"
    ]
    assert not Evaluation.objects.exists()
    assert not Cycle.objects.exists()


@pytest.mark.parametrize("reference", ["PE-2025-0001", "2019/20-017", "SPE_0042", "CIC.2021.3", "12345"])
def test_trusts_own_id_shapes_are_imported_as_references(run, known, reference):
    out, _ = run(csv_text(completed_row(reference=reference)))
    assert out == "imported 1 evaluations (1 created, 0 updated)\n"
    assert Evaluation.objects.get().reference == reference


def test_a_name_as_reference_on_the_web_is_refused_and_nothing_is_imported(client_for, practice_hub, known):
    text = csv_text(completed_row(), completed_row(reference="Jo Bloggs", child_ref="1000002"))
    response = client_for(practice_hub).post(reverse("evaluations:import"), {"file": upload(text)}, follow=True)
    content = response.content.decode()
    assert "The file has 1 problem: nothing was imported" in content
    assert "row 3, column reference: &#x27;Jo Bloggs&#x27; is not a reference" in content
    assert not Evaluation.objects.exists()


def test_a_child_on_two_rows_of_one_cycle_is_refused_and_nothing_is_imported(rejected, known):
    text = csv_text(
        completed_row(),
        completed_row(reference="PE-2024-0002"),
        completed_row(reference="PE-2024-0003", child_ref="c-77"),
        completed_row(reference="PE-2024-0004", child_ref="1000001"),
        completed_row(reference="PE-2024-0005", child_ref="C-77"),
    )
    assert rejected(text) == [
        "row 5, column child_ref: case 1000001 is also on row 2 in the same cycle (quarter 2024-25-Q1, type "
        "trust_wide)",
        "row 6, column child_ref: case C-77 is also on row 4 in the same cycle (quarter 2024-25-Q1, type trust_wide)",
    ]
    assert not Evaluation.objects.exists()
    assert not Cycle.objects.exists()


def test_a_child_in_other_quarters_or_types_is_imported(run, known):
    text = csv_text(
        completed_row(),
        completed_row(reference="PE-2024-0002", child_ref="1000001", type="service"),
        completed_row(
            reference="PE-2024-0003", child_ref="1000001", quarter="2024-25-Q2", evaluation_date="2024-08-01"
        ),
    )
    out, _ = run(text)
    assert out == "imported 3 evaluations (3 created, 0 updated)\n"
    assert Cycle.objects.count() == 3


def test_a_child_already_in_the_cycle_in_pqa_is_refused_and_pqa_is_unchanged(run, rejected, known):
    run(csv_text(completed_row()))
    before = (Evaluation.history.count(), PillarGrade.history.count(), Cycle.objects.count())
    text = csv_text(
        completed_row(reference="PE-2024-0002"), completed_row(reference="PE-2024-0009", child_ref="1000001")
    )
    assert rejected(text) == [
        "row 3, column child_ref: case 1000001 is already in the same cycle (quarter 2024-25-Q1, type trust_wide) "
        "in PQA, as PE-2024-0001: a child is evaluated once in a cycle"
    ]
    assert list(Evaluation.objects.values_list("reference", flat=True)) == ["PE-2024-0001"]
    assert (Evaluation.history.count(), PillarGrade.history.count(), Cycle.objects.count()) == before


def test_a_child_allocated_in_pqa_is_refused_whatever_the_letter_case(rejected, known):
    cycle = CycleFactory(quarter="2024-25-Q1", type=CycleType.TRUST_WIDE)
    allocated = EvaluationFactory(cycle=cycle, child_ref="child-7", team=known["team"], evaluator=known["evaluator"])
    assert rejected(csv_text(completed_row(child_ref="CHILD-7"))) == [
        "row 2, column child_ref: case CHILD-7 is already in the same cycle (quarter 2024-25-Q1, type trust_wide) "
        f"in PQA, as {allocated.reference}: a child is evaluated once in a cycle"
    ]
    assert Evaluation.objects.get() == allocated


def test_a_file_that_moves_a_child_to_another_cycle_may_put_another_evaluation_in_its_place(run, known):
    run(csv_text(completed_row()))
    text = csv_text(completed_row(type="service"), completed_row(reference="PE-2024-0002", child_ref="1000001"))
    out, _ = run(text)
    assert out == "imported 2 evaluations (1 created, 1 updated)\n"
    assert dict(Evaluation.objects.values_list("reference", "cycle__type")) == {
        "PE-2024-0001": "service",
        "PE-2024-0002": "trust_wide",
    }


def test_a_file_may_swap_the_cycles_of_two_evaluations_of_one_child(run, known):
    run(csv_text(completed_row(), completed_row(reference="PE-2024-0002", child_ref="1000001", type="service")))
    text = csv_text(
        completed_row(type="service"), completed_row(reference="PE-2024-0002", child_ref="1000001", type="trust_wide")
    )
    out, _ = run(text)
    assert out == "imported 2 evaluations (0 created, 2 updated)\n"
    assert dict(Evaluation.objects.values_list("reference", "cycle__type")) == {
        "PE-2024-0001": "service",
        "PE-2024-0002": "trust_wide",
    }
    assert set(Evaluation.objects.values_list("child_ref", flat=True)) == {"1000001"}
    assert {item.child_ref for item in Evaluation.history.all()} == {"1000001"}


def test_a_child_in_two_rounds_of_a_quarter_is_re_imported_in_each(run, known):
    april = CycleFactory(quarter="2024-25-Q1", type=CycleType.TRUST_WIDE, title="April round")
    june = CycleFactory(quarter="2024-25-Q1", type=CycleType.TRUST_WIDE, title="June round")
    for reference, cycle in (("PE-2024-0001", april), ("PE-2024-0002", june)):
        completed_evaluation(
            reference=reference, child_ref="1000001", cycle=cycle, team=known["team"], evaluator=known["evaluator"]
        )
    out, _ = run(csv_text(completed_row(), completed_row(reference="PE-2024-0002", child_ref="1000001")))
    assert out == "imported 2 evaluations (0 created, 2 updated)\n"
    assert dict(Evaluation.objects.values_list("reference", "cycle")) == {
        "PE-2024-0001": april.pk,
        "PE-2024-0002": june.pk,
    }


def test_importing_the_same_file_twice_updates_every_row_and_creates_none(run, known):
    text = (DATA / "evaluations.csv").read_text()
    assert run(text)[0] == "imported 4 evaluations (4 created, 0 updated)\n"
    assert run(text)[0] == "imported 4 evaluations (0 created, 4 updated)\n"
    assert Evaluation.objects.count() == 4


def test_a_value_beyond_the_header_is_a_problem(rejected, known):
    text = csv_text(completed_row()).rstrip("\n") + ",surplus\n"
    assert rejected(text) == [
        f"row 2, column {len(COLUMNS) + 1}: a value beyond the last column of the header ({len(COLUMNS)})"
    ]


def test_a_file_that_is_not_text_is_a_problem_at_its_row(tmp_path, known):
    path = tmp_path / "garbled.csv"
    path.write_bytes(csv_text(completed_row()).encode() + b"PE-\x81\x8d\xff,2024-25-Q1\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_evaluations", str(path), stderr=err)
    assert err.getvalue() == (
        "row 3: the file is not text that PQA can read: save it from your spreadsheet as 'CSV UTF-8' or as an "
        "Excel workbook (.xlsx)\n"
    )


def test_an_empty_file_is_a_problem(rejected, db):
    assert rejected("") == [
        "row 1: the file is empty: the first row must be the header (reference, quarter, type, ...)"
    ]


def test_a_header_alone_is_a_problem(rejected, db):
    assert rejected(csv_text()) == ["row 2: there are no evaluations in the file, only the header"]


def test_every_problem_in_the_file_is_listed_in_row_order(rejected, known):
    text = csv_text(
        completed_row(),
        completed_row(reference="PE-2024-0002", overall_grade="great"),
        completed_row(reference="PE-2024-0003"),
        completed_row(reference="PE-2024-0004", quarter="Q1", type="audit"),
    )
    assert rejected(text) == [
        "row 3, column overall_grade: 'great' is not a grade: use one of outstanding, good, requires_improvement, "
        "inadequate",
        "row 5, column quarter: 'Q1' is not a quarter: write it as YYYY-YY-QN, e.g. 2025-26-Q1",
        "row 5, column type: 'audit' is not a type: use one of trust_wide, service, thematic, revisit",
    ]


def test_one_bad_row_among_many_rejects_the_whole_file(rejected, known):
    rows = [completed_row(reference=f"PE-2024-{n:04d}") for n in range(1, 60)]
    rows[41]["grade_assessment"] = "poor"
    problems = rejected(csv_text(*rows))
    assert problems == [
        "row 43, column grade_assessment: 'poor' is not a grade: use one of outstanding, good, "
        "requires_improvement, inadequate"
    ]
    assert not Evaluation.objects.exists()
    assert not Cycle.objects.exists()
    assert not PillarGrade.objects.exists()


def test_a_bad_file_leaves_an_earlier_import_exactly_as_it_was(run, write_csv, known):
    run(csv_text(completed_row()))
    with pytest.raises(CommandError):
        call_command(
            "import_evaluations",
            write_csv(csv_text(completed_row(overall_grade="inadequate"), completed_row(reference="X", type="?"))),
            stderr=io.StringIO(),
        )
    assert Evaluation.objects.get().overall_grade == "good"
    assert Evaluation.objects.count() == 1


# --- Unknown service areas, teams and evaluators -------------------------------------------


def test_an_unknown_service_area_is_a_problem_without_create_missing(rejected, known):
    assert rejected(csv_text(completed_row(service_area="Early Help", team="EH Team 1"))) == [
        "row 2, column service_area: 'Early Help' is not a service area (import with 'create missing' to add it)"
    ]
    assert not ServiceArea.objects.filter(name="Early Help").exists()


def test_an_unknown_team_is_a_problem_without_create_missing(rejected, known):
    assert rejected(csv_text(completed_row(team="CiC Team 9"))) == [
        "row 2, column team: 'CiC Team 9' is not a team in Children in Care (import with 'create missing' to add it)"
    ]


def test_a_team_of_another_service_area_is_not_found(rejected, known, other_team):
    assert rejected(csv_text(completed_row(team="CP Team 1"))) == [
        "row 2, column team: 'CP Team 1' is not a team in Children in Care (import with 'create missing' to add it)"
    ]


def test_an_unknown_evaluator_is_a_problem_without_create_missing(rejected, known):
    assert rejected(csv_text(completed_row(evaluator_email="new.person@trust.example"))) == [
        "row 2, column evaluator_email: no account has the e-mail address new.person@trust.example "
        "(import with 'create missing' to add it)"
    ]
    assert not User.objects.filter(email="new.person@trust.example").exists()


def test_a_malformed_e_mail_address_is_a_problem(rejected, known):
    assert rejected(csv_text(completed_row(evaluator_email="eve at trust"))) == [
        "row 2, column evaluator_email: 'eve at trust' is not an e-mail address"
    ]


def test_create_missing_creates_service_areas_teams_and_evaluators_once(run, practice_hub):
    rows = [
        completed_row(service_area="Early Help", team="EH Team 1", evaluator_email="new.person@trust.example"),
        completed_row(
            reference="PE-2024-0002",
            service_area="early help",
            team="eh team 1",
            evaluator_email="New.Person@trust.example",
        ),
        completed_row(reference="PE-2024-0003", service_area="Early Help", team="EH Team 2"),
    ]
    out, _ = run(csv_text(*rows), "--create-missing", "--actor", practice_hub.email)
    assert out == "imported 3 evaluations (3 created, 0 updated)\n"
    area = ServiceArea.objects.get(name="Early Help")
    assert set(Team.objects.filter(service_area=area).values_list("name", flat=True)) == {"EH Team 1", "EH Team 2"}
    assert area.history.get().history_user == practice_hub
    assert User.objects.filter(email__iexact="new.person@trust.example").count() == 1


def test_an_evaluator_created_by_the_import_cannot_sign_in_until_activated(run, client, known):
    run(csv_text(completed_row(evaluator_email="new.person@trust.example")), "--create-missing")
    person = User.objects.get(email="new.person@trust.example")
    assert person.is_active is False
    assert person.has_usable_password() is False
    assert person.role == Role.EVALUATOR
    assert Evaluation.objects.get().evaluator == person
    assert client.login(username="new.person@trust.example", password="") is False


def test_create_missing_does_not_excuse_other_problems(rejected, known):
    problems = rejected(
        csv_text(completed_row(service_area="Early Help", overall_grade="brilliant")), "--create-missing"
    )
    assert problems == [
        "row 2, column overall_grade: 'brilliant' is not a grade: use one of outstanding, good, requires_improvement, "
        "inadequate"
    ]
    assert not ServiceArea.objects.filter(name="Early Help").exists()


# --- Dry run -------------------------------------------------------------------------------


def test_a_dry_run_says_what_would_happen_and_changes_nothing(run, known):
    run(csv_text(completed_row()))
    before = (Evaluation.history.count(), PillarGrade.history.count(), Cycle.objects.count())
    text = csv_text(
        completed_row(overall_grade="outstanding"),
        completed_row(reference="PE-2024-0002", team="CiC Team 7", evaluator_email="new.person@trust.example"),
    )
    out, _ = run(text, "--dry-run", "--create-missing")
    assert out.splitlines() == [
        "would import 2 evaluations (1 created, 1 updated); nothing was changed (dry run)",
        "would create new teams (1): CiC Team 7 (Children in Care)",
        "would create new evaluator accounts (inactive until an administrator activates them) (1): "
        "new.person@trust.example",
    ]
    assert Evaluation.objects.get().overall_grade == "good"
    assert (Evaluation.history.count(), PillarGrade.history.count(), Cycle.objects.count()) == before
    assert not Team.objects.filter(name="CiC Team 7").exists()
    assert not User.objects.filter(email="new.person@trust.example").exists()


def test_a_dry_run_of_a_bad_file_lists_the_problems(rejected, known):
    assert rejected(csv_text(completed_row(type="audit")), "--dry-run") == [
        "row 2, column type: 'audit' is not a type: use one of trust_wide, service, thematic, revisit"
    ]


# --- Speed ---------------------------------------------------------------------------------


def test_checking_a_file_takes_the_same_few_queries_however_long_it_is(known):
    def check(count: int) -> int:
        text = csv_text(*[completed_row(reference=f"PE-{count}-{n:04d}") for n in range(count)])
        with CaptureQueriesContext(connection) as queries:
            result = evaluations_import(file=text.encode(), dry_run=True)
        assert result.ok and result.created == count
        return len(queries)

    assert check(5) == check(200)


def test_writing_a_file_takes_queries_per_batch_not_per_row(known):
    def write(prefix: str, count: int) -> int:
        text = csv_text(*[completed_row(reference=f"{prefix}-{n:04d}") for n in range(count)])
        with CaptureQueriesContext(connection) as queries:
            result = evaluations_import(file=text.encode())
        assert result.ok
        return len(queries)

    write("WARM", 1)  # the first import also opens the cycle
    # A row and its four pillar grades, each with a history row, would be ten queries a row.
    assert write("A", 10) < 20
    assert write("B", 200) < 60


# --- The web import ------------------------------------------------------------------------


def upload(text: str, name: str = "evaluations.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_the_practice_hub_sees_the_import_page_with_the_columns(client_for, practice_hub):
    response = client_for(practice_hub).get(reverse("evaluations:import"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Import evaluations" in content
    assert "Create missing service areas, teams and evaluators" in content
    assert "Check the file only" in content
    assert 'type="file"' in content
    for column in ("reference", "evaluator_email", "grade_childs_voice", "moderated_grade"):
        assert column in content


def test_the_practice_hub_can_import_a_file(client_for, practice_hub, known):
    client = client_for(practice_hub)
    response = client.post(reverse("evaluations:import"), {"file": upload(csv_text(completed_row()))}, follow=True)
    assert response.status_code == 200
    assert "Imported 1 evaluations (1 created, 0 updated)." in response.content.decode()
    evaluation = Evaluation.objects.get()
    assert evaluation.history.get().history_user == practice_hub


def test_a_bad_file_on_the_web_lists_every_problem_and_changes_nothing(client_for, practice_hub, known):
    text = csv_text(completed_row(overall_grade="great"), completed_row(reference="PE-2024-0002", team="Nowhere"))
    response = client_for(practice_hub).post(reverse("evaluations:import"), {"file": upload(text)}, follow=True)
    assert response.status_code == 200
    content = response.content.decode()
    assert "govuk-error-summary" in content
    assert "The file has 2 problems: nothing was imported" in content
    assert "row 2, column overall_grade: &#x27;great&#x27; is not a grade" in content
    assert "row 3, column team: &#x27;Nowhere&#x27; is not a team in Children in Care" in content
    assert not Evaluation.objects.exists()


def test_a_childs_name_on_the_web_is_refused_and_nothing_is_imported(client_for, practice_hub, known):
    text = csv_text(completed_row(), completed_row(reference="PE-2024-0002", child_ref="Jo Bloggs"))
    response = client_for(practice_hub).post(reverse("evaluations:import"), {"file": upload(text)}, follow=True)
    content = response.content.decode()
    assert "The file has 1 problem: nothing was imported" in content
    assert "row 3, column child_ref: &#x27;Jo Bloggs&#x27; is not a case id" in content
    assert not Evaluation.objects.exists()


def test_a_web_import_names_the_file_in_the_history(client_for, practice_hub, known):
    client_for(practice_hub).post(reverse("evaluations:import"), {"file": upload(csv_text(completed_row()), "q1.csv")})
    latest = Evaluation.objects.get().history.get()
    assert (latest.history_user, latest.history_change_reason) == (practice_hub, "web import q1.csv")
    assert {item.history_change_reason for item in PillarGrade.history.all()} == {"web import q1.csv"}


def test_checking_a_file_on_the_web_changes_nothing(client_for, practice_hub, known):
    response = client_for(practice_hub).post(
        reverse("evaluations:import"), {"file": upload(csv_text(completed_row())), "check_only": "on"}, follow=True
    )
    content = response.content.decode()
    assert "The file has no problems. It would import 1 evaluation (1 created, 0 updated)." in content
    assert not Evaluation.objects.exists()


def test_create_missing_on_the_web_creates_the_team(client_for, practice_hub, known):
    response = client_for(practice_hub).post(
        reverse("evaluations:import"),
        {"file": upload(csv_text(completed_row(team="CiC Team 5"))), "create_missing": "on"},
        follow=True,
    )
    assert "Imported 1 evaluations (1 created, 0 updated)." in response.content.decode()
    assert Team.objects.filter(name="CiC Team 5").exists()


def test_the_web_import_asks_for_a_file(client_for, practice_hub):
    response = client_for(practice_hub).post(reverse("evaluations:import"), {})
    assert response.status_code == 200
    assert "Choose a CSV file" in response.content.decode()


def test_the_web_import_refuses_a_file_that_is_not_csv_or_a_workbook(client_for, practice_hub):
    response = client_for(practice_hub).post(reverse("evaluations:import"), {"file": upload("x", name="notes.pdf")})
    assert "The selected file must be a CSV file or an Excel workbook (.xlsx)" in response.content.decode()


def test_the_web_import_lists_a_workbook_it_cannot_read_as_a_problem(client_for, practice_hub):
    response = client_for(practice_hub).post(
        reverse("evaluations:import"), {"file": upload("x", name="notes.xlsx")}, follow=True
    )
    content = response.content.decode()
    assert "The file has 1 problem: nothing was imported" in content
    assert "row 1: the file is named .xlsx but is not an Excel workbook" in content


@pytest.mark.parametrize("role", [Role.EVALUATOR, Role.MODERATOR, Role.LEADER, Role.TEAM_MANAGER])
def test_anyone_but_the_practice_hub_gets_not_found(client_for, make_user, known, role):
    client = client_for(make_user(role))
    assert client.get(reverse("evaluations:import")).status_code == 404
    assert client.post(reverse("evaluations:import"), {"file": upload(csv_text(completed_row()))}).status_code == 404
    assert not Evaluation.objects.exists()


def test_an_evaluator_gets_not_found(client_for, evaluator):
    assert client_for(evaluator).get(reverse("evaluations:import")).status_code == 404


def test_an_administrator_may_import(client_for, db):
    admin = UserFactory(role=Role.ADMINISTRATOR)
    assert client_for(admin).get(reverse("evaluations:import")).status_code == 200
