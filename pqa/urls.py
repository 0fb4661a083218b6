from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from pqa import job_views, two_factor, views

# The admin carries PQA's name and the trust's, not Django's.
admin.site.site_header = f"{settings.PQA_TRUST_NAME} PQA administration"
admin.site.site_title = f"{settings.PQA_TRUST_NAME} PQA administration"
admin.site.index_title = "Records, people and settings"

urlpatterns = [
    path("", views.home, name="home"),
    path("your-pqa/", views.your_pqa, name="your_pqa"),
    path("your-pqa/menu/", views.menu_page, name="menu"),
    path("your-pqa/kept/", views.kept_texts, name="kept_texts"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", views.PQALoginView.as_view(), name="login"),
    path("accounts/logout/", views.PQALogoutView.as_view(), name="logout"),
    path("accounts/session/", views.session_ping, name="session_ping"),
    path("accounts/two-factor/", two_factor.verify, name="two_factor"),
    path("accounts/two-factor/setup/", two_factor.setup, name="two_factor_setup"),
    path("imports/<int:pk>/", job_views.import_job, name="import_job"),
    path("imports/<int:pk>/status.json", job_views.import_job_status, name="import_job_status"),
    path("accounts/two-factor/recovery/", two_factor.recovery, name="two_factor_recovery"),
    path("accounts/two-factor/recovery-codes/", two_factor.recovery_codes, name="two_factor_recovery_codes"),
    path("admin/", admin.site.urls),
    # The read-only feed for the trust's own BI, to bearer tokens (pqa/feed, docs/feed.md).
    path("api/feed/", include("pqa.feed.urls")),
    path("evaluations/", include("evaluations.urls")),
    path("feedback/", include("feedback.urls")),
    path("pqa/", include("pqa.reporting.urls")),
    path("pqa/", include("pqa.kpis.urls")),  # entering KPI values (the scorecard is reporting's)
]

# Error pages in the trust's look, rendered without the database (pqa/errors.py).
handler400 = "pqa.errors.bad_request"
handler403 = "pqa.errors.permission_denied"
handler404 = "pqa.errors.page_not_found"
handler500 = "pqa.errors.server_error"
