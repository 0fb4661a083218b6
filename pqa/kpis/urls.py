from django.urls import path

from pqa.kpis import views

app_name = "kpis"

urlpatterns = [
    path("kpis/<slug:code>/value/", views.value_edit, name="value"),
]
