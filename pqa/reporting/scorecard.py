"""The KPI scorecard, out: as JSON (shared contract kpis.md) and as pages for people: every
indicator at a glance for a month, and each indicator's twelve months with its chart, table
and commentary. The figures come from pqa.kpis.selectors; nothing is judged here."""

from __future__ import annotations

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Submit
from django import forms
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from pqa import audit, charts
from pqa.kpis import rules
from pqa.kpis.permissions import can_enter_kpi_values
from pqa.kpis.selectors import indicator_by_code, indicator_months, indicator_targets, months_with_values, scorecard
from pqa.kpis.selectors import scorecard_data as scorecard_json_data
from pqa.reporting.permissions import can_see_reports
from pqa.templatetags.pqa_kpis import kpi_figure, kpi_value

# A point's colour says its status, as the tags do (and the table beside says it in words).
STATUS_COLOURS = {
    rules.BETTER_THAN_TOLERANCE: "#1d70b8",
    rules.ON_TARGET: "#00703c",
    rules.WITHIN_TOLERANCE: "#b58840",
    rules.OUTSIDE_TOLERANCE: "#d4351c",
}
CHART_MONTHS = 12


def _require_reports(user) -> None:
    if not can_see_reports(user):
        raise Http404("No such page")


@require_GET
def scorecard_json(request):
    """GET /pqa/scorecard.json?month=YYYY-MM"""
    _require_reports(request.user)
    text = request.GET.get("month", "").strip()
    if not text:
        return JsonResponse({"error": "month is required: add ?month=YYYY-MM, e.g. 2018-12"}, status=400)
    try:
        month = rules.parse_month(text)
    except rules.MonthError as error:
        return JsonResponse({"error": str(error)}, status=400)
    data = scorecard_json_data(month)
    audit.event(audit.EXPORT, user=request.user.pk, what="kpi_scorecard", format="json", month=data["month"])
    return JsonResponse(data)


class MonthForm(forms.Form):
    month = forms.ChoiceField(label="Month")

    def __init__(self, *args, months, button: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [(rules.month_text(month), rules.month_label(month)) for month in months]
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(Field.select("month"), Submit("show", button))


def _chosen_month(request, button: str):
    """The month asked for in the URL (a filter people can share), else the latest with values,
    else last month; with the form to choose another. A month PQA cannot read is the form's error."""
    months = months_with_values()
    default = months[0] if months else rules.add_months(rules.first_of_month(timezone.localdate()), -1)
    text = request.GET.get("month", "").strip()
    month, error = default, None
    if text:
        try:
            month = rules.parse_month(text)
        except rules.MonthError as problem:
            error = str(problem)
    choices = sorted({*months, month}, reverse=True)
    form = MonthForm({"month": rules.month_text(month)}, months=choices, button=button)
    form.is_valid()
    if error:
        form.add_error("month", error)
    return month, form


@require_GET
def scorecard_page(request):
    """Every indicator at a glance for a month: value, target, tolerance, status, direction and
    the comparators."""
    _require_reports(request.user)
    month, form = _chosen_month(request, "Show scorecard")
    rows = scorecard(month)
    counts = {status: sum(1 for row in rows if row.status == status) for status in rules.STATUSES}
    return render(
        request,
        "reporting/scorecard.html",
        {
            "month": month,
            "month_text": rules.month_text(month),
            "form": form,
            "rows": rows,
            "summary": [(rules.STATUS_LABELS[status], status, counts[status]) for status in rules.STATUSES],
            "without_value": sum(1 for row in rows if row.value is None),
        },
    )


def _chart(indicator, months) -> charts.LineChart:
    labels = [f"{judged.month:%b}" for judged in months]
    sublabels = [
        f"{judged.month:%Y}" if index == 0 or judged.month.month == 1 else "" for index, judged in enumerate(months)
    ]
    shown = [judged for judged in months if judged.value is not None]
    described = "; ".join(
        f"{rules.month_label(judged.month)}: {kpi_value(judged.value, indicator.unit)}, {judged.status_label.lower()}"
        for judged in shown
    )
    bands = {(judged.band.target, judged.band.low, judged.band.high) for judged in months if judged.band}
    band_text = (
        "; ".join(
            f"target {kpi_figure(target, indicator.unit)}, "
            f"tolerance {kpi_figure(low)} to {kpi_figure(high, indicator.unit)}"
            for target, low, high in sorted(bands)
        )
        if bands
        else "no target"
    )
    return charts.line_chart(
        id=f"chart-{indicator.code}",
        title=f"{indicator.code}, {indicator.title}: {rules.month_label(months[0].month)} to "
        f"{rules.month_label(months[-1].month)}",
        description=f"{described or 'No values in these months'}. Good = {indicator.polarity}; {band_text}.",
        labels=labels,
        sublabels=sublabels,
        values=[judged.value for judged in months],
        value_texts=[kpi_value(judged.value, indicator.unit) for judged in months],
        targets=[judged.band.target if judged.band else None for judged in months],
        bands=[(judged.band.low, judged.band.high) if judged.band else None for judged in months],
        point_colours=[STATUS_COLOURS.get(judged.status, charts.LINE) for judged in months],
        unit="%" if indicator.unit == rules.PERCENT else "",
    )


@require_GET
def indicator_page(request, code: str):
    """One indicator: the chosen month in detail, its twelve months as a chart with the same
    figures in a table beside it, and each month's commentary."""
    _require_reports(request.user)
    indicator = indicator_by_code(code)
    if indicator is None:
        raise Http404("No such indicator")
    month, form = _chosen_month(request, "Show indicator")
    months = indicator_months(indicator, last=month, count=CHART_MONTHS)
    chosen = months[-1]
    return render(
        request,
        "reporting/scorecard_indicator.html",
        {
            "indicator": indicator,
            "month": month,
            "month_text": rules.month_text(month),
            "form": form,
            "chosen": chosen,
            "months": months,
            "commentary": [judged for judged in reversed(months) if judged.record and judged.record.commentary],
            "chart": _chart(indicator, months),
            "targets": indicator_targets(indicator),
            "can_enter": can_enter_kpi_values(request.user),
        },
    )
