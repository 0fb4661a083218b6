from django.urls import path

from pqa.reporting import views

app_name = "reporting"

urlpatterns = [
    path("distribution.json", views.distribution_json, name="distribution_json"),
    path("distribution/", views.distribution_page, name="distribution"),
]
