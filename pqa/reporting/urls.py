from django.urls import path, register_converter

from pqa.quarters import Quarter
from pqa.reporting import dashboard, feedback, report_pages, scorecard, views


class QuarterConverter:
    """A quarter in a URL (`2025-26-Q1`): one PQA accepts (pqa.quarters), or the URL is a 404."""

    regex = r"[0-9]{4}-[0-9]{2}-Q[1-4]"

    def to_python(self, value: str) -> Quarter:
        return Quarter.parse(value)  # QuarterError is a ValueError: no match, so a 404

    def to_url(self, value) -> str:
        return str(value)


register_converter(QuarterConverter, "quarter")

app_name = "reporting"

urlpatterns = [
    path("dashboard/", dashboard.dashboard_page, name="dashboard"),
    path("distribution.json", views.distribution_json, name="distribution_json"),
    path("distribution/", views.distribution_page, name="distribution"),
    # The KPI scorecard (pqa/reporting/scorecard.py)
    path("scorecard.json", scorecard.scorecard_json, name="scorecard_json"),
    path("scorecard/", scorecard.scorecard_page, name="scorecard"),
    path("scorecard/<slug:code>/", scorecard.indicator_page, name="scorecard_indicator"),
]

# A quarter's feedback figures (pqa/reporting/feedback.py)
urlpatterns += [
    path("feedback.json", feedback.feedback_json, name="feedback_json"),
    path("feedback/", feedback.feedback_page, name="feedback"),
]

# The quarterly report: stored, generated in the background, downloaded (pqa/reporting/report_pages.py)
urlpatterns += [
    path("reports/", report_pages.report_list, name="reports"),
    path("reports/<quarter:quarter>/", report_pages.report_page, name="report"),
    path("reports/<quarter:quarter>/status.json", report_pages.report_status, name="report_status"),
    path("reports/<quarter:quarter>/compare/", report_pages.report_conflicts, name="report_conflicts"),
    path("reports/<quarter:quarter>/<slug:fmt>/", report_pages.report_download, name="report_download"),
]
