from django.apps import AppConfig


class PQAConfig(AppConfig):
    name = "pqa"
    verbose_name = "PQA: organisation and people"

    def ready(self):
        from pqa import audit

        audit.connect_signals()
