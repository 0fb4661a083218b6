from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """Complaints, compliments and child and family feedback (to come)."""

    name = "feedback"
    verbose_name = "Feedback"
