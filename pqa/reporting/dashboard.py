"""The leaders' dashboard: a quarter with the quarters before it, as charts with their tables,
every table downloadable as CSV or Excel (?export=<panel>&format=csv|xlsx on the same URL, so
a download carries the page's filters).

Every figure comes from the database, counted by evaluations.selectors.dashboard_figures
(a fixed number of queries whatever the number of rows or quarters) and the KPI scorecard of
the quarter's last month (pqa.kpis.selectors.scorecard). Evaluations are read only through
evaluations.selectors.

Feedback (complaints by stage, timeliness, uphold rate and themes; compliments; child and
family feedback; advocacy referrals) plugs in at FEEDBACK_PANELS below: the panels of
pqa.reporting.feedback_panels, for the chosen quarter and the service area shown (a team
manager's own), a fixed number of queries more. This module does not import feedback."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Submit
from django import forms
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from evaluations.selectors import (
    MOVEMENTS,
    RETURN_RATE_DEFINITION,
    Answer,
    CycleType,
    DistributionError,
    Grade,
    HeadlineQuestion,
    Pillar,
    Returns,
    dashboard_figures,
    quarters_with_evaluations,
    quarters_with_open_cycles,
)
from pqa import audit, charts
from pqa.exports import FORMATS, Column, export_response
from pqa.kpis import rules
from pqa.kpis.selectors import scorecard
from pqa.models import ServiceArea
from pqa.quarters import Quarter, quarter_or_none
from pqa.reporting.permissions import can_see_dashboard, forced_service_area
from pqa.reporting.shares import percent_of
from pqa.templatetags.pqa_kpis import kpi_figure, kpi_value

TREND_QUARTERS = 8  # the chosen quarter and up to seven before it
GRADE_LABELS = [label for _, label in Grade.choices]
# Best to worst, so the eye reads the good end of every bar first.
GRADE_COLOURS = ("#00703c", "#1d70b8", "#f47738", "#d4351c")
ANSWER_COLOURS = ("#00703c", "#f47738", "#d4351c")


@dataclass
class Panel:
    """One figure set: a table (first column the row's name) and, where it helps, a chart of
    the same figures beside it."""

    id: str
    title: str
    headers: list[str]
    rows: list[list[object]]
    note: str = ""
    chart: object | None = None
    chart_kind: str = ""  # "line" or "bar"
    extra: dict = field(default_factory=dict)


def _share(count: int, total: int) -> float | None:
    # One rule for every percentage the dashboard and the report write (pqa.reporting.shares).
    return percent_of(count, total)


def _grade_row(label: str, counts: dict[str, int]) -> list[object]:
    total = sum(counts.values())
    row: list[object] = [label, total]
    for grade in Grade.values:
        row += [counts[grade], _share(counts[grade], total)]
    return row


GRADE_HEADERS = [header for _, label in Grade.choices for header in (label, f"{label} %")]


def _grade_panel(*, id: str, title: str, first: str, rows: list[tuple[str, dict[str, int]]], note: str = "") -> Panel:
    # Room for the longest name at 14 px: a quarter is short, a pillar or a type is not.
    label_width = 110 if first == "Quarter" else 270
    chart = charts.stacked_bar_chart(
        id=f"chart-{id}",
        title=title,
        description="; ".join(
            f"{label}: " + ", ".join(f"{name} {counts[grade]}" for grade, name in Grade.choices)
            for label, counts in rows
        )
        or "No returned evaluations.",
        categories=[label for label, _ in rows],
        series=GRADE_LABELS,
        counts=[[counts[grade] for grade in Grade.values] for _, counts in rows],
        colours=GRADE_COLOURS,
        label_width=label_width,
    )
    return Panel(
        id=id,
        title=title,
        headers=[first, "Returned", *GRADE_HEADERS],
        rows=[_grade_row(label, counts) for label, counts in rows],
        note=note,
        chart=chart,
        chart_kind="bar",
    )


def _line_panel(
    *, id: str, title: str, labels: list[str], values: list[float | None], headers: list[str], rows, note=""
) -> Panel:
    chart = charts.line_chart(
        id=f"chart-{id}",
        title=title,
        description="; ".join(
            f"{label}: {'no figure' if value is None else f'{value}%'}"
            for label, value in zip(labels, values, strict=True)
        ),
        # "2025-26 Q1" as "25-26 Q1": eight quarters' names fit under their points at 14 px.
        labels=[label[2:] for label in labels],
        values=values,
        unit="%",
        floor_zero=True,
    )
    return Panel(id=id, title=title, headers=headers, rows=rows, note=note, chart=chart, chart_kind="line")


def _short(quarter: str) -> str:
    """2025-26-Q1 as "2025-26 Q1": short enough to sit under a chart's point."""
    return quarter.replace("-Q", " Q")


class DashboardForm(forms.Form):
    quarter = forms.ChoiceField(label="Quarter")
    service_area = forms.ChoiceField(label="Service area", required=False)
    type = forms.ChoiceField(label="Type of evaluation", required=False)

    def __init__(self, *args, quarters: list[str], forced_area: str | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quarter"].choices = [(quarter, Quarter.parse(quarter).label) for quarter in quarters]
        if forced_area:
            self.fields["service_area"].choices = [(forced_area, forced_area)]
        else:
            self.fields["service_area"].choices = [
                ("", "All service areas"),
                *((name, name) for name in ServiceArea.objects.values_list("name", flat=True)),
            ]
        self.fields["type"].choices = [("", "All types"), *CycleType.choices]
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            Field.select("quarter"), Field.select("service_area"), Field.select("type"), Submit("show", "Show")
        )


def _panels(figures: dict, trend: list[str], quarter: str, kpi_month) -> list[Panel]:
    panels = evaluation_panels(figures, trend, quarter, kpi_month)
    panels.extend(panel for plug in FEEDBACK_PANELS for panel in plug(quarter=quarter, trend=trend, figures=figures))
    return panels


EMPTY_QUARTER = {
    "completed": 0,
    "not_returned": 0,
    "still_out": 0,
    "moderated": 0,
    "safeguarding": 0,
    "evaluator": dict.fromkeys(Grade.values, 0),
    "final": dict.fromkeys(Grade.values, 0),
    "moderation": {"agreed": 0, "upgraded": 0, "downgraded": 0, "agreement_rate": None},
    "fathers_included": {"yes": 0, "no": 0, "not_applicable": 0},
    **{question: dict.fromkeys(Answer.values, 0) for question in [*HeadlineQuestion.values, "edi_considered"]},
}


def quarter_figures(figures: dict, quarter: str) -> dict:
    """One quarter's figures out of dashboard_figures, zeroes when it has no evaluations."""
    return figures["quarters"].get(quarter, EMPTY_QUARTER)


def evaluation_panels(figures: dict, trend: list[str], quarter: str, kpi_month) -> list[Panel]:
    """The practice evaluation and KPI panels for `quarter` and the `trend` quarters up to it
    (the quarterly report reads the same panels)."""
    at = {text: quarter_figures(figures, text) for text in trend}
    now = at[quarter]
    labels = [_short(text) for text in trend]
    panels: list[Panel] = []

    panels.append(
        _grade_panel(
            id="final-grades",
            title="Final grades by quarter",
            first="Quarter",
            rows=[(label, at[text]["final"]) for label, text in zip(labels, trend, strict=True)],
            note="The grade that stands: the moderated grade where the moderation was confirmed, "
            "otherwise the evaluator’s.",
        )
    )
    panels.append(
        _grade_panel(
            id="evaluator-grades",
            title="Evaluator’s grades by quarter",
            first="Quarter",
            rows=[(label, at[text]["evaluator"]) for label, text in zip(labels, trend, strict=True)],
        )
    )
    panels.append(
        _grade_panel(
            id="pillars",
            title=f"Pillar grades, {_short(quarter)}",
            first="Pillar",
            rows=[(label, figures["pillars"][quarter][pillar]) for pillar, label in Pillar.choices],
        )
    )
    panels.append(
        _grade_panel(
            id="service-areas",
            title=f"Final grades by service area, {_short(quarter)}",
            first="Service area",
            rows=list(figures["by_service_area"].items()),
        )
    )
    panels.append(
        _grade_panel(
            id="types",
            title=f"Final grades by type of evaluation, {_short(quarter)}",
            first="Type",
            rows=[(CycleType(value).label, counts) for value, counts in figures["by_type"].items()],
        )
    )

    # Return rate: the one definition (evaluations.selectors.Returns); an open quarter is provisional.
    returns = {
        text: Returns(
            returned=at[text]["completed"],
            not_returned=at[text]["not_returned"],
            still_out=at[text]["still_out"],
            in_progress=text in figures["open_quarters"],
        )
        for text in trend
    }
    panels.append(
        _line_panel(
            id="return-rate",
            title="Return rate by quarter",
            labels=labels,
            values=[percent_of(r.returned, r.allocated) for r in returns.values()],
            headers=["Quarter", "Allocated", "Returned", "Still out", "Not returned", "Return rate %", "Status"],
            rows=[
                [
                    label,
                    r.allocated,
                    r.returned,
                    r.still_out,
                    r.not_returned,
                    percent_of(r.returned, r.allocated),
                    "In progress" if r.in_progress else "Final",
                ]
                for label, r in zip(labels, returns.values(), strict=True)
            ],
            note=RETURN_RATE_DEFINITION + " A quarter with an open cycle is in progress: its rate is provisional.",
        )
    )

    questions = [*HeadlineQuestion.choices, ("edi_considered", "Were equality, diversity and inclusion considered?")]
    question_rows = [(label, now[question]) for question, label in questions]
    panels.append(
        Panel(
            id="questions",
            title=f"The headline questions and EDI, {_short(quarter)}",
            headers=["Question", "Answered", *[h for _, label in Answer.choices for h in (label, f"{label} %")]],
            rows=[
                [label, sum(counts.values())]
                + [
                    cell
                    for answer in Answer.values
                    for cell in (counts[answer], _share(counts[answer], sum(counts.values())))
                ]
                for label, counts in question_rows
            ],
            chart=charts.stacked_bar_chart(
                id="chart-questions",
                title=f"The headline questions and EDI, {_short(quarter)}",
                description="; ".join(
                    f"{label}: " + ", ".join(f"{name} {counts[answer]}" for answer, name in Answer.choices)
                    for label, counts in question_rows
                ),
                categories=["Appropriate", "Difference", "Record", "EDI"],
                series=[label for _, label in Answer.choices],
                counts=[[counts[answer] for answer in Answer.values] for _, counts in question_rows],
                colours=ANSWER_COLOURS,
                label_width=110,
            ),
            chart_kind="bar",
            note="Bars in the order of the table: intervention appropriate, positive difference, "
            "record reflects the work, EDI considered.",
        )
    )

    def yes_share(counts: dict[str, int], *, without: tuple[str, ...] = ()) -> float | None:
        answered = sum(n for answer, n in counts.items() if answer not in without)
        return _share(counts["yes"], answered)

    for id, title, key, without, note in (
        (
            "fathers",
            "Fathers included",
            "fathers_included",
            ("not_applicable",),
            "Share answered yes, of the evaluations where fathers applied (not applicable left out).",
        ),
        ("edi", "EDI considered", "edi_considered", (), "Share answered yes, of the returned evaluations answered."),
    ):
        values = [yes_share(at[text][key], without=without) for text in trend]
        panels.append(
            _line_panel(
                id=id,
                title=f"{title} by quarter",
                labels=labels,
                values=values,
                headers=["Quarter", "Yes", "Answered", "Yes %"],
                rows=[
                    [label, at[text][key]["yes"], sum(n for a, n in at[text][key].items() if a not in without), value]
                    for label, text, value in zip(labels, trend, values, strict=True)
                ],
                note=note,
            )
        )

    panels.append(
        Panel(
            id="safeguarding",
            title="Safeguarding escalations by quarter",
            headers=["Quarter", "Evaluations raising an immediate safeguarding concern"],
            rows=[[label, at[text]["safeguarding"]] for label, text in zip(labels, trend, strict=True)],
        )
    )

    agreement = [percent_of(at[text]["moderation"]["agreed"], at[text]["moderated"]) for text in trend]
    panels.append(
        _line_panel(
            id="moderation",
            title="Moderation agreement by quarter",
            labels=labels,
            values=agreement,
            headers=["Quarter", "Moderated", "Agreed", "Raised", "Lowered", "Agreement %"],
            rows=[
                [
                    label,
                    at[text]["moderated"],
                    at[text]["moderation"]["agreed"],
                    at[text]["moderation"]["upgraded"],
                    at[text]["moderation"]["downgraded"],
                    value,
                ]
                for label, text, value in zip(labels, trend, agreement, strict=True)
            ],
            note="Confirmed moderations only: the share of moderated grades the moderator agreed with.",
        )
    )

    recommendations = figures["recommendations"]
    panels.append(
        Panel(
            id="recommendations",
            title="Recommendations by the quarter of their evaluation",
            headers=[
                "Quarter",
                "Raised",
                "Open or in progress",
                "Overdue",
                "Done",
                "Not achieved",
                "Verified at revisit",
            ],
            rows=[
                [
                    label,
                    *(
                        recommendations.get(text, {}).get(key, 0)
                        for key in ("raised", "open", "overdue", "done", "not_achieved", "verified")
                    ),
                ]
                for label, text in zip(labels, trend, strict=True)
            ],
            note="Overdue: open or in progress and past its due date today. Verified: a revisit found it done.",
        )
    )

    revisits = figures["revisits"]
    movement_rows = [("Overall grade", revisits["overall"])] + [
        (label, revisits["pillars"][pillar]) for pillar, label in Pillar.choices
    ]
    panels.append(
        Panel(
            id="revisits",
            title=f"Revisit grade movement, {_short(quarter)}",
            headers=["Grade", "Improved", "Same", "Declined"],
            rows=[[label, *(counts[m] for m in MOVEMENTS)] for label, counts in movement_rows],
            note=f"{revisits['done']} of {revisits['allocated']} revisits returned; all service areas and types "
            f"(a revisit compares the evaluator’s grades now and before). Recommendations checked: "
            f"{revisits['recommendations']['checked']}, found done: {revisits['recommendations']['found_done']}.",
        )
    )

    judged = scorecard(kpi_month)
    panels.append(
        Panel(
            id="kpis",
            title=f"KPI scorecard, {rules.month_label(kpi_month)}",
            headers=["Indicator", "Title", "Value", "Target", "Status", "Direction"],
            rows=[
                [
                    row.indicator.code,
                    row.indicator.title,
                    kpi_value(row.value, row.indicator.unit),
                    kpi_figure(row.band.target, row.indicator.unit) if row.band else "–",
                    row.status_label,
                    row.direction_label or "–",
                ]
                for row in judged
            ],
            note="The quarter’s last month; each indicator’s page has its twelve months.",
        )
    )
    return panels


# Feedback's panels plug in here (pqa.reporting.feedback_panels, registered in
# pqa/reporting/apps.py): each entry is a callable (quarter, trend, figures) -> list[Panel],
# reading feedback only through its figures and selectors.
FEEDBACK_PANELS: list[Callable[..., list[Panel]]] = []


def _export(panel: Panel, format: str, request, filters: dict):
    columns = [
        Column(header, (lambda row, i=index: row[i]), width=max(12, min(len(header) + 2, 40)))
        for index, header in enumerate(panel.headers)
    ]
    audit.event(audit.EXPORT, user=request.user.pk, what=f"dashboard_{panel.id}", format=format, **filters)
    return export_response(
        rows=panel.rows,
        columns=columns,
        filename=f"pqa-{panel.id}-{filters['quarter']}",
        format=format,
        sheet_title=panel.title,
    )


@require_GET
def dashboard_page(request):
    """The leaders' dashboard for a quarter (by default the latest settled one), filters in the URL."""
    if not can_see_dashboard(request.user):
        raise Http404("No such page")
    forced_area = forced_service_area(request.user)
    quarters = [quarter for quarter in quarters_with_evaluations() if quarter_or_none(quarter)]
    context: dict = {"quarters": quarters, "forced_area": forced_area}
    if quarters:
        params = request.GET.copy()
        if "quarter" not in params:
            # By default the latest quarter whose cycles are all closed: its figures are final.
            still_open = quarters_with_open_cycles()
            params["quarter"] = next((quarter for quarter in quarters if quarter not in still_open), quarters[0])
        if forced_area:
            params["service_area"] = forced_area
        form = DashboardForm(params, quarters=quarters, forced_area=forced_area)
        context["form"] = form
        if form.is_valid():
            choice = form.cleaned_data
            quarter = choice["quarter"]
            trend = sorted(q for q in quarters if q <= quarter)[-TREND_QUARTERS:]
            try:
                figures = dashboard_figures(
                    quarters=trend,
                    quarter=quarter,
                    service_area=choice["service_area"] or None,
                    type=choice["type"] or None,
                )
            except DistributionError as error:
                form.add_error(None, str(error))
            else:
                period = Quarter.parse(quarter)
                kpi_month = rules.first_of_month(period.end)
                panels = _panels(figures, trend, quarter, kpi_month)
                filters = {"quarter": quarter, "service_area": figures["service_area"], "type": figures["type"]}
                wanted = request.GET.get("export")
                if wanted:
                    format = request.GET.get("format", "csv")
                    panel = next((p for p in panels if p.id == wanted), None)
                    if panel is None or format not in FORMATS:
                        raise Http404("No such download")
                    return _export(panel, format, request, filters)
                query = params.copy()
                query.pop("export", None)
                query.pop("format", None)
                query.pop("show", None)
                context.update(
                    period=period,
                    panels=panels,
                    in_progress=quarter in figures["open_quarters"],
                    service_area=figures["service_area"],
                    type_label=CycleType(figures["type"]).label if figures["type"] else None,
                    query=query.urlencode(),
                )
    return render(request, "reporting/dashboard.html", context)
