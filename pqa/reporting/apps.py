from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """The triangulating read side: reads evaluations and feedback through their selectors."""

    name = "pqa.reporting"
    label = "reporting"
    verbose_name = "PQA reports"
