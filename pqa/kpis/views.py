"""Entering a KPI's value for a month, by the Practice Hub or an administrator. The scorecard
pages that show it are the reporting side's (pqa/reporting/scorecard.py)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from pqa.kpis import rules
from pqa.kpis.forms import IndicatorValueForm
from pqa.kpis.models import IndicatorValue
from pqa.kpis.permissions import can_enter_kpi_values
from pqa.kpis.selectors import indicator_by_code
from pqa.kpis.services import VALUE_FIELDS, indicator_value_record
from pqa.versioning import ConcurrentEditError


def _month(request):
    text = request.GET.get("month", "").strip()
    if not text:
        # Values are reported after the month ends: last month is the one usually entered.
        return rules.add_months(rules.first_of_month(timezone.localdate()), -1)
    try:
        month = rules.parse_month(text)
    except rules.MonthError as error:
        raise Http404(str(error)) from error
    if month > rules.first_of_month(timezone.localdate()):
        raise Http404("That month has not begun")
    return month


def value_edit(request, code: str):
    """GET/POST /pqa/kpis/CODE/value/?month=YYYY-MM: the month's value, new or changed."""
    if not can_enter_kpi_values(request.user):
        raise Http404("No such page")
    indicator = indicator_by_code(code)
    if indicator is None:
        raise Http404("No such indicator")
    month = _month(request)
    current = IndicatorValue.objects.filter(indicator=indicator, month=month).select_related("entered_by").first()
    refused = None
    if request.method == "POST":
        form = IndicatorValueForm(request.POST, indicator=indicator)
        if form.is_valid():
            try:
                indicator_value_record(
                    indicator=indicator,
                    month=month,
                    values=form.values(),
                    actor=request.user,
                    expected_version=form.cleaned_data["based_on_version"] if current else None,
                )
            except ConcurrentEditError as error:
                # Someone saved this month first: theirs is shown beside what this person typed,
                # which stays in the form; saving again (from the version now shown) replaces theirs.
                refused = error
                current.refresh_from_db()
                data = request.POST.copy()
                data["based_on_version"] = str(current.version)
                form = IndicatorValueForm(data, indicator=indicator)
                form.is_valid()
                form.add_error(None, str(error) + " Their figures are shown below; save again to replace them.")
            except ValidationError as error:
                for name, texts in error.message_dict.items():
                    form.add_error(name if name in form.fields else None, texts)
            else:
                messages.success(request, f"{indicator.code} for {rules.month_label(month)} saved.")
                return redirect(
                    f"{reverse('reporting:scorecard_indicator', args=[indicator.code])}?month={rules.month_text(month)}"
                )
    else:
        initial = {name: getattr(current, name) for name in VALUE_FIELDS} if current else {}
        if current and current.numerator is not None:
            initial["value"] = None  # worked out from them, not typed
        if current:
            initial["based_on_version"] = current.version
        form = IndicatorValueForm(initial=initial, indicator=indicator)
    return render(
        request,
        "kpis/value_form.html",
        {
            "indicator": indicator,
            "month": month,
            "month_text": rules.month_text(month),
            "form": form,
            "current": current,
            "refused": refused,
        },
    )
