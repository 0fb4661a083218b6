"""The feedback side of the dashboard and the quarterly report: complaints by stage (with
their outcomes and the uphold rate), timeliness, themes and who complained; compliments;
child and family feedback per question; advocacy referrals by source. Each a table with a
server-side SVG chart of the same figures.

Every count comes from feedback.figures.feedback_figures (its complaints part is
feedback.complaints.selectors.complaint_figures): a fixed number of queries for a quarter,
whatever it holds. A panel appears only when its figures exist. The dashboard plugs these in
at its FEEDBACK_PANELS hook (pqa/reporting/apps.py); the report reads the same panels."""

from __future__ import annotations

from feedback.figures import (
    STANDARD_QUESTIONS,
    AdvocacySource,
    Complainant,
    ComplimentFrom,
    FeedbackAnswer,
    FeedbackRespondent,
    Outcome,
    Rating,
    Theme,
    feedback_figures,
)
from pqa import charts
from pqa.reporting.dashboard import ANSWER_COLOURS, Panel, _short
from pqa.reporting.shares import percent_of

STAGES = (1, 2, 3)
OUTCOME_COLOURS = ("#d4351c", "#f47738", "#00703c", "#505a5f")  # upheld, partly, not upheld, withdrawn
TIMELINESS_COLOURS = ("#00703c", "#d4351c")


def feedback_data(*, quarter: str, service_area: str | None = None) -> dict:
    """The quarter's feedback figures (the contract's `pqa_feedback` object)."""
    return feedback_figures(quarter=quarter, service_area=service_area)


def has_complaints(complaints: dict) -> bool:
    return bool(
        complaints["received"]
        or any(complaints[f"stage{n}"]["responded"] for n in STAGES)
        or any(complaints[f"stage{n}"].get("requested", 0) for n in (2, 3))
        or complaints["ombudsman"]["referred"]
        or complaints["ombudsman"]["decided"]
    )


def has_responses(data: dict) -> bool:
    return bool(data["responses"]["received"])


def has_advocacy(data: dict) -> bool:
    return bool(data["advocacy"]["referrals"])


def upheld(outcomes: dict[str, int]) -> int:
    """Upheld and partly upheld: what the uphold rate counts."""
    return outcomes[Outcome.UPHELD] + outcomes[Outcome.PARTLY_UPHELD]


def _count_panel(*, id: str, title: str, first: str, rows: list[tuple[str, int]], note: str = "") -> Panel:
    """A count per category with its share of the whole, and a bar per category."""
    total = sum(count for _, count in rows)
    return Panel(
        id=id,
        title=title,
        headers=[first, "Count", "Share %"],
        rows=[[label, count, percent_of(count, total)] for label, count in rows],
        note=note,
        chart=charts.bar_chart(
            id=f"chart-{id}",
            title=title,
            description="; ".join(f"{label}: {count}" for label, count in rows) or "None.",
            categories=[label for label, _ in rows],
            counts=[count for _, count in rows],
            label_width=270,
        ),
        chart_kind="count",
    )


def complaint_panels(complaints: dict, quarter: str) -> list[Panel]:
    short = _short(quarter)
    stage_rows = []
    for n in STAGES:
        stage = complaints[f"stage{n}"]
        started = complaints["received"] if n == 1 else stage["requested"]
        outcomes = stage["outcomes"]
        stage_rows.append(
            [
                f"Stage {n}",
                started,
                stage["responded"],
                *(outcomes[code] for code in Outcome.values),
                percent_of(upheld(outcomes), stage["responded"]),
            ]
        )
    stages = Panel(
        id="complaints-stages",
        title=f"Complaints by stage, outcomes and uphold rate, {short}",
        headers=["Stage", "Started", "Responded", *Outcome.labels, "Uphold rate %"],
        rows=stage_rows,
        note="Started: received (Stage 1) or asked for (Stages 2 and 3) in the quarter. Responded and outcomes: "
        "responses dated in the quarter. Uphold rate: upheld and partly upheld ÷ responded. "
        f"Referred to the Ombudsman: {complaints['ombudsman']['referred']}; decided: "
        f"{complaints['ombudsman']['decided']}.",
        chart=charts.stacked_bar_chart(
            id="chart-complaints-stages",
            title=f"Complaint outcomes by stage, {short}",
            description="; ".join(
                f"Stage {n}: "
                + ", ".join(f"{label} {complaints[f'stage{n}']['outcomes'][code]}" for code, label in Outcome.choices)
                for n in STAGES
            ),
            categories=[f"Stage {n}" for n in STAGES],
            series=list(Outcome.labels),
            counts=[[complaints[f"stage{n}"]["outcomes"][code] for code in Outcome.values] for n in STAGES],
            colours=OUTCOME_COLOURS,
            label_width=110,
        ),
        chart_kind="bar",
    )
    timeliness_rows = []
    for n in STAGES:
        stage = complaints[f"stage{n}"]
        timeliness_rows.append(
            [
                f"Stage {n}",
                stage["responded"],
                stage["on_time"],
                stage["responded"] - stage["on_time"],
                percent_of(stage["on_time"], stage["responded"]),
            ]
        )
    timeliness = Panel(
        id="complaints-timeliness",
        title=f"Complaint responses on time, {short}",
        headers=["Stage", "Responded", "On time", "Late", "Timeliness %"],
        rows=timeliness_rows,
        note="Responses dated in the quarter, judged against the statutory clock (working days, extensions "
        "included). Timeliness: on time ÷ responded.",
        chart=charts.stacked_bar_chart(
            id="chart-complaints-timeliness",
            title=f"Complaint responses on time, {short}",
            description="; ".join(f"{row[0]}: on time {row[2]}, late {row[3]}" for row in timeliness_rows),
            categories=[row[0] for row in timeliness_rows],
            series=["On time", "Late"],
            counts=[[row[2], row[3]] for row in timeliness_rows],
            colours=TIMELINESS_COLOURS,
            label_width=110,
        ),
        chart_kind="bar",
    )
    who = _count_panel(
        id="complaints-from",
        title=f"Who complained, {short}",
        first="Complainant",
        rows=[(label, complaints["by_complainant"][code]) for code, label in Complainant.choices],
        note="Complaints received in the quarter. From children: the child or young person, or an advocate on "
        "their behalf.",
    )
    themes = _count_panel(
        id="complaints-themes",
        title=f"Complaint themes, {short}",
        first="Theme",
        rows=[(label, complaints["themes"][code]) for code, label in Theme.choices],
        note="Complaints received in the quarter; a complaint may have several themes, so shares are of the "
        "themes named.",
    )
    return [stages, timeliness, who, themes]


def compliment_panels(compliments: dict, quarter: str) -> list[Panel]:
    return [
        _count_panel(
            id="compliments",
            title=f"Compliments by who gave them, {_short(quarter)}",
            first="From",
            rows=[(label, compliments["by_from"][code]) for code, label in ComplimentFrom.choices],
            note=f"{compliments['received']} compliments received in the quarter.",
        )
    ]


def response_panels(responses: dict, quarter: str) -> list[Panel]:
    short = _short(quarter)
    questions = [(label, responses["questions"][name]) for name, label in STANDARD_QUESTIONS]
    by = ", ".join(f"{responses['by_respondent'][code]} {label.lower()}" for code, label in FeedbackRespondent.choices)
    question_panel = Panel(
        id="responses-questions",
        title=f"What children and families told us, per question, {short}",
        headers=[
            "Question",
            "Answered",
            *[h for _, label in FeedbackAnswer.choices for h in (label, f"{label} %")],
        ],
        rows=[
            [label, sum(counts.values())]
            + [
                cell
                for answer in FeedbackAnswer.values
                for cell in (counts[answer], percent_of(counts[answer], sum(counts.values())))
            ]
            for label, counts in questions
        ],
        note=f"{responses['received']} responses in the quarter ({by}). Shares are of those who answered the question.",
        chart=charts.stacked_bar_chart(
            id="chart-responses-questions",
            title=f"Child and family feedback per question, {short}",
            description="; ".join(
                f"{label}: " + ", ".join(f"{name} {counts[answer]}" for answer, name in FeedbackAnswer.choices)
                for label, counts in questions
            ),
            categories=["Understood why", "Listened to", "Involved", "Knows next", "Things better"],
            series=list(FeedbackAnswer.labels),
            counts=[[counts[answer] for answer in FeedbackAnswer.values] for _, counts in questions],
            colours=ANSWER_COLOURS,
            label_width=150,
        ),
        chart_kind="bar",
    )
    ratings = _count_panel(
        id="responses-ratings",
        title=f"How children and families rated the service, {short}",
        first="Rating",
        rows=[(label, responses["ratings"][code]) for code, label in Rating.choices],
        note="Of the responses that gave a rating.",
    )
    return [question_panel, ratings]


def advocacy_panels(advocacy: dict, quarter: str) -> list[Panel]:
    return [
        _count_panel(
            id="advocacy",
            title=f"Advocacy referrals by source, {_short(quarter)}",
            first="Source",
            rows=[(label, advocacy["by_source"][code]) for code, label in AdvocacySource.choices],
            note=f"{advocacy['referrals']} referrals to the advocacy service in the quarter.",
        )
    ]


def children_and_families_panels(data: dict, quarter: str) -> list[Panel]:
    """Child and family feedback, then advocacy referrals, each where its figures exist: the
    dashboard and the report's "Child and family feedback" section show the same."""
    panels: list[Panel] = []
    if has_responses(data):
        panels += response_panels(data["responses"], quarter)
    if has_advocacy(data):
        panels += advocacy_panels(data["advocacy"], quarter)
    return panels


def feedback_panels(data: dict, quarter: str) -> list[Panel]:
    """The panels whose figures exist, in the report's order."""
    panels: list[Panel] = []
    if has_complaints(data["complaints"]):
        panels += complaint_panels(data["complaints"], quarter)
    if data["compliments"]["received"]:
        panels += compliment_panels(data["compliments"], quarter)
    panels += children_and_families_panels(data, quarter)
    return panels


def dashboard_feedback_panels(*, quarter: str, trend: list[str], figures: dict) -> list[Panel]:
    """The dashboard's hook: the chosen quarter's feedback panels, for the service area the
    dashboard shows (a team manager's own)."""
    return feedback_panels(feedback_data(quarter=quarter, service_area=figures["service_area"]), quarter)
