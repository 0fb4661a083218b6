from django.urls import path

from pqa.feed import views

app_name = "feed"

# Tables are named in lower-case words joined by underscores (pqa.registry.feed_table).
urlpatterns = [
    path("<str:table>.csv", views.feed_csv, name="csv"),
    path("<str:table>.json", views.feed_json, name="json"),
]
