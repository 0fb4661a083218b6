from django.urls import path

from pqa.reporting import dashboard, feedback, scorecard, views

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
