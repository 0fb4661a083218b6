"""The quarterly PQA report: one quarter's figures from the three sides (performance,
practice evaluation, feedback), the Practice Hub's narrative, and the same report as a web
page, a PDF and an Excel workbook (docs/contracts/report.md).

This module builds and renders; it stores nothing. The stored reports, their generation in
the background and their pages live beside it (the report's workflow), and the
`pqa_report` command calls `build_report` and `render` directly.

    report = build_report(Quarter.parse("2025-26-Q1"), narrative=Narrative(strengths="..."))
    content = render(report, "pdf")   # bytes

INTERFACE (fixed: the report's workflow is written against these names):
- `FORMATS`, `CONTENT_TYPES`, `Narrative`, `Extract`, `Report`
- `build_report(quarter, *, narrative=None, progress=None) -> Report`
- `render(report, fmt) -> bytes`
- `shareable_extracts(quarter) -> list[Extract]`

Every figure comes from the dashboard's selectors and panels (pqa.reporting.dashboard,
pqa.reporting.feedback_panels): the report states what the dashboard shows for the quarter,
trust-wide and for every type of evaluation. `report.figures` holds the contract's Figures
keys of every section present (docs/report.md maps them); a share is a fraction, exact from
its counts, None over 0; every percentage written is pqa.reporting.shares.percent_text (one
decimal, half up). No free text that could name a child enters the report: no tell me / show
me, no complaint summary, no comment; the only quotes are the consented extracts the Practice
Hub chose, checked again against shareable_extracts when the report is built.

Progress: `build_report(progress=...)` calls progress(done, total) after each section; the
total counts the build steps and one step per format rendered afterwards (the workflow
renders the three formats, so the bar ends after the third `render`).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.template.loader import render_to_string
from django.utils import timezone

from evaluations.selectors import Answer, Grade, HeadlineQuestion, Pillar, dashboard_figures, quarters_with_evaluations
from feedback.figures import STANDARD_QUESTIONS
from feedback.voice.selectors import quarter_quotable_responses, quarter_shareable_compliments
from pqa.exports import safe_cell, sheet_title_of
from pqa.kpis import rules
from pqa.kpis.selectors import scorecard
from pqa.quarters import Quarter, quarter_or_none
from pqa.reporting import dashboard, feedback_panels
from pqa.reporting.dashboard import Panel
from pqa.reporting.shares import NO_FIGURE, percent_text, share

FORMATS = ("html", "pdf", "xlsx")
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FIGURES_SHEET = "Figures"

# progress(done, total): called as each section is built and rendered.
Progress = Callable[[int, int], None]


@dataclass
class Extract:
    """A compliment extract or a child's or family's quote that may be shared (consented);
    `key` is stable ("compliment:12", "response:40") so a chosen extract can be saved."""

    key: str
    kind: str  # "compliment" or "response"
    text: str
    received: dt.date | None = None


@dataclass
class Narrative:
    """What the Practice Hub writes for the quarter, saved with the report."""

    strengths: str = ""
    areas_for_development: str = ""
    actions: str = ""
    children_and_families: str = ""  # what children and families told us
    extracts: list[Extract] = field(default_factory=list)  # chosen from shareable_extracts only

    @property
    def parts(self) -> list[tuple[str, str]]:
        """(heading, text) of the parts written, in the report's order."""
        parts = [
            ("Strengths", self.strengths),
            ("Areas for development", self.areas_for_development),
            ("Actions", self.actions),
            ("What children and families told us", self.children_and_families),
        ]
        return [(heading, text.strip()) for heading, text in parts if text and text.strip()]


@dataclass
class Table:
    """One table of the report (a dashboard panel): the raw cells for the workbook, the same
    cells written for people, and the chart of the same figures where there is one."""

    id: str
    title: str
    headers: list[str]
    rows: list[list[object]]
    note: str = ""
    chart: object | None = None
    chart_kind: str = ""
    texts: list[list[str]] | None = None  # the cells as written, when not by their column

    @classmethod
    def of(cls, panel: Panel) -> Table:
        return cls(panel.id, panel.title, panel.headers, panel.rows, panel.note, panel.chart, panel.chart_kind)

    @property
    def percent_columns(self) -> set[int]:
        return {index for index, header in enumerate(self.headers) if header.endswith("%")}

    @property
    def numeric_columns(self) -> set[int]:
        """The columns holding numbers (right-aligned): every cell a number, a percentage or empty."""
        numeric = set()
        for index in range(1, len(self.headers)):
            cells = [row[index] for row in self.rows if index < len(row) and row[index] not in (None, "")]
            if all(isinstance(cell, (int, float, Decimal)) and not isinstance(cell, bool) for cell in cells):
                numeric.add(index)
        return numeric

    @property
    def cells(self) -> list[list[tuple[str, bool]]]:
        """The rows as written, each cell with whether it is a number (for the HTML)."""
        numeric = self.numeric_columns
        return [[(text, index in numeric) for index, text in enumerate(row)] for row in self.text_rows]

    @property
    def header_cells(self) -> list[tuple[str, bool]]:
        numeric = self.numeric_columns
        return [(header, index in numeric) for index, header in enumerate(self.headers)]

    @property
    def text_rows(self) -> list[list[str]]:
        if self.texts is not None:
            return self.texts
        percents = self.percent_columns
        return [[cell_text(cell, percent=index in percents) for index, cell in enumerate(row)] for row in self.rows]


@dataclass
class Section:
    id: str
    title: str
    # What the section states in words before its tables: (label, text) pairs.
    statements: list[tuple[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    note: str = ""


@dataclass
class Report:
    quarter: Quarter
    narrative: Narrative
    generated_at: dt.datetime
    # The contract's Figures keys -> a number, a status word, or None (a share over 0).
    figures: dict[str, object] = field(default_factory=dict)
    sections: list = field(default_factory=list)
    in_progress: bool = False  # a cycle of the quarter is still open: its figures are provisional
    key_figures: Table | None = None  # the first page's summary
    progress: Progress | None = field(default=None, repr=False, compare=False)
    steps_done: int = 0
    steps_total: int = 0

    @property
    def title(self) -> str:
        return f"Practice quality assurance report, {self.quarter.label}"

    @property
    def tables(self) -> list[Table]:
        """Every table of the report, in order (the workbook's sheets)."""
        return ([self.key_figures] if self.key_figures else []) + [
            table for section in self.sections for table in section.tables
        ]

    def step(self) -> None:
        if self.progress is not None:
            self.steps_done = min(self.steps_done + 1, self.steps_total)
            self.progress(self.steps_done, self.steps_total)


def cell_text(value: object, *, percent: bool = False) -> str:
    """A table cell written for people: a percentage column's number as "85.5%" (by the one
    rule), a missing figure as "–"."""
    if value is None or value == "":
        return NO_FIGURE
    if percent and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        try:
            return percent_text(Decimal(repr(value)) / 100 if isinstance(value, float) else Decimal(value) / 100)
        except InvalidOperation:
            return str(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def figure_text(key: str, value: object) -> str:
    """A figure written for people: a share (a key ending in rate, share or timeliness) as a
    percentage, a count as it is."""
    if value is None:
        return NO_FIGURE
    if key.endswith(("_rate", "_share", "timeliness")):
        return percent_text(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# --- Shareable extracts ----------------------------------------------------------------------


def shareable_extracts(quarter: Quarter) -> list[Extract]:
    """The quarter's consented compliment extracts and quotes, to pick from; never unconsented."""
    extracts = [
        Extract(key=f"compliment:{row.pk}", kind="compliment", text=row.extract.strip(), received=row.received)
        for row in quarter_shareable_compliments(quarter)
        if row.extract.strip()
    ]
    extracts += [
        Extract(key=f"response:{row.pk}", kind="response", text=row.comment.strip(), received=row.date)
        for row in quarter_quotable_responses(quarter)
        if row.comment.strip()
    ]
    return extracts


# --- Building --------------------------------------------------------------------------------


def _trend(quarter: str) -> list[str]:
    known = {text for text in quarters_with_evaluations() if quarter_or_none(text)}
    return sorted(text for text in known | {quarter} if text <= quarter)[-dashboard.TREND_QUARTERS :]


def _statement(figures: dict, key: str, label: str) -> tuple[str, str]:
    return label, figure_text(key, figures[key])


def _practice_evaluation(report: Report, data: dict) -> list[Section]:
    quarter, figures = data["quarter"], report.figures
    evaluation = data["evaluation"]
    now = dashboard.quarter_figures(evaluation, quarter)
    if not (now["completed"] + now["not_returned"] + now["still_out"]):
        return []
    panels = {panel.id: panel for panel in data["evaluation_panels"]}
    allocated = now["completed"] + now["not_returned"]
    figures["pe.allocated"] = allocated
    figures["pe.completed"] = now["completed"]
    figures["pe.return_rate"] = share(now["completed"], allocated)
    for which in ("evaluator", "final"):
        for grade in Grade.values:
            figures[f"pe.overall.{which}.{grade}"] = now[which][grade]
    for pillar in Pillar.values:
        for grade in Grade.values:
            figures[f"pe.pillar.{pillar}.{grade}"] = evaluation["pillars"][quarter][pillar][grade]
    for question in HeadlineQuestion.values:
        figures[f"pe.{question}.yes_share"] = share(now[question][Answer.YES], sum(now[question].values()))
    figures["pe.moderation.moderated"] = now["moderated"]
    figures["pe.moderation.agreed"] = now["moderation"]["agreed"]
    figures["pe.moderation.agreement_rate"] = share(now["moderation"]["agreed"], now["moderated"])
    if now["still_out"]:
        figures["pe.still_out"] = now["still_out"]

    returned = now["completed"]
    good_or_better = now["final"][Grade.OUTSTANDING] + now["final"][Grade.GOOD]
    figures["pe.overall.final.good_or_better_share"] = share(good_or_better, returned)
    overall = dashboard._grade_panel(
        id="overall",
        title=f"Overall grades, {dashboard._short(quarter)}",
        first="Grade",
        rows=[("Evaluator’s grade", now["evaluator"]), ("Final grade", now["final"])],
        note="The final grade is the moderated grade where a moderation was confirmed, otherwise the evaluator’s. "
        "Shares are of the returned evaluations.",
    )
    statements = [
        _statement(figures, "pe.allocated", "Evaluations allocated (returned or not returned)"),
        _statement(figures, "pe.completed", "Returned"),
        _statement(figures, "pe.return_rate", "Return rate"),
        _statement(figures, "pe.overall.final.good_or_better_share", "Final grade good or outstanding"),
    ]
    if now["still_out"]:
        statements.append(_statement(figures, "pe.still_out", "Still out (the cycle is open)"))
    statements += [
        (label, figure_text(f"pe.{question}.yes_share", figures[f"pe.{question}.yes_share"]))
        for question, label in HeadlineQuestion.choices
    ]
    sections = [
        Section(
            id="practice-evaluation",
            title="Practice evaluation",
            statements=statements,
            tables=[
                Table.of(overall),
                *(
                    Table.of(panels[id])
                    for id in ("pillars", "questions", "final-grades", "return-rate", "service-areas", "types")
                    if id in panels
                ),
            ],
            note="Provisional: a cycle of this quarter is still open." if report.in_progress else "",
        )
    ]
    if now["moderated"]:
        sections.append(
            Section(
                id="moderation",
                title="Moderation",
                statements=[
                    _statement(figures, "pe.moderation.moderated", "Grades moderated"),
                    _statement(figures, "pe.moderation.agreed", "Moderator agreed"),
                    _statement(figures, "pe.moderation.agreement_rate", "Agreement rate"),
                ],
                tables=[Table.of(panels["moderation"])],
            )
        )
    recommendations = evaluation["recommendations"].get(quarter, {})
    revisits = evaluation["revisits"]
    if recommendations.get("raised") or revisits["allocated"]:
        for key in ("raised", "open", "overdue", "done", "not_achieved", "verified"):
            figures[f"recommendations.{key}"] = recommendations.get(key, 0)
        figures["revisits.allocated"] = revisits["allocated"]
        figures["revisits.done"] = revisits["done"]
        sections.append(
            Section(
                id="recommendations",
                title="Recommendations and revisits",
                statements=[
                    _statement(figures, "recommendations.raised", "Recommendations raised"),
                    _statement(figures, "recommendations.overdue", "Overdue today"),
                    _statement(figures, "recommendations.done", "Done"),
                    _statement(figures, "revisits.done", "Revisits returned"),
                ],
                tables=[Table.of(panels["recommendations"]), Table.of(panels["revisits"])],
            )
        )
    return sections


def _complaints(report: Report, data: dict) -> list[Section]:
    complaints, figures = data["feedback"]["complaints"], report.figures
    if not feedback_panels.has_complaints(complaints):
        return []
    figures["complaints.received"] = complaints["received"]
    children = complaints["by_complainant"]["child"] + complaints["by_complainant"]["advocate"]
    figures["complaints.from_children_share"] = share(children, complaints["received"])
    for n in feedback_panels.STAGES:
        stage = complaints[f"stage{n}"]
        figures[f"complaints.stage{n}.responded"] = stage["responded"]
        figures[f"complaints.stage{n}.on_time"] = stage["on_time"]
        figures[f"complaints.stage{n}.timeliness"] = share(stage["on_time"], stage["responded"])
    stage2 = complaints["stage2"]
    figures["complaints.stage2.uphold_rate"] = share(feedback_panels.upheld(stage2["outcomes"]), stage2["responded"])
    stage1 = complaints["stage1"]
    figures["complaints.stage1.uphold_rate"] = share(feedback_panels.upheld(stage1["outcomes"]), stage1["responded"])
    figures["complaints.ombudsman.referred"] = complaints["ombudsman"]["referred"]
    panels = feedback_panels.complaint_panels(complaints, data["quarter"])
    return [
        Section(
            id="complaints",
            title="Complaints",
            statements=[
                _statement(figures, "complaints.received", "Complaints received"),
                _statement(figures, "complaints.from_children_share", "From children or their advocates"),
                _statement(figures, "complaints.stage1.responded", "Stage 1 responses"),
                _statement(figures, "complaints.stage1.timeliness", "Stage 1 responses on time"),
                _statement(figures, "complaints.stage1.uphold_rate", "Stage 1 upheld or partly upheld"),
                _statement(figures, "complaints.stage2.responded", "Stage 2 responses"),
                _statement(figures, "complaints.stage2.timeliness", "Stage 2 responses on time"),
                _statement(figures, "complaints.stage2.uphold_rate", "Stage 2 upheld or partly upheld"),
                _statement(figures, "complaints.stage3.responded", "Stage 3 responses"),
                _statement(figures, "complaints.stage3.timeliness", "Stage 3 responses on time"),
                _statement(figures, "complaints.ombudsman.referred", "Referred to the Ombudsman"),
            ],
            tables=[Table.of(panel) for panel in panels],
        )
    ]


def _compliments(report: Report, data: dict) -> list[Section]:
    compliments = data["feedback"]["compliments"]
    if not compliments["received"]:
        return []
    report.figures["compliments.received"] = compliments["received"]
    return [
        Section(
            id="compliments",
            title="Compliments",
            statements=[_statement(report.figures, "compliments.received", "Compliments received")],
            tables=[Table.of(panel) for panel in feedback_panels.compliment_panels(compliments, data["quarter"])],
        )
    ]


def _children_and_families(report: Report, data: dict) -> list[Section]:
    feedback, figures = data["feedback"], report.figures
    if not (feedback_panels.has_responses(feedback) or feedback_panels.has_advocacy(feedback)):
        return []
    responses, advocacy = feedback["responses"], feedback["advocacy"]
    figures["responses.received"] = responses["received"]
    statements = [_statement(figures, "responses.received", "Responses received")]
    for name, label in STANDARD_QUESTIONS:
        counts = responses["questions"][name]
        figures[f"responses.{name}.yes_share"] = share(counts["yes"], sum(counts.values()))
        statements.append(_statement(figures, f"responses.{name}.yes_share", f"{label} Yes"))
    figures["advocacy.referrals"] = advocacy["referrals"]
    figures["advocacy.from_social_work_share"] = share(advocacy["by_source"]["social_work_team"], advocacy["referrals"])
    statements += [
        _statement(figures, "advocacy.referrals", "Advocacy referrals"),
        _statement(figures, "advocacy.from_social_work_share", "Advocacy referrals from social work teams"),
    ]
    panels = feedback_panels.children_and_families_panels(feedback, data["quarter"])
    return [
        Section(
            id="children-and-families",
            title="Child and family feedback",
            statements=statements,
            tables=[Table.of(panel) for panel in panels],
        )
    ]


def _kpis(report: Report, data: dict) -> list[Section]:
    judged = data["scorecard"]
    if not any(row.value is not None for row in judged):
        return []
    for row in judged:
        code = row.indicator.code
        report.figures[f"kpi.{code}.value"] = None if row.value is None else float(row.value)
        report.figures[f"kpi.{code}.status"] = row.status
    panels = {panel.id: panel for panel in data["evaluation_panels"]}
    counts: dict[str, int] = {}
    for row in judged:
        counts[row.status_label] = counts.get(row.status_label, 0) + 1
    return [
        Section(
            id="kpis",
            title=f"Performance: the KPI scorecard, {rules.month_label(data['kpi_month'])}",
            statements=[(label, str(count)) for label, count in counts.items()],
            tables=[Table.of(panels["kpis"])],
            note="The quarter’s last month, each indicator judged against its own financial year’s target.",
        )
    ]


SECTION_BUILDERS = (_practice_evaluation, _complaints, _compliments, _children_and_families, _kpis)
# One step per builder, one for the narrative's extracts, one for the first page.
BUILD_STEPS = len(SECTION_BUILDERS) + 2


def _key_figures(report: Report) -> Table:
    """The first page: the quarter's headline figures from every side present."""
    wanted = [
        ("pe.completed", "Practice evaluations returned"),
        ("pe.return_rate", "Return rate"),
        ("pe.overall.final.good_or_better_share", "Final grade good or outstanding"),
        ("pe.moderation.agreement_rate", "Moderation agreement rate"),
        ("complaints.received", "Complaints received"),
        ("complaints.stage1.timeliness", "Stage 1 complaint responses on time"),
        ("complaints.stage2.uphold_rate", "Stage 2 complaints upheld or partly upheld"),
        ("compliments.received", "Compliments received"),
        ("responses.received", "Child and family feedback responses"),
        ("responses.listened_to.yes_share", "Children and families who felt listened to"),
        ("advocacy.referrals", "Advocacy referrals"),
    ]
    rows = [[label, report.figures[key]] for key, label in wanted if key in report.figures]
    kpis = [key for key in report.figures if key.startswith("kpi.") and key.endswith(".status")]
    if kpis:
        judged = [report.figures[key] for key in kpis if report.figures[key]]
        on_or_better = sum(1 for status in judged if status in ("on_target", "better_than_tolerance"))
        rows.append(["KPIs on target or better", f"{on_or_better} of {len(judged)}"])
    texts = [[label, figure_text(key, report.figures[key])] for key, label in wanted if key in report.figures]
    if kpis:
        texts.append(rows[-1])
    return Table(
        id="key-figures",
        title=f"Key figures, {dashboard._short(str(report.quarter))}",
        headers=["Figure", "Value"],
        rows=rows,
        texts=texts,
    )


def build_report(quarter: Quarter, *, narrative: Narrative | None = None, progress: Progress | None = None) -> Report:
    """The quarter's report, every figure counted from the records."""
    narrative = narrative or Narrative()
    report = Report(
        quarter=quarter,
        narrative=narrative,
        generated_at=timezone.now(),
        progress=progress,
        steps_total=BUILD_STEPS + len(FORMATS),
    )
    text = str(quarter)
    trend = _trend(text)
    evaluation = dashboard_figures(quarters=trend, quarter=text)
    kpi_month = rules.first_of_month(quarter.end)
    data = {
        "quarter": text,
        "evaluation": evaluation,
        "evaluation_panels": dashboard.evaluation_panels(evaluation, trend, text, kpi_month),
        "feedback": feedback_panels.feedback_data(quarter=text),
        "kpi_month": kpi_month,
    }
    data["scorecard"] = scorecard(kpi_month)
    report.in_progress = text in evaluation["open_quarters"]
    for builder in SECTION_BUILDERS:
        report.sections += builder(report, data)
        report.step()
    # Only extracts that may still be shared, with the text as it stands now.
    allowed = {extract.key: extract for extract in shareable_extracts(quarter)}
    narrative.extracts = [allowed[extract.key] for extract in narrative.extracts if extract.key in allowed]
    report.step()
    report.key_figures = _key_figures(report)
    report.step()
    return report


# --- Rendering -------------------------------------------------------------------------------

# WeasyPrint logs every step of a PDF at INFO: the report's PDFs are not news.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _html(report: Report) -> str:
    return render_to_string("reporting/report/document.html", {"report": report})


def _pdf(report: Report) -> bytes:
    """The same HTML through WeasyPrint: a tagged PDF (PDF/UA), its language and title set."""
    import weasyprint

    document = weasyprint.HTML(string=_html(report), base_url=None, url_fetcher=_fetch_nothing)
    return document.write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)


def _fetch_nothing(url: str, *args, **kwargs):
    """The report is self-contained: WeasyPrint fetches nothing, from anywhere."""
    raise ValueError(f"the report fetches no resource ({url[:80]})")


def _xlsx(report: Report) -> bytes:
    """One sheet per table of the report and the `Figures` sheet (key, value), numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = FIGURES_SHEET
    sheet.append(["key", "value"])
    for key, value in report.figures.items():
        sheet.append([key, safe_cell(value) if value is not None else None])
    sheet.column_dimensions["A"].width = 48
    sheet.column_dimensions["B"].width = 22
    used = {FIGURES_SHEET.lower()}
    for table in report.tables:
        title = sheet_title_of(table.title, "Table")
        number = 2
        while title.lower() in used:
            suffix = f" ({number})"
            title = sheet_title_of(table.title, "Table")[: 31 - len(suffix)] + suffix
            number += 1
        used.add(title.lower())
        sheet = book.create_sheet(title=title)
        sheet.append(table.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([safe_cell(value) if value is not None else None for value in row])
        sheet.column_dimensions["A"].width = 40
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(report: Report, fmt: str) -> bytes:
    """The report as `fmt` (one of FORMATS)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; not {fmt!r}")
    if fmt == "html":
        content = _html(report).encode()
    elif fmt == "pdf":
        content = _pdf(report)
    else:
        content = _xlsx(report)
    report.step()
    return content
