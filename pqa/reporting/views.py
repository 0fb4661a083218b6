"""The quarterly grade distribution, out: as JSON (docs/contracts/evaluations-csv.md) and as
a page for people. Evaluations are read only through evaluations.selectors."""

from __future__ import annotations

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Submit
from django import forms
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from evaluations.selectors import (
    RETURN_RATE_DEFINITION,
    Answer,
    CycleType,
    DistributionError,
    Grade,
    HeadlineQuestion,
    Moderation,
    Pillar,
    grade_distribution,
    grade_distribution_with_returns,
    quarters_with_evaluations,
    quarters_with_open_cycles,
)
from pqa import audit
from pqa.models import ServiceArea
from pqa.quarters import Quarter, quarter_or_none
from pqa.reporting.permissions import can_see_reports


def _require_reports(user) -> None:
    if not can_see_reports(user):
        raise Http404("No such page")


@require_GET
def distribution_json(request):
    """GET /pqa/distribution.json?quarter=2025-26-Q1[&service_area=NAME][&type=TYPE]"""
    _require_reports(request.user)
    quarter = request.GET.get("quarter", "").strip()
    if not quarter:
        return JsonResponse({"error": "quarter is required: add ?quarter=YYYY-YY-QN, e.g. 2025-26-Q1"}, status=400)
    filters = {
        "quarter": quarter,
        "service_area": request.GET.get("service_area", "").strip() or None,
        "type": request.GET.get("type", "").strip() or None,
    }
    try:
        data = grade_distribution(**filters)
    except DistributionError as error:
        return JsonResponse({"error": str(error)}, status=400)
    audit.event(audit.EXPORT, user=request.user.pk, what="grade_distribution", format="json", **filters)
    return JsonResponse(data)


# --- The page ------------------------------------------------------------------------------


class DistributionForm(forms.Form):
    quarter = forms.ChoiceField(label="Quarter")
    service_area = forms.ChoiceField(label="Service area", required=False)
    type = forms.ChoiceField(label="Type of evaluation", required=False)

    def __init__(self, *args, quarters: list[str], in_progress: set[str] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quarter"].choices = [
            (quarter, Quarter.parse(quarter).label + (" (in progress)" if quarter in in_progress else ""))
            for quarter in quarters
        ]
        self.fields["service_area"].choices = [
            ("", "All service areas"),
            *((name, name) for name in ServiceArea.objects.values_list("name", flat=True)),
        ]
        self.fields["type"].choices = [("", "All types"), *CycleType.choices]
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            Field.select("quarter"),
            Field.select("service_area"),
            Field.select("type"),
            Submit("show", "Show distribution"),
        )


def _share(count: int, total: int) -> float | None:
    return round(100 * count / total, 1) if total else None


def _rows(counts: dict[str, int], choices) -> dict:
    """One table's rows: each choice with its count and share of the table's total."""
    total = sum(counts.values())
    return {
        "total": total,
        "rows": [
            {"value": value, "label": label, "count": counts[value], "percent": _share(counts[value], total)}
            for value, label in choices.choices
        ],
    }


CHART_LABEL_WIDTH = 215  # room for the longest grade name
CHART_BAR_WIDTH = 260
CHART_BAR_HEIGHT = 18
CHART_GROUP_HEIGHT = 2 * CHART_BAR_HEIGHT + 16


def _chart(overall: dict[str, dict[str, int]]) -> dict:
    """Geometry for the evaluator-and-final bar chart; the template draws it. Bars are shares
    of returned evaluations, so quarters of any size read alike."""
    evaluator_total = sum(overall["evaluator"].values())
    final_total = sum(overall["final"].values())
    groups = []
    for index, (grade, label) in enumerate(Grade.choices):
        top = index * CHART_GROUP_HEIGHT
        bars = []
        for offset, (series, total) in enumerate((("evaluator", evaluator_total), ("final", final_total))):
            count = overall[series][grade]
            percent = _share(count, total) or 0
            width = round(CHART_BAR_WIDTH * percent / 100, 1)
            bars.append(
                {
                    "series": series,
                    "count": count,
                    "percent": percent,
                    "y": top + offset * CHART_BAR_HEIGHT,
                    "width": width,
                    "text_x": CHART_LABEL_WIDTH + width + 6,
                    "text_y": top + offset * CHART_BAR_HEIGHT + CHART_BAR_HEIGHT - 5,
                }
            )
        groups.append({"grade": grade, "label": label, "label_y": top + CHART_BAR_HEIGHT + 4, "bars": bars})
    return {
        "groups": groups,
        "label_width": CHART_LABEL_WIDTH,
        "bar_height": CHART_BAR_HEIGHT - 2,
        "width": CHART_LABEL_WIDTH + CHART_BAR_WIDTH + 110,  # and for "100.0% (1234)" after a full bar
        "height": len(groups) * CHART_GROUP_HEIGHT,
    }


def _rate_percent(rate: float | None) -> float | None:
    return None if rate is None else round(100 * rate, 1)


def _tables(data: dict) -> dict:
    overall = data["overall"]
    evaluator_total = sum(overall["evaluator"].values())
    final_total = sum(overall["final"].values())
    moderation = data["moderation"]
    return {
        "overall": [
            {
                "label": label,
                "value": grade,
                "evaluator": overall["evaluator"][grade],
                "evaluator_percent": _share(overall["evaluator"][grade], evaluator_total),
                "final": overall["final"][grade],
                "final_percent": _share(overall["final"][grade], final_total),
            }
            for grade, label in Grade.choices
        ],
        "overall_totals": {"evaluator": evaluator_total, "final": final_total},
        "pillars": [{"label": label, **_rows(data["pillars"][pillar], Grade)} for pillar, label in Pillar.choices],
        "grades": Grade.choices,
        "moderation": {
            "moderated": moderation["moderated"],
            "moderated_percent": _share(moderation["moderated"], data["completed"]),
            "rows": [
                {
                    "label": label,
                    "count": moderation[outcome],
                    "percent": _share(moderation[outcome], moderation["moderated"]),
                }
                for outcome, label in Moderation.Outcome.choices
            ],
            # Optional keys of the contract: older payloads (or another implementation) may lack them.
            "agreement_percent": _rate_percent(moderation.get("agreement_rate")),
            "by_pillar": [
                {
                    "label": label,
                    **moderation["by_pillar"][pillar],
                    "agreement_percent": _rate_percent(moderation["by_pillar"][pillar]["agreement_rate"]),
                }
                for pillar, label in Pillar.choices
            ]
            if "by_pillar" in moderation
            else [],
        },
        "questions": [
            {"label": label, **_rows(data[question], Answer)} for question, label in HeadlineQuestion.choices
        ],
        "answers": Answer.choices,
    }


@require_GET
def distribution_page(request):
    """The quarter's grade distribution as tables and a chart; the latest quarter by default."""
    _require_reports(request.user)
    # A quarter stored before quarters were bounded (pqa/quarters.py), say 9999-00-Q4, cannot
    # be reported on: it is left out of the choice rather than failing the page for everyone.
    quarters = [quarter for quarter in quarters_with_evaluations() if quarter_or_none(quarter)]
    still_open = quarters_with_open_cycles()
    context: dict = {"quarters": quarters}
    if quarters:
        # By default the latest quarter whose cycles are all closed: its figures are final.
        settled = [quarter for quarter in quarters if quarter not in still_open]
        params = request.GET if "quarter" in request.GET else {"quarter": (settled or quarters)[0]}
        form = DistributionForm(params, quarters=quarters, in_progress=still_open)
        context["form"] = form
        if form.is_valid():
            choice = form.cleaned_data
            try:
                data, returns = grade_distribution_with_returns(
                    quarter=choice["quarter"], service_area=choice["service_area"] or None, type=choice["type"] or None
                )
            except DistributionError as error:
                form.add_error(None, str(error))
            else:
                context.update(
                    data=data,
                    period=Quarter.parse(data["quarter"]),
                    returns=returns,
                    return_rate_definition=RETURN_RATE_DEFINITION,
                    type_label=CycleType(data["type"]).label if data["type"] else None,
                    tables=_tables(data),
                    chart=_chart(data["overall"]),
                )
    return render(request, "reporting/distribution.html", context)
