"""The quarterly PQA report: its figures counted from the records (checked against figures
worked out by hand for a small quarter), sections only where there is data, every share
written by one rule in the web page and the PDF, the workbook's sheets, the command, and no
free text that could name a child in any format."""

import datetime as dt
import io
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from evaluations.models import Cycle, Evaluation, Grade, PillarGrade
from pqa.kpis.models import Indicator
from pqa.kpis.services import indicator_value_record
from pqa.quarters import Quarter
from pqa.reporting.report import FIGURES_SHEET, Extract, Narrative, build_report, render, shareable_extracts
from pqa.reporting.services import report_save_narrative
from pqa.reporting.shares import percent_of, percent_text
from tests.factories import CycleFactory, EvaluationFactory, completed_evaluation
from tests.reporting.builders import SUMMARY, TELL_ME, UNCONSENTED, complaint, compliment, referral, response

Q1 = Quarter.parse("2025-26-Q1")
DAY = dt.date(2025, 5, 6)
GRADES = ("outstanding", "good", "requires_improvement", "inadequate")
PILLARS = ("childs_voice", "assessment", "planning", "oversight")
CONSENTED_COMPLIMENT = "The social worker always called back when she said she would"
CONSENTED_QUOTE = "They listened to me and my mum"


@pytest.fixture
def quarter_data(team, other_team):
    """A small quarter: 3 Good and 1 Inadequate returned and 1 not returned; 2 complaints (one
    from a child, answered on time and upheld); 2 compliments (one to share); 3 responses
    (2 of 3 felt listened to); 2 advocacy referrals (1 from social work); one KPI value."""
    cycle = CycleFactory(quarter=str(Q1), status=Cycle.Status.CLOSED)
    for grade in (Grade.GOOD, Grade.GOOD, Grade.GOOD, Grade.INADEQUATE):
        evaluation = completed_evaluation(cycle=cycle, team=team, grade=grade)
    PillarGrade.objects.filter(evaluation=evaluation).update(tell_me=TELL_ME)
    EvaluationFactory(cycle=cycle, team=team, status=Evaluation.Status.NOT_RETURNED)
    complaint("C-1", team=team, received=DAY, complainant="child", respond=(DAY + dt.timedelta(days=7), "upheld"))
    complaint("C-2", team=other_team, received=DAY, summary=SUMMARY)
    compliment("K-1", team=team, received=DAY, extract=CONSENTED_COMPLIMENT, may_share=True)
    compliment("K-2", team=team, received=DAY, extract=UNCONSENTED, may_share=False)
    response("R-1", team=team, date=DAY, listened_to="yes", comment=CONSENTED_QUOTE, may_quote=True)
    response("R-2", team=team, date=DAY, listened_to="yes", comment=UNCONSENTED, may_quote=False)
    response("R-3", team=team, date=DAY, listened_to="no")
    referral("A-1", team=team, date=DAY, source="social_work_team")
    referral("A-2", team=team, date=DAY, source="iro")
    indicator_value_record(
        indicator=Indicator.objects.get(code="KPI01"),
        month=dt.date(2025, 6, 1),
        values={"numerator": Decimal(423), "denominator": Decimal(500), "commentary": ""},
        actor=None,
    )


EXPECTED = {
    "pe.allocated": 5,
    "pe.completed": 4,
    "pe.return_rate": 0.8,
    **{
        f"pe.overall.{which}.{grade}": {"good": 3, "inadequate": 1}.get(grade, 0)
        for which in ("evaluator", "final")
        for grade in GRADES
    },
    **{
        f"pe.pillar.{pillar}.{grade}": {"good": 3, "inadequate": 1}.get(grade, 0)
        for pillar in PILLARS
        for grade in GRADES
    },
    # completed_evaluation answers yes, yes, partly.
    "pe.intervention_appropriate.yes_share": 1.0,
    "pe.positive_difference.yes_share": 1.0,
    "pe.record_reflects_work.yes_share": 0.0,
    "pe.moderation.moderated": 0,
    "pe.moderation.agreed": 0,
    "pe.moderation.agreement_rate": None,
    "complaints.received": 2,
    "complaints.from_children_share": 0.5,
    "complaints.stage1.responded": 1,
    "complaints.stage1.timeliness": 1.0,
    "complaints.stage2.responded": 0,
    "complaints.stage2.timeliness": None,
    "complaints.stage3.responded": 0,
    "complaints.stage3.timeliness": None,
    "complaints.stage2.uphold_rate": None,
    "complaints.ombudsman.referred": 0,
    "compliments.received": 2,
    "responses.received": 3,
    "responses.listened_to.yes_share": 2 / 3,
    "responses.understood_why.yes_share": None,
    "responses.involved_in_decisions.yes_share": None,
    "responses.knows_next.yes_share": None,
    "responses.things_better.yes_share": None,
    "advocacy.referrals": 2,
    "advocacy.from_social_work_share": 0.5,
    "kpi.KPI01.value": 84.6,
    "kpi.KPI01.status": "within_tolerance",
    "kpi.KPI02.value": None,
    "kpi.KPI02.status": None,
}


def test_the_figures_hold_every_contract_key_counted_from_the_records(quarter_data):
    figures = build_report(Q1).figures
    for key, value in EXPECTED.items():
        assert key in figures, key
        assert figures[key] == (pytest.approx(value) if isinstance(value, float) else value), key
    for code in Indicator.objects.values_list("code", flat=True):
        assert f"kpi.{code}.value" in figures and f"kpi.{code}.status" in figures


def test_the_report_has_every_section_with_data_in_the_contracts_order(quarter_data):
    report = build_report(Q1)
    assert [section.id for section in report.sections] == [
        "practice-evaluation",
        "complaints",
        "compliments",
        "children-and-families",
        "kpis",
    ]


def test_a_quarter_without_records_has_no_section_and_no_figure(db):
    report = build_report(Q1)
    assert report.sections == []
    assert report.figures == {}
    assert "There are no practice evaluations, feedback or KPI values" in render(report, "html").decode()


def test_a_section_without_data_is_left_out_with_its_keys(team):
    complaint("C-ONLY", team=team, received=DAY)
    report = build_report(Q1)
    assert [section.id for section in report.sections] == ["complaints"]
    assert report.figures["complaints.received"] == 1
    assert not [key for key in report.figures if key.startswith(("pe.", "compliments.", "responses.", "kpi."))]


def test_moderation_and_recommendations_appear_when_the_quarter_has_them(quarter_data):
    from evaluations.models import Moderation, Recommendation

    evaluation = Evaluation.objects.filter(status=Evaluation.Status.RETURNED).first()
    Moderation.objects.create(
        evaluation=evaluation,
        moderated_grade=Grade.GOOD,
        outcome=Moderation.Outcome.AGREED,
        state=Moderation.State.CONFIRMED,
    )
    Recommendation.objects.create(evaluation=evaluation, action="Update the plan")
    report = build_report(Q1)
    ids = [section.id for section in report.sections]
    assert ids[:3] == ["practice-evaluation", "moderation", "recommendations"]
    assert report.figures["pe.moderation.moderated"] == 1
    assert report.figures["pe.moderation.agreement_rate"] == 1.0
    assert report.figures["recommendations.raised"] == 1


@pytest.mark.parametrize(
    ("share", "text"),
    [
        (0.855, "85.5%"),
        (Fraction(171, 200), "85.5%"),
        (0.0005, "0.1%"),
        (0.00049, "0.0%"),
        (0.12345, "12.3%"),
        (2 / 3, "66.7%"),
        (0.9995, "100.0%"),
        (1, "100.0%"),
        (0, "0.0%"),
        (None, "–"),
    ],
)
def test_a_share_is_written_with_one_decimal_rounded_half_up(share, text):
    assert percent_text(share) == text


def test_a_table_percentage_is_rounded_half_up_from_the_exact_counts():
    assert percent_of(171, 200) == 85.5
    assert percent_of(1, 2000) == 0.1
    assert percent_of(1, 0) is None


def _poppler(tool: str, *args: str, content: bytes) -> str:
    """Run a poppler-utils tool (installed with the project) on a PDF given on stdin."""
    path = shutil.which(tool)
    assert path, f"{tool} (poppler-utils) is not installed"
    return subprocess.run([path, *args], input=content, capture_output=True, check=True).stdout.decode()  # noqa: S603 - fixed arguments


def _pdf_text(content: bytes) -> str:
    return _poppler("pdftotext", "-layout", "-", "-", content=content)


def test_the_web_page_and_the_pdf_state_the_same_percentages(quarter_data, tmp_path):
    report = build_report(Q1)
    html = render(report, "html").decode()
    pdf = render(report, "pdf")
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    shares = {key: value for key, value in report.figures.items() if key.endswith(("_rate", "_share", "timeliness"))}
    for key, value in shares.items():
        if value is not None:
            assert percent_text(value) in html, key
            assert percent_text(value) in text, key
    for written in ("80.0%", "66.7%", "50.0%", "75.0%", "25.0%"):  # return rate, listened to, shares of grades
        assert written in html and written in text
    info = _poppler("pdfinfo", "-", content=pdf)
    assert "Tagged:          yes" in info
    assert "Practice quality assurance report, Q1 2025/26" in info


def test_the_web_page_is_an_accessible_document(quarter_data):
    html = render(build_report(Q1), "html").decode()
    assert '<html lang="en-GB">' in html
    assert "<h1>" in html and "<caption>" in html
    assert '<th scope="col"' in html and '<th scope="row">' in html
    assert 'role="img"' in html and "<title id=" in html
    assert "@page" in html and "A4" in html


def test_the_workbook_has_the_figures_sheet_and_one_sheet_per_table(quarter_data):
    report = build_report(Q1)
    book = load_workbook(io.BytesIO(render(report, "xlsx")))
    assert FIGURES_SHEET in book.sheetnames
    sheet = book[FIGURES_SHEET]
    assert [cell.value for cell in sheet[1]] == ["key", "value"]
    rows = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == set(report.figures)
    assert rows["pe.return_rate"] == pytest.approx(0.8)
    assert rows["pe.completed"] == 4 and isinstance(rows["pe.completed"], int)
    assert rows["responses.listened_to.yes_share"] == pytest.approx(2 / 3)
    assert rows["complaints.stage2.uphold_rate"] is None
    assert rows["kpi.KPI01.status"] == "within_tolerance"
    assert len(book.sheetnames) == len(report.tables) + 1
    assert len({name.lower() for name in book.sheetnames}) == len(book.sheetnames)
    overall = book[book.sheetnames[2]]  # after the key figures: the overall grades
    assert [cell.value for cell in overall[1]][:3] == ["Grade", "Returned", "Outstanding"]
    assert [cell.value for cell in overall[2]][:6] == ["Evaluator’s grade", 4, 0, 0.0, 3, 75.0]


def test_the_report_never_holds_text_that_could_name_a_child(quarter_data):
    forged = Extract(key=f"response:{9999}", kind="response", text=UNCONSENTED)
    chosen = [*shareable_extracts(Q1), forged]
    report = build_report(Q1, narrative=Narrative(strengths="Steady returns.", extracts=chosen))
    html = render(report, "html").decode()
    text = _pdf_text(render(report, "pdf"))
    book = load_workbook(io.BytesIO(render(report, "xlsx")))
    cells = " ".join(
        str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for value in row if value
    )
    for content in (html, text, cells):
        assert "Zebedee" not in content
        assert "Quartermain" not in content
    assert CONSENTED_QUOTE in html and CONSENTED_COMPLIMENT in html
    assert "Steady returns." in html


def test_shareable_extracts_offer_only_consented_ones_of_the_quarter(quarter_data, team):
    compliment("K-OTHER-QUARTER", team=team, received=dt.date(2025, 7, 2), extract="Later", may_share=True)
    compliment("K-EMPTY", team=team, received=DAY, extract="", may_share=True)
    response("R-NO-COMMENT", team=team, date=DAY, may_quote=True)
    extracts = shareable_extracts(Q1)
    assert sorted(extract.text for extract in extracts) == sorted([CONSENTED_COMPLIMENT, CONSENTED_QUOTE])
    assert {extract.kind for extract in extracts} == {"compliment", "response"}
    assert all(extract.key.split(":")[0] == extract.kind for extract in extracts)


def test_progress_is_reported_as_the_report_is_built_and_rendered(quarter_data):
    calls = []
    report = build_report(Q1, progress=lambda done, total: calls.append((done, total)))
    render(report, "html")
    render(report, "xlsx")
    render(report, "html")
    dones = [done for done, _ in calls]
    assert dones == sorted(dones) and len(calls) >= 5
    assert calls[-1][0] == calls[-1][1]


def test_the_command_writes_the_report(quarter_data, tmp_path):
    out = io.StringIO()
    path = tmp_path / "report.xlsx"
    call_command("pqa_report", "--quarter", "2025-26-Q1", "--format", "xlsx", "--output", str(path), stdout=out)
    assert out.getvalue().strip() == f"wrote {path}"
    assert load_workbook(path)[FIGURES_SHEET]["A1"].value == "key"
    html = tmp_path / "report.html"
    call_command("pqa_report", "--quarter", "2025-26-Q1", "--format", "html", "--output", str(html), stdout=out)
    assert "Quarterly PQA report" in html.read_text()


def test_the_command_writes_the_narrative_the_practice_hub_saved_as_the_web_page_does(
    quarter_data, practice_hub, tmp_path
):
    report_save_narrative(
        quarter=Q1,
        narrative={"strengths": "Visits are purposeful and recorded the same week."},
        expected_version=0,
        actor=practice_hub,
    )
    html = tmp_path / "report.html"
    out = io.StringIO()
    call_command("pqa_report", "--quarter", "2025-26-Q1", "--format", "html", "--output", str(html), stdout=out)
    assert "Visits are purposeful and recorded the same week." in html.read_text()


@pytest.mark.parametrize(
    ("quarter", "fmt", "message"),
    [
        ("2025-Q1", "html", "'2025-Q1' is not a quarter"),
        ("2025-27-Q1", "html", "is not a quarter"),
        ("2025-26-Q1", "docx", "'docx' is not a format: use one of html, pdf, xlsx"),
    ],
)
def test_the_command_refuses_a_malformed_quarter_or_format(db, tmp_path, quarter, fmt, message):
    path = tmp_path / "report.out"
    with pytest.raises(CommandError, match=message):
        call_command("pqa_report", "--quarter", quarter, "--format", fmt, "--output", str(path))
    assert not path.exists()


def test_the_command_exits_non_zero_on_a_bad_quarter(db, tmp_path):
    result = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [
            sys.executable,
            "manage.py",
            "pqa_report",
            "--quarter",
            "nonsense",
            "--format",
            "html",
            "--output",
            str(tmp_path / "r.html"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
    )
    assert result.returncode != 0
    assert "'nonsense' is not a quarter" in result.stderr


def test_the_practice_hubs_narrative_is_written_as_text_not_markup(quarter_data):
    narrative = Narrative(actions='<script>alert("x")</script>Visit every team', children_and_families="Felt heard")
    html = render(build_report(Q1, narrative=narrative), "html").decode()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html and "Visit every team" in html
    assert "What children and families told us" in html and "Felt heard" in html


def _queries_to_build(count, team, other_team, day):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.reporting.builders import make_feedback

    cycle = CycleFactory(quarter=str(Q1), status=Cycle.Status.CLOSED)
    for number in range(count):
        completed_evaluation(cycle=cycle, team=team if number % 2 else other_team)
    make_feedback(count, team, other_team, day=day)
    with CaptureQueriesContext(connection) as queries:
        build_report(Q1)
    return len(queries)


def test_the_report_is_counted_in_the_same_number_of_queries_whatever_the_data(team, other_team):
    small = _queries_to_build(2, team, other_team, dt.date(2025, 5, 6))
    larger = _queries_to_build(10, team, other_team, dt.date(2025, 6, 3))
    assert small == larger
