from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """Complaints, compliments and child and family feedback."""

    name = "feedback"
    verbose_name = "Feedback"

    def ready(self):
        """Tell the core what feedback brings (pqa.registry)."""
        self.ready_complaints()

    def ready_complaints(self):
        from feedback.complaints import import_jobs, selectors
        from feedback.complaints.demo import complaints_demo_load
        from feedback.complaints.notifications import DIGEST_KIND, DIGEST_LABEL
        from pqa import jobs, registry
        from pqa.models import Role

        registry.menu(
            label="Complaints due", url_name="feedback:complaints:home", roles=selectors.MANAGE_ROLES, order=50
        )
        registry.menu(label="Complaints", url_name="feedback:complaints:list", roles=selectors.READ_ROLES, order=51)
        registry.home(role=Role.CUSTOMER_RELATIONS, url_name="feedback:complaints:home")
        registry.json_endpoint("feedback:complaints:register_json")
        registry.notification_kind(DIGEST_KIND, DIGEST_LABEL)
        jobs.register_importer(
            import_jobs.IMPORTER, label="complaints", run=import_jobs.run, url_name="feedback:complaints:list"
        )
        registry.demo_loader("complaints", complaints_demo_load, order=20)
