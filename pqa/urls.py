from django.contrib import admin
from django.urls import include, path

from pqa import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", views.PQALoginView.as_view(), name="login"),
    path("accounts/logout/", views.PQALogoutView.as_view(), name="logout"),
    path("accounts/session/", views.session_ping, name="session_ping"),
    path("admin/", admin.site.urls),
    path("evaluations/", include("evaluations.urls")),
    path("pqa/", include("pqa.reporting.urls")),
]
