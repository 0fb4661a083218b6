from django.urls import include, path

app_name = "feedback"

urlpatterns = [
    path("complaints/", include("feedback.complaints.urls")),
]
