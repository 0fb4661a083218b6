from django.apps import AppConfig


class FeedConfig(AppConfig):
    """The BI feed: tokens, the log of their requests, and the views that serve the tables the
    apps register (pqa.registry.feed_table)."""

    name = "pqa.feed"
    label = "feed"
    verbose_name = "BI feed"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from pqa import registry

        # Called by Power BI and warehouses with a bearer token, never with a session.
        registry.token_endpoint("feed:csv")
        registry.token_endpoint("feed:json")
