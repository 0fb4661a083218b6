from django.urls import include, path

app_name = "feedback"

urlpatterns = [
    # Compliments, child and family feedback responses and advocacy referrals.
    path("", include("feedback.voice.urls")),
]
