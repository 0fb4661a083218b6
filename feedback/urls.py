from django.urls import include, path

app_name = "feedback"

urlpatterns = [
    path("complaints/", include("feedback.complaints.urls")),
    # Compliments, child and family feedback responses and advocacy referrals.
    path("", include("feedback.voice.urls")),
]
