from django.apps import AppConfig


class PQAConfig(AppConfig):
    name = "pqa"
    verbose_name = "PQA: organisation and people"

    def ready(self):
        from pqa import audit, registry

        audit.connect_signals()
        # The core's own entries, last in every menu; the apps register theirs in their ready().
        registry.menu(
            label="Admin", url_name="admin:index", roles=registry.ALL_ROLES, order=900, permission=lambda u: u.is_staff
        )
        registry.menu(
            label="Two-factor authentication", url_name="two_factor_setup", roles=registry.ALL_ROLES, order=910
        )
        registry.json_endpoint("session_ping")
        registry.json_endpoint("import_job_status")  # polled by a background import's progress bar
        # For messages that belong to no app (e.g. a test message from an administrator).
        registry.notification_kind("other", "Other")
        # The KPIs are the core's own: their values are a table of the BI feed (docs/feed.md).
        from pqa.kpis import selectors as kpis

        registry.feed_table("kpi_values", rows=kpis.feed_kpi_values, columns=kpis.KPI_VALUE_FEED_COLUMNS)
