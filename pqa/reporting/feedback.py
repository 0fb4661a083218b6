"""A quarter's feedback figures, out: /pqa/feedback.json (docs/contracts/feedback-csv.md) and
the figures page, with the practice evaluation's own feedback beside them. Reads feedback
through feedback.figures and evaluations through evaluations.selectors only."""

from __future__ import annotations

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Submit
from django import forms
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from evaluations.selectors import evaluation_feedback_figures
from feedback.figures import (
    STANDARD_QUESTIONS,
    AdvocacySource,
    ComplimentFrom,
    FeedbackRespondent,
    FiguresError,
    Rating,
    feedback_figures,
    resolve,
)
from pqa import audit
from pqa.models import ServiceArea
from pqa.quarters import Quarter
from pqa.reporting.permissions import can_see_reports


def _require_reports(user) -> None:
    if not can_see_reports(user):
        raise Http404("No such page")


@require_GET
def feedback_json(request):
    """GET /pqa/feedback.json?quarter=2025-26-Q1[&service_area=NAME]"""
    _require_reports(request.user)
    quarter = request.GET.get("quarter", "").strip()
    if not quarter:
        return JsonResponse({"error": "quarter is required: add ?quarter=YYYY-YY-QN, e.g. 2025-26-Q1"}, status=400)
    service_area = request.GET.get("service_area", "").strip() or None
    try:
        data = feedback_figures(quarter=quarter, service_area=service_area)
    except FiguresError as error:
        return JsonResponse({"error": str(error)}, status=400)
    audit.event(
        audit.EXPORT,
        user=request.user.pk,
        what="feedback_figures",
        format="json",
        quarter=quarter,
        service_area=service_area,
    )
    return JsonResponse(data)


class FiguresForm(forms.Form):
    quarter = forms.ChoiceField(label="Quarter")
    service_area = forms.ChoiceField(label="Service area", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        latest = Quarter.containing(timezone.localdate())
        quarters = [latest]
        for _ in range(7):
            quarters.append(quarters[-1].previous())
        self.fields["quarter"].choices = [(str(quarter), quarter.label) for quarter in quarters]
        self.fields["quarter"].initial = str(latest.previous())
        self.fields["service_area"].choices = [
            ("", "All service areas"),
            *((name, name) for name in ServiceArea.objects.values_list("name", flat=True)),
        ]
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            Field.select("quarter"), Field.select("service_area"), Submit("show", "Show figures")
        )


def _rows(counts: dict[str, int], choices) -> list[dict]:
    total = sum(counts.values())
    return [
        {"label": label, "count": counts[code], "percent": round(100 * counts[code] / total) if total else None}
        for code, label in choices
    ]


@require_GET
def feedback_page(request):
    """The quarter's complaints, compliments, responses and advocacy referrals in tables, and
    the practice evaluation's own feedback beside them: counts only, no names, no comments."""
    _require_reports(request.user)
    form = FiguresForm(request.GET or None)
    context = {"form": form}
    quarter = request.GET.get("quarter") or form.fields["quarter"].initial
    try:
        period, area = resolve(quarter=quarter, service_area=request.GET.get("service_area") or None)
        data = feedback_figures(quarter=str(period), service_area=area.name if area else None)
    except FiguresError as error:
        form.is_valid()
        form.add_error("quarter" if "quarter" in str(error) else "service_area", str(error))
        return render(request, "reporting/feedback.html", context, status=400)
    share = data["advocacy"]["from_social_work_share"]
    context.update(
        period=period,
        data=data,
        social_work_percent=None if share is None else round(100 * share),
        compliments=_rows(data["compliments"]["by_from"], ComplimentFrom.choices),
        respondents=_rows(data["responses"]["by_respondent"], FeedbackRespondent.choices),
        questions=[{"label": label, **data["responses"]["questions"][name]} for name, label in STANDARD_QUESTIONS],
        ratings=_rows(data["responses"]["ratings"], Rating.choices),
        advocacy=_rows(data["advocacy"]["by_source"], AdvocacySource.choices),
        evaluation_feedback=evaluation_feedback_figures(quarter=period, service_area=area),
    )
    return render(request, "reporting/feedback.html", context)
